"""Cockpit area: the follow-ups: "how did it go" answers that need a coordinator's attention
(a low score or a worrying word), marked handled with a note, and the recently handled ones."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backend.accounts.models import User
from backend.board.forms.follow_ups import HandleFollowUpForm
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.errors import DomainError, NotFound, ValidationFailed
from backend.notifications.models import ClaimFeedback
from backend.notifications.services import follow_up_handle, follow_ups_handled, follow_ups_of
from backend.organisations.models import Organisation

# The page shows this many open answers (newest first) and recently handled ones.
OPEN_LIMIT = 100
HANDLED_LIMIT = 20


def _name(user: User | None) -> str:
    profile = getattr(user, "profile", None)
    if profile is not None and profile.display_name:
        return str(profile.display_name)
    return str(user) if user is not None else ""


def _page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    invalid: HandleFollowUpForm | None = None,
    invalid_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rows: list[ClaimFeedback] = list(
        follow_ups_of(actor=user, organisation_id=organisation.pk)[:OPEN_LIMIT]
    )
    handled: list[ClaimFeedback] = list(
        follow_ups_handled(actor=user, organisation_id=organisation.pk)[:HANDLED_LIMIT]
    )
    open_items = [
        {
            "feedback": feedback,
            "volunteer": _name(feedback.claim.volunteer),
            "phone": getattr(feedback.claim.volunteer.profile, "phone", ""),
            "form": invalid
            if invalid is not None and feedback.pk == invalid_id
            else HandleFollowUpForm(feedback_id=feedback.pk),
        }
        for feedback in rows
    ]
    handled_items = [
        {
            "feedback": feedback,
            "volunteer": _name(feedback.claim.volunteer),
            "handled_by": _name(feedback.handled_by),
        }
        for feedback in handled
    ]
    return render_cockpit(
        request,
        organisation,
        "board/follow_ups/page.html",
        {"open_items": open_items, "handled_items": handled_items, "open_limit": OPEN_LIMIT},
        section="follow_ups",
        status=status,
    )


@cockpit_view()
def follow_ups_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    return _page(request, organisation)


@require_POST
@cockpit_view()
def follow_up_handle_view(
    request: HttpRequest, organisation: Organisation, feedback_id: int
) -> HttpResponse:
    form = HandleFollowUpForm(request.POST, feedback_id=feedback_id)
    if form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            follow_up_handle(
                actor=user,
                feedback_id=feedback_id,
                note=form.cleaned_data["note"],
                organisation_id=organisation.pk,
            )
        except NotFound as error:
            raise Http404 from error
        except ValidationFailed as error:
            for field, errors in error.fields.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        except DomainError as error:
            # Handled meanwhile (by another coordinator): it is in the handled list now.
            messages.warning(request, str(error.detail))
            return redirect("board:follow_ups", organisation.slug)
        else:
            messages.success(request, _("Marked as handled. Thank you."))
            return redirect("board:follow_ups", organisation.slug)
    return _page(request, organisation, invalid=form, invalid_id=feedback_id, status=400)


urlpatterns = [
    path("<slug:slug>/follow-ups/", follow_ups_page, name="follow_ups"),
    path(
        "<slug:slug>/follow-ups/<int:feedback_id>/handle/",
        follow_up_handle_view,
        name="follow_up_handle",
    ),
]
