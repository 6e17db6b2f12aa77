"""Runs one client call against answers drawn from the contract, served by respx.

Every request the client sends is matched to a contract operation and checked against it;
the row's operation is answered with the status under test (a fresh body each time), token
operations with a valid token, the row's other operations with a success.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import respx
from hypothesis import strategies as st

from standin.clients._http import RETRY_AFTER_CEILING
from tools.conformance.contract import Operation
from tools.conformance.requests import request_problems
from tools.conformance.table import ClientTable, Row

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[T]], T]

NOW = dt.datetime(2026, 11, 20, 12, 0, 30, tzinfo=dt.UTC)
"""The client's clock in every run."""
PAGES = 3
"""Paged answers link to at most this many pages."""
JSON_TYPES = ("application/json",)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    """Decoded: JSON, or text; None when empty."""
    content: bytes

    def response(self) -> httpx.Response:
        return httpx.Response(self.status, headers=self.headers, content=self.content)


@dataclass
class Run:
    """What happened in one call."""

    result: Any = None
    raised: BaseException | None = None
    served: list[Answer] = field(default_factory=list)
    """The answers to the row's operation, in order."""
    sent: list[tuple[str, httpx.Request]] = field(default_factory=list)
    """Every request, with the label of its operation ("?" when none matched)."""
    problems: list[str] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)


def statuses(table: ClientTable[Any], row: Row[Any]) -> list[int]:
    documented = table.reader.operation(row.operation).statuses
    return [s for s in documented if row.statuses is None or s in row.statuses]


def is_json(media_type: str) -> bool:
    return media_type in JSON_TYPES or media_type.endswith("+json")


def answers(
    table: ClientTable[Any],
    operation: Operation,
    status: int,
    media_type: str | None = None,
    body: st.SearchStrategy[Any] | None = None,
) -> st.SearchStrategy[Answer]:
    """Answers of ``status`` to ``operation`` the contract allows: its headers (the optional
    ones sometimes) and a body of its schema (or from ``body``)."""
    key = (operation.label, status, media_type)
    if body is None and key in table.answer_cache:
        return table.answer_cache[key]
    made = _answers(table, operation, status, media_type, body)
    if body is None:
        table.answer_cache[key] = made
    return made


def _answers(
    table: ClientTable[Any],
    operation: Operation,
    status: int,
    media_type: str | None,
    body: st.SearchStrategy[Any] | None,
) -> st.SearchStrategy[Answer]:
    response = operation.responses()[str(status)]
    content: dict[str, Any] = response.get("content", {})
    header_strategies: dict[str, st.SearchStrategy[Any]] = {}
    for name, header in response.get("headers", {}).items():
        header = table.reader.resolved(header)
        if name.lower() == "content-type":
            continue
        values = header_values(table, name, header.get("schema", {}))
        header_strategies[name] = values if header.get("required") else st.none() | values
    headers = st.fixed_dictionaries(header_strategies).map(
        lambda drawn: {k: v for k, v in drawn.items() if v is not None}
    )
    if not content:
        return headers.map(lambda h: Answer(status, h, None, b""))
    chosen = media_type if media_type in content else next(iter(content))
    if body is None:
        body = table.values.valid(content[chosen].get("schema", {}))

    def build(parts: tuple[dict[str, str], Any]) -> Answer:
        found, value = parts
        encoded = json.dumps(value).encode() if is_json(chosen) else str(value).encode()
        return Answer(status, {**found, "Content-Type": chosen}, value, encoded)

    return st.tuples(headers, body).map(build)


