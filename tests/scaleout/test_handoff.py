"""The hand-off between replicas: what a replica believes of a request another one handed it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.servers import free_port
from standin._core.cluster.gateway import FORWARDED_HEADER, Gateway, original_client
from standin._core.cluster.persistence import RedisPersistence
from standin._core.cluster.signals import Holder, TenantElsewhere
from standin._core.liveserver import live_server
from standin._core.rendering import JSONBody


async def what_the_owner_sees(scope: Scope, receive: Receive, send: Send) -> None:
    names = sorted({name.decode() for name, _ in scope["headers"]})
    await JSONBody({"client": scope["client"][0], "headers": names})(scope, receive, send)


@pytest.fixture
def owner_and_other(redis_url: str) -> Iterator[tuple[str, str]]:
    """Two replicas: the owner answers with what it sees; the other hands everything to it."""
    owner_port, other_port = free_port(), free_port()
    owner_url = f"http://127.0.0.1:{owner_port}"
    owner = RedisPersistence(redis_url, owner_url)
    other = RedisPersistence(redis_url, f"http://127.0.0.1:{other_port}")

    async def elsewhere(scope: Scope, receive: Receive, send: Send) -> None:
        raise TenantElsewhere("t-1", Holder.parse(f"owner|{owner_url}|1"))

    config = {"timeout_graceful_shutdown": 1, "proxy_headers": False}
    try:
        with (
            live_server(Gateway(what_the_owner_sees, owner), port=owner_port, **config) as a,
            live_server(Gateway(elsewhere, other), port=other_port, **config) as b,
        ):
            yield a, b
    finally:
        owner.redis.close()
        other.redis.close()


def test_the_owner_sees_the_client_the_first_replica_saw_and_not_the_hand_off_headers(
    owner_and_other: tuple[str, str],
) -> None:
    _, other = owner_and_other
    seen = httpx.get(f"{other}/x", headers={"X-Forwarded-For": "203.0.113.9"}, trust_env=False)
    assert seen.status_code == 200
    # The address the first replica saw (this test's loopback), not what the client claimed.
    assert seen.json()["client"] == "127.0.0.1"
    assert "x-standin-forwarded" not in seen.json()["headers"]
    assert "x-standin-hops" not in seen.json()["headers"]


def test_hand_off_headers_from_anyone_but_a_replica_are_not_believed(
    owner_and_other: tuple[str, str],
) -> None:
    owner, _ = owner_and_other
    forged = httpx.get(
        f"{owner}/x",
        headers={FORWARDED_HEADER: "guessed", "X-Forwarded-For": "203.0.113.9"},
        trust_env=False,
    )
    assert forged.status_code == 200
    assert forged.json()["client"] == "127.0.0.1"
    assert "x-standin-forwarded" not in forged.json()["headers"]


def test_original_client_is_the_last_forwarded_address_only_with_the_secret() -> None:
    scope = {
        "type": "http",
        "headers": [
            (b"x-forwarded-for", b"198.51.100.1, 203.0.113.9"),
            (b"x-standin-forwarded", b"s3cret"),
        ],
    }
    assert original_client(scope, "s3cret") == ("203.0.113.9", 0)
    assert original_client(scope, "other") is None
    assert original_client({"type": "http", "headers": []}, "s3cret") is None


def test_a_request_handed_on_too_often_is_answered_503(redis_url: str) -> None:
    """Two replicas that each believe the other serves the tenant give up after two hops."""
    first_port, second_port = free_port(), free_port()
    first_url, second_url = (f"http://127.0.0.1:{p}" for p in (first_port, second_port))
    first = RedisPersistence(redis_url, first_url)
    second = RedisPersistence(redis_url, second_url)

    def pointing_to(url: str) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            raise TenantElsewhere("t-1", Holder.parse(f"x|{url}|1"))

        return app

    try:
        with (
            live_server(Gateway(pointing_to(second_url), first), port=first_port),
            live_server(Gateway(pointing_to(first_url), second), port=second_port),
        ):
            answer = httpx.post(f"{first_url}/x", content=b"body", trust_env=False)
    finally:
        first.redis.close()
        second.redis.close()
    assert answer.status_code == 503
    assert answer.json() == {
        "error": "sandbox storage unavailable",
        "detail": "tenant t-1 is moving between replicas; retry",
    }


DIES_AFTER_TAKING_A_REQUEST = """
import os, signal, socket, sys
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
connection, _ = server.accept()
taken = b""
while b"\\r\\n\\r\\n" not in taken:
    taken += connection.recv(65536)
