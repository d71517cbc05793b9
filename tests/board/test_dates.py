"""The board's pages write dates as the bot does (``backend.core.dates``): the French first of
the month "1er", Dutch and French month names and abbreviations in lower case, the day in the
organisation's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import Shift
from tests.factories import shift_at

pytestmark = pytest.mark.django_db


def _panel(coordinator: User, shift: Shift, language: str) -> str:
    client = Client()
    client.force_login(coordinator)
    url = f"/board/{shift.organisation.slug}/shifts/{shift.pk}/"
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_shift_panel_writes_the_first_of_the_month_as_each_language_does(
    organisation: Organisation, coordinator: User
) -> None:
    # Half past midnight in Brussels on 1 December is still 30 November in UTC: the day is
    # the organisation's.
    starts = dt.datetime(2031, 12, 1, 0, 30, tzinfo=ZoneInfo(organisation.time_zone))
    shift = shift_at(organisation, title="Nachtwake")
    Shift.objects.filter(pk=shift.pk).update(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
    )

    assert "lundi 1er décembre 2031" in _panel(coordinator, shift, "fr")
    assert "maandag 1 december 2031" in _panel(coordinator, shift, "nl")
    assert "Monday 1 December 2031" in _panel(coordinator, shift, "en")


@pytest.mark.parametrize(
    ("language", "written"),
    [("fr", "1er déc 2031"), ("nl", "1 dec 2031"), ("en", "1 Dec 2031")],
)
def test_the_template_filter_lowers_month_abbreviations_where_the_language_does(
    language: str, written: str
) -> None:
    template = Template('{% load dates %}{{ day|date_text:"j M Y" }}|{{ none|date_text:"j" }}')
    with translation.override(language):
        text = template.render(Context({"day": dt.date(2031, 12, 1), "none": None}))
    assert text == f"{written}|"
