"""The notification worker: claims due rows, re-checks them, sends them to Telegram.

Claiming: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks due rows no other worker is looking at
(PostgreSQL; SQLite ignores it and serialises writers), then one conditional UPDATE marks
them ``sending`` with this batch's token and a lease, so two workers never take the same row
(healthchecks' ``sendalerts`` pattern). A worker that dies leaves its rows ``sending``; when
the lease runs out they are due again and another worker sends them: at-least-once, and the
one send that was in flight when a worker was killed may go out twice.

Sending: every message waits for a slot of the shared limiter (30 a second for the bot, one a
second per chat, across all processes when Redis is configured), then goes out through the Bot
API client (``backend/telegram/client.py``), whose errors say what to do with the row: 429
comes back later at the time Telegram asked; 5xx and network errors are retried with
back-off; after the last attempt the row is ``failed`` with the reason (coordinators see it);
403 marks the chat unreachable; other 4xx fail at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from backend.accounts.mail import mails_send_due
from backend.accounts.sessions import expired_tokens_forget
from backend.notifications import messages, offers
from backend.notifications.models import Channel, Device, Kind, Notification, Status
from backend.notifications.new_shifts import shift_suggest
from backend.notifications.push import Result, enabled_kinds, push, ttl_until
from backend.notifications.reach import not_on_telegram
from backend.notifications.schedule import FOLLOW_UP_EXPIRY, quiet_hours_deferral
from backend.notifications.services import late_cancellation_fan_out, reminders_plan
from backend.shifts.models import (
    ACTIVE_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    Shift,
    ShiftStatus,
    StandInRequest,
    StandInStatus,
    SwapRequest,
    SwapStatus,
)
from backend.shifts.selectors import where_to_go
from backend.shifts.services.stand_ins import stand_in_alerts_send, stand_in_waves_send
from backend.telegram import services as telegram_services
from backend.telegram.callbacks import encode
from backend.telegram.client import (
    Blocked,
    BotApiClient,
    Button,
    PermanentError,
    RateLimited,
    RetryableError,
)
from backend.telegram.ratelimit import SharedLimiter
from realtime.events import publish_notification

logger = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = 3600.0  # seconds
TICK_EVERY = 60.0  # seconds

INTERNAL_KINDS = (Kind.PLAN, Kind.LATE_CANCELLATION, Kind.SHIFT_PUBLISHED)
# Messages that name a volunteer (``payload["volunteer_id"]``) to someone else.
NAMES_A_VOLUNTEER = (
    Kind.LATE_CANCELLATION_NOTICE,
    Kind.ALLOWANCE_NOTICE,
    Kind.STAND_IN_FOUND,
    Kind.STAND_IN_UNFILLED,
    Kind.SWAP_ASK,
    Kind.SWAP_DONE,
)
MAX_ATTEMPTS = 6
# 429s are Telegram pacing us, not failures; give up only after this many in a row.
MAX_RATE_LIMITED = 30
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 600.0


def _payload_id(row: Notification, name: str) -> int:
    value = str(row.payload.get(name, ""))
    return int(value) if value.isdigit() else 0


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s, ... at most 10 minutes."""
    return dt.timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


@dataclass(frozen=True)
class Message:
    chat_id: int | None  # None: the person has no Telegram chat (websocket only)
    text: str
    buttons: list[list[Button]]


