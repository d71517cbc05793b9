"""Websocket consumers: the coordinators' board stream and a volunteer's own stream.

Protocol (JSON text frames). Client to server:
    {"type": "ping"}                       -> {"type": "pong"}
    {"type": "resync"}  (board only)        -> a new {"type": "snapshot", ...}
Server to client:
    {"type": "snapshot", "seq": n, "organisation": {...}, "window": {...}, "shifts": [...]}
    {"type": "event", "seq": n, "event": "claim.confirmed", "shift": {...}, "claim": {...}}
    {"type": "error", "code": "...", "detail": "..."}
    {"type": "status", "live": false}       Redis is unreachable: events may be missed
    {"type": "status", "live": true}        Redis is back: a snapshot (board) or ready (me) follows

Events are hints (the channel layer delivers at most once): a board applies an event whose
``seq`` is one more than the last it has, ignores older ones and sends ``resync`` on a gap.
See ``realtime/sequence.py`` for how the numbers are made.

Close codes (Daphne only lets an application send 1000 and 3000-4999, so the numbers mirror
HTTP statuses): 4401 not authenticated (a bad token; or the account ended or its password
changed while connected), 4403 not allowed, 4404 no such organisation, 4413 frame too large,
4429 too many frames, 4503 the channel layer failed (reconnect). A close before the
handshake completes shows as a refused connection, so the consumers accept first and then
close with the code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

import redis
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from backend.accounts.models import ModePreference, User, VolunteerProfile
from backend.board.selectors import DEFAULT_DAYS, board_snapshot, board_window
from backend.core.errors import DomainError, database_error
from backend.organisations.models import Membership, Organisation
from backend.organisations.selectors import may_manage
from realtime.auth import SUBPROTOCOL
from realtime.events import (
    AccessMessage,
    LayerMessage,
    NotificationMessage,
    SuggestionMessage,
    news_group,
    user_group,
)
from realtime.hub import hub
from realtime.sequence import current_sequence
from realtime.watchdog import unwatch, watch

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
MAX_FRAMES_PER_SECOND = 20
# How long a missing sequence number may take to turn up (events from two publishers can
# arrive in the other order) before it is logged as dropped.
GAP_GRACE_SECONDS = 2.0
# A jump larger than this is a restarted counter (Redis restarted), not lost messages.
MAX_TRACKED_GAP = 1000

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 4413
CLOSE_TOO_MANY = 4429
CLOSE_LAYER_FAILED = 4503

# Per process and organisation, the highest sequence number already logged (as dropped, or
# as a jump), so it is logged once rather than by each of a thousand connected boards.
_reported_up_to: dict[int, int] = {}


class BaseConsumer(AsyncWebsocketConsumer):
    """Authentication, inbound limits, ping, and closing cleanly when the layer fails."""

    closing = False
    # The password hash the socket was authenticated with (see remember_password).
    password: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frame_times: deque[float] = deque(maxlen=MAX_FRAMES_PER_SECOND + 1)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (redis.RedisError, OSError) as error:
            # Redis went away (restart, network). Group memberships live in Redis and may be
            # gone too, so rather than limp on, close: the client reconnects with back-off,
            # subscribes again and fetches a fresh snapshot.
            logger.warning("channel layer unavailable (%s); closing the websocket", error)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_LAYER_FAILED})
        finally:
            await self.cleanup()

    async def cleanup(self) -> None:
        """Undo subscriptions; runs on disconnect and when the consumer ends any other way."""
        unwatch(self)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels runs close_old_connections() in the sync thread before every handler. The
        # event handlers touch no database, and a thread hop per socket per event adds up
        # when many sockets hear one event: skip it for them.
        if message["type"] == "domain.event":
            await self.domain_event(message)  # type: ignore[arg-type]
        else:
            await super().dispatch(message)

    async def domain_event(self, message: LayerMessage) -> None:
        raise NotImplementedError

    @property
    def user(self) -> User | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or self.scope.get("auth_error"):
            return None
        return user

    def remember_password(self, user: User) -> None:
        """Keep the password hash the socket was authenticated with (the token's or the
        session's, both checked against it at connect): when it changes, the socket ends."""
        self.password = user.password

    async def accept_and_close(self, code: int) -> None:
        await self.accept_with_subprotocol()
        await self.close(code=code)

    async def accept_with_subprotocol(self) -> None:
        # Browsers fail the handshake unless the server picks one of the offered subprotocols.
        offered = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)

    async def subscribed(self) -> None:
        """Call once the groups are joined: from now on, Redis restarts are watched for."""
        watch(self)

    async def disconnect(self, code: int) -> None:
        await self.cleanup()

    async def layer_lost(self) -> None:
        """Redis is unreachable: say so, so the page can show it is not live."""
        await self.send_json({"type": "status", "live": False})

    async def layer_restored(self) -> None:
        """Redis is back, maybe empty: join the groups again (see realtime/watchdog.py), and
        say so."""
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "status", "live": True})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_FRAME_BYTES:
            await self.refuse("too_large", "Frames are limited to 64 KiB.", CLOSE_TOO_LARGE)
            return
        now = time.monotonic()
        self.frame_times.append(now)
        if len(self.frame_times) > MAX_FRAMES_PER_SECOND and now - self.frame_times[0] < 1.0:
            await self.refuse("rate_limited", "At most 20 frames per second.", CLOSE_TOO_MANY)
            return
        if text_data is None:
            await self.send_error("malformed", "Send JSON text frames.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("malformed", "The frame is not valid JSON.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("malformed", 'Send an object with a "type".')
            return
        try:
            await self.handle(content)
        except Exception as error:
            # The socket stays open: a refusal (busy, the database away) is an error frame
            # with the same code the API would answer, not a closed connection.
            refusal = error if isinstance(error, DomainError) else database_error(error)
            if refusal is None:
                raise
            await self.send_error(refusal.code, str(refusal.detail))

    async def refuse(self, code: str, detail: str, close_code: int) -> None:
        self.closing = True
        await self.send_error(code, detail)
        await self.close(code=close_code)

    async def handle(self, content: dict[str, Any]) -> None:
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("unknown_type", f"Unknown message type {content['type']!r}.")


@database_sync_to_async
def _managed_organisation(user: User, organisation_id: int) -> Organisation | int:
    """The organisation if ``user`` may watch its board, else the close code to use."""
    if not may_manage(user=user, organisation_id=organisation_id):
        # Outsiders get 4403 whether or not the organisation exists: no probing for ids.
        return CLOSE_FORBIDDEN
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    return organisation if organisation is not None else CLOSE_NOT_FOUND


@database_sync_to_async
def _board_access(user_id: int, password: str, organisation_id: int) -> int | None:
    """The close code for a board whose user may no longer watch it, else None."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active or user.password != password:
        return CLOSE_UNAUTHENTICATED
    if not may_manage(user=user, organisation_id=organisation_id):
        return CLOSE_FORBIDDEN
    return None


@database_sync_to_async
def _account_current(user_id: int, password: str) -> bool:
    """The account is active and its password is the one the socket authenticated with."""
    return User.objects.filter(pk=user_id, is_active=True, password=password).exists()


@database_sync_to_async
def _snapshot(organisation: Organisation, days: int) -> dict[str, Any]:
    # Number first, then read (see realtime/sequence.py): every event numbered up to ``seq``
    # committed before the read, so the snapshot already contains it.
    seq = current_sequence(organisation.pk)
    start, end = board_window(organisation=organisation, now=timezone.now(), days=days)
    return {
        "type": "snapshot",
        "seq": seq,
        **board_snapshot(organisation=organisation, start=start, end=end),
    }


class BoardConsumer(BaseConsumer):
    """``ws/v1/organisations/<id>/board/``: coordinators and admins of the organisation."""

    # No channel per socket: the process's hub holds one per organisation (realtime/hub.py).
    # An alias that names no layer gives the consumer none.
    channel_layer_alias = "inzet.board-sockets-use-the-hub"

    organisation: Organisation
    last_seq: int | None = None
    joined = False
    ready = False

    async def connect(self) -> None:
        user = self.user
        if user is None:
            await self.accept_and_close(CLOSE_UNAUTHENTICATED)
            return
        organisation_id = int(self.scope["url_route"]["kwargs"]["organisation_id"])
        found = await _managed_organisation(user, organisation_id)
        if isinstance(found, int):
            await self.accept_and_close(found)
            return
        self.organisation = found
        self.remember_password(user)
        self.days = self._days_from_query()
        self.missing: set[int] = set()
        self.pending: list[LayerMessage] = []
        # Subscribe before reading the snapshot, so no event falls between the two; events
        # that arrive before the snapshot is sent wait in ``pending``.
        await hub().join(found.pk, self)
        self.joined = True
        await self.accept_with_subprotocol()
        await self.send_snapshot()
        # Drain what arrived meanwhile (more may arrive during the sends), then go live:
        # there is no await between the last check and ``ready``, so order is kept.
        while self.pending:
            await self.domain_event(self.pending.pop(0))
        self.ready = True

    async def cleanup(self) -> None:
        await super().cleanup()
        if self.joined:
            self.joined = False
            await hub().leave(self.organisation.pk, self)

    async def deliver(self, message: LayerMessage | AccessMessage) -> None:
        """Called by the hub for each of the organisation's messages, in order."""
        if message["type"] == "access.changed":
            await self.access_changed(message)
        elif self.ready:
            await self.domain_event(message)
        else:
            self.pending.append(message)

    async def access_changed(self, message: AccessMessage) -> None:
        """Someone lost a role, an account or a password: if it was this socket's user,
        check again."""
        user = self.user
        if user is None or message["user_id"] != user.pk or self.closing:
            return
        code = await _board_access(user.pk, self.password, self.organisation.pk)
        if code is not None:
            self.closing = True
            await self.close(code=code)

    async def deliver_status(self, *, live: bool) -> None:
        if self.ready:
            await self.send_json({"type": "status", "live": live})

    async def resubscribed(self) -> None:
        # Events published while Redis was away are lost: a new snapshot replaces them.
        if self.ready:
            await self.send_snapshot()

    def _days_from_query(self) -> int:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        try:
            return int(query.get("days", [DEFAULT_DAYS])[0])
        except ValueError:
            return DEFAULT_DAYS

    async def send_snapshot(self) -> None:
        snapshot = await _snapshot(self.organisation, self.days)
        self.last_seq = snapshot["seq"]
        self.missing.clear()
        await self.send_json(snapshot)

    async def handle(self, content: dict[str, Any]) -> None:
        if content["type"] == "resync":
            await self.send_snapshot()
        else:
            await super().handle(content)

    async def domain_event(self, message: LayerMessage) -> None:
        if message["audience"] != "organisation" or self.closing:
            return
        seq = message["seq"]
        if seq is not None:
            self._track(seq)
        text = message.get("board_text")
        if text is None:
            event = message["event"]
            out: dict[str, Any] = {
                "type": "event",
                "seq": seq,
                "event": event["type"],
                "shift": message["board_shift"] or event["shift"],
            }
            if "claim" in event:
                out["claim"] = event["claim"]
            text = json.dumps(out, separators=(",", ":"))
            # The hub hands the same message object to every board of the process: the
            # boards after the first one reuse its encoding.
            message["board_text"] = text
        await self.send(text_data=text)

    def _track(self, seq: int) -> None:
        """Notice sequence numbers that never reach this consumer: the layer dropped them."""
        last = self.last_seq
        if last is None or seq > last + MAX_TRACKED_GAP:
            organisation_id = self.organisation.pk
            if last is not None and seq > _reported_up_to.get(organisation_id, 0):
                _reported_up_to[organisation_id] = seq
                logger.warning(
                    "org %s: event numbers jumped from %s to %s (numbering restarted, e.g. "
                    "Redis restarted); boards resynchronise",
                    organisation_id,
                    last,
                    seq,
                )
            self.last_seq = seq
            return
        if seq <= last:
            self.missing.discard(seq)
            return
        if seq > last + 1:
            gap = set(range(last + 1, seq))
            self.missing |= gap
            asyncio.get_running_loop().call_later(GAP_GRACE_SECONDS, self._report_missing, gap)
        self.last_seq = seq

    def _report_missing(self, gap: set[int]) -> None:
        organisation_id = self.organisation.pk
        lost = sorted(n for n in gap & self.missing if n > _reported_up_to.get(organisation_id, 0))
        if not lost:
            return
        _reported_up_to[organisation_id] = max(lost[-1], _reported_up_to.get(organisation_id, 0))
        logger.warning(
            "channel layer dropped %d event(s) of org %s (numbers %s..%s); clients resync",
            len(lost),
            organisation_id,
            lost[0],
            lost[-1],
        )


@database_sync_to_async
def _me_subscriptions(user: User) -> tuple[list[int], str]:
    organisation_ids = list(
        Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True)
    )
    preference = (
        VolunteerProfile.objects.filter(user_id=user.pk)
        .values_list("mode_preference", flat=True)
        .first()
    )
    return organisation_ids, preference or ModePreference.BOTH


