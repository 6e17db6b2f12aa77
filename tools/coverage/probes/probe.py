"""A client probe, and running it against the in-process fake."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from standin._core.sandbox import Sandbox
from standin.clients._http import Clock, Sleeper
from standin.inprocess import standin

C = TypeVar("C")

Call = Callable[[C], object]

NOT_API_CALLS = frozenset({"close"})
"""Public methods that never send a request."""


@dataclass(frozen=True)
class ClientProbe(Generic[C]):
    """How to reach every public method of one reference client.

    ``connect`` builds the client from the default tenant's credentials, on the sandbox's
    clock and sleep; ``calls`` maps each public method to one or more calls of it (one per
    kind of request it can send, e.g. PATCH and PUT). The ids in the calls need not exist: an
    answered 404 still shows which operation the method calls.
    """

    client_class: type[C]
    connect: Callable[[Mapping[str, Any], Clock, Sleeper], C]
    calls: Mapping[str, Sequence[Callable[[C], object]]]


def public_methods(client_class: type[Any]) -> set[str]:
    """The client's public methods that may send a request."""
    return {
        name
        for name, member in inspect.getmembers(client_class, inspect.isfunction)
        if not name.startswith("_") and name not in NOT_API_CALLS
    }


@dataclass(frozen=True)
class ProbeHit:
    client_method: str
    method: str
    path: str


def run_probe(api: str, probe: ClientProbe[Any], sandbox: Sandbox) -> list[ProbeHit]:
    """Every request each probed method sent to ``api`` (in the sandbox's journal)."""
    credentials = sandbox.credentials()[api]

    def now() -> datetime:
        return sandbox.clock.now()

    def sleep(seconds: float, /) -> None:
        sandbox.clock.advance(seconds)

    hits: list[ProbeHit] = []
    with standin(sandbox):
        client = probe.connect(credentials, now, sleep)
        try:
            for name, calls in probe.calls.items():
                for call in calls:
                    sandbox.journal.clear()
                    try:
                        result = call(client)
                        if inspect.isgenerator(result):
                            list(result)
                    except Exception:
                        # An error answer still shows which request the method sent.
                        pass
                    hits.extend(
                        ProbeHit(name, entry.method, entry.path)
                        for entry in reversed(sandbox.journal.entries(api))
                    )
        finally:
            close = getattr(client, "close", None)
            if callable(close):
                close()
    return hits
