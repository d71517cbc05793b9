"""Keeps secrets out of the logs (issue 16): a filter on every handler in ``settings.LOGGING``.

Some secrets travel in URLs and headers that libraries log: the bot token is part of every
Bot API URL, apps may send their JWT as ``?token=``, and a calendar feed's secret is a path
segment. Quieting one logger at a time misses the next library (or the next log level), so
every record is also searched before it is written:

- the configured values of ``TELEGRAM_BOT_TOKEN`` and ``TELEGRAM_WEBHOOK_SECRET`` (also
  percent-encoded), read on use: from Django's settings once they are loaded (so a test's
  ``settings`` override counts), and from the environment too, which is all there is while
  Django sets up (and redacting a value twice costs nothing);
- anything shaped like a JWT or a Telegram bot token (other people's, or ours before either
  is read);
- the secret segment of calendar feed URLs (``calendar/<token>/...``) and ``token=`` query
  values.

Only the standard library is imported at the top: ``LOGGING`` is configured while Django sets
up, and this module must work before settings are loaded (or without Django settings at all).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from urllib.parse import quote

REDACTED = "[redacted]"

SECRET_SETTINGS = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")

_SHAPES = (
    # A JWT: base64url of '{"' starts with "eyJ"; three dot-separated parts (signature may be
    # empty for alg "none").
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
    # A bot token: the bot's id, a colon, 35 characters. Not \b: in ".../bot123:AA..." the id
    # follows letters.
    r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])",
    # The feed's secret in /api/v1/calendar/<token>/...; not /me/calendar/rotate/.
    r"(?<=/calendar/)(?!rotate(?:[/?#\s\"']|$))[^/?#\s\"'<>]+",
    # ?token=<jwt> on websocket URLs (and any other token= parameter).
    r"(?<=[?&]token=)[^&#\s\"'<>]+",
)


@functools.lru_cache(maxsize=8)
def _pattern(values: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so a secret that contains another is removed whole.
    literals = sorted(
        {v for value in values for v in (value, quote(value, safe=""))}, key=len, reverse=True
    )
    return re.compile("|".join([*map(re.escape, literals), *_SHAPES]))


def configured_secrets() -> tuple[str, ...]:
    """The secrets' values: Django's settings if they are loaded, and the environment."""
    from django.conf import settings

    # ``configured`` is False until settings are first read: asking for a value then would
    # load them from inside a log call.
    loaded = settings.configured
    values: list[str] = []
    for name in SECRET_SETTINGS:
        if loaded:
            values.append(str(getattr(settings, name, "") or "").strip())
        values.append(os.environ.get(name, "").strip())
    return tuple(dict.fromkeys(value for value in values if value))


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``[redacted]``."""
    return _pattern(configured_secrets()).sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """Redacts the formatted message, the traceback and the stack of each record.

    On a handler, it sees records from every logger that propagates to it. A record is only
    changed when it held a secret, so other handlers (and tests) see the usual ``msg`` and
    ``args`` otherwise.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: logging's own error report would print
            # them unredacted, so log them (redacted) as the message instead.
            message = f"{record.msg} (arguments that do not fit: {record.args!r})"
            record.msg, record.args = message, ()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        # Formatters print exc_text when it is set (and only format exc_info when it is not),
        # so a redacted copy there is what every handler writes.
        traceback = record.exc_text
        if not traceback and record.exc_info:
            traceback = logging.Formatter().formatException(record.exc_info)
        if traceback and (cleaned := redact(traceback)) != traceback:
            record.exc_text = cleaned
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
