"""A shift's detail panel and the actions on its volunteers.

``GET /board/<slug>/shifts/<id>/`` renders the panel: as a fragment for the board's dialog
(board.js asks with ``X-Requested-With: fetch``), or as a cockpit page of its own without
JavaScript. Every action is a POST with CSRF that calls one service; then it redirects back to
the page (without JavaScript) or answers with the panel again, which says what happened (with
JavaScript). A refusal (``DomainError``) is shown in the panel, in the user's language.

The services publish their events, so every board of the organisation shows the change live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.models import User
from backend.board.selectors import Panel, display_name, panel_read
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.errors import DomainError, ValidationFailed
from backend.notifications.reach import reaches_on_telegram
from backend.notifications.services import broadcast_outcome
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.services import (
    claim_cancel,
    claim_check_in,
    claim_check_out,
    claim_confirm_attendance,
    claim_mark_no_show,
    shift_add_member,
    shift_call_for_help,
)
from backend.shifts.services.claims import MAX_CANCELLATION_REASON

# A header only board.js sends: it wants the panel's HTML, not a page or a redirect.
FRAGMENT_HEADER = "X-Requested-With"
FRAGMENT_VALUE = "fetch"
CALL_TEXT_MAX = 1000  # shift_broadcast's limit, for the browser's hint only


# --- forms (they parse; the services judge) --------------------------------------------------


# The panel's templates write the fields out (labels, help, errors and their ARIA links); these
# only read what was sent.
class CancelClaimForm(forms.Form):
    reason = forms.CharField(required=False, strip=False)


class AddMemberForm(forms.Form):
    volunteer = forms.IntegerField(min_value=1)


class CallForHelpForm(forms.Form):
    text = forms.CharField(required=False, strip=False)


@dataclass
class Outcome:
    """What the last action did, for the panel to say: a notice, or a refusal (with the
    form it came from and its field errors)."""

    notice: str = ""
    error: str = ""
    form: str = ""  # "cancel" | "claim" | "add" | "call"
    claim_id: int | None = None  # the claim a "cancel" or "claim" form was about
    fields: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


# --- rendering -------------------------------------------------------------------------------


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == FRAGMENT_VALUE


def _default_call_text(panel: Panel) -> str:
    if panel.short > 0:
        return ngettext(
            "We still need %(count)s person for this shift. Can you help?",
            "We still need %(count)s people for this shift. Can you help?",
            panel.short,
        ) % {"count": panel.short}
    return _("This shift is full; join its waitlist if you could step in.")


def _render(
    request: HttpRequest,
    organisation: Organisation,
    shift_id: int,
    outcome: Outcome | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    panel = panel_read(organisation=organisation, shift_id=shift_id)
    if panel is None:
        raise Http404
    outcome = outcome or Outcome()
    fragment = _wants_fragment(request)
    context: dict[str, Any] = {
        "panel": panel,
        "shift": panel.shift,
        "outcome": outcome,
        "fragment": fragment,
        "call_text": outcome.values.get("text", _default_call_text(panel)),
        "reason_max": MAX_CANCELLATION_REASON,
        "call_max": CALL_TEXT_MAX,
    }
    if fragment:
        response = render(
            request,
            "board/shift/panel.html",
            {"organisation": organisation, **context},
            status=status,
        )
        # board.js shows only answers marked so (not a log-in page, not an error page).
        response["X-Panel"] = "1"
    else:
        response = render_cockpit(
            request, organisation, "board/shift/page.html", context, section="board", status=status
        )
    response["Vary"] = FRAGMENT_HEADER
    response["Cache-Control"] = "no-store"
    return response


def _done(request: HttpRequest, organisation: Organisation, shift_id: int, notice: str) -> Any:
    """After a successful action: the panel saying so (JavaScript), or back to the page."""
    if _wants_fragment(request):
        return _render(request, organisation, shift_id, Outcome(notice=notice))
    messages.success(request, notice)
    return HttpResponseRedirect(reverse("board:shift", args=[organisation.slug, shift_id]))


def _refused(
    request: HttpRequest,
    organisation: Organisation,
    shift_id: int,
    error: DomainError,
    *,
    form: str,
    claim_id: int | None = None,
    values: dict[str, str] | None = None,
) -> HttpResponse:
    fields = {name: [str(m) for m in msgs] for name, msgs in error.fields.items()}
    outcome = Outcome(
        error="" if fields else str(error.detail),
        form=form,
        claim_id=claim_id,
        fields=fields,
        values=values or {},
    )
    return _render(request, organisation, shift_id, outcome, status=error.status)


# --- views -----------------------------------------------------------------------------------


@require_GET
@cockpit_view()
def shift_panel(request: HttpRequest, organisation: Organisation, shift_id: int) -> HttpResponse:
    return _render(request, organisation, shift_id)


CLAIM_ACTIONS = {
    "check-in": (claim_check_in, gettext_lazy("%(name)s is checked in.")),
    "check-out": (claim_check_out, gettext_lazy("%(name)s is checked out.")),
    "no-show": (claim_mark_no_show, gettext_lazy("%(name)s is marked as a no-show.")),
    "attended": (claim_confirm_attendance, gettext_lazy("%(name)s's attendance is confirmed.")),
}


def _require_shift(organisation: Organisation, shift_id: int) -> None:
    """A shift id of another organisation is not found here (whoever may manage it)."""
    if not Shift.objects.filter(pk=shift_id, organisation_id=organisation.pk).exists():
        raise Http404


def _claim_on_shift(organisation: Organisation, shift_id: int, claim_id: int) -> str:
    """The volunteer's name, if the claim is on this shift of this organisation; else 404, so
    a claim id of another shift or organisation changes nothing."""
    claim = (
        Claim.objects.filter(pk=claim_id, shift_id=shift_id, shift__organisation_id=organisation.pk)
        .select_related("volunteer__profile")
        .first()
    )
    if claim is None:
        raise Http404
    return display_name(claim.volunteer)


@require_POST
@cockpit_view()
def claim_action(
    request: HttpRequest, organisation: Organisation, shift_id: int, claim_id: int, action: str
) -> HttpResponse:
    name = _claim_on_shift(organisation, shift_id, claim_id)
    actor: User = request.user  # type: ignore[assignment]
    if action == "cancel":
        form = CancelClaimForm(request.POST)
        form.is_valid()  # a text field always parses; the service checks its length
        reason = form.cleaned_data.get("reason", "")
        try:
            if not reason.strip():
                # The volunteer is told why; a coordinator's cancellation always says it.
                raise ValidationFailed(
                    fields={"reason": [_("Write why, so that the volunteer knows.")]}
                )
            claim = claim_cancel(actor=actor, claim_id=claim_id, reason=reason)
        except DomainError as error:
            return _refused(
                request,
                organisation,
                shift_id,
                error,
                form="cancel",
                claim_id=claim_id,
                values={"reason": reason},
            )
        return _done(
            request,
            organisation,
            shift_id,
            (
                _("%(name)s's place is cancelled; they get a message with the reason on Telegram.")
                if reaches_on_telegram(claim.volunteer_id)
                else _(
                    "%(name)s's place is cancelled. Inzet cannot tell them now (no Telegram chat "
                    "linked, or the bot is off): let them know yourself."
                )
            )
            % {"name": name},
        )
    if action not in CLAIM_ACTIONS:
        raise Http404
    service, notice = CLAIM_ACTIONS[action]
    try:
        service(actor=actor, claim_id=claim_id)
    except DomainError as error:
        return _refused(request, organisation, shift_id, error, form="claim", claim_id=claim_id)
    return _done(request, organisation, shift_id, str(notice) % {"name": name})


@require_POST
@cockpit_view()
def add_member(request: HttpRequest, organisation: Organisation, shift_id: int) -> HttpResponse:
    _require_shift(organisation, shift_id)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        error = DomainError(fields={"volunteer": [_("Choose a member to add.")]})
        return _refused(request, organisation, shift_id, error, form="add")
    actor: User = request.user  # type: ignore[assignment]
    try:
        result = shift_add_member(
            actor=actor, shift_id=shift_id, user_id=form.cleaned_data["volunteer"]
        )
    except DomainError as error:
        return _refused(request, organisation, shift_id, error, form="add")
    values = {"name": display_name(result.claim.volunteer)}
    if not result.created:
        notice = _("%(name)s was already on this shift.") % values
    elif result.claim.status == ClaimStatus.WAITLISTED:
        notice = _("%(name)s is on the waitlist: the shift is full.") % values
    else:
        notice = _("%(name)s is on the shift.") % values
    return _done(request, organisation, shift_id, notice)


@require_POST
@cockpit_view()
def call_for_help(request: HttpRequest, organisation: Organisation, shift_id: int) -> HttpResponse:
    _require_shift(organisation, shift_id)
    form = CallForHelpForm(request.POST)
    form.is_valid()
    text = form.cleaned_data.get("text", "")
    actor: User = request.user  # type: ignore[assignment]
    try:
        asked = shift_call_for_help(actor=actor, shift_id=shift_id, text=text)
    except DomainError as error:
        return _refused(request, organisation, shift_id, error, form="call", values={"text": text})
    return _done(request, organisation, shift_id, broadcast_outcome(asked))


urlpatterns = [
    path("<slug:slug>/shifts/<int:shift_id>/", shift_panel, name="shift"),
    path(
        "<slug:slug>/shifts/<int:shift_id>/claims/<int:claim_id>/<slug:action>/",
        claim_action,
        name="shift_claim",
    ),
    path("<slug:slug>/shifts/<int:shift_id>/members/", add_member, name="shift_add_member"),
    path("<slug:slug>/shifts/<int:shift_id>/call/", call_for_help, name="shift_call"),
]
