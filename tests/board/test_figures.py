"""The cockpit's figures page: the API's numbers for several years side by side, the hours per
month of a year, charts drawn on the server, and the CSV download in two flavours; for the
organisation's coordinators only, in a constant number of queries."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.figures import hours_by_month, organisation_figures
from backend.shifts.models import ClaimStatus
from tests.conftest import client_for as api_client_for
from tests.factories import MembershipFactory
from tests.toolkit import test_figures as toolkit

# The toolkit's seeded history of one organisation over 2023-2025 (see its docstring).
history = toolkit.history
claim, local, past_shift = toolkit.claim, toolkit.local, toolkit.past_shift

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
NOT_AVAILABLE = "\N{EN DASH}"  # a rate without a base


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class FigureCells(HTMLParser):
    """The text of each ``td[data-year]`` of each ``tr[data-figure]``: {(figure, year): text}."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, int], str] = {}
        self._figure: str | None = None
        self._year: int | None = None
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "data-figure" in found:
            self._figure = found["data-figure"]
        elif tag == "td" and self._figure and "data-year" in found:
            self._year = int(found["data-year"] or 0)
            self.cells[(self._figure, self._year)] = ""
        elif (
            tag == "span"
            and self._year is not None
            and "visually-hidden" in (found.get("class") or "")
        ):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._year = None
        elif tag == "tr":
            self._figure = None
        elif tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._figure and self._year is not None and not self._hidden:
            self.cells[(self._figure, self._year)] += data.strip()


def dutch_number(text: str) -> float | None:
    """``1.250,5`` -> 1250.5, ``66,7%`` -> 0.667, a dash (no base for a rate) -> None."""
    if text == NOT_AVAILABLE:
        return None
    number = float(text.rstrip("%").replace(".", "").replace(",", "."))
    return number / 100 if text.endswith("%") else number


def figures_url(organisation: Organisation, **query: object) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/board/{organisation.slug}/figures/" + (f"?{params}" if params else "")


def test_the_page_shows_the_numbers_the_api_gives_for_five_years(history: dict) -> None:
    organisation, coordinator = history["organisation"], history["coordinator"]

    page = client_for(coordinator).get(figures_url(organisation, year=2024))
    api = api_client_for(coordinator).get(
        f"/api/v1/organisations/{organisation.pk}/stats/", {"year": 2024}
    )

    assert page.status_code == 200
    parser = FigureCells()
    parser.feed(page.content.decode())
    from_api = {y["year"]: y for y in [api.json()["figures"], *api.json()["previous_years"]]}
    assert sorted({year for _figure, year in parser.cells}) == [2020, 2021, 2022, 2023, 2024]
    figures = {figure for figure, _year in parser.cells}
    assert len(figures) == 18
    for (figure, year), text in parser.cells.items():
        value: object = from_api[year]
        for key in figure.split("."):
            value = value[key]  # type: ignore[index]
        shown = dutch_number(text)
        if value is None or shown is None:
            assert shown == value, (figure, year, text)
        else:
            assert shown == pytest.approx(value, abs=0.0005), (figure, year, text)
    # The ones the history is about, as a reader sees them.
    assert parser.cells[("hours", 2024)] == "4,5"
    assert parser.cells[("shifts.fill_rate", 2024)] == "66,7%"
    assert parser.cells[("volunteers.active_by_membership", 2023)] == "2"
    assert parser.cells[("subsidy.year", 2024)] == "2026"
    assert b"due before 30 April 2025" in page.content or b"30 april 2025" in page.content


def test_the_hours_per_month_add_up_to_the_years_hours_and_are_drawn(history: dict) -> None:
    organisation = history["organisation"]
    months = hours_by_month(organisation=organisation, year=2024)
    assert months == [0, 0, 0, 0, 2.0, 0, 0, 0, 1.5, 1.0, 0, 0]
    assert (
        sum(months)
        == organisation_figures(organisation=organisation, year=2024)["figures"]["hours"]
    )
    # A shift at 00:30 on 1 January in Brussels is January's, though it is still 2024 in UTC.
    new_year = past_shift(organisation, local(2025, 1, 1, 0, 30), capacity=1, taken=1)
    claim(new_year, history["alice"], ClaimStatus.COMPLETED, 30)
    assert hours_by_month(organisation=organisation, year=2025)[0] == 0.5
    assert hours_by_month(organisation=organisation, year=2024) == months

    html = client_for(history["coordinator"]).get(figures_url(organisation, year=2024))
    chart = re.search(r'<svg class="bars" id="chart-months".*?</svg>', html.content.decode(), re.S)
    assert chart is not None
    svg = chart.group(0)
    assert 'role="img"' in svg and "<title" in svg and "Uren per maand in 2024" in svg
    heights = [
        float(h) for h in re.findall(r'<rect class="chart-bar[^"]*"[^>]*height="([\d.]+)"', svg)
    ]
    assert len(heights) == 12
    assert [h > 0 for h in heights] == [m > 0 for m in months]
    assert heights[4] == max(heights)  # May, the busiest month, reaches the top
    # The same numbers as a table, and the bars per year.
    assert re.search(r"<th scope=\"row\">mei</th><td class=\"num\">2</td>", html.content.decode())
    assert 'id="chart-volunteers"' in html.content.decode()
    assert 'id="chart-hours"' in html.content.decode()


