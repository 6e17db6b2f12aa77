"""The tests' own Redis: a real redis-server that keeps what it acknowledged across a restart."""

from __future__ import annotations

import redis

from tests.redis_support import RedisServer


def test_a_restarted_redis_server_still_has_what_it_acknowledged(
    redis_server: RedisServer, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.set("standin:test", "kept")
        redis_server.restart()
        assert client.get("standin:test") == b"kept"
    finally:
        client.close()
