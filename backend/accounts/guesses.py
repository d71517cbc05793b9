"""Password guesses: the one rule for every place a password is asked.

The API's and the board's log-in, changing the password and erasing the account all ask for a
password, so all of them count a wrong one in the same two limits (``settings.RATE_LIMITS``):
per client address (``login_address``: one machine trying many accounts) and per account
(``login_account``: many machines trying one account). Only wrong passwords count, and over
either limit the password is not even checked, so guessing stops paying off; a right
password never counts. The account is keyed by a digest of its e-mail address, which also
counts guesses at addresses that have no account, the same way (nothing tells them apart).
"""

from __future__ import annotations

import hashlib

from backend.core.errors import TooManyRequests
from backend.core.rate_limits import limit_count, limit_forget, limit_use


def account_key(email: str) -> str:
    """The identity of an account in rate limits: a digest of its e-mail address (no address
    is kept in Redis)."""
    normalised = email.strip().lower().encode("utf-8", "surrogatepass")
    return hashlib.sha256(normalised).hexdigest()[:32]


def guess_allowed(*, email: str, address: str) -> None:
    """Before checking a password: ``TooManyRequests`` (with the wait) when this address or
    this account has failed too often."""
    waits = [
        verdict.retry_after
        for verdict in (
            limit_use("login_address", address, count=False),
            limit_use("login_account", account_key(email), count=False),
        )
        if not verdict.allowed
    ]
    if waits:
        raise TooManyRequests(max(waits))


def guess_failed(*, email: str, address: str) -> None:
    """After a wrong password."""
    limit_count("login_address", address)
    limit_count("login_account", account_key(email))


def guesses_forget(*, email: str = "", address: str = "") -> None:
    """Lift the limits of an address or an account (tests; an admin helping someone)."""
    if address:
        limit_forget("login_address", address)
    if email:
        limit_forget("login_account", account_key(email))
