"""A thin client for the BuildingMinds Digital Twin Integration API and its Azure AD token.

The token comes from Azure AD's client-credentials grant (the Scope value with ``/.default``),
is cached, and renewed ``renew_before`` ahead of its expiry (judged on the injected clock); an
API answer of 401 renews it once and repeats the request (there is no refresh token). A 429 is
waited out for its Retry-After and retried.

Ingestion is asynchronous: ``submit`` splits any number of records into requests of at most
``records_per_request`` and returns the batch ids and the records refused; ``wait`` polls the
batches' inbound messages with growing pauses until every record is final or held for a
parent that has not arrived; ``onboard`` does both for a whole portfolio, in any order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from standin.clients._http import (
    ApiError,
    BearerClient,
    Clock,
    RateLimitedError,
    Setting,
    Sleeper,
    Throttle,
    TokenCache,
    bearer_token_answer,
    contract_error,
    error_of,
    expiry,
    json_integer,
    json_object,
    json_string,
    parse_json,
    rate_limited_error,
    status_error,
    system_sleep,
    throttled_wait,
    utc_now,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LOGIN_URL",
    "DEFAULT_TENANT",
    "ENTITIES",
    "FAILED_STATUSES",
    "FINAL_STATUSES",
    "Batch",
    "BuildingMindsAuthError",
    "BuildingMindsClient",
    "BuildingMindsError",
    "BuildingMindsForbidden",
    "BuildingMindsNotFound",
    "BuildingMindsRateLimited",
    "BuildingMindsValidationError",
    "Dependency",
    "InboundMessage",
    "Onboarding",
    "Outcome",
    "Page",
    "RecordFailure",
    "Submission",
    "Token",
]

DEFAULT_BASE_URL = "https://api.onbuildingminds.com/api/digitaltwinintegration"
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
DEFAULT_TENANT = "buildingminds.onmicrosoft.com"
DEFAULT_SUFFIX = "/.default"
ENTITIES = ("address", "site", "building", "floor", "space", "rentalUnit", "meter")
"""The entity endpoints, parents first (any order works: children wait for their parents)."""
FINAL_STATUSES = frozenset(
    {
        "Completed",
        "Published",
        "Failed",
        "FailedValidation",
        "FailedGeoCoding",
        "TransformationFailed",
    }
)
FAILED_STATUSES = frozenset(
    {"Failed", "FailedValidation", "FailedGeoCoding", "TransformationFailed"}
)
DEFAULT_RETRY_AFTER = 60.0
"""Seconds to wait on a 429 that says nothing usable: the length of the rate-limit window."""
PAGE_SIZE = 1000
_TRY_AGAIN = re.compile(r"Try again in (\d+(?:\.\d+)?) seconds?", re.ASCII)
T = TypeVar("T")


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    access_token: str
    token_type: str
    expires_in: int
    """Seconds the token lives, as Azure AD said (3599)."""
    expires_at: dt.datetime | None
    """On the client's clock: when the request was sent plus ``expires_in`` (``None`` if that
    is beyond what a datetime holds)."""


@dataclass(frozen=True)
class RecordFailure:
    record: Any
    """The record as the API echoed it."""
    message: str
    index: int | None
    """Its position among the records given to ``submit`` (``None`` if it cannot be told)."""


@dataclass(frozen=True)
class Submission:
    entity: str
    batch_ids: tuple[str, ...]
    """One per request that queued at least one record."""
    failures: tuple[RecordFailure, ...]
    accepted: int
    """Records queued."""


@dataclass(frozen=True)
class Batch:
    batch_id: str
    entity_type: str
    status: str
    total_records: int
    status_counts: dict[str, int]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Dependency:
    entity_type: str
    entity_id: str


@dataclass(frozen=True)
class InboundMessage:
    inbound_id: str
    batch_id: str
    entity_type: str
    entity_id: str
    event_type: str
    status: str
    missing_dependencies: tuple[Dependency, ...]
    message: str | None
    payload: dict[str, Any]
    created_at: str
    updated_at: str

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def held(self) -> bool:
        """Waiting for a parent that has not been onboarded."""
        return not self.final and bool(self.missing_dependencies)


@dataclass(frozen=True)
class Page(Generic[T]):
    total_count: int
    items: tuple[T, ...]
    message: str


@dataclass(frozen=True)
class Outcome:
    """Where the records of some batches stand after ``wait``."""

    messages: tuple[InboundMessage, ...]

    @property
    def onboarded(self) -> tuple[InboundMessage, ...]:
        return tuple(m for m in self.messages if m.final and not m.failed)

    @property
    def failed(self) -> tuple[InboundMessage, ...]:
        return tuple(m for m in self.messages if m.failed)

    @property
    def held(self) -> tuple[InboundMessage, ...]:
        return tuple(m for m in self.messages if m.held)

    @property
    def pending(self) -> tuple[InboundMessage, ...]:
        """Neither final nor held: still on their way."""
        return tuple(m for m in self.messages if not m.final and not m.held)

    @property
    def settled(self) -> bool:
        """Nothing is on its way any more (held records may still wait for a parent)."""
        return not self.pending


@dataclass(frozen=True)
class Onboarding:
    submissions: tuple[Submission, ...]
    outcome: Outcome

    @property
    def failures(self) -> tuple[RecordFailure, ...]:
        return tuple(f for s in self.submissions for f in s.failures)


# --- errors ----------------------------------------------------------------------------------


class BuildingMindsError(ApiError):
    """An unexpected answer: an undocumented status, or a body that breaks the contract."""


class BuildingMindsAuthError(BuildingMindsError):
    """Azure AD refused the token request, or the API answered 401 to a fresh token.

    ``error`` and ``aadsts`` (e.g. 7000215, wrong secret) come from Azure AD's error body.
    """

    @property
    def error(self) -> str | None:
        return self.body_string("error")

    @property
    def aadsts(self) -> int | None:
        codes = self.body.get("error_codes") if isinstance(self.body, dict) else None
        first = codes[0] if isinstance(codes, list) and codes else None
        return first if isinstance(first, int) else None


class BuildingMindsForbidden(BuildingMindsError):
    """403: the key is for another environment, or not permitted to do this."""


class BuildingMindsNotFound(BuildingMindsError):
    """404: no such batch (for this key), or no such endpoint."""


class BuildingMindsValidationError(BuildingMindsError):
    """400 ``Request validation failed``: a malformed query or body (not a record's fault)."""


class BuildingMindsRateLimited(RateLimitedError, BuildingMindsError):
    """429, still, after the client's retries."""


_ERRORS: dict[int, type[BuildingMindsError]] = {
    400: BuildingMindsValidationError,
    401: BuildingMindsAuthError,
    403: BuildingMindsForbidden,
    404: BuildingMindsNotFound,
}


def _message(status: int, body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error_description", "message", "error"):
            if isinstance(body.get(key), str):
                return f"BuildingMinds {status}: {body[key]}"
    return f"BuildingMinds {status}: {body!r}"


def _error(response: httpx.Response) -> BuildingMindsError:
    return status_error(_ERRORS, BuildingMindsError, response, _message)


def _token_error(response: httpx.Response) -> BuildingMindsError:
    """Azure AD's refusals (any 4xx) are all about the credentials."""
    if 400 <= response.status_code < 500:
        return error_of(BuildingMindsAuthError, response, _message)
    return _error(response)


_contract_error = contract_error(BuildingMindsError, "BuildingMinds")
_rate_limited = rate_limited_error(BuildingMindsRateLimited, _message)


# --- the client ------------------------------------------------------------------------------


class BuildingMindsClient(BearerClient[Token]):
    max_retries = Setting[int]("_throttle")
    renew_before = Setting[dt.timedelta]("_tokens")

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        scope: str,
        *,
        tenant: str = DEFAULT_TENANT,
        base_url: str = DEFAULT_BASE_URL,
        login_url: str = DEFAULT_LOGIN_URL,
        http: httpx.Client | None = None,
        clock: Clock = utc_now,
        sleep: Sleeper = system_sleep,
        renew_before: dt.timedelta = dt.timedelta(minutes=5),
        max_retries: int = 3,
        records_per_request: int = 500,
    ) -> None:
        """``scope`` is the Scope value as given (``/.default`` is appended when missing).
        ``http`` is used as given (never closed here). ``max_retries`` counts the retries after
        a 429, not the first attempt. The API takes at most 1000 records per request."""
        if not 1 <= records_per_request <= 1000:
            raise ValueError("records_per_request must be from 1 to 1000")
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope if scope.endswith(DEFAULT_SUFFIX) else scope.rstrip("/") + DEFAULT_SUFFIX
        self.tenant = tenant
        self._connect(base_url, http, clock)
        self.token_url = f"{login_url.rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0/token"
        self._sleep = sleep
        self.records_per_request = records_per_request
        self._throttle = Throttle(
            sleep=sleep,
            max_retries=max_retries,
            wait=lambda response, _: _retry_after(response, self._clock()),
            rate_limited=_rate_limited,
        )
        # Azure AD gives no refresh token: every token is fetched anew.
        self._tokens: TokenCache[Token] = TokenCache(
            lambda _: self._fetch_token(),
            expires=lambda token: token.expires_at,
            clock=clock,
            renew_before=renew_before,
        )

    # --- token -------------------------------------------------------------------------------

    def token(self) -> Token:
        """The cached token; fetched on first use and renewed when it is about to expire."""
        return self._tokens.current()

    def _fetch_token(self) -> Token:
        sent_at = self._clock()
        form = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": self.scope,
            "grant_type": "client_credentials",
        }
        response = self._throttle.send(lambda: self._http.post(self.token_url, data=form))
        if response.status_code != 200:
            raise _token_error(response)
        return _parse(response, lambda body: _token(body, sent_at))

    # --- reading -----------------------------------------------------------------------------

    def batches(
        self,
        *,
        batch_id: str | None = None,
        created_from: dt.date | None = None,
        created_to: dt.date | None = None,
        created_at: dt.date | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> Page[Batch]:
        """Batches, newest first (Step 2 of the guide: a 200 proves the credentials work)."""
        params = {"skip": str(skip), "limit": str(limit)}
        for name, day in (
            ("createdFrom", created_from),
            ("createdTo", created_to),
            ("createdAt", created_at),
        ):
            if day is not None:
                params[name] = day.isoformat()
        if batch_id is not None:
            params["batchId"] = batch_id
        response = self._call("GET", "/batch", params=params)
        return _parse(response, lambda body: _page(body, _batch))

    def inbound(
        self,
        batch_id: str,
        *,
        status: str | None = None,
        missing_dependencies: bool | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> Page[InboundMessage]:
        params = {"skip": str(skip), "limit": str(limit)}
        if status is not None:
            params["status"] = status
        if missing_dependencies is not None:
            params["missingDependencies"] = "true" if missing_dependencies else "false"
        path = f"/batch/{quote(batch_id, safe='')}/inbound"
        response = self._call("GET", path, params=params)
        return _parse(response, lambda body: _page(body, _inbound))

    def all_inbound(self, batch_id: str) -> list[InboundMessage]:
        """Every message of a batch, page after page."""
        found: list[InboundMessage] = []
        while True:
            page = self.inbound(batch_id, skip=len(found), limit=PAGE_SIZE)
            found.extend(page.items)
            if not page.items or len(found) >= page.total_count:
                return found

    # --- writing -----------------------------------------------------------------------------

    def submit(self, entity: str, records: Sequence[Mapping[str, Any]]) -> Submission:
        """Send ``records`` to the entity endpoint in requests of ``records_per_request``.

        A request with refused records still queues its valid ones: their batch id is kept
        and the refused records are returned, to be corrected and sent again.
        """
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}")
        batch_ids: list[str] = []
        failures: list[RecordFailure] = []
        accepted = 0
        for start in range(0, len(records), self.records_per_request):
            chunk = [dict(r) for r in records[start : start + self.records_per_request]]
            response = self._call("POST", f"/{entity}", json=chunk, expected=(200, 400))
            body = _parse(response, _submission_answer)
            batch_id, refused = body
            if response.status_code == 400 and refused is None:
                raise _error(response)
            refused = refused or []
            if batch_id is not None:
                batch_ids.append(batch_id)
                accepted += len(chunk) - len(refused)
            failures.extend(_matched(refused, chunk, start))
        return Submission(entity, tuple(batch_ids), tuple(failures), accepted)

    def wait(
        self,
        batch_ids: Iterable[str],
        *,
        timeout: float = 900.0,
        first_delay: float = 2.0,
        max_delay: float = 60.0,
    ) -> Outcome:
        """Poll the batches until every record is final or held, or ``timeout`` seconds (on
        the client's clock) have passed; pauses double from ``first_delay`` to ``max_delay``."""
        ids = list(dict.fromkeys(batch_ids))
        deadline = self._clock() + dt.timedelta(seconds=timeout)
        delay = first_delay
        while True:
            outcome = Outcome(tuple(m for b in ids for m in self.all_inbound(b)))
            if outcome.settled or self._clock() >= deadline:
                return outcome
            left = (deadline - self._clock()).total_seconds()
            self._sleep(max(0.0, min(delay, left)))
            delay = min(delay * 2, max_delay)

    def onboard(
        self, portfolio: Mapping[str, Sequence[Mapping[str, Any]]], *, timeout: float = 900.0
    ) -> Onboarding:
        """Submit every entity's records (in the mapping's order: any order works) and wait."""
        submissions = tuple(self.submit(entity, records) for entity, records in portfolio.items())
        outcome = self.wait([b for s in submissions for b in s.batch_ids], timeout=timeout)
        return Onboarding(submissions, outcome)

    # --- requests ----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        expected: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        """One API request with the bearer token: 429s waited out, a 401 renews the token and
        repeats the request once; any other answer than ``expected`` raises."""
        url = self.base_url + path
        response = self._bearer_request(method, url, params=params, json=json)
        if response.status_code not in expected:
            raise _error(response)
        return response


def _matched(
    refused: list[tuple[Any, str]], chunk: list[dict[str, Any]], start: int
) -> list[RecordFailure]:
    """Failures in the order of the request's records: each goes to the first unmatched record
    equal to it."""
    taken: set[int] = set()
    found: list[RecordFailure] = []
    for record, message in refused:
        index = next((i for i, sent in enumerate(chunk) if i not in taken and sent == record), None)
        if index is not None:
            taken.add(index)
        found.append(RecordFailure(record, message, None if index is None else start + index))
    return found


def _retry_after(response: httpx.Response, now: dt.datetime) -> float:
    """Seconds from Retry-After (delay or HTTP date), else from "Try again in N seconds.",
    else the length of the rate-limit window."""
    return throttled_wait(
        response, now, field="message", pattern=_TRY_AGAIN, default=DEFAULT_RETRY_AFTER
    )


# --- answers ---------------------------------------------------------------------------------


def _parse(response: httpx.Response, parse: Callable[[Any], T]) -> T:
    return parse_json(response, parse, _contract_error)


def _token(body: Any, sent_at: dt.datetime) -> Token:
    body, access_token, token_type = bearer_token_answer(body)
    expires_in = json_integer(body.get("expires_in"), "expires_in")
    return Token(access_token, token_type, expires_in, expiry(sent_at, expires_in))


def _page(body: Any, item: Callable[[dict[str, Any]], T]) -> Page[T]:
    body = json_object(body, "the body")
    data = body.get("data")
    if not isinstance(data, list):
        raise ValueError("data is not a list")
    items = tuple(item(json_object(entry, "an item of data")) for entry in data)
    total = json_integer(body.get("totalCount"), "totalCount")
    return Page(total, items, json_string(body.get("message"), "message"))


def _batch(data: dict[str, Any]) -> Batch:
    counts = json_object(data.get("statusCounts"), "statusCounts")
    return Batch(
        batch_id=json_string(data.get("batchId"), "batchId"),
        entity_type=json_string(data.get("entityType"), "entityType"),
        status=json_string(data.get("status"), "status"),
        total_records=json_integer(data.get("totalRecords"), "totalRecords"),
        status_counts={str(k): json_integer(v, f"statusCounts.{k}") for k, v in counts.items()},
        created_at=json_string(data.get("createdAt"), "createdAt"),
        updated_at=json_string(data.get("updatedAt"), "updatedAt"),
    )


def _inbound(data: dict[str, Any]) -> InboundMessage:
    missing = data.get("missingDependencies")
    if not isinstance(missing, list):
        raise ValueError("missingDependencies is not a list")
    message = data.get("message")
    return InboundMessage(
        inbound_id=json_string(data.get("inboundId"), "inboundId"),
        batch_id=json_string(data.get("batchId"), "batchId"),
        entity_type=json_string(data.get("entityType"), "entityType"),
        entity_id=json_string(data.get("entityId"), "entityId"),
        event_type=json_string(data.get("eventType"), "eventType"),
        status=json_string(data.get("status"), "status"),
        missing_dependencies=tuple(
            Dependency(
                json_string(json_object(d, "a dependency").get("entityType"), "entityType"),
                json_string(d.get("entityId"), "entityId"),
            )
            for d in missing
        ),
        message=None if message is None else json_string(message, "message"),
        payload=json_object(data.get("payload"), "payload"),
        created_at=json_string(data.get("createdAt"), "createdAt"),
        updated_at=json_string(data.get("updatedAt"), "updatedAt"),
    )


def _submission_answer(body: Any) -> tuple[str | None, list[tuple[Any, str]] | None]:
    """(batch id, refused records) from a 200 or 400 answer; ``None`` refused records for a
    400 ``Request validation failed``."""
    body = json_object(body, "the body")
    if "failedMessages" not in body:
        if "error" in body:
            return None, None
        return json_string(body.get("batchId"), "batchId"), []
    batch_id = body.get("batchId")
    refused = body["failedMessages"]
    if not isinstance(refused, list):
        raise ValueError("failedMessages is not a list")
    return (
        None if batch_id is None else json_string(batch_id, "batchId"),
        [
            (
                json_object(f, "a failed message").get("originalMessage"),
                json_string(f.get("validationMessage"), "validationMessage"),
            )
            for f in refused
        ],
    )
