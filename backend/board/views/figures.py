"""Cockpit area: the yearly figures: several years side by side, charts (inline SVG drawn on the
server, each with its numbers as a table) and the CSV download, in two flavours.

The numbers are those of the API (``backend/shifts/figures.py``); this module only lays them
out: number formats in the reader's language, bar geometry for the charts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.board.forms.figures import FiguresForm
from backend.board.views.access import cockpit_view, render_cockpit
from backend.organisations.models import Organisation
from backend.shifts.figures import YearFigures, figures_csv, hours_by_month, organisation_figures

# (label, where in YearFigures, kind): the rows of the years table, in this order.
TABLE_ROWS: tuple[tuple[Promise, tuple[str, ...], str], ...] = (
    (
        gettext_lazy("Active volunteers on 31 December"),
        ("volunteers", "active_by_membership"),
        "int",
    ),
    (
        gettext_lazy("Volunteers who did at least one shift"),
        ("volunteers", "active_by_shifts"),
        "int",
    ),
    (gettext_lazy("New volunteers"), ("volunteers", "new"), "int"),
    (gettext_lazy("Volunteers who stopped"), ("volunteers", "stopped"), "int"),
    (gettext_lazy("Hours volunteered"), ("hours",), "hours"),
    (gettext_lazy("Hours verified (checked out or confirmed)"), ("hours_verified",), "hours"),
    (gettext_lazy("Hours planned, not recorded yet"), ("hours_planned",), "hours"),
    (gettext_lazy("Hours on site"), ("modes", "on_site", "hours"), "hours"),
    (gettext_lazy("Hours online"), ("modes", "online", "hours"), "hours"),
    (gettext_lazy("Subsidy year these figures count for"), ("subsidy", "year"), "year"),
    (gettext_lazy("Flat-rate allowances (euro)"), ("allowances", "flat_rate"), "euro"),
    (gettext_lazy("Real costs paid (euro)"), ("allowances", "real_costs"), "euro"),
    (gettext_lazy("Transport costs paid (euro)"), ("allowances", "transport"), "euro"),
    (gettext_lazy("Shifts published"), ("shifts", "published"), "int"),
    (gettext_lazy("Shifts with every seat taken"), ("shifts", "filled"), "int"),
    (gettext_lazy("Fill rate"), ("shifts", "fill_rate"), "rate"),
    (gettext_lazy("No-show rate"), ("rates", "no_show_rate"), "rate"),
    (gettext_lazy("Late-cancellation rate"), ("rates", "late_cancellation_rate"), "rate"),
)

# Chart geometry in pixels (vertical) and percent of the width (horizontal), so that the
# labels keep their size at every width instead of shrinking with a viewBox.
CHART_HEIGHT = 210
PLOT_TOP = 24  # room for the value above the tallest bar
BASELINE = 180
LABEL_Y = 200
BAR_SHARE = 0.62  # of each slot's width


def _pick(figures: YearFigures, where: tuple[str, ...]) -> float | None:
    value: object = figures
    for key in where:
        value = value[key]  # type: ignore[index]
    return value  # type: ignore[return-value]


def _number(value: float, decimals: int = 0) -> str:
    # Rounded first: number_format cuts the digits off (66.67 would be "66,6").
    return formats.number_format(
        round(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


def _hours(value: float) -> str:
    return _number(value, 1)


def _format(value: float | None, kind: str) -> str | None:
    """The value as the reader's language writes it; None for a rate without a base."""
    if value is None:
        return None
    if kind == "rate":
        return _("%(number)s%%") % {"number": _number(value * 100, 1)}
    if kind == "hours":
        return _hours(value)
    if kind == "year":
        return str(int(value))
    if kind == "euro":
        return _number(value, 2)
    return _number(value)


