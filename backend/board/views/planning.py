"""Cockpit area: planning. Create, edit, publish and cancel shifts; recurring series; copy a
week; the drafts that wait to be published.

Dates and times are typed as the organisation's local dates and wall-clock times
(``backend.board.forms.planning`` turns them into UTC). Every change goes through one shift
service, which validates it and publishes the event other coordinators' boards follow; what
a service refuses is shown next to its field, in the coordinator's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts.models import User
from backend.board.forms.planning import CopyWeekForm, SeriesForm, ShiftForm
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.dates import date_text
from backend.core.errors import DomainError
from backend.organisations.models import Organisation
from backend.shifts import services
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, ClaimStatus, Shift, ShiftStatus

# The drafts page lists at most this many (the next ones first).
DRAFTS_SHOWN = 200
# The series page lists this many of the dates it will create.
PREVIEW_DATES = 12


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _zone(organisation: Organisation) -> ZoneInfo:
    return ZoneInfo(organisation.time_zone)


def when(shift: Shift, zone: ZoneInfo) -> str:
    """The shift's local day and times, as a coordinator reads them: "24 maart 2027,
    14:00-16:00" (with an en dash)."""
    start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    day = date_text(start.date(), "j F Y")
    return f"{day}, {start:%H:%M}\u2013{end:%H:%M}"


def _day(day: dt.date) -> str:
    return date_text(day, "l j F Y")


def _board(organisation: Organisation) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("board:page", args=[organisation.slug]))


def _edit(organisation: Organisation, shift_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("board:shift_edit", args=[organisation.slug, shift_id]))


def _drafts(organisation: Organisation) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("board:planning", args=[organisation.slug]))


def _shift_of(organisation: Organisation, shift_id: int) -> Shift:
    """A shift of this organisation (with its counts of active claims), else 404: a shift of
    another organisation is not found, whoever asks."""
    return get_object_or_404(
        Shift.objects.prefetch_related("required_qualifications").annotate(
            active_claims=Count("claims", filter=Q(claims__status__in=ACTIVE_CLAIM_STATUSES)),
            waitlisted=Count("claims", filter=Q(claims__status=ClaimStatus.WAITLISTED)),
        ),
        pk=shift_id,
        organisation=organisation,
    )


def _saved_message(
    request: HttpRequest, shift: Shift, zone: ZoneInfo, *, was_published: bool = False
) -> None:
    values = {"title": shift.title, "when": when(shift, zone)}
    if shift.status == ShiftStatus.PUBLISHED and was_published:
        # An edit of a shift volunteers already see: they are told of a move by the services.
        text = _("Saved: %(title)s, %(when)s.")
    elif shift.status == ShiftStatus.PUBLISHED:
        text = _("Saved and published: %(title)s, %(when)s.")
    else:
        text = _(
            "Saved as a draft: %(title)s, %(when)s. Volunteers see it as soon as you publish it."
        )
    messages.success(request, text % values)