def header_values(
    table: ClientTable[Any], name: str, schema: dict[str, Any]
) -> st.SearchStrategy[str]:
    """Header values: text a header can carry. Retry-After is mostly a number of seconds,
    sometimes an HTTP date or anything else its schema allows."""
    schema = table.reader.resolved(schema)
    validator = table.reader.validator(schema)
    if name.lower() == "retry-after" and schema.get("type") in ("string", None):
        forms = [
            (st.integers(1, 3600).map(str), "17"),
            (st.just("0"), "0"),
            (st.floats(0, 120).map(lambda s: f"{s:.1f}"), "1.5"),
            (
                st.datetimes(dt.datetime(2026, 11, 20), dt.datetime(2026, 11, 21)).map(
                    lambda moment: moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
                ),
                "Fri, 20 Nov 2026 12:01:00 GMT",
            ),
        ]
        # Only the forms the schema allows, so that few draws are thrown away.
        allowed = [strategy for strategy, sample in forms if validator.is_valid(sample)]
        drawn = st.one_of(*allowed, table.values.valid(schema).map(str))
    else:
        drawn = table.values.valid(schema).map(
            lambda v: json.dumps(v) if not isinstance(v, str) else v
        )
    return drawn.filter(
        lambda text: (
            text.isascii()
            and text.isprintable()
            and text == text.strip()
            and (validator.is_valid(text) or schema.get("type") not in ("string", None))
        )
    )


def with_next(table: ClientTable[Any], body: Any, request: httpx.Request, page: int) -> Any:
    """A paged body's ``next`` pointed back at the mocked host (or null on the last page)."""
    if table.pages is not None:
        return table.pages(body, request, page)
    if not isinstance(body, dict) or "next" not in body:
        return body
    if page + 1 >= PAGES:
        return {**body, "next": None}
    scheme, host, path, query, _ = urlsplit(str(request.url))
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "page"]
    link = urlunsplit((scheme, host, path, urlencode([*pairs, ("page", str(page + 2))]), ""))
    return {**body, "next": link}


def run_row(table: ClientTable[T], row: Row[T], status: int, draw: Draw[Any]) -> Run:
    """``row``'s call with its operation answered ``status``; nothing asserted yet."""
    reader = table.reader
    target = reader.operation(row.operation)
    run = Run()
    counts: dict[str, int] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        scheme, host, raw_path, _, _ = urlsplit(str(request.url))
        if f"{scheme}://{host}" not in table.origins:
            run.sent.append(("?", request))
            run.problems.append(f"{request.method} {request.url}: not a host of the API")
            return httpx.Response(404)
        matched = reader.match(request.method, raw_path)
        if matched is None:
            run.sent.append(("?", request))
            run.problems.append(f"{request.method} {raw_path}: no operation of the contract")
            return httpx.Response(404)
        operation, path_values = matched
        label = operation.label
        run.sent.append((label, request))
        run.problems += [
            f"{request.method} {raw_path} ({label}): {problem}"
            for problem in request_problems(reader, operation, request, path_values)
        ]
        page = counts.get(label, 0)
        counts[label] = page + 1
        if label == target.label:
            body = row.body(request) if row.body and 200 <= status < 300 else None
            media_type = row.media_type(request) if callable(row.media_type) else row.media_type
            drawn = draw(answers(table, operation, status, media_type, body))
            drawn = _paged(table, drawn, request, page)
            run.served.append(drawn)
            return drawn.response()
        if label in table.tokens:
            return table.tokens[label]()
        if label in row.also:
            success = min(s for s in operation.statuses if 200 <= s < 300)
            return _paged(table, draw(answers(table, operation, success)), request, page).response()
        run.problems.append(f"{request.method} {raw_path}: {label} is not among the row's")
        return httpx.Response(404)

    arguments = draw(st.fixed_dictionaries(dict(row.arguments)))
    router = respx.Router(assert_all_called=False)
    router.route().mock(side_effect=answer)
    # respx's router as the transport: no global patching, and no TLS context to build.
    with httpx.Client(transport=httpx.MockTransport(router.handler)) as http:
        client = table.connect(http, lambda: _moved(run.waits), run.waits.append)
        try:
            result = row.call(client, arguments)
            if inspect.isgenerator(result) or isinstance(result, Iterator):
                result = list(result)
            run.result = result
        except Exception as error:  # judged by check_run
            run.raised = error
    return run


def _moved(waits: list[float]) -> dt.datetime:
    """The clock moves on by every wait, as a sandbox clock does (a contract-valid
    Retry-After can be absurdly long: the clock stops at the end of the century)."""
    return NOW + dt.timedelta(seconds=min(sum(waits), CENTURY))


CENTURY = (dt.datetime(2099, 12, 31, tzinfo=dt.UTC) - NOW).total_seconds()


