"""Cockpit area: the information note (informatienota) of Belgian volunteer law.

Coordinators see the current version, whether it blocks publishing, and who acknowledged
which version (those who must still do so first), and download that proof as CSV. Admins
also write a new version, material or a correction. The rules are
``backend/organisations/info_note.py``'s; ``cockpit_view(admin=True)`` on the POST only
keeps coordinators from a form the service would refuse them anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from backend.accounts.models import User
from backend.board.forms import show_domain_error
from backend.board.forms.info_note import InfoNoteForm
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.dates import date_text
from backend.core.errors import DomainError, InfoNoteIncomplete
from backend.organisations.info_note import (
    ReaderStatus,
    acknowledgements_csv,
    current_note,
    info_note_acknowledgements,
    info_note_readers,
    info_note_write,
    require_publishable,
)
from backend.organisations.models import AckChannel, InfoNote, Organisation, Role
from backend.organisations.selectors import admin_names


@dataclass(frozen=True)
class ReaderRow:
    """A line of the readers' list, in the reader's language and the organisation's time."""

    status: ReaderStatus
    role: str  # "" for someone who acknowledged without being a member (a public shift)
    channel: str
    acknowledged_at: str


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _local(moment: dt.datetime, zone: ZoneInfo) -> str:
    return date_text(moment.astimezone(zone), "j F Y, H:i")


def _rows(statuses: list[ReaderStatus], zone: ZoneInfo) -> list[ReaderRow]:
    return [
        ReaderRow(
            status=status,
            role=str(capfirst(Role(status.role).label)) if status.role else "",
            channel=str(AckChannel(status.channel).label) if status.channel else "",
            acknowledged_at=_local(status.acknowledged_at, zone) if status.acknowledged_at else "",
        )
        for status in statuses
    ]


def _publishing_blocked(organisation: Organisation) -> bool:
    try:
        require_publishable(organisation)
    except InfoNoteIncomplete:
        return True
    return False


def _render(
    request: HttpRequest,
    organisation: Organisation,
    note: InfoNote | None,
    form: InfoNoteForm | None,
    *,
    status: int = 200,
) -> HttpResponse:
    zone = ZoneInfo(organisation.time_zone)
    blocked = _publishing_blocked(organisation)
    is_admin = getattr(request, "cockpit_admin", False)
    readers = (
        _rows(info_note_readers(actor=_actor(request), organisation_id=organisation.pk), zone)
        if note is not None
        else []
    )
    context = {
        "note": note,
        "note_date": _local(note.created_at, zone) if note else "",
        # After a correction the current version is newer than the one volunteers must have
        # acknowledged to claim.
        "required_version": organisation.info_note_version,
        "publishing_blocked": blocked,
        "admin_names": ", ".join(admin_names(organisation=organisation))
        if blocked and not is_admin
        else "",
        "readers": readers,
        "to_acknowledge": sum(1 for row in readers if not row.status.up_to_date),
        "form": form,
    }
    return render_cockpit(
        request,
        organisation,
        "board/info_note/page.html",
        context,
        section="info_note",
        status=status,
    )


@cockpit_view()
def _show(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    note = current_note(organisation.pk)
    is_admin = getattr(request, "cockpit_admin", False)
    form = InfoNoteForm(organisation=organisation, note=note) if is_admin else None
    return _render(request, organisation, note, form)


@cockpit_view(admin=True)
def _write(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    note = current_note(organisation.pk)
    form = InfoNoteForm(request.POST, organisation=organisation, note=note)
    if form.is_valid():
        try:
            written = info_note_write(
                actor=_actor(request), organisation_id=organisation.pk, **form.write_values()
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            values = {"version": written.version}
            if written.material:
                text = _(
                    "Version %(version)s of the information note is saved. Every volunteer "
                    "confirms it before their next claim."
                )
            else:
                text = _(
                    "Version %(version)s of the information note is saved as a correction: "
                    "confirmations of the previous version still count."
                )
            messages.success(request, text % values)
            return HttpResponseRedirect(reverse("board:info_note", args=[organisation.slug]))
    return _render(request, organisation, note, form, status=400)


@require_http_methods(["GET", "POST"])
def info_note_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The note and its readers for coordinators; a POST (a new version) for admins only."""
    if request.method == "POST":
        return _write(request, slug)
    return _show(request, slug)


@require_GET
@cockpit_view()
def info_note_proof(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Every acknowledgement as CSV: the organisation's proof that its volunteers were told."""
    rows = info_note_acknowledgements(actor=_actor(request), organisation_id=organisation.pk)
    response = HttpResponse(
        acknowledgements_csv(rows, time_zone=organisation.time_zone),
        content_type="text/csv; charset=utf-8",
    )
    name = f"{organisation.slug}-information-note.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("<slug:slug>/info-note/", info_note_page, name="info_note"),
    path("<slug:slug>/info-note/proof.csv", info_note_proof, name="info_note_csv"),
]
