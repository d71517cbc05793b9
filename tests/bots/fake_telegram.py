"""A small fake of the Telegram Bot API, served over real HTTP with aiohttp.

The bot under test talks to it with python-telegram-bot's own networking stack (httpx), so
what is tested is what runs in production up to the socket. The fake records every call,
serves updates through ``getUpdates`` (long polling), and can fail a call once (429 with
``retry_after``) or answer 403 for a chat that blocked the bot. With ``enforce_limits()`` it
answers 429 like Telegram to messages over the bot's or a chat's limit; it counts every 429
it answers in ``too_many_requests``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import math
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "inzet_test_bot"
TOKEN = f"{BOT_ID}:TEST-token"

# What counts as a message for Telegram's limits.
MESSAGE_METHODS = ("sendMessage", "editMessageText")
# Telegram's limits: about 30 messages a second for a bot, and about one a second in a chat,
# where "short bursts" above it are tolerated. Telegram does not say how short; the fake lets
# a chat have three messages at once and then one a second (a bucket of three that refills
# one a second). A bot that does not space a chat's messages is caught by its fourth.
BOT_MESSAGES_PER_SECOND = 30
CHAT_BURST = 3


def most_within(moments: Iterable[float], seconds: float = 1.0) -> int:
    """The most of ``moments`` in any window of ``seconds`` (a rolling second by default)."""
    ordered = sorted(moments)
    most = first = 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def over_chat_burst(moments: Iterable[float], burst: int = CHAT_BURST) -> int:
    """How many of a chat's ``moments`` went beyond ``burst`` at once and one a second."""
    over = 0
    free_at = -math.inf  # when the chat's bucket is full again
    for moment in sorted(moments):
        if free_at - moment > burst - 1:
            over += 1
            continue
        free_at = max(free_at, moment) + 1
    return over


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button; (label, "") for reply buttons."""
        markup = self.params.get("reply_markup") or {}
        found: list[tuple[str, str]] = []
        for row in markup.get("inline_keyboard", []):
            found += [(b["text"], b.get("callback_data", "")) for b in row]
        for row in markup.get("keyboard", []):
            found += [((b["text"] if isinstance(b, dict) else b), "") for b in row]
        return found

    def button(self, label_part: str) -> str:
        """The callback data of the button whose label contains ``label_part``."""
        for label, data in self.buttons:
            if label_part in label:
                return data
        raise AssertionError(f"no button with {label_part!r} in {self.buttons}")


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.blocked_chats: set[int] = set()
        # Like Telegram: more than this many messages in any rolling second get a 429.
        self.max_per_second: int | None = None
        # Like Telegram: a chat's messages beyond this burst and one a second get a 429.
        self.chat_burst: int | None = None
        # Every 429 this fake answered (the limits' and the ones queued by fail_once).
        self.too_many_requests = 0
        self._recent_sends: collections.deque[float] = collections.deque()
        self._chat_free_at: dict[int, float] = {}
        self._runner: web.AppRunner | None = None
        # Set by tests that serve the fake from a thread of its own.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0

    # --- server ------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            try:
                params[key] = json.loads(str(value))
            except ValueError:
                params[key] = str(value)
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        failure = self._take_failure(method, params) or self._over_limit(method, params)
        if failure is not None:
            status, body = failure
            if status == 429:
                self.too_many_requests += 1
            self.calls.append(Call(method, params, status))
            return web.json_response(body, status=status)
        self.calls.append(Call(method, params, 200))
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _take_failure(
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]] | None:
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked_chats:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        queued = self._failures.get(method)
        if queued:
            return queued.pop(0)
        return None

    def _over_limit(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """A 429 for a message over the bot's or its chat's limit; else counts it."""
        if method not in MESSAGE_METHODS:
            return None
        now = time.monotonic()
        wait = 0.0
        if self.max_per_second is not None:
            while self._recent_sends and self._recent_sends[0] <= now - 1:
                self._recent_sends.popleft()
            if len(self._recent_sends) >= self.max_per_second:
                wait = self._recent_sends[0] + 1 - now
        chat_id = params.get("chat_id")
        if self.chat_burst is not None and chat_id is not None:
            free_at = self._chat_free_at.get(int(chat_id), now)
            if free_at - now > self.chat_burst - 1:
                wait = max(wait, free_at - now - (self.chat_burst - 1))
        if wait > 0:
            # Telegram's retry_after is whole seconds.
            seconds = max(math.ceil(wait), 1)
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {seconds}",
                "parameters": {"retry_after": seconds},
            }
        if self.max_per_second is not None:
            self._recent_sends.append(now)
        if self.chat_burst is not None and chat_id is not None:
            key = int(chat_id)
            self._chat_free_at[key] = max(self._chat_free_at.get(key, now), now) + 1
        return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            timeout = min(float(params.get("timeout") or 0), 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Inzet",
                "username": BOT_USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            message_id = (
                int(params["message_id"])
                if method == "editMessageText"
                else next(self._message_ids)
            )
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Inzet"},
                "text": params.get("text", ""),
            }
            if isinstance(params.get("reply_markup"), dict) and params["reply_markup"].get(
                "inline_keyboard"
            ):
                message["reply_markup"] = params["reply_markup"]
            self.messages[(chat_id, message_id)] = message
            return message
        if method == "editMessageReplyMarkup":
            key = (int(params["chat_id"]), int(params["message_id"]))
            stored = self.messages.get(key)
            if stored is None:
                return True
            stored.pop("reply_markup", None)
            if isinstance(params.get("reply_markup"), dict) and params["reply_markup"].get(
                "inline_keyboard"
            ):
                stored["reply_markup"] = params["reply_markup"]
            return stored
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True

    # --- test controls -----------------------------------------------------------------------

    def enforce_limits(self) -> None:
        """Answer 429 like Telegram: over 30 messages in a rolling second for the bot, or over
        a chat's burst and one a second. Off by default: most tests talk faster than that."""
        self.max_per_second = BOT_MESSAGES_PER_SECOND
        self.chat_burst = CHAT_BURST

    def fail_once(self, method: str, status: int, description: str, **parameters: Any) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._failures.setdefault(method, []).append((status, body))

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        return update

    def messages_sent(self) -> list[Call]:
        """Every message the bot delivered (refused attempts are only in ``calls``)."""
        return [c for c in self.calls if c.method in MESSAGE_METHODS and c.status == 200]

    def sent_to(self, chat_id: int) -> list[Call]:
        """Messages the bot delivered to ``chat_id`` (refused attempts are only in ``calls``)."""
        return [
            c
            for c in self.calls
            if c.chat_id == chat_id
            and c.method in ("sendMessage", "editMessageText")
            and c.status == 200
        ]


