"""A real server on an ephemeral loopback port, as `standin serve` runs it, for live checks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from standin import Sandbox, build_app, create_sandbox


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yields its origin (``http://127.0.0.1:PORT``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Served:
    origin: str
    sandbox: Sandbox

    def base_url(self, api: str) -> str:
        return f"{self.origin}/{api}"

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.origin}/_sandbox")


@pytest.fixture
def served() -> Iterator[Served]:
    """Every API under its prefix on a real socket, real clock: `standin serve` in a thread."""
    sandbox = create_sandbox()
    with serving(build_app(sandbox)) as origin:
        yield Served(origin, sandbox)


class FakeTime:
    """A monotonic clock that a sleep moves on; it records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