head, _, body = taken.partition(b"\\r\\n\\r\\n")
length = [line for line in head.lower().split(b"\\r\\n") if line.startswith(b"content-length:")]
while len(body) < (int(length[0].split(b":")[1]) if length else 0):
    body += connection.recv(65536)
print(head.split(b"\\r\\n")[0].decode(), body.decode(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
"""A holder SIGKILLed right after it has taken a whole request, before answering: the moment a
replica killed under load may have applied a write it never acknowledged."""


@pytest.fixture
def dying_holder() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A process on a loopback port that takes one request, then SIGKILLs itself."""
    process = subprocess.Popen(
        [sys.executable, "-c", DIES_AFTER_TAKING_A_REQUEST], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}", process
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def served_here_after(holder_url: str) -> tuple[ASGIApp, list[str]]:
    """An app whose tenant is first found at ``holder_url``, then (taken over) served here."""
    calls: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["method"])
        if len(calls) == 1:
            raise TenantElsewhere("t-1", Holder.parse(f"dying|{holder_url}|1"))
        await JSONBody({"served": "here"}, status_code=201)(scope, receive, send)

    return app, calls


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_write_whose_holder_is_killed_after_taking_it_is_answered_502_and_not_applied_twice(
    redis_url: str, dying_holder: tuple[str, subprocess.Popen[str]], method: str
) -> None:
    holder_url, holder = dying_holder
    persistence = RedisPersistence(redis_url, f"http://127.0.0.1:{free_port()}")
    app, calls = served_here_after(holder_url)
    try:
        with live_server(Gateway(app, persistence)) as url:
            answer = httpx.request(method, f"{url}/x", content=b"write-1", trust_env=False)
    finally:
        persistence.redis.close()
    assert holder.stdout is not None
    assert holder.stdout.read() == f"{method} /x HTTP/1.1 write-1\n"
    assert holder.wait(timeout=10) == -signal.SIGKILL
    assert answer.status_code == 502
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == {
        "error": "replica failed",
        "detail": f"the replica serving tenant t-1 stopped while answering this {method}: "
        "it may or may not have been applied",
    }
    # Taken by the dead holder, so not served here as well.
    assert calls == [method]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_idempotent_request_whose_holder_is_killed_after_taking_it_is_served_here(
    redis_url: str, dying_holder: tuple[str, subprocess.Popen[str]], method: str
) -> None:
    holder_url, holder = dying_holder
    persistence = RedisPersistence(redis_url, f"http://127.0.0.1:{free_port()}")
    app, calls = served_here_after(holder_url)
    try:
        with live_server(Gateway(app, persistence)) as url:
            answer = httpx.request(method, f"{url}/x", content=b"same", trust_env=False)
    finally:
        persistence.redis.close()
    assert holder.wait(timeout=10) == -signal.SIGKILL
    assert (answer.status_code, answer.json()) == (201, {"served": "here"})
    assert calls == [method, method]


def test_a_write_whose_holder_refuses_the_connection_is_served_here(redis_url: str) -> None:
    """Nothing listens where the holder was: the write never reached it."""
    persistence = RedisPersistence(redis_url, f"http://127.0.0.1:{free_port()}")
    app, calls = served_here_after(f"http://127.0.0.1:{free_port()}")
    try:
        with live_server(Gateway(app, persistence)) as url:
            answer = httpx.post(f"{url}/x", content=b"write-1", trust_env=False)
    finally:
        persistence.redis.close()
    assert (answer.status_code, answer.json()) == (201, {"served": "here"})
    assert calls == ["POST", "POST"]