class MeConsumer(BaseConsumer):
    """``ws/v1/me/``: the user's own claims and shifts, and new open shifts for them.

    No snapshot and no sequence numbers here: an app re-reads ``/api/v1/me/claims/`` when it
    (re)connects, and the events are reminders to refresh, not the record.
    """

    async def connect(self) -> None:
        user = self.user
        if user is None:
            await self.accept_and_close(CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.remember_password(user)
        organisation_ids, self.mode_preference = await _me_subscriptions(user)
        # The user's own group, and the news (new shifts only) of their organisations.
        for group in [user_group(user.pk)] + [news_group(i) for i in organisation_ids]:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
        await self.accept_with_subprotocol()
        await self.send_json({"type": "ready", "user_id": user.pk})
        await self.subscribed()

    async def layer_restored(self) -> None:
        await super().layer_restored()
        # Events may have been lost: "ready" again tells the app to re-read its claims.
        await self.send_json({"type": "ready", "user_id": self.user_id})

    async def domain_event(self, message: LayerMessage) -> None:
        event = message["event"]
        # Besides their own events (their own group), only new shifts in a mode they want.
        if message["audience"] != "user" and (
            event["type"] != "shift.created" or not self._wants(message)
        ):
            return
        row = message["board_shift"]
        # Coordinators see who else is on a shift; a volunteer's own stream does not.
        shift = {k: v for k, v in row.items() if k != "volunteers"} if row else event["shift"]
        out: dict[str, Any] = {"type": "event", "event": event["type"], "shift": shift}
        claim = event.get("claim")
        if claim is not None and claim["volunteer_id"] == self.user_id:
            out["claim"] = claim
        if "time_changed" in event:
            out["time_changed"] = event["time_changed"]
        await self.send_json(out)

    async def access_changed(self, message: AccessMessage) -> None:
        """The account may have been erased or deactivated, or its password changed: then
        the stream ends (4401)."""
        if message["user_id"] != self.user_id or self.closing:
            return
        if not await _account_current(self.user_id, self.password):
            self.closing = True
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def user_notification(self, message: NotificationMessage) -> None:
        """A reminder, follow-up question or other news the worker sent this person."""
        await self.send_json({"type": "notification", **message["notification"]})

    async def shift_suggested(self, message: SuggestionMessage) -> None:
        """A newly published shift this person could claim (sent to their group only)."""
        shift = message["shift"]
        await self.send_json({"type": "event", "event": "shift.suggested", "shift": shift})

    def _wants(self, message: LayerMessage) -> bool:
        row = message["board_shift"]
        if self.mode_preference == ModePreference.BOTH or row is None:
            return True
        return row["mode"] == self.mode_preference