def _short_hours(value: float) -> str:
    """Above a bar: one decimal when there is one (``12,5``), none from 100 hours on."""
    return _number(value, 0 if value >= 100 or round(value, 1) == int(value) else 1)


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar
    name: str  # in the table
    text: str
    # SVG attributes, already written with a decimal point whatever the language.
    x: str
    width: str
    middle: str
    y: str
    height: str
    text_y: str
    current: bool


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    label_heading: str
    value_heading: str
    bars: list[Bar]
    height: int = CHART_HEIGHT
    baseline: int = BASELINE
    label_y: int = LABEL_Y


def _chart(
    *,
    id: str,
    title: str,
    description: str,
    label_heading: str,
    value_heading: str,
    points: Sequence[tuple[str, str, float, str]],
    current: str | None = None,
) -> Chart:
    """A bar per (label, name, value, text); the tallest reaches the top of the plot."""
    top = max((point[2] for point in points), default=0) or 1
    slot = 100 / max(len(points), 1)
    bars = []
    for index, (label, name, value, text) in enumerate(points):
        height = (BASELINE - PLOT_TOP) * value / top
        left = slot * index + slot * (1 - BAR_SHARE) / 2
        bars.append(
            Bar(
                label=label,
                name=name,
                text=text,
                x=f"{left:.3f}%",
                width=f"{slot * BAR_SHARE:.3f}%",
                middle=f"{slot * (index + 0.5):.3f}%",
                y=f"{BASELINE - height:.1f}",
                height=f"{height:.1f}",
                text_y=f"{BASELINE - height - 6:.1f}",
                current=label == current,
            )
        )
    return Chart(
        id=id,
        title=title,
        description=description,
        label_heading=label_heading,
        value_heading=value_heading,
        bars=bars,
    )


def _month_chart(year: int, hours: list[float]) -> Chart:
    firsts = [dt.date(year, month, 1) for month in range(1, 13)]
    busiest = max(range(12), key=lambda month: hours[month])
    if hours[busiest]:
        description = _("Most hours in %(month)s: %(hours)s.") % {
            "month": formats.date_format(dt.date(year, busiest + 1, 1), "F"),
            "hours": _hours(hours[busiest]),
        }
    else:
        description = _("No hours were recorded in %(year)s.") % {"year": year}
    return _chart(
        id="chart-months",
        title=_("Hours per month in %(year)s") % {"year": year},
        description=description,
        label_heading=_("Month"),
        value_heading=_("Hours"),
        points=[
            (
                formats.date_format(first, "N"),
                formats.date_format(first, "F"),
                value,
                _short_hours(value),
            )
            for first, value in zip(firsts, hours, strict=True)
        ],
    )


def _year_chart(
    *, id: str, title: str, heading: str, years: list[YearFigures], where: tuple[str, ...]
) -> Chart:
    values = [float(_pick(figures, where) or 0) for figures in years]
    texts = [_short_hours(v) if where == ("hours",) else _number(v) for v in values]
    return _chart(
        id=id,
        title=title,
        description=_("From %(first)s to %(last)s: %(values)s.")
        % {
            "first": years[0]["year"],
            "last": years[-1]["year"],
            "values": ", ".join(texts),
        },
        label_heading=_("Year"),
        value_heading=heading,
        points=[
            (str(figures["year"]), str(figures["year"]), value, text)
            for figures, value, text in zip(years, values, texts, strict=True)
        ],
        current=str(years[-1]["year"]),
    )


def _change(percent: float | None, change: float, kind: str, previous_year: int) -> str:
    if not change:
        return _("the same as in %(year)s") % {"year": previous_year}
    if kind == "hours" and percent is not None:
        amount = _("%(number)s%%") % {"number": _number(percent, 1)}
        sign = "+" if percent > 0 else ""
    else:
        amount = _hours(change) if kind == "hours" else _number(change)
        sign = "+" if change > 0 else ""
    return _("%(change)s compared with %(year)s") % {"change": sign + amount, "year": previous_year}


def _this_year(organisation: Organisation) -> int:
    return timezone.now().astimezone(ZoneInfo(organisation.time_zone)).year


