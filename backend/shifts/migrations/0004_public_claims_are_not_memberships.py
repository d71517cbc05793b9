"""Claiming a public shift used to make the claimer a volunteer member of its organisation,
which then showed them its members-only shifts, its calendar feed and its broadcasts. It no
longer does; the memberships it made end now (they move to PastMembership, so the figures of
earlier years stay the same).

A membership counts as made that way when it is a volunteer's, has no role change, and the
person's claim on a public shift of the organisation was made within seconds of it: the old
claim_create made both in one transaction, and nobody joins by invite and claims within that.
"""

import datetime as dt

from django.db import migrations
from django.db.models import Exists, OuterRef
from django.utils import timezone

WITHIN = dt.timedelta(seconds=5)


def end_memberships_made_by_claims(apps, schema_editor):  # type: ignore[no-untyped-def]
    Membership = apps.get_model("organisations", "Membership")
    PastMembership = apps.get_model("organisations", "PastMembership")
    MembershipRoleChange = apps.get_model("organisations", "MembershipRoleChange")
    Claim = apps.get_model("shifts", "Claim")
    made_by_claim = Claim.objects.filter(
        volunteer_id=OuterRef("user_id"),
        shift__organisation_id=OuterRef("organisation_id"),
        shift__visibility="public",
        created_at__gte=OuterRef("joined_at"),
        created_at__lte=OuterRef("joined_at") + WITHIN,
    )
    role_changed = MembershipRoleChange.objects.filter(
        user_id=OuterRef("user_id"), organisation_id=OuterRef("organisation_id")
    )
    memberships = list(
        Membership.objects.filter(role="volunteer")
        .filter(Exists(made_by_claim))
        .exclude(Exists(role_changed))
    )
    now = timezone.now()
    PastMembership.objects.bulk_create(
        PastMembership(
            user_id=m.user_id,
            organisation_id=m.organisation_id,
            role=m.role,
            joined_at=m.joined_at,
            ended_at=max(now, m.joined_at),
        )
        for m in memberships
    )
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shifts", "0003_shift_series_date"),
        ("organisations", "0003_membership_role_change"),
    ]

    operations = [
        migrations.RunPython(end_memberships_made_by_claims, migrations.RunPython.noop),
    ]
