"""Holding a heavy answer on its worker thread while the test asks a cheap one: the tests that
heavy answers are made off the event loop share this."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest

from standin import Sandbox, build_app

CHEAP = "/_sandbox/clock"

Ask = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@dataclass
class Held:
    """A function made to wait, where it runs, until the test lets it go on."""

    function: Callable[..., Any]
    running: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    ran_on: list[str] = field(default_factory=list)
    waited: list[bool] = field(default_factory=list)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.ran_on.append(threading.current_thread().name)
        self.running.set()
        # Bounded: were this on the event loop, the cheap request could not be answered, and
        # the test fails once this gives up instead of hanging.
        self.waited.append(self.release.wait(10))
        return self.function(*args, **kwargs)


async def heavy_beside(
    http: httpx.AsyncClient, held: Held, heavy: Ask, cheap: Ask
) -> tuple[httpx.Response, httpx.Response, bool]:
    """``heavy`` asked through ``http``, then ``cheap`` while ``held`` waits: the heavy answer,
    the cheap one, and whether the cheap one came while the heavy one was still held."""
    answers: list[httpx.Response] = []

    async def ask_heavy() -> None:
        answers.append(await heavy(http))

    async with anyio.create_task_group() as group:
        group.start_soon(ask_heavy)
        while not held.running.is_set():
            await anyio.sleep(0.01)
        cheap_answer = await cheap(http)
        answered_while_held = not held.release.is_set()
        held.release.set()
    [answer] = answers
    return answer, cheap_answer, answered_while_held


async def heavy_and_cheap(
    sandbox: Sandbox, held: Held, heavy: Ask
) -> tuple[httpx.Response, httpx.Response, bool]:
    """:func:`heavy_beside` on a client of ``sandbox``'s app, the cheap request ``GET CHEAP``."""
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        return await heavy_beside(http, held, heavy, lambda client: client.get(CHEAP))


@contextmanager
def holding(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> Iterator[Held]:
    """``owner.name`` held (see :class:`Held`) for the block."""
    held = Held(getattr(owner, name))
    monkeypatch.setattr(owner, name, held)
    yield held
    held.release.set()
