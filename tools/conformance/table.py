"""What the conformance suite knows of one reference client: how to build it, and a row per
client call (the contract operation it sends, how to call it, what it must return or raise)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

import httpx
from hypothesis import strategies as st

from standin import contracts
from standin.clients._http import Clock, Sleeper
from tools.conformance.contract import ContractReader
from tools.conformance.values import SchemaValues

C = TypeVar("C")

NOT_API_CALLS = frozenset({"close"})
"""Public methods of every client that never send a request."""


@dataclass(frozen=True)
class Row(Generic[C]):
    """One client call: ``call(client, arguments)`` sends ``operation`` (and may send ``also``).

    Every documented status of ``operation`` is served to it. For a 2xx the call returns an
    instance of ``returns`` (``None``: returns None), a list (or iterator) of ``items`` when
    that is given; for an error it raises ``errors[status]``, else the table's type for the
    status. ``arguments`` are drawn for each example.
    """

    method: str
    """The client method (what the check of public methods counts)."""
    operation: str
    """``"GET /meters/{uuid}"``, as the contract writes it."""
    call: Callable[[C, dict[str, Any]], object]
    returns: type[Any] | tuple[type[Any], ...] | None = None
    items: type[Any] | tuple[type[Any], ...] | None = None
    arguments: Mapping[str, st.SearchStrategy[Any]] = field(default_factory=dict)
    also: tuple[str, ...] = ()
    """Other operations the call may send, answered with a success the contract allows."""
    errors: Mapping[int, type[BaseException]] = field(default_factory=dict)
    media_type: str | Callable[[httpx.Request], str] | None = None
    """Of the answers served, when the operation has several (or as the request asks)."""
    statuses: tuple[int, ...] | None = None
    """Only these of the operation's statuses (a reason in ``note``)."""
    body: Callable[[httpx.Request], st.SearchStrategy[Any] | None] | None = None
    """Success bodies for a request, where the contract's schema says too little (a CSV
    text) to draw them from."""
    may_raise: tuple[type[BaseException], ...] = ()
    """Raised on a success when the answer does not fit the call (a workflow that finds no
    such component), as documented by the client."""
    expect: Callable[[int, Any], type[BaseException] | None] | None = None
    """The error expected for a status and body, or None for a typed result, where the body
    decides (a 400 that lists refused records is a result)."""
    check: Callable[[Any, list[Any]], None] | None = None
    """More assertions on a success: the result and the bodies served to ``operation``."""
    note: str = ""
    known_bug: str = ""
    """A client bug this row finds, until it is fixed (the test is an expected failure)."""
    label: str = ""
    """Tells rows of one method apart in test ids."""

    @property
    def id(self) -> str:
        return f"{self.method}[{self.label}]" if self.label else self.method


@dataclass(frozen=True)
class ClientTable(Generic[C]):
    """One API's reference client against its contract."""

    api: str
    client_class: type[C]
    connect: Callable[[httpx.Client, Clock, Sleeper], C]
    """The client on the given httpx client, clock and sleep (its retries at their default)."""
    origins: tuple[str, ...]
    """Scheme and host of each server the client talks to (the contract's paths below it)."""
    rows: tuple[Row[C], ...]
    errors: Mapping[int, type[BaseException]]
    """The typed error per documented status."""
    base_error: type[BaseException]
    """For a documented status without a type of its own."""
    rate_limited: type[BaseException]
    """Raised once the client gives up waiting out throttling."""
    max_retries: int
    """How many times the client waits out throttling before it raises."""
    tokens: Mapping[str, Callable[[], httpx.Response]] = field(default_factory=dict)
    """Token operations, and the valid answer served to them unless a row tests them."""
    not_http: Mapping[str, str] = field(default_factory=dict)
    """Public methods that send no request of their own, and why."""
    renews_on_401: bool = False
    """Whether the client answers a 401 with a new token (a login) and one more try."""
    throttled: Callable[[int, httpx.Headers], bool] = lambda status, headers: status == 429
    """Whether an answer is one the client waits out."""
    overrides: Mapping[str, st.SearchStrategy[Any]] = field(default_factory=dict)
    """String strategies by ``format`` or ``pattern``, for :class:`SchemaValues`."""
    pages: Callable[[Any, httpx.Request, int], Any] | None = None
    """A paged answer made to end: the body served as page ``n`` (0-based) of a request's
    sequence. Default: a ``next`` link back to the same URL with ``page=n+2``, null from the
    third page on."""

    @cached_property
    def reader(self) -> ContractReader:
        return ContractReader(contracts.load(self.api))

    @cached_property
    def answer_cache(self) -> dict[tuple[str, int, str | None], st.SearchStrategy[Any]]:
        """The answer strategies built so far (building them is the slow part of a run)."""
        return {}

    @cached_property
    def values(self) -> SchemaValues:
        return SchemaValues(self.reader, self.overrides)

    def parameter(self, operation: str, name: str) -> st.SearchStrategy[Any]:
        """Values of a parameter of ``operation`` (path, query or header), from its schema."""
        for (place, found), parameter in self.reader.operation(operation).parameters.items():
            if found == name:
                values = self.values.valid(parameter.get("schema", {}))
                # Nor is an empty or dot segment a value of a path parameter: the path would
                # be another (``/objects//views``; ``/objects/../views`` is ``/views``).
                if place == "path":
                    return values.filter(lambda v: str(v) not in ("", ".", ".."))
                # A header carries printable ASCII only (httpx refuses anything else), and
                # its surrounding blanks are not part of its value.
                if place == "header":
                    return values.filter(
                        lambda v: (
                            str(v).isascii() and str(v).isprintable() and str(v) == str(v).strip()
                        )
                    )
                return values
        raise KeyError(f"{operation} has no parameter {name!r}")

    def request_body(
        self, operation: str, media_type: str = "application/json"
    ) -> st.SearchStrategy[Any]:
        """Request bodies of ``operation`` its schema allows."""
        body = self.reader.resolved(self.reader.operation(operation).spec["requestBody"])
        return self.values.valid(body["content"][media_type].get("schema", {}))

    def schema(self, name: str) -> st.SearchStrategy[Any]:
        """Values of ``#/components/schemas/<name>``."""
        return self.values.valid({"$ref": f"#/components/schemas/{name}"})

    def public_methods(self) -> set[str]:
        """The client class's public methods, its mixins' included."""
        return {
            name
            for name, _ in inspect.getmembers(self.client_class, inspect.isfunction)
            if not name.startswith("_") and name not in NOT_API_CALLS
        }

    def uncovered(self) -> list[str]:
        """Public methods with neither a row nor a reason they send no request."""
        covered = {row.method for row in self.rows} | set(self.not_http)
        return sorted(self.public_methods() - covered)

    def stale(self) -> list[str]:
        """Rows and reasons naming a method the client does not have."""
        methods = self.public_methods()
        named = {row.method for row in self.rows} | set(self.not_http)
        return sorted(named - methods)
