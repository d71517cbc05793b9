"""E-mail: queued in the database (``OutgoingMail``) by the services, sent by the worker.

The request that asks for a mail (a password reset, an address to confirm) only writes a row,
in its own transaction, so a slow or unreachable mail server never holds a request and a mail
is not lost when the web process stops. Each worker thread takes due rows with a lease (a
conditional update, safe with several workers on PostgreSQL and SQLite), sends them through
Django's e-mail backend (``EMAIL_URL``: SMTP in production, the console in development) and
retries a failure with back-off. A sent mail's body is forgotten: it may hold a link that
works as a key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone

from backend.accounts.models import OutgoingMail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=2)


def mail_queue(*, to: str, subject: str, body: str) -> OutgoingMail:
    return OutgoingMail.objects.create(to=to, subject=subject[:200], body=body)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _take(now: dt.datetime) -> OutgoingMail | None:
    """One due mail, leased to this thread until ``now + LEASE``."""
    due = OutgoingMail.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        sent_at__isnull=True,
        failed_at__isnull=True,
        next_attempt_at__lte=now,
    )
    for pk in due.order_by("next_attempt_at").values_list("pk", flat=True)[:5]:
        leased = due.filter(pk=pk).update(locked_until=now + LEASE)
        if leased:
            return OutgoingMail.objects.get(pk=pk)
    return None


def mails_send_due(*, now: dt.datetime | None = None, limit: int = 20) -> int:
    """Send up to ``limit`` due mails; how many were handled (sent, retried or given up)."""
    handled = 0
    connection = None
    try:
        while handled < limit:
            moment = now or timezone.now()
            mail = _take(moment)
            if mail is None:
                break
            handled += 1
            if connection is None:
                connection = get_connection(fail_silently=False)
            message = EmailMessage(
                mail.subject,
                mail.body,
                settings.DEFAULT_FROM_EMAIL,
                [mail.to],
                connection=connection,
            )
            try:
                message.send()
            except (smtplib.SMTPException, OSError) as error:
                _failed(mail, moment, error)
                connection = None  # a broken connection is not reused
            else:
                OutgoingMail.objects.filter(pk=mail.pk).update(
                    sent_at=moment, body="", locked_until=None, attempts=mail.attempts + 1
                )
    finally:
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()
    return handled


def _failed(mail: OutgoingMail, now: dt.datetime, error: Exception) -> None:
    attempts = mail.attempts + 1
    reason = f"{type(error).__name__}: {error}"[:300]
    if attempts >= MAX_ATTEMPTS:
        # The address is not logged: it is personal data.
        logger.error("mail %s: given up after %d attempts (%s)", mail.pk, attempts, reason)
        OutgoingMail.objects.filter(pk=mail.pk).update(
            failed_at=now, body="", attempts=attempts, last_error=reason, locked_until=None
        )
        return
    logger.warning("mail %s: attempt %d failed (%s); retrying", mail.pk, attempts, reason)
    OutgoingMail.objects.filter(pk=mail.pk).update(
        attempts=attempts,
        last_error=reason,
        locked_until=None,
        next_attempt_at=now + _backoff(attempts),
    )