def _form(request: HttpRequest, this_year: int) -> tuple[FiguresForm, int, bool]:
    """The form, the year asked for (this year unless a valid other one) and the flavour."""
    form = FiguresForm(request.GET or None, this_year=this_year)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["year"], form.cleaned_data["belgian"]
    return form, this_year, False


@cockpit_view()
def figures_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    this_year = _this_year(organisation)
    form, year, _belgian = _form(request, this_year)
    if form.is_bound:
        # The page's own links carry only the year: the download's box starts ticked (the
        # form's initial value), as on the first visit.
        data = request.GET.copy()
        data.setdefault("belgian", "on")
        form = FiguresForm(data, this_year=this_year)
        form.is_valid()
    figures = organisation_figures(organisation=organisation, year=year)
    months = hours_by_month(organisation=organisation, year=year)
    years = [*reversed(figures["previous_years"]), figures["figures"]]
    current = figures["figures"]
    trend = {change["figure"]: change for change in figures["trend"]}
    previous_year = year - 1

    def tile(label: str, key: str, where: tuple[str, ...], kind: str) -> dict[str, object]:
        change = trend.get(key)
        return {
            "label": label,
            "value": _format(_pick(current, where), kind),
            "change": _change(change["percent"], change["change"], kind, previous_year)
            if change is not None
            else None,
        }

    tiles = [
        tile(
            _("Active volunteers on 31 December"),
            "active_volunteers_by_membership",
            ("volunteers", "active_by_membership"),
            "int",
        ),
        tile(_("Hours volunteered"), "hours", ("hours",), "hours"),
        {
            "label": _("New volunteers"),
            "value": _number(current["volunteers"]["new"]),
            "change": _("%(count)s stopped") % {"count": _number(current["volunteers"]["stopped"])},
        },
        tile(_("Fill rate"), "", ("shifts", "fill_rate"), "rate"),
        tile(_("No-show rate"), "", ("rates", "no_show_rate"), "rate"),
        tile(_("Late-cancellation rate"), "", ("rates", "late_cancellation_rate"), "rate"),
    ]
    # The table puts the chosen year first, next to the labels (on a phone the older years
    # scroll into view); the charts run left to right in time.
    newest_first = list(reversed(years))
    table = [
        {
            "label": label,
            "key": ".".join(where),
            "cells": [
                {"year": figures_of["year"], "text": _format(_pick(figures_of, where), kind)}
                for figures_of in newest_first
            ],
        }
        for label, where, kind in TABLE_ROWS
    ]
    charts_per_year = [
        _year_chart(
            id="chart-volunteers",
            title=_("Active volunteers on 31 December, per year"),
            heading=_("Volunteers"),
            years=years,
            where=("volunteers", "active_by_membership"),
        ),
        _year_chart(
            id="chart-hours",
            title=_("Hours volunteered per year"),
            heading=_("Hours"),
            years=years,
            where=("hours",),
        ),
    ]
    return render_cockpit(
        request,
        organisation,
        "board/figures/page.html",
        {
            "form": form,
            "year": year,
            "in_progress": year == this_year,
            "years": [figures_of["year"] for figures_of in newest_first],
            "tiles": tiles,
            "table": table,
            "month_chart": _month_chart(year, months),
            "year_charts": charts_per_year,
        },
        section="figures",
    )


@cockpit_view()
def figures_download(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The figures of a year as CSV, through the session (the API's CSV needs a token)."""
    form, year, belgian = _form(request, _this_year(organisation))
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Choose a year from the list."), content_type="text/plain")
    figures = organisation_figures(organisation=organisation, year=year)
    response = HttpResponse(
        figures_csv(figures, belgian=belgian, labelled=True),
        content_type="text/csv; charset=utf-8",
    )
    name = f"{organisation.slug}-{year}{'-excel' if belgian else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("<slug:slug>/figures/", figures_page, name="figures"),
    path("<slug:slug>/figures/csv/", figures_download, name="figures_csv"),
]
