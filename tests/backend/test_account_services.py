"""user_register and profile_update: volunteer accounts and their profile."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from backend.accounts.models import User, VolunteerProfile
from backend.accounts.services import profile_update, user_register
from backend.core.errors import ValidationFailed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "lange-wandeling-42"


def test_registering_creates_a_volunteer_with_a_profile_and_consent() -> None:
    user = user_register(
        email="  An.Peeters@Example.ORG ", password=PASSWORD, display_name=" An ", language="fr"
    )

    assert user.email == "an.peeters@example.org"
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    profile = VolunteerProfile.objects.get(user=user)
    assert (profile.display_name, profile.language) == ("An", "fr")
    assert profile.consent_at is not None
    assert not user.memberships.exists()


def test_an_e_mail_address_can_register_only_once_whatever_its_case() -> None:
    user_register(email="an@example.org", password=PASSWORD, display_name="An")

    with pytest.raises(ValidationFailed) as refused:
        user_register(email="AN@example.org", password=PASSWORD, display_name="An twee")

    assert "email" in refused.value.fields
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"password": "12345678"}, "password"),
        ({"password": "kort"}, "password"),
        ({"language": "de"}, "language"),
        ({"display_name": "  "}, "display_name"),
    ],
)
def test_an_invalid_registration_is_refused_with_the_field_that_is_wrong(
    fields: dict[str, str], wrong: str
) -> None:
    values = {"email": "an@example.org", "password": PASSWORD, "display_name": "An"} | fields

    with pytest.raises(ValidationFailed) as refused:
        user_register(**values)

    assert wrong in refused.value.fields
    assert not User.objects.exists()


def test_a_volunteer_updates_their_profile() -> None:
    user = UserFactory()

    profile = profile_update(
        user=user, display_name="Mieke", phone="+32 470 12 34 56", mode_preference="online"
    )

    profile.refresh_from_db()
    assert (profile.display_name, profile.phone, profile.mode_preference) == (
        "Mieke",
        "+32 470 12 34 56",
        "online",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"language": "de"},
        {"mode_preference": "hybrid"},
        {"display_name": " "},
        {"telegram_chat_id": 42},
        {"consent_at": None},
    ],
)
def test_a_profile_update_with_a_bad_or_protected_field_changes_nothing(
    changes: dict[str, object],
) -> None:
    user = UserFactory()
    before = VolunteerProfile.objects.get(user=user)

    with pytest.raises(ValidationFailed):
        profile_update(user=user, **changes)

    after = VolunteerProfile.objects.get(user=user)
    assert (after.display_name, after.language, after.mode_preference) == (
        before.display_name,
        before.language,
        before.mode_preference,
    )


def test_two_profiles_cannot_share_a_telegram_chat() -> None:
    VolunteerProfile.objects.filter(user=UserFactory()).update(telegram_chat_id=1234)

    with pytest.raises(IntegrityError), transaction.atomic():
        VolunteerProfile.objects.filter(user=UserFactory()).update(telegram_chat_id=1234)


def test_volunteers_without_e_mail_can_coexist() -> None:
    User.objects.create_user(email=None)
    User.objects.create_user(email=None)

    assert User.objects.filter(email__isnull=True).count() == 2
