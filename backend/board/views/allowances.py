"""Cockpit area: the volunteer allowance (vrijwilligersvergoeding) of Belgian volunteer law.

Coordinators see the organisation's policy in words, the year's legal caps with their source,
each volunteer's totals of the year (across every organisation and what they declared from
outside Inzet, as the law counts them) with what remains under the yearly cap and a warning
from 80 %, the organisation's entries with a correction form each, a form to add an entry,
the nominative list as CSV, and the members whose C45B declaration the RVA may still object
to. Admins also set the policy.

Every rule is ``backend/allowances/services.py``'s: the page calls ``entry_add``,
``entry_correct`` and ``policy_update`` and shows their refusals next to the form; what
remains and when to warn are properties of ``YearTotals`` (read in bulk by
``backend/board/allowance_totals.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.models import User
from backend.allowances.models import (
    AllowanceCap,
    AllowanceEntry,
    AllowancePolicy,
    FlatRatePer,
    HigherCapCategory,
    PolicyKind,
    Regime,
)
from backend.allowances.services import (
    YearTotals,
    caps_for,
    entry_add,
    entry_correct,
    nominative_list_csv,
    organisation_ledger,
    policy_of,
    policy_update,
    year_totals_of,
)
from backend.board.allowance_totals import member_choices, replaced_amounts
from backend.board.forms import show_domain_error
from backend.board.forms.allowances import (
    AllowanceYearForm,
    EntryAddForm,
    EntryCorrectForm,
    PolicyForm,
)
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.dates import date_text
from backend.core.errors import DomainError
from backend.organisations.models import Organisation
from backend.organisations.selectors import c45b_objections_running


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _today(organisation: Organisation) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(organisation.time_zone)).date()


def _number(value: Decimal, decimals: int) -> str:
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def euro(value: Decimal) -> str:
    return _("€ %(amount)s") % {"amount": _number(value, 2)}


def kilometres(value: Decimal) -> str:
    decimals = 0 if value == value.to_integral_value() else 1
    return _("%(km)s km") % {"km": _number(value, decimals)}


def _km_rate(rate: Decimal) -> str:
    """A rate per kilometre with its cents, and up to two more digits when it has them."""
    decimals = min(max(2, -int(rate.normalize().as_tuple().exponent)), 4)
    return _("€ %(amount)s") % {"amount": _number(rate, decimals)}


def _day(day: dt.date) -> str:
    return date_text(day, "j M Y")


# --- what the page shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerRow:
    """A volunteer's year, as the law counts it, in the reader's language."""

    name: str
    regime: str
    flat_rate: str
    real_costs: str
    transport: str  # "120 km · € 51,23", or "" without transport
    remaining: str | None  # under the yearly cap; None: no caps known, or real costs
    remaining_higher: str | None  # for the higher-cap activities, when it differs
    remaining_km: str | None  # kilometres that may still go with the flat rate
    used: str | None  # the share of the yearly cap used, "85 %"
    warn: bool
    real_costs_year: bool
    entries_url: str = ""


@dataclass
class EntryRow:
    entry: AllowanceEntry
    name: str
    day: str
    regime: str
    amount: str
    km: str
    asked: str | None  # what the policy asked, when the caps lowered it
    corrected_from: str | None  # the amount this correction replaced
    form: EntryCorrectForm


def _share(part: Decimal, whole: Decimal) -> str | None:
    """``part`` as a percentage of ``whole``, rounded down: a share shown as 80 % is always
    one that warns (``YearTotals.warn``)."""
    if not whole:
        return None
    percent = (part * 100 / whole).to_integral_value(rounding=ROUND_FLOOR)
    return _("%(percent)s %%") % {"percent": _number(percent, 0)}


def _volunteer_row(name: str, totals: YearTotals) -> VolunteerRow:
    cap = totals.cap
    real = totals.regime == Regime.REAL_COSTS
    remaining = totals.yearly_room
    higher = totals.higher_room
    transport = ""
    if totals.transport or totals.transport_km:
        transport = f"{kilometres(totals.transport_km)} · {euro(totals.transport)}"
    return VolunteerRow(
        name=name,
        regime=str(capfirst(Regime(totals.regime).label)) if totals.regime else "",
        flat_rate=euro(totals.flat_rate),
        real_costs=euro(totals.real_costs),
        transport=transport,
        remaining=None if remaining is None or real else euro(remaining),
        remaining_higher=euro(higher)
        if higher is not None and not real and higher != remaining
        else None,
        remaining_km=kilometres(totals.km_room)
        if totals.km_room is not None and totals.regime == Regime.FLAT_RATE
        else None,
        used=_share(totals.flat_rate, cap.yearly) if cap is not None and not real else None,
        warn=totals.warn,
        real_costs_year=real,
    )


def _name(entry: AllowanceEntry) -> str:
    profile = getattr(entry.volunteer, "profile", None)
    return profile.display_name if profile else str(entry.volunteer)


def _policy_words(organisation: Organisation, policy: AllowancePolicy) -> list[str]:
    """The policy as sentences."""
    values = {"organisation": organisation.name}
    if policy.kind == PolicyKind.FLAT_RATE:
        text = (
            _("%(organisation)s pays a flat-rate allowance of %(amount)s per shift.")
            if policy.flat_rate_per == FlatRatePer.SHIFT
            else _("%(organisation)s pays a flat-rate allowance of %(amount)s per day.")
        )
        words = [
            text % {**values, "amount": euro(policy.flat_rate_amount)},
            _(
                "A completed shift adds it to the ledger on its own, lowered to what the "
                "legal caps still allow."
            ),
        ]
    elif policy.kind == PolicyKind.REAL_COSTS:
        words = [_("%(organisation)s pays real costs against receipts.") % values]
    else:
        words = [_("%(organisation)s pays no allowance.") % values]
    if policy.km_rate > 0:
        words.append(
            _("Transport is paid at %(rate)s per kilometre.") % {"rate": _km_rate(policy.km_rate)}
        )
    else:
        words.append(_("Transport by kilometre is not paid."))
    return words


def _caps_rows(cap: AllowanceCap) -> list[tuple[str, str]]:
    return [
        (_("Per day"), euro(cap.daily)),
        (_("Per year"), euro(cap.yearly)),
        (_("Per year, for the activities the law names"), euro(cap.higher_yearly)),
        (
            _("Transport with a flat-rate allowance"),
            _("%(km)s a year") % {"km": kilometres(Decimal(cap.transport_km))},
        ),
    ]


def _year(request: HttpRequest, organisation: Organisation) -> tuple[AllowanceYearForm, int]:
    """The year form and the year asked for (this year unless a valid other one)."""
    this_year = _today(organisation).year
    form = AllowanceYearForm(request.GET or None, this_year=this_year)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["year"]
    return form, this_year


# How many of the year's entries the page lists unless asked for all (the latest ones).
ENTRIES_SHOWN = 30


def _page_url(organisation: Organisation, year: int) -> str:
    return f"{reverse('board:allowances', args=[organisation.slug])}?year={year}"


def _render(
    request: HttpRequest,
    organisation: Organisation,
    *,
    add_form: EntryAddForm | None = None,
    correction: tuple[int, EntryCorrectForm] | None = None,
    policy_form: PolicyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    year_form, year = _year(request, organisation)
    is_admin = getattr(request, "cockpit_admin", False)
    _organisation, entries = organisation_ledger(
        actor=_actor(request), organisation_id=organisation.pk, year=year
    )
    cap = caps_for(year)
    names: dict[int, str] = {}
    for entry in entries:
        names.setdefault(entry.volunteer_id, _name(entry))
    totals = year_totals_of(volunteer_ids=list(names), year=year, cap=cap)
    page_url = _page_url(organisation, year)
    volunteers = sorted(
        (
            replace(
                _volunteer_row(name, totals[pk]),
                entries_url=f"{page_url}&volunteer={pk}#entries-title",
            )
            for pk, name in names.items()
        ),
        key=lambda row: row.name.casefold(),
    )
    replaced = replaced_amounts(entries)
    rows = []
    for entry in entries:
        form = EntryCorrectForm(entry=entry)
        if correction is not None and correction[0] == entry.pk:
            form = correction[1]
        rows.append(
            EntryRow(
                entry=entry,
                name=names[entry.volunteer_id],
                day=_day(entry.day),
                regime=str(capfirst(Regime(entry.regime).label)),
                amount=euro(entry.amount),
                km=kilometres(entry.km) if entry.km is not None else "",
                asked=euro(entry.asked_amount) if entry.asked_amount is not None else None,
                corrected_from=euro(replaced[entry.pk]) if entry.pk in replaced else None,
                form=form,
            )
        )
    # A year's entries run into the hundreds: the latest ENTRIES_SHOWN, one volunteer's, or
    # all of them on asking.
    total = len(rows)
    chosen = request.GET.get("volunteer", "")
    chosen_name = ""
    if chosen.isdigit() and int(chosen) in names:
        chosen_name = names[int(chosen)]
        rows = [row for row in rows if row.entry.volunteer_id == int(chosen)]
    elif request.GET.get("all") != "1":
        rows = rows[-ENTRIES_SHOWN:]
    # A refused correction of an entry no longer listed (corrected meanwhile) is said on top.
    shown = {row.entry.pk for row in rows}
    correction_refused = (
        [error for errors in correction[1].errors.values() for error in errors]
        if correction is not None and correction[0] not in shown
        else []
    )
    policy = policy_of(organisation)
    today = _today(organisation)
    if add_form is None:
        add_form = EntryAddForm(
            volunteers=member_choices(organisation=organisation),
            initial={"day": today if year == today.year else None},
        )
    if is_admin and policy_form is None:
        policy_form = PolicyForm(policy=policy)
    context: dict[str, Any] = {
        "year_form": year_form,
        "year": year,
        "policy_words": _policy_words(organisation, policy),
        "cap": cap,
        "cap_rows": _caps_rows(cap) if cap is not None else [],
        "higher_categories": [
            capfirst(label) for value, label in HigherCapCategory.choices if value
        ],
        "volunteers": volunteers,
        "warned": sum(1 for row in volunteers if row.warn),
        "entries": rows,
        "entries_total": total,
        "entries_of": chosen_name,
        "page_url": page_url,
        "correction_refused": correction_refused,
        "add_form": add_form,
        "policy_form": policy_form if is_admin else None,
        "objections": c45b_objections_running(organisation=organisation, today=today),
    }
    return render_cockpit(
        request,
        organisation,
        "board/allowances/page.html",
        context,
        section="allowances",
        status=status,
    )


# --- the views --------------------------------------------------------------------------------


@require_GET
@cockpit_view()
def allowances_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The year's policy, caps, totals per volunteer, entries, and the C45B declarations."""
    return _render(request, organisation)


