"""factory_boy factories for the domain models."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.models import Membership, Organisation, Qualification, Role
from backend.shifts.models import Shift, ShiftMode, ShiftStatus

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: object = None) -> None:
        if create:
            instance.save(update_fields=["password"])


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerProfile

    display_name = factory.Faker("first_name")
    language = "nl"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Woonzorgcentrum {n}")
    slug = factory.Sequence(lambda n: f"wzc-{n}")
    # New organisations publish only once their information note names the insurance; the
    # tests of that rule switch it on (tests/backend/test_info_note.py), the others need not
    # write a note first.
    publish_requires_insurance = False


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.VOLUNTEER


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Qualification {n}")


def _tomorrow_at(hour: int) -> dt.datetime:
    local = timezone.localtime() + dt.timedelta(days=1)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


class ShiftFactory(factory.django.DjangoModelFactory):
    """A published on-site shift tomorrow 14:00-16:00 (local time), capacity 5.

    Built directly, not through the services: tests that are about the services call them.
    """

    class Meta:
        model = Shift

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Wandeling {n}")
    mode = ShiftMode.ON_SITE
    address = "Kerkstraat 1, 9000 Gent"
    starts_at = factory.LazyFunction(lambda: _tomorrow_at(14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    capacity = 5
    status = ShiftStatus.PUBLISHED


def shift_at(
    organisation: Organisation,
    *,
    starts_in: dt.timedelta = dt.timedelta(days=2),
    hours: float = 2,
    **fields: object,
) -> Shift:
    """A published on-site shift starting ``starts_in`` from now, built without the services."""
    starts_at = (timezone.now() + starts_in).replace(microsecond=0)
    return ShiftFactory(
        organisation=organisation,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        **fields,
    )


def ensure_allowance_caps() -> None:
    """The legal caps of the allowance data migration. A transactional test's flush empties
    every table, data migrations' rows included, so tests that need the caps put them back."""
    import importlib

    from django.apps import apps

    importlib.import_module("backend.allowances.migrations.0002_caps_2024_to_2026").add_caps(
        apps, None
    )