class Person:
    """A Telegram user in a private chat with the bot."""

    def __init__(
        self, fake: FakeTelegram, chat_id: int, first_name: str = "Anna", language_code: str = "nl"
    ) -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.user = {
            "id": chat_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        self._message_ids = itertools.count(10_000)

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": self.user["first_name"]},
            "from": self.user,
            **content,
        }

    def message_update(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": self._message(**content)}

    def contact_update(self, phone: str, *, own: bool = True) -> dict[str, Any]:
        contact = {
            "phone_number": phone,
            "first_name": self.user["first_name"],
            "user_id": self.chat_id if own else self.chat_id + 1,
        }
        return {"message": self._message(contact=contact)}

    def callback_update(self, data: str, on: Call | None = None) -> dict[str, Any]:
        message = None
        if on is not None:
            message = self.fake.messages.get((self.chat_id, self._message_id_of(on)))
        message = message or {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Inzet"},
            "text": "…",
        }
        return {
            "callback_query": {
                "id": f"cq{next(self._message_ids)}",
                "from": self.user,
                "chat_instance": str(self.chat_id),
                "data": data,
                "message": message,
            }
        }

    def _message_id_of(self, call: Call) -> int:
        if "message_id" in call.params:
            return int(call.params["message_id"])
        for (chat_id, message_id), message in self.fake.messages.items():
            if chat_id == self.chat_id and message["text"] == call.text:
                return message_id
        raise AssertionError("message not found")

    async def _exchange(self, update: dict[str, Any], *, settle: float = 0.25) -> list[Call]:
        """Deliver ``update`` and return what the bot sent to this chat in answer."""
        before = len(self.fake.sent_to(self.chat_id))
        self.fake.push(update)
        deadline = time.monotonic() + 10
        while len(self.fake.sent_to(self.chat_id)) == before:
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not answer within 10 seconds")
            await asyncio.sleep(0.02)
        # Wait until the bot has been quiet for a moment: some answers are two messages.
        count = -1
        while count != len(self.fake.sent_to(self.chat_id)):
            count = len(self.fake.sent_to(self.chat_id))
            await asyncio.sleep(settle)
        return self.fake.sent_to(self.chat_id)[before:]

    async def send(self, text: str) -> list[Call]:
        return await self._exchange(self.message_update(text))

    async def press(self, data: str, on: Call | None = None) -> list[Call]:
        return await self._exchange(self.callback_update(data, on))

    async def share_contact(self, phone: str, *, own: bool = True) -> list[Call]:
        return await self._exchange(self.contact_update(phone, own=own))


@contextlib.contextmanager
def fake_in_a_thread() -> Iterator[FakeTelegram]:
    """The fake Bot API serving from a thread of its own, for synchronous code and other
    processes to call (the worker, ``python -m bots``)."""
    fake = FakeTelegram()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        ready.set()
        loop.run_forever()

    fake.loop = loop
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(5)
    yield fake
    asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
