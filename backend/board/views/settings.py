"""Cockpit area: settings. The organisation's name, time zone and no-show limit, and the
switches of Belgian volunteer law (admins).

The form parses; ``organisation_update`` decides what is valid and says so per field.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts.models import User
from backend.board.forms import show_domain_error
from backend.board.forms.settings import OrganisationSettingsForm
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.errors import DomainError
from backend.organisations.models import Organisation
from backend.organisations.services import organisation_update

# The switches of Belgian volunteer law, as organisation_update names them.
LAW_SWITCHES = ("care_decree", "publish_requires_insurance", "requires_birth_date")
PUBLIC_PAGE_FIELDS = ("public_page_enabled", "public_description")


@require_http_methods(["GET", "POST"])
@cockpit_view(admin=True)
def settings_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    initial = {
        "name": organisation.name,
        "time_zone": organisation.time_zone,
        "no_show_limit": organisation.no_show_limit,
        "stand_in_deadline_hours": organisation.stand_in_deadline_hours,
        **{name: getattr(organisation, name) for name in LAW_SWITCHES + PUBLIC_PAGE_FIELDS},
    }
    form = OrganisationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actor: User = request.user  # type: ignore[assignment]
        try:
            organisation = organisation_update(
                actor=actor,
                organisation_id=organisation.pk,
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
                no_show_limit=form.cleaned_data["no_show_limit"],
                stand_in_deadline_hours=form.cleaned_data["stand_in_deadline_hours"],
                **{name: form.cleaned_data[name] for name in LAW_SWITCHES + PUBLIC_PAGE_FIELDS},
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("The settings are saved."))
            return HttpResponseRedirect(reverse("board:settings", args=[organisation.slug]))
    return render_cockpit(
        request,
        organisation,
        "board/settings/settings.html",
        {"form": form, "public_url": reverse("public_page", args=[organisation.slug])},
        section="settings",
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("<slug:slug>/settings/", settings_page, name="settings"),
]