def _paged(table: ClientTable[Any], drawn: Answer, request: httpx.Request, page: int) -> Answer:
    body = with_next(table, drawn.body, request, page)
    if body is drawn.body:
        return drawn
    return Answer(drawn.status, drawn.headers, body, json.dumps(body).encode())


def check_run(table: ClientTable[T], row: Row[T], status: int, run: Run) -> None:
    """Asserts the call kept to the contract: every request valid, and the typed result or
    the typed error of the status served."""
    assert not run.problems, "requests outside the contract:\n" + "\n".join(run.problems)
    if not run.served:
        raise AssertionError(
            f"{row.id} never had {row.operation} answered: {[s for s, _ in run.sent]}"
        ) from run.raised
    last = run.served[-1]
    if 200 <= status < 300:
        if isinstance(run.raised, row.may_raise):
            return
        if run.raised is not None:
            raise AssertionError(
                f"{row.id} raised on a contract-valid {status} answer {last.body!r}"
            ) from run.raised
        _check_type(row, run.result)
        if row.check is not None:
            row.check(run.result, [answer.body for answer in run.served])
        return
    error = run.raised
    if table.throttled(status, httpx.Headers(last.headers)):
        expected: type[BaseException] = table.rate_limited
        # A wait beyond the transport's ceiling is refused at once, not sat out: the tries
        # stop there.
        refused = getattr(error, "retry_after", 0.0) > RETRY_AFTER_CEILING
        most = table.max_retries + 1
        tries = len(run.served) if refused and len(run.served) <= most else most
        assert len(run.served) == tries, (
            f"{row.id}: {len(run.served)} tries on {status}, not {tries}"
        )
        assert len(run.waits) == tries - 1, run.waits
        assert all(w <= RETRY_AFTER_CEILING for w in run.waits), run.waits
        assert all(math.isfinite(w) and w >= 0 for w in run.waits), run.waits
    else:
        expected = row.errors.get(status, table.errors.get(status, table.base_error))
        if status == 401 and table.renews_on_401 and row.operation not in table.tokens:
            _check_renewal(table, row, run)
        if row.expect is not None:
            chosen = row.expect(status, last.body)
            if chosen is None:
                assert error is None, f"{row.id} raised {error!r} on {status} {last.body!r}"
                _check_type(row, run.result)
                return
            expected = chosen
    assert error is not None, f"{row.id} returned {run.result!r} on {status} {last.body!r}"
    assert type(error) is expected, (
        f"{row.id} raised {type(error).__name__} ({error}) on {status}, not {expected.__name__}"
    )
    assert getattr(error, "status", status) == status, (error, status)
    if hasattr(error, "body"):
        assert error.body == (last.body if last.content else error.body), (error.body, last.body)


def _check_renewal(table: ClientTable[Any], row: Row[Any], run: Run) -> None:
    """After a 401 the client got a new token and tried once more, then gave up."""
    labels = [label for label, _ in run.sent]
    tries = [i for i, label in enumerate(labels) if label == row.operation]
    assert len(tries) == 2, f"{row.id}: {len(tries)} tries on 401, not 2: {labels}"
    between = labels[tries[0] + 1 : tries[1]]
    assert any(label in table.tokens for label in between), (
        f"{row.id} tried again after a 401 without a new token: {labels}"
    )


def _check_type(row: Row[Any], result: Any) -> None:
    if row.items is not None:
        assert isinstance(result, list | tuple), f"{row.id} returned {result!r}, not a list"
        wrong = [item for item in result if not isinstance(item, row.items)]
        assert not wrong, f"{row.id} returned {wrong!r}, not all {row.items}"
        return
    if row.returns is None:
        assert result is None, f"{row.id} returned {result!r}, not None"
        return
    assert isinstance(result, row.returns), f"{row.id} returned {result!r}, not {row.returns}"


def conform(table: ClientTable[T], row: Row[T], status: int, draw: Draw[Any]) -> Run:
    """Runs ``row`` with ``status`` served and asserts it kept to the contract."""
    run = run_row(table, row, status, draw)
    check_run(table, row, status, run)
    return run
