"""Per-process fan-out for the board sockets: one channel-layer subscription per organisation.

Why: with a channel (and group membership) per socket, every event wakes every socket's own
receive loop in channels_redis (two tasks and a lock hand-over per socket per message) and
the Lua script of ``group_send`` writes once per process anyway. At a thousand boards that
bookkeeping, not the network, is most of the fan-out time. Here each process holds one
channel per organisation that has boards open in it; a reader task takes each message once
and hands it to the local board consumers in order.

The group then has one member per process, not per socket; the channel layer's guarantees
are unchanged (at most once, numbered events, clients resync on gaps).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Protocol

from channels.layers import BaseChannelLayer, get_channel_layer

from realtime.events import LayerMessage, organisation_group
from realtime.watchdog import watch

logger = logging.getLogger(__name__)

RETRY_SECONDS = 0.5


class Board(Protocol):
    async def deliver(self, message: LayerMessage) -> None: ...

    async def deliver_status(self, *, live: bool) -> None: ...

    async def resubscribed(self) -> None: ...


class OrganisationHub:
    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.lock = asyncio.Lock()
        self.boards: dict[int, set[Board]] = {}
        self.channels: dict[int, str] = {}
        self.readers: dict[int, asyncio.Task[None]] = {}
        self.watching = False

    async def join(self, organisation_id: int, board: Board) -> None:
        """Start delivering the organisation's events to ``board``. Raises if the layer fails."""
        async with self.lock:
            if organisation_id not in self.channels:
                channel = await self.layer.new_channel("board")
                await self.layer.group_add(organisation_group(organisation_id), channel)
                self.channels[organisation_id] = channel
                self.boards[organisation_id] = set()
                self.readers[organisation_id] = asyncio.get_running_loop().create_task(
                    self._read(organisation_id, channel)
                )
            self.boards[organisation_id].add(board)
        if not self.watching:
            self.watching = True
            watch(self)

    async def leave(self, organisation_id: int, board: Board) -> None:
        async with self.lock:
            boards = self.boards.get(organisation_id)
            if boards is None:
                return
            boards.discard(board)
            if boards:
                return
            del self.boards[organisation_id]
            channel = self.channels.pop(organisation_id)
            self.readers.pop(organisation_id).cancel()
            with contextlib.suppress(Exception):
                await self.layer.group_discard(organisation_group(organisation_id), channel)

    async def _read(self, organisation_id: int, channel: str) -> None:
        failing = False
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Redis is away; the watchdog tells the boards and resubscribes on return.
                if not failing:
                    logger.warning(
                        "board hub for org %s cannot receive: %s", organisation_id, error
                    )
                failing = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            failing = False
            for board in list(self.boards.get(organisation_id, ())):
                try:
                    await board.deliver(message)
                except Exception:
                    logger.warning("could not deliver to a board socket", exc_info=True)

    async def layer_lost(self) -> None:
        for board in self._all_boards():
            with contextlib.suppress(Exception):
                await board.deliver_status(live=False)

    async def layer_restored(self) -> None:
        """Redis came back, maybe empty: join the groups again, then tell each board it is
        live again and send it a new snapshot (events published meanwhile may be lost).

        Raises if joining fails; the watchdog then calls again at its next check."""
        async with self.lock:
            for organisation_id, channel in self.channels.items():
                await self.layer.group_add(organisation_group(organisation_id), channel)
        for board in self._all_boards():
            try:
                # Status first: a client that only knows snapshots marks itself live at the
                # snapshot, as before, so the order keeps old clients right.
                await board.deliver_status(live=True)
                await board.resubscribed()
            except Exception:
                logger.warning("could not resend a snapshot", exc_info=True)

    def _all_boards(self) -> list[Board]:
        return [board for boards in self.boards.values() for board in boards]


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, OrganisationHub] = (
    weakref.WeakKeyDictionary()
)


def hub() -> OrganisationHub:
    """The hub of the running event loop (one per Daphne process)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        layer = get_channel_layer()
        assert layer is not None, "the board needs a channel layer"
        _hubs[loop] = OrganisationHub(layer)
    return _hubs[loop]
