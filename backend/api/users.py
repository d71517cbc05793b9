"""The signed-in user of an API request, typed."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from backend.accounts.models import User


def request_user(request: Request) -> User:
    """The request's user as a `User`.

    Only for views behind `IsAuthenticated` (the default permission): DRF types
    `request.user` as `User | AnonymousUser`, but an anonymous request never gets this far.
    """
    return cast(User, request.user)