class Worker:
    def __init__(
        self,
        *,
        client: BotApiClient,
        limiter: SharedLimiter,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        batch: int = 10,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.lease = lease
        self.batch = batch

    # --- claiming --------------------------------------------------------------------------

    def _due(self, now: dt.datetime) -> Q:
        due = Q(status=Status.PENDING, due_at__lte=now) | Q(
            status=Status.SENDING, locked_until__lt=now
        )
        if not self.client.configured:
            # The bot is off: plan and fan out, and send to the people the app reaches (push,
            # inbox); messages to Telegram chats wait for a token.
            due &= (
                Q(kind__in=INTERNAL_KINDS)
                | Q(user__profile__telegram_chat_id__isnull=True)
                | Q(user__telegram_account__unreachable_since__isnull=False)
            )
        return due

    def claim(self) -> list[tuple[int, str]]:
        """Take up to ``batch`` due rows for this thread: (id, lease token) pairs."""
        now = timezone.now()
        token = uuid.uuid4().hex
        due = self._due(now)
        with transaction.atomic():
            ids = list(
                Notification.objects.filter(due)
                .order_by("due_at", "id")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[: self.batch]
            )
            if not ids:
                return []
            # The condition is checked again by the UPDATE itself: on SQLite (no row locks)
            # a row another worker took in the meantime no longer matches.
            Notification.objects.filter(due, pk__in=ids).update(
                status=Status.SENDING, locked_by=token, locked_until=now + self.lease
            )
        taken = Notification.objects.filter(
            pk__in=ids, locked_by=token, status=Status.SENDING
        ).values_list("pk", flat=True)
        return [(pk, token) for pk in sorted(taken)]

    def _held(self, pk: int, token: str) -> Any:
        return Notification.objects.filter(pk=pk, locked_by=token, status=Status.SENDING)

    def _finish(self, pk: int, token: str, **values: Any) -> bool:
        values.setdefault("locked_until", None)
        return self._held(pk, token).update(**values) == 1

    # --- one row ---------------------------------------------------------------------------

    def process(self, pk: int, token: str) -> str:
        """Handle one claimed row; its new status (for logs and tests)."""
        now = timezone.now()
        row = (
            Notification.objects.select_related(
                "shift__organisation",
                "claim",
                "user__profile",
                "user__telegram_account",
            )
            .filter(pk=pk, locked_by=token, status=Status.SENDING)
            .first()
        )
        if row is None:
            return "lost"
        if row.kind == Kind.PLAN:  # a plan row always names its claim
            reminders_plan(claim_id=cast(int, row.claim_id), caused_at=row.created_at)
            self._finish(pk, token, status=Status.SENT, sent_at=now)
            return Status.SENT
        if row.kind == Kind.LATE_CANCELLATION:
            late_cancellation_fan_out(notification=row, now=now)
            self._finish(pk, token, status=Status.SENT, sent_at=now)
            return Status.SENT
        if row.kind == Kind.SHIFT_PUBLISHED:
            shift_suggest(notification=row, now=now)
            self._finish(pk, token, status=Status.SENT, sent_at=now)
            return Status.SENT
        if row.kind in (Kind.PROMOTED, Kind.SHIFT_CHANGED) and row.claim is not None:
            # Reminders at the (new) times, whatever becomes of this message.
            reminders_plan(claim_id=cast(int, row.claim_id), caused_at=row.created_at)
        reason = self._reason_to_drop(row, now)
        if reason:
            self._finish(pk, token, status=Status.DROPPED, last_error=reason)
            return Status.DROPPED
        zone = ZoneInfo(row.shift.organisation.time_zone)
        later = quiet_hours_deferral(row.kind, now, row.shift.starts_at, zone)
        if later is not None:
            self._finish(pk, token, status=Status.PENDING, due_at=later, locked_by="")
            return "deferred"
        message = self._message(row, zone)
        if row.attempts == 0:
            # The volunteer's websocket stream gets it too (once, not on Telegram retries):
            # app users without Telegram hear of it this way while they are connected.
            publish_notification(
                row.user_id,  # type: ignore[arg-type]
                {
                    "kind": row.kind,
                    "text": message.text,
                    "shift_id": row.shift_id,
                    "claim_id": row.claim_id,
                },
            )
        if self._not_on_telegram(row) or not self.client.configured:
            return self._push_or_inbox(row, token, message)
        # Renew the lease right before sending: a row whose lease ran out (and that another
        # worker may have taken) is not sent by us.
        if self._held(pk, token).update(locked_until=timezone.now() + self.lease) != 1:
            return "lost"
        return self._send(row, token, message)

    def _not_on_telegram(self, row: Notification) -> str:
        """Why this person can't get the message on Telegram (they may still have the app)."""
        return not_on_telegram(row.user) if row.user is not None else "no such volunteer"

    def _reason_to_drop(self, row: Notification, now: dt.datetime) -> str:
        shift, claim, user = row.shift, row.claim, row.user
        if user is None or not user.is_active:
            return "no such volunteer"
        if getattr(user, "profile", None) is None:
            return "no volunteer profile"
        account = getattr(user, "telegram_account", None)
        kind = row.kind
        if kind in (Kind.REMINDER, Kind.PROMOTED, Kind.SHIFT_CHANGED, Kind.FOLLOW_UP):
            if shift.starts_at != row.shift_starts_at:
                return "the shift moved"
            if shift.status != ShiftStatus.PUBLISHED:
                return "the shift is not open"
        claim_status = claim.status if claim is not None else ""
        if kind in (Kind.REMINDER, Kind.PROMOTED) and claim_status != ClaimStatus.CONFIRMED:
            return "the claim is not confirmed"
        if kind == Kind.SHIFT_CHANGED and claim_status not in ACTIVE_CLAIM_STATUSES:
            return "the claim is not active"
        started = shift.starts_at <= now
        if started and kind in (Kind.REMINDER, Kind.PROMOTED, Kind.SHIFT_CHANGED, Kind.BROADCAST):
            return "the shift has started"
        if kind == Kind.REMINDER and account is not None and not account.reminders_enabled:
            return "reminders are off"
        if kind == Kind.FOLLOW_UP:
            if claim_status not in (ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED):
                return "the volunteer did not come"
            if now > shift.ends_at + FOLLOW_UP_EXPIRY:
                return "too late to ask"
        if kind in (Kind.SHIFT_CANCELLED, Kind.LATE_CANCELLATION_NOTICE) and now > shift.ends_at:
            return "the shift is over"
        if kind == Kind.CLAIM_CANCELLED:
            if now > shift.ends_at:
                return "the shift is over"
            if claim_status in ACTIVE_CLAIM_STATUSES:
                # They were given the place again (or took it) before we got to tell them.
                return "the claim is active again"
        if kind in (Kind.STAND_IN_ASK, Kind.STAND_IN_UNFILLED):
            if started:
                return "the shift has started"
            if not StandInRequest.objects.filter(
                pk=_payload_id(row, "request"), status=StandInStatus.OPEN
            ).exists():
                return "the request is no longer open"
        if (
            kind == Kind.SWAP_ASK
            and not SwapRequest.objects.filter(
                pk=_payload_id(row, "swap"), status=SwapStatus.OPEN
            ).exists()
        ):
            return "the swap is no longer open"
        if kind == Kind.BROADCAST:
            if shift.status != ShiftStatus.PUBLISHED:
                return "the shift is not open"
            if Claim.objects.filter(
                shift=shift, volunteer=user, status__in=ACTIVE_CLAIM_STATUSES
            ).exists():
                return "already claimed"
        if kind in offers.OFFER_KINDS:
            return offers.drop_reason(row, now)
        return ""

    def _message(self, row: Notification, zone: ZoneInfo) -> Message:
        shift = row.shift
        user = row.user
        assert user is not None
        if row.kind in offers.OFFER_KINDS:
            offer, offer_buttons = offers.offer_message(row, timezone.now())
            return Message(user.profile.telegram_chat_id, offer, offer_buttons)
        language = user.profile.language
        place = ""
        if row.claim is not None and row.kind in (Kind.REMINDER, Kind.PROMOTED, Kind.SWAP_DONE):
            where = where_to_go(shift, claim_status=row.claim.status, manages=False)
            place = where.address or where.meeting_link or ""
        volunteer = ""
        if row.kind in NAMES_A_VOLUNTEER:
            from backend.accounts.models import VolunteerProfile

            volunteer = (
                VolunteerProfile.objects.filter(user_id=row.payload.get("volunteer_id"))
                .values_list("display_name", flat=True)
                .first()
                or ""
            )
        other = ""
        if row.kind == Kind.SWAP_ASK and row.claim is not None:
            # The partner's own shift, which they would give up.
            own = Shift.objects.filter(pk=row.claim.shift_id).first()
            if own is not None:
                other = f"{own.title}, " + messages.shift_when(
                    own.starts_at, own.ends_at, zone, language
                )
        old_start = row.payload.get("old_starts_at") or None
        old_end = row.payload.get("old_ends_at") or None
        text = messages.render(
            row.kind,
            language=language,
            title=shift.title,
            organisation=shift.organisation.name,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            zone=zone,
            place=place,
            volunteer=volunteer,
            old_starts_at=dt.datetime.fromisoformat(old_start) if old_start else None,
            old_ends_at=dt.datetime.fromisoformat(old_end) if old_end else None,
            text=str(row.payload.get("text", "")),
            reason=str(row.payload.get("reason", "")),
            amounts={name: str(row.payload.get(name, "")) for name in ("year", "total", "cap")},
            other=other,
        )
        buttons: list[list[Button]] = []
        claim_id = cast(int, row.claim_id)  # reminders and follow-ups always name their claim
        if row.kind == Kind.REMINDER:
            buttons = [
                [
                    Button(messages.coming_button(language), encode("coming", claim_id)),
                    Button(messages.cannot_come_button(language), encode("cancel", claim_id)),
                ]
            ]
        elif row.kind == Kind.FOLLOW_UP:
            buttons = [[Button(str(n), encode("score", claim_id, n)) for n in range(1, 6)]]
        elif row.kind == Kind.BROADCAST:
            buttons = [[Button(messages.claim_button(language), encode("claim", shift.pk))]]
        elif row.kind == Kind.STAND_IN_ASK:
            request_id = _payload_id(row, "request")
            buttons = [
                [
                    Button(messages.accept_stand_in_button(language), encode("sia", request_id)),
                    Button(messages.no_thanks_button(language), encode("sid", request_id)),
                ]
            ]
        elif row.kind == Kind.SWAP_ASK:
            swap_id = _payload_id(row, "swap")
            buttons = [
                [
                    Button(messages.swap_button(language), encode("swa", swap_id)),
                    Button(messages.no_thanks_button(language), encode("swd", swap_id)),
                ]
            ]
        return Message(user.profile.telegram_chat_id, text, buttons)

    # --- sending ---------------------------------------------------------------------------

    def _send(self, row: Notification, token: str, message: Message) -> str:
        assert message.chat_id is not None  # only messages with a chat are sent (see process)
        attempts = row.attempts + 1
        try:
            # The limit is judged right before the request and counts it until its answer.
            with self.limiter.sending(message.chat_id):
                self.client.send_message(message.chat_id, message.text, message.buttons)
        except RateLimited as error:
            # Telegram pacing us: due again when it said, not after our back-off.
            if attempts >= MAX_RATE_LIMITED:
                return self._fail(row, token, attempts, str(error))
            self._finish(
                row.pk,
                token,
                status=Status.PENDING,
                locked_by="",
                attempts=attempts,
                due_at=timezone.now() + dt.timedelta(seconds=error.retry_after),
                last_error=str(error),
            )
            return "retry"
        except RetryableError as error:
            return self._retry(row, token, attempts, str(error))
        except Blocked:
            # They blocked the bot: from now on, and for this message, the app is their channel.
            telegram_services.chat_mark_unreachable(chat_id=message.chat_id)
            return self._push_or_inbox(row, token, message)
        except PermanentError as error:
            return self._fail(row, token, attempts, str(error))
        return self._sent(row, token, message, Channel.TELEGRAM, attempts=attempts)

    def _push_or_inbox(self, row: Notification, token: str, message: Message) -> str:
        """No Telegram: push to the person's devices (the kinds configured), else only their
        inbox. Devices that the service says are gone are forgotten; a service that asks to
        wait makes the row come back later (the devices that got it replace it, by its
        collapse key)."""
        now = timezone.now()
        kinds = enabled_kinds()
        devices = (
            list(Device.objects.filter(user=row.user, kind__in=kinds)) if kinds and row.user else []
        )
        ttl = ttl_until(row.shift.starts_at, now)
        if not devices or ttl == 0:
            return self._sent(row, token, message, Channel.INBOX)
        payload = {
            "title": row.shift.title,
            "body": message.text,
            "kind": row.kind,
            "notification_id": row.pk,
            "shift_id": row.shift_id,
            "claim_id": row.claim_id,
        }
        outcomes = {
            device.pk: push(device, payload, ttl=ttl, topic=f"shift-{row.shift_id}")
            for device in devices
        }
        gone = [pk for pk, outcome in outcomes.items() if outcome.result is Result.GONE]
        if gone:
            Device.objects.filter(pk__in=gone).delete()
        delivered = [pk for pk, o in outcomes.items() if o.result is Result.DELIVERED]
        if delivered:
            Device.objects.filter(pk__in=delivered).update(last_pushed_at=now)
            return self._sent(row, token, message, Channel.PUSH, attempts=row.attempts + 1)
        waits = [o for o in outcomes.values() if o.result is Result.RETRY]
        attempts = row.attempts + 1
        if waits and attempts < MAX_ATTEMPTS:
            asked = max((o.retry_after or 0.0) for o in waits)
            reason = "push: " + ", ".join(o.detail for o in waits)
            return self._retry(row, token, attempts, reason, at_least=asked)
        # Every device gone, refusing or still failing after the retries: the inbox has it.
        refused = "; ".join(o.detail for o in outcomes.values() if o.result is Result.REFUSED)
        if refused:
            logger.warning("notification %s: push refused (%s)", row.pk, refused[:200])
        return self._sent(row, token, message, Channel.INBOX, reason=refused)

    def _sent(
        self,
        row: Notification,
        token: str,
        message: Message,
        channel: str,
        *,
        attempts: int | None = None,
        reason: str = "",
    ) -> str:
        """It reached the person on ``channel`` (the inbox has it in any case)."""
        values: dict[str, Any] = {"attempts": attempts} if attempts is not None else {}
        self._finish(
            row.pk,
            token,
            status=Status.SENT,
            sent_at=timezone.now(),
            channel=channel,
            text=message.text,
            last_error=reason[:300],
            **values,
        )
        return Status.SENT

    def _retry(
        self, row: Notification, token: str, attempts: int, reason: str, at_least: float = 0.0
    ) -> str:
        """Due again after the back-off, or after ``at_least`` seconds if the service asked
        for longer."""
        if attempts >= MAX_ATTEMPTS:
            return self._fail(row, token, attempts, reason)
        logger.warning("notification %s: %s; retrying", row.pk, reason)
        self._finish(
            row.pk,
            token,
            status=Status.PENDING,
            locked_by="",
            attempts=attempts,
            due_at=timezone.now() + max(dt.timedelta(seconds=at_least), backoff(attempts)),
            last_error=reason[:300],
        )
        return "retry"

    def _fail(self, row: Notification, token: str, attempts: int, reason: str) -> str:
        logger.warning("notification %s failed: %s", row.pk, reason)
        self._finish(
            row.pk, token, status=Status.FAILED, attempts=attempts, last_error=reason[:300]
        )
        return Status.FAILED

    # --- loops -----------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim one batch and handle it, then the due e-mails; how many were handled."""
        taken = self.claim()
        for pk, token in taken:
            try:
                self.process(pk, token)
            except Exception:
                logger.exception("notification %s: unexpected error", pk)
                self._retry_after_crash(pk, token)
        return len(taken) + mails_send_due()

    def _retry_after_crash(self, pk: int, token: str) -> None:
        row = Notification.objects.filter(pk=pk).first()
        if row is not None:
            self._retry(row, token, row.attempts + 1, "internal error")

    def run_until_idle(self) -> None:
        """Handle due rows until none are left (tests, and the command's ``--once``)."""
        while self.run_once():
            pass

    def housekeeping(self) -> None:
        """Work that is not a notification, done now and then (every ``HOUSEKEEPING_EVERY``
        seconds, by each worker process; safe in several at once): forget the refresh tokens
        that have expired."""
        forgotten = expired_tokens_forget(now=timezone.now())
        if forgotten:
            logger.info("worker: forgot %d expired refresh tokens", forgotten)

    def tick(self) -> None:
        """Domain work that is due by the clock rather than by a row (every ``TICK_EVERY``
        seconds, by each worker process; each job is safe in several at once): the next wave
        of stand-in requests, and the coordinators' alert for requests nobody took."""
        now = timezone.now()
        asked = stand_in_waves_send(now=now)
        alerted = stand_in_alerts_send(now=now)
        if asked or alerted:
            logger.info("worker: asked %d stand-ins, alerted %d requests", asked, alerted)
        offers.offers_plan(now=now)

    def run(self, stop: threading.Event, *, threads: int = 1, poll: float = 1.0) -> None:
        def loop(keeps_house: bool) -> None:
            housekept = ticked = None
            try:
                while not stop.is_set():
                    close_old_connections()
                    if keeps_house and (
                        housekept is None or time.monotonic() - housekept >= HOUSEKEEPING_EVERY
                    ):
                        housekept = time.monotonic()
                        try:
                            self.housekeeping()
                        except Exception:
                            logger.exception("worker: housekeeping failed; next time again")
                    if keeps_house and (ticked is None or time.monotonic() - ticked >= TICK_EVERY):
                        ticked = time.monotonic()
                        try:
                            self.tick()
                        except Exception:
                            logger.exception("worker: a periodic job failed; next time again")
                    try:
                        handled = self.run_once()
                    except Exception:
                        # The database went away or is busy (SQLite): log, wait, go on.
                        # Rows we held come back when their lease runs out.
                        logger.exception("worker: claiming failed; retrying shortly")
                        connection.close()
                        stop.wait(poll * 5)
                        continue
                    if not handled:
                        stop.wait(poll)
            finally:
                self.client.close()
                connection.close()

        # The first thread keeps house too.
        workers = [
            threading.Thread(target=loop, args=(n == 0,), name=f"sender-{n}")
            for n in range(threads)
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