@require_POST
@cockpit_view()
def allowance_add(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Enter an amount for a volunteer; refused above the legal caps, with what remains."""
    form = EntryAddForm(request.POST, volunteers=member_choices(organisation=organisation))
    if form.is_valid():
        values = form.add_values()
        try:
            entry = entry_add(actor=_actor(request), organisation_id=organisation.pk, **values)
        except DomainError as error:
            show_domain_error(
                form,
                error,
                code_fields={
                    "allowance_cap_exceeded": "km"
                    if values["regime"] == Regime.TRANSPORT
                    else "amount",
                    "allowance_regime_conflict": "regime",
                },
            )
        else:
            messages.success(
                request,
                _("%(amount)s for %(name)s on %(day)s is saved.")
                % {"amount": euro(entry.amount), "name": _name(entry), "day": _day(entry.day)},
            )
            return HttpResponseRedirect(_page_url(organisation, entry.day.year))
    return _render(request, organisation, add_form=form, status=400)


@require_POST
@cockpit_view()
def allowance_correct(
    request: HttpRequest, organisation: Organisation, entry_id: int
) -> HttpResponse:
    """Correct an entry: a new entry replaces it, the old one stays with the reason."""
    entry = (
        AllowanceEntry.objects.filter(pk=entry_id, organisation=organisation)
        .select_related("volunteer__profile")
        .first()
    )
    if entry is None:
        raise Http404
    form = EntryCorrectForm(request.POST, entry=entry)
    if form.is_valid():
        try:
            corrected = entry_correct(
                actor=_actor(request), entry_id=entry.pk, **form.correct_values()
            )
        except DomainError as error:
            show_domain_error(
                form,
                error,
                code_fields={
                    "allowance_cap_exceeded": "km" if form.transport else "amount",
                },
            )
        else:
            messages.success(
                request,
                _("The entry of %(name)s on %(day)s is corrected to %(amount)s.")
                % {"name": _name(entry), "day": _day(entry.day), "amount": euro(corrected.amount)},
            )
            return HttpResponseRedirect(_page_url(organisation, entry.day.year))
    return _render(request, organisation, correction=(entry.pk, form), status=400)


@require_POST
@cockpit_view(admin=True)
def allowance_policy(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Set what the organisation pays (admins)."""
    form = PolicyForm(request.POST, policy=policy_of(organisation))
    if form.is_valid():
        try:
            policy_update(
                actor=_actor(request), organisation_id=organisation.pk, **form.policy_values()
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("The allowance policy is saved."))
            year = _year(request, organisation)[1]
            return HttpResponseRedirect(_page_url(organisation, year))
    return _render(request, organisation, policy_form=form, status=400)


@require_GET
@cockpit_view()
def allowance_list_csv(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The year's nominative list (name, date, amount, regime, km, description) as CSV."""
    form, year = _year(request, organisation)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Choose a year from the list."), content_type="text/plain")
    _organisation, entries = organisation_ledger(
        actor=_actor(request), organisation_id=organisation.pk, year=year
    )
    response = HttpResponse(nominative_list_csv(entries), content_type="text/csv; charset=utf-8")
    name = f"{organisation.slug}-allowances-{year}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("<slug:slug>/allowances/", allowances_page, name="allowances"),
    path("<slug:slug>/allowances/entries/", allowance_add, name="allowance_add"),
    path(
        "<slug:slug>/allowances/entries/<int:entry_id>/correct/",
        allowance_correct,
        name="allowance_correct",
    ),
    path("<slug:slug>/allowances/policy/", allowance_policy, name="allowance_policy"),
    path(
        "<slug:slug>/allowances/nominative-list.csv",
        allowance_list_csv,
        name="allowance_csv",
    ),
]
