"""The Bot API client the notification worker sends with, and the errors it raises.

The worker is threads and the ORM, so it posts ``sendMessage`` with httpx rather than through
python-telegram-bot's asyncio ``Bot``. It does not wait for a send slot (the caller takes one
from ``backend.telegram.ratelimit`` first) and never retries: each error says whether the
same request may work later (:class:`RetryableError`) or not (:class:`PermanentError`), and
the caller decides when, so a retry survives a restart as a row in the database.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

REQUEST_TIMEOUT_SECONDS = 10.0
# Telegram's descriptions are short; a longer one is cut so it fits the row's last_error.
MAX_DESCRIPTION = 250


class BotApiError(Exception):
    """Telegram did not take the message; ``str(error)`` is the reason (status first)."""


class PermanentError(BotApiError):
    """A 4xx (but 429): the same request would be refused again."""


class Blocked(PermanentError):
    """403: the volunteer blocked the bot (or deleted their account); the chat is unreachable."""


class RetryableError(BotApiError):
    """A 5xx or a network error: Telegram may take the same request later."""


class RateLimited(RetryableError):
    """429: Telegram asks us to wait ``retry_after`` seconds before sending again."""

    def __init__(self, reason: str, *, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Button:
    """An inline button; ``callback_data`` from ``backend.telegram.callbacks.encode``."""

    text: str
    callback_data: str


class BotApiClient:
    """``sendMessage`` for one bot. Safe to share between threads: each has its own
    connection pool (and closes it with :meth:`close` when it stops)."""

    def __init__(self, *, token: str, base_url: str) -> None:
        self.token = token
        self._url = f"{base_url.rstrip('/')}{token}"
        self._local = threading.local()

    @property
    def configured(self) -> bool:
        """False without a token: the bot is off and nothing can be sent."""
        return bool(self.token)

    def _http(self) -> httpx.Client:
        http: httpx.Client | None = getattr(self._local, "http", None)
        if http is None:
            http = httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS)
            self._local.http = http
        return http

    def close(self) -> None:
        """Close the calling thread's connections."""
        http: httpx.Client | None = getattr(self._local, "http", None)
        if http is not None:
            http.close()
            self._local.http = None

    def send_message(
        self, chat_id: int, text: str, buttons: Sequence[Sequence[Button]] = ()
    ) -> None:
        """Send ``text`` (with rows of ``buttons``); raises a :class:`BotApiError` if refused."""
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if buttons:
            body["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": b.text, "callback_data": b.callback_data} for b in row]
                    for row in buttons
                ]
            }
        try:
            response = self._http().post(f"{self._url}/sendMessage", json=body)
        except httpx.HTTPError as error:
            # The error's own message, never the request's URL: that holds the token.
            raise RetryableError(f"network: {type(error).__name__}: {error}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        status = response.status_code
        if status == 200 and answer.get("ok"):
            return
        description = str(answer.get("description", response.reason_phrase))[:MAX_DESCRIPTION]
        reason = f"{status} {description}"
        if status == 429:
            retry_after = float((answer.get("parameters") or {}).get("retry_after", 1))
            raise RateLimited(reason, retry_after=retry_after)
        if status == 403:
            raise Blocked(reason)
        if status >= 500:
            raise RetryableError(reason)
        raise PermanentError(reason)
