"""A coordinator signs up in the browser: a new account and a new organisation at once.

A workflow above the apps (like the Telegram sign-up in ``services.py``): the account comes
from ``accounts`` and the organisation from ``organisations``, which must not import each
other upwards, so the step that needs both lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from backend.accounts.models import Language, User
from backend.accounts.services import user_register
from backend.core.errors import ValidationFailed
from backend.organisations.models import Organisation, OrganisationKind
from backend.organisations.services import organisation_create

# organisation_create names its fields after the organisation ("name"); in the sign-up the
# person has a name too, so the organisation's fields carry a prefix.
ORGANISATION_FIELDS = {"name": "organisation_name", "slug": "organisation_name"}


@dataclass(frozen=True)
class CoordinatorSignup:
    user: User
    organisation: Organisation


@transaction.atomic
def coordinator_sign_up(
    *,
    email: str,
    password: str,
    display_name: str,
    organisation_name: str,
    time_zone: str = "Europe/Brussels",
    kind: str = OrganisationKind.VOLUNTEER_ORGANISATION,
    language: str = Language.DUTCH,
) -> CoordinatorSignup:
    """Create the account (Django's password validators apply) and the organisation, whose
    first admin it is, in one transaction: an organisation that is refused leaves no account
    behind, so the person can simply try again."""
    user = user_register(
        email=email, password=password, display_name=display_name, language=language
    )
    try:
        organisation = organisation_create(
            creator=user, name=organisation_name, time_zone=time_zone, kind=kind
        )
    except ValidationFailed as error:
        raise ValidationFailed(
            error.detail,
            fields={
                ORGANISATION_FIELDS.get(name, name): errors for name, errors in error.fields.items()
            },
        ) from None
    return CoordinatorSignup(user=user, organisation=organisation)
