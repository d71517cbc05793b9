"""A password change ends every JWT issued before it (the API's and the websockets').

Every token carries a digest of the password hash it was issued under: simplejwt's revoke
claim (``CHECK_REVOKE_TOKEN`` in settings.SIMPLE_JWT), which ``Token.for_user`` adds and a
refresh token copies into each access token made from it. A new password is a new hash, so
every earlier token stops matching: the way Django's own sessions end on a password change
(``get_session_auth_hash``), with no table of issued tokens to keep and clean up.

The claim is MD5 of the hash (simplejwt's choice). Whoever holds the token can read it, but
it gives nothing away: the hash's random salt is part of what was digested.
"""

from __future__ import annotations

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from backend.accounts.models import User


def token_matches_password(token: Token, user: User) -> bool:
    """Whether ``token`` was issued under ``user``'s current password.

    A token without the claim (issued before tokens carried it) does not match either.
    """
    return token.get(api_settings.REVOKE_TOKEN_CLAIM) == get_md5_hash_password(user.password)