def test_the_csv_is_the_apis_and_the_belgian_one_has_semicolons_and_decimal_commas(
    history: dict,
) -> None:
    organisation, coordinator = history["organisation"], history["coordinator"]
    Organisation.objects.filter(pk=organisation.pk).update(name="Buurtzorg Zoë; Gent")
    client = client_for(coordinator)
    url = f"/board/{organisation.slug}/figures/csv/"

    plain = client.get(url, {"year": 2024})
    belgian = client.get(url, {"year": 2024, "belgian": "on"})
    api = api_client_for(coordinator).get(
        f"/api/v1/organisations/{organisation.pk}/stats/", {"year": 2024, "format": "csv"}
    )

    assert plain.status_code == belgian.status_code == 200
    assert plain["Content-Type"] == "text/csv; charset=utf-8"
    assert plain["Content-Disposition"] == 'attachment; filename="buurtzorg-2024.csv"'
    assert 'filename="buurtzorg-2024-excel.csv"' in belgian["Content-Disposition"]
    # The API's CSV is for programs (keys and values); the cockpit's adds each figure's name
    # in the coordinator's language (nl here), with the same keys and values.
    for_programs = dict(csv.reader(io.StringIO(api.content.decode())))
    rows = {
        key: (label, value) for key, label, value in csv.reader(io.StringIO(plain.content.decode()))
    }
    directions = {key for key in for_programs if key.endswith(".direction")}
    assert {key: value for key, (_label, value) in rows.items() if key not in directions} == {
        key: value for key, value in for_programs.items() if key not in directions
    } | {"figure": "value"}
    assert (for_programs["trend.hours.direction"], rows["trend.hours.direction"][1]) == (
        "growing",
        "stijgend",
    )
    assert rows["hours"] == ("Uren vrijwilligerswerk", "4.5")
    assert rows["shifts.fill_rate"] == ("Bezettingsgraad", "0.6667")
    assert rows["trend.hours.direction"][0] == "Uren vrijwilligerswerk: richting"
    assert rows["trend.hours.previous"][1] == "4"  # a whole number, not 4.0

    assert belgian.content.startswith(BOM)
    text = belgian.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "figure;label;value"
    excel = {key: value for key, _label, value in csv.reader(io.StringIO(text), delimiter=";")}
    assert excel["organisation"] == "Buurtzorg Zoë; Gent"
    assert excel["hours"] == "4,5"
    assert excel["shifts.fill_rate"] == "0,6667"
    assert excel["rates.no_show_rate"] == "0,25"
    assert excel["trend.hours.percent"] == "12,5"
    assert excel["volunteers.active_by_membership"] == "3"  # integers stay integers
    assert excel.keys() == rows.keys()


def test_a_year_not_on_the_list_shows_this_year_and_says_so(history: dict) -> None:
    organisation = history["organisation"]
    client = client_for(history["coordinator"])

    page = client.get(figures_url(organisation, year=1970))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="id_year_error"' in html
    assert 'aria-invalid="true"' in re.search(r'<select[^>]*id="id_year"[^>]*>', html).group(0)  # type: ignore[union-attr]
    assert "is nog niet voorbij" in html  # this year's figures
    assert client.get(f"/board/{organisation.slug}/figures/csv/", {"year": "x"}).status_code == 400


def test_volunteers_outsiders_and_visitors_get_no_figures(history: dict) -> None:
    organisation = history["organisation"]
    outsider = MembershipFactory(role="coordinator").user
    for path in (figures_url(organisation), f"/board/{organisation.slug}/figures/csv/"):
        for who in (history["alice"], outsider):
            response = client_for(who).get(path)
            assert response.status_code == 403
            assert b"4,5" not in response.content and b"hours" not in response.content
        assert Client().get(path)["Location"].startswith("/accounts/login/")
    assert client_for(outsider).get("/board/nowhere/figures/").status_code == 404


@pytest.mark.parametrize("shifts", [2, 20])
def test_the_page_takes_the_same_number_of_queries_for_2_or_20_shifts(
    organisation: Organisation, coordinator: User, django_assert_num_queries, shifts: int
) -> None:
    for i in range(shifts):
        shift = past_shift(organisation, local(2024, 1 + i % 12, 10, 14), capacity=3, taken=2)
        for _ in range(2):
            volunteer = MembershipFactory(organisation=organisation).user
            claim(shift, volunteer, ClaimStatus.COMPLETED, 90)
    client = client_for(coordinator)

    # Session, user, organisation, the access check (manage, administer), the figures' five
    # aggregates (allowances the fifth) and the hours per month.
    with django_assert_num_queries(11):
        response = client.get(figures_url(organisation, year=2024))

    parser = FigureCells()
    parser.feed(response.content.decode())
    assert parser.cells[("hours", 2024)] == f"{shifts * 3},0"
