"""Messages the Redis channel layer drops over capacity are logged at WARNING."""

from __future__ import annotations

import logging

import pytest
from channels_redis.core import RedisChannelLayer

from tests.realtime.live import private_redis

pytestmark = pytest.mark.asyncio


async def test_messages_dropped_over_capacity_are_logged_at_warning(caplog):
    with private_redis() as server:
        layer = RedisChannelLayer(hosts=[server.url], capacity=3)
        channel = await layer.new_channel()  # a consumer that has stopped reading
        await layer.group_add("org.1", channel)
        with caplog.at_level(logging.INFO):
            for n in range(5):
                await layer.group_send("org.1", {"type": "domain.event", "n": n})
        await layer.close_pools()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.name for r in warnings] == ["realtime.layer", "realtime.layer"]
    assert "over capacity in group org.1" in warnings[0].getMessage()