@require_http_methods(["GET", "POST"])
@cockpit_view()
def shift_new(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    form = ShiftForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("action") == "publish"
        try:
            shift = services.shift_create(
                actor=_actor(request),
                organisation=organisation,
                publish=publish,
                **form.create_values(),
            )
        except DomainError as error:
            form.show_error(error)
        else:
            _saved_message(request, shift, _zone(organisation))
            return _board(organisation) if publish else _edit(organisation, shift.pk)
    elif request.method == "POST":
        form.show_rule_errors(creating=True)
    return render_cockpit(
        request,
        organisation,
        "board/planning/shift_form.html",
        {"form": form, "shift": None, "planning_page": "shift_new"},
        section="planning",
    )


@require_http_methods(["GET", "POST"])
@cockpit_view()
def shift_edit(request: HttpRequest, organisation: Organisation, shift_id: int) -> HttpResponse:
    shift = _shift_of(organisation, shift_id)
    zone = _zone(organisation)
    form = ShiftForm(
        request.POST or None,
        organisation=organisation,
        initial=ShiftForm.initial_for(shift, zone),
    )
    if request.method == "POST" and form.is_valid():
        was_published = shift.status == ShiftStatus.PUBLISHED
        try:
            shift = services.shift_update(
                actor=_actor(request), shift_id=shift.pk, **form.update_values()
            )
        except DomainError as error:
            form.show_error(error)
        else:
            _saved_message(request, shift, zone, was_published=was_published)
            if shift.status == ShiftStatus.PUBLISHED:
                return _board(organisation)
            return _edit(organisation, shift.pk)
    elif request.method == "POST":
        form.show_rule_errors(creating=False)
    return render_cockpit(
        request,
        organisation,
        "board/planning/shift_form.html",
        {
            "form": form,
            "shift": shift,
            "when": when(shift, zone),
            "in_series": shift.series_id is not None and not shift.series_detached,
            "planning_page": "shift_edit",
        },
        section="planning",
    )


@require_POST
@cockpit_view()
def shift_publish(request: HttpRequest, organisation: Organisation, shift_id: int) -> HttpResponse:
    shift = _shift_of(organisation, shift_id)
    try:
        shift = services.shift_publish(actor=_actor(request), shift_id=shift.pk)
    except DomainError as error:
        # The code as a tag: the message of info_note_incomplete links to the note.
        messages.error(request, str(error.detail), extra_tags=error.code)
        return _edit(organisation, shift.pk)
    messages.success(
        request,
        _("Published: %(title)s, %(when)s. Volunteers can claim it now.")
        % {"title": shift.title, "when": when(shift, _zone(organisation))},
    )
    if request.POST.get("back") == "drafts":
        return _drafts(organisation)
    return _board(organisation)


@require_http_methods(["GET", "POST"])
@cockpit_view()
def shift_cancel(request: HttpRequest, organisation: Organisation, shift_id: int) -> HttpResponse:
    """A confirmation page (how many volunteers will be told), then the cancellation."""
    shift = _shift_of(organisation, shift_id)
    zone = _zone(organisation)
    if request.method == "POST":
        was_draft = shift.status == ShiftStatus.DRAFT
        told: int = shift.active_claims  # type: ignore[attr-defined]
        try:
            services.shift_cancel(actor=_actor(request), shift_id=shift.pk)
        except DomainError as error:
            messages.error(request, str(error.detail))
            return _edit(organisation, shift.pk)
        values = {"title": shift.title, "when": when(shift, zone), "count": told}
        if was_draft:
            messages.success(request, _("Draft deleted: %(title)s, %(when)s.") % values)
            return _drafts(organisation)
        messages.success(
            request,
            ngettext(
                "Cancelled: %(title)s, %(when)s. %(count)d volunteer is being told.",
                "Cancelled: %(title)s, %(when)s. %(count)d volunteers are being told.",
                told,
            )
            % values,
        )
        return _board(organisation)
    return render_cockpit(
        request,
        organisation,
        "board/planning/shift_cancel.html",
        {"shift": shift, "when": when(shift, zone), "planning_page": "shift_edit"},
        section="planning",
    )


@require_http_methods(["GET", "POST"])
@cockpit_view()
def series_new(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """A recurring shift. "Show the dates" lists what it would create; the other buttons
    create it, as drafts or published."""
    form = SeriesForm(request.POST or None, organisation=organisation)
    action = request.POST.get("action", "preview")
    preview: list[dt.date] | None = None
    valid = request.method == "POST" and form.is_valid()
    if request.method == "POST" and action == "preview":
        # Only the rule matters for the dates: the rest may still be empty.
        for name in [name for name in form.errors if name not in form.RULE_FIELDS]:
            del form.errors[name]
    if request.method == "POST" and action == "preview" and form.rule_is_valid():
        try:
            preview = services.series_occurrence_dates(
                organisation=organisation, **form.rule_values()
            )
        except DomainError as error:
            form.show_error(error)
    elif valid:
        publish = action == "publish"
        try:
            series = services.series_create(
                actor=_actor(request),
                organisation=organisation,
                publish=publish,
                **form.create_values(),
            )
        except DomainError as error:
            form.show_error(error)
        else:
            count = series.shifts.count()
            values = {"title": series.title, "count": count}
            if publish:
                text = ngettext(
                    "Series %(title)s created: %(count)d shift, published.",
                    "Series %(title)s created: %(count)d shifts, published.",
                    count,
                )
            else:
                text = ngettext(
                    "Series %(title)s created: %(count)d draft shift.",
                    "Series %(title)s created: %(count)d draft shifts.",
                    count,
                )
            messages.success(request, text % values)
            return _board(organisation) if publish else _drafts(organisation)
    return render_cockpit(
        request,
        organisation,
        "board/planning/series_form.html",
        {
            "form": form,
            "preview": None if preview is None else [_day(day) for day in preview[:PREVIEW_DATES]],
            "preview_count": None if preview is None else len(preview),
            "preview_more": 0 if preview is None else max(len(preview) - PREVIEW_DATES, 0),
            "planning_page": "series_new",
        },
        section="planning",
    )


@require_http_methods(["GET", "POST"])
@cockpit_view()
def copy_week(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Copy a week to another one. Copying again creates nothing and says so; the result is
    shown on the page itself (a reload repeats the copy, which then creates nothing)."""
    zone = _zone(organisation)
    this_week = services.week_start(timezone.now().astimezone(zone).date())
    form = CopyWeekForm(
        request.POST or None,
        organisation=organisation,
        initial={"from_week": this_week, "to_week": this_week + dt.timedelta(days=7)},
    )
    result: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            copied = services.week_copy(
                actor=_actor(request),
                organisation=organisation,
                from_week=data["from_week"],
                to_week=data["to_week"],
                publish=data["publish"],
            )
        except DomainError as error:
            form.show_error(error)
        else:
            source = services.week_start(data["from_week"])
            target = services.week_start(data["to_week"])
            result = {
                "created": [(shift, when(shift, zone)) for shift in copied.created],
                "already_there": copied.already_there,
                "passed": copied.passed,
                "source": _day(source),
                "target": _day(target),
            }
    return render_cockpit(
        request,
        organisation,
        "board/planning/copy_week.html",
        {"form": form, "result": result, "planning_page": "copy_week"},
        section="planning",
    )


@require_http_methods(["GET"])
@cockpit_view()
def drafts(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The drafts still ahead (the live board shows published shifts only)."""
    zone = _zone(organisation)
    rows = Shift.objects.filter(
        organisation=organisation, status=ShiftStatus.DRAFT, ends_at__gt=timezone.now()
    ).order_by("starts_at", "id")[:DRAFTS_SHOWN]
    return render_cockpit(
        request,
        organisation,
        "board/planning/drafts.html",
        {"drafts": [(shift, when(shift, zone)) for shift in rows], "planning_page": "drafts"},
        section="planning",
    )


urlpatterns = [
    path("<slug:slug>/planning/", drafts, name="planning"),
    path("<slug:slug>/shifts/new/", shift_new, name="shift_new"),
    path("<slug:slug>/shifts/<int:shift_id>/edit/", shift_edit, name="shift_edit"),
    path("<slug:slug>/shifts/<int:shift_id>/publish/", shift_publish, name="shift_publish"),
    path("<slug:slug>/shifts/<int:shift_id>/cancel/", shift_cancel, name="shift_cancel"),
    path("<slug:slug>/series/new/", series_new, name="series_new"),
    path("<slug:slug>/copy-week/", copy_week, name="copy_week"),
]
