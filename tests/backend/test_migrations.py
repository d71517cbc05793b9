"""Data migrations, run forwards on data made the old way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE = [("shifts", "0003_shift_series_date"), ("organisations", "0003_membership_role_change")]


def _migrate(targets=None):  # type: ignore[no-untyped-def]
    """Migrate to ``targets``, or (None) to the latest state of every app."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_memberships_made_by_claiming_a_public_shift_end_and_others_stay() -> None:
    apps = _migrate(BEFORE)
    User = apps.get_model("accounts", "User")
    Organisation = apps.get_model("organisations", "Organisation")
    Membership = apps.get_model("organisations", "Membership")
    Shift = apps.get_model("shifts", "Shift")
    Claim = apps.get_model("shifts", "Claim")
    org = Organisation.objects.create(name="WZC De Linde", slug="linde-migration")
    start = timezone.now() + dt.timedelta(days=2)
    public = Shift.objects.create(
        organisation=org,
        title="Open dag",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=5,
        status="published",
        visibility="public",
    )
    walker = User.objects.create(email="walker@example.org")
    member = User.objects.create(email="member@example.org")
    # The old claim_create: the membership and the claim in one transaction.
    made = Membership.objects.create(user=walker, organisation=org, role="volunteer")
    Claim.objects.create(shift=public, volunteer=walker, status="confirmed")
    # A member who joined by invite a week ago and claimed the same public shift today.
    joined = Membership.objects.create(user=member, organisation=org, role="volunteer")
    Membership.objects.filter(pk=joined.pk).update(joined_at=timezone.now() - dt.timedelta(days=7))
    Claim.objects.create(shift=public, volunteer=member, status="confirmed")

    apps = _migrate()
    Membership = apps.get_model("organisations", "Membership")
    PastMembership = apps.get_model("organisations", "PastMembership")
    assert list(
        Membership.objects.filter(organisation_id=org.pk).values_list("user_id", flat=True)
    ) == [member.pk]
    past = PastMembership.objects.get(organisation_id=org.pk)
    assert (past.user_id, past.joined_at) == (walker.pk, made.joined_at)
    assert apps.get_model("shifts", "Claim").objects.filter(volunteer_id=walker.pk).exists()


def test_organisations_that_existed_keep_publishing_and_new_ones_need_the_insurance() -> None:
    apps = _migrate([("organisations", "0003_membership_role_change")])
    Organisation = apps.get_model("organisations", "Organisation")
    old = Organisation.objects.create(name="Rode Kruis Gent", slug="rk-migration")
    apps = _migrate()
    Organisation = apps.get_model("organisations", "Organisation")
    assert Organisation.objects.get(pk=old.pk).publish_requires_insurance is False
    new = Organisation.objects.create(name="Buurtzorg", slug="buurtzorg-migration")
    assert new.publish_requires_insurance is True
    assert Organisation.objects.get(pk=old.pk).info_note_version is None
