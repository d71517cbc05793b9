"""Sequence numbers for an organisation's events, so board clients can detect lost messages.

Why here and not in the database: a counter row per organisation would have to be locked by
every claim of that organisation, serialising them all. Instead the number is taken when the
event is published, after the commit:

- with ``REDIS_URL`` set, ``INCRBY`` (a batch of events at once) on one key per organisation
  in Redis, shared by every process (web, bot, worker, management commands);
- with the in-memory channel layer (one process by definition), a counter in this process.

A missing key starts at the current time in microseconds rather than at 1, so numbers keep
increasing when Redis is restarted without persistence (or a process restarts): the jump is
seen as a gap and clients resynchronise, where a reset to 1 would make every later event look
old. Clients apply ``seq == last + 1``, ignore ``seq <= last`` (a snapshot taken after that
number already contains it) and re-fetch the snapshot on ``seq > last + 1``.

Ordering argument for convergence: the number is taken after the commit and the shift's state
is read after the number (see ``events._send``), so the state sent with the highest number a
client has seen includes every change whose number is lower.
"""

from __future__ import annotations

import threading
import time
from functools import cache

import redis
from django.conf import settings

_local_lock = threading.Lock()
_local_counters: dict[str, int] = {}


def _key(organisation_id: int) -> str:
    return f"inzet:seq:org:{organisation_id}"


def _start_value() -> int:
    return time.time_ns() // 1000


@cache
def shared_redis() -> redis.Redis | None:
    """One client (and connection pool) per process; None without ``REDIS_URL``."""
    url: str = settings.REDIS_URL
    if not url:
        return None
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def next_sequences(counts: dict[int, int]) -> dict[int, int]:
    """Take ``counts[org]`` consecutive numbers for each organisation, in one round trip.

    Returns the first number of each organisation's range. Raises ``redis.RedisError`` if
    Redis is down.
    """
    client = shared_redis()
    if client is None:
        firsts = {}
        with _local_lock:
            for organisation_id, n in counts.items():
                key = _key(organisation_id)
                value = _local_counters.get(key) or _start_value()
                _local_counters[key] = value + n
                firsts[organisation_id] = value + 1
        return firsts
    pipe = client.pipeline(transaction=False)
    for organisation_id, n in counts.items():
        pipe.set(_key(organisation_id), _start_value(), nx=True)
        pipe.incrby(_key(organisation_id), n)
    lasts = pipe.execute()[1::2]
    return {
        organisation_id: int(last) - n + 1
        for (organisation_id, n), last in zip(counts.items(), lasts, strict=True)
    }


def current_sequence(organisation_id: int) -> int:
    """The last number handed out (a fresh start value if none was)."""
    client = shared_redis()
    key = _key(organisation_id)
    if client is None:
        with _local_lock:
            return _local_counters.setdefault(key, _start_value())
    pipe = client.pipeline(transaction=False)
    pipe.set(key, _start_value(), nx=True)
    pipe.get(key)
    return int(pipe.execute()[1])
