"""What every vendor client shares: injectable time, the base error, the httpx client, and the
transport: the token cache and its renewal, the one retry after a 401, waiting out a throttled
answer (with a ceiling), following ``next`` links, and the reading of JSON answers.

A client says what is its vendor's own (how a token is fetched, how long a 429 asks to wait,
which error to raise); the loops live here, once."""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar
from urllib.parse import urljoin

import httpx

__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRY_AFTER_CEILING",
    "ApiError",
    "BearerClient",
    "BearerToken",
    "Clock",
    "HttpClientOwner",
    "Message",
    "RateLimitedError",
    "Setting",
    "Sleeper",
    "Throttle",
    "TokenCache",
    "bearer_token_answer",
    "build_http_client",
    "contract_error",
    "error_of",
    "expiry",
    "follow_next",
    "grant_form",
    "is_json_integer",
    "json_integer",
    "json_object",
    "json_optional_string",
    "json_string",
    "parse_json",
    "rate_limited_error",
    "refresh_form",
    "response_body",
    "retry_after_delay",
    "retry_after_seconds",
    "same_origin",
    "send_authorized",
    "status_error",
    "system_sleep",
    "throttled_wait",
    "utc_now",
]

T = TypeVar("T")
TokenT = TypeVar("TokenT", bound="BearerToken")
V = TypeVar("V")
E = TypeVar("E", bound="ApiError")

DEFAULT_TIMEOUT = 30.0
"""Seconds for connect, read, write and pool waits alike."""
_B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*", re.ASCII)
"""What a bearer token may hold (RFC 6750 section 2.1): it goes into a header as it is."""
RETRY_AFTER_CEILING = 3600.0
"""The longest wait, in seconds, a client sits out before retrying a throttled request: one
hour, far beyond the minute-long rate-limit windows the vendors document. A server that asks for
more (a Retry-After of 5.9e19, a date years ahead) is refused at once with the vendor's
rate-limited error, its ``retry_after`` what was asked, rather than obeyed: a caller never
blocks for longer than it could have planned for, and may still wait knowingly."""


class Clock(Protocol):
    """Now, as an aware UTC datetime. Tests pass the sandbox clock so waits can be computed."""

    def __call__(self) -> datetime: ...


class Sleeper(Protocol):
    """Blocks for ``seconds``. Tests pass a fake that moves the sandbox clock instead."""

    def __call__(self, seconds: float, /) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def system_sleep(seconds: float, /) -> None:
    time.sleep(seconds)


class ApiError(Exception):
    """An error answer from a vendor API: HTTP status, decoded body and response headers."""

    def __init__(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(message or f"HTTP {status}: {body!r}")
        self.status = status
        self.body = body
        # httpx.Headers, so lookups ignore case as HTTP does.
        self.headers = httpx.Headers(dict(headers or {}))

    def body_string(self, key: str) -> str | None:
        """The body's ``key`` when the body is a JSON object and that member a string."""
        value = self.body.get(key) if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else None


class RateLimitedError(ApiError):
    """429, still, after a client's retries; ``retry_after`` says how long to wait."""

    def __init__(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
        *,
        retry_after: float,
    ) -> None:
        super().__init__(status, body, headers, message)
        self.retry_after = retry_after


def response_body(response: httpx.Response) -> Any:
    """The body as JSON when it parses as JSON, else as text (for errors and odd answers)."""
    try:
        return response.json()
    except ValueError:
        return response.text


Message = Callable[[int, Any], str]
"""A vendor's error message from an answer's status and decoded body."""


def error_of(kind: type[E], response: httpx.Response, message: Message | None = None) -> E:
    """``kind`` for an error answer: its status, decoded body and headers, and the vendor's
    message when ``message`` is given."""
    status, body = response.status_code, response_body(response)
    return kind(status, body, response.headers, None if message is None else message(status, body))


def status_error(
    errors: Mapping[int, type[E]],
    default: type[E],
    response: httpx.Response,
    message: Message | None = None,
) -> E:
    """The typed error for an answer's status (``default`` for an undocumented one)."""
    return error_of(errors.get(response.status_code, default), response, message)


def contract_error(kind: type[E], vendor: str) -> Callable[[httpx.Response, str], E]:
    """How a client says an answer broke its contract: ``kind``, with the answer and why."""

    def broken(response: httpx.Response, why: str) -> E:
        status = response.status_code
        text = f"{vendor} answered {status} with a body outside the contract: {why}"
        return kind(status, response_body(response), response.headers, text)

    return broken


def rate_limited_error(
    kind: type[RateLimitedError], message: Message | None = None
) -> Callable[[httpx.Response, float, str | None], Exception]:
    """For ``Throttle``: the vendor's rate-limited error for a throttled answer and its wait,
    with the transport's reason when it refused the wait, else the vendor's message."""

    def raised(response: httpx.Response, wait: float, why: str | None) -> Exception:
        status, body = response.status_code, response_body(response)
        text = why if why is not None or message is None else message(status, body)
        return kind(status, body, response.headers, text, retry_after=wait)

    return raised


def build_http_client(
    base_url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=timeout, headers=dict(headers or {}))


class HttpClientOwner:
    """Closes the httpx client when the vendor client made it, and is a context manager."""

    base_url: str
    _http: httpx.Client
    _owns_http: bool
    _clock: Clock

    def _connect(self, base_url: str, http: httpx.Client | None, clock: Clock) -> None:
        """``base_url`` without its trailing slash; ``http`` used as given (never closed
        here), else one made for ``base_url`` and closed with the client."""
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = build_http_client(self.base_url) if http is None else http
        self._clock = clock

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Setting(Generic[V]):
    """A client's setting kept by one of its parts, so it lives in one place: on the client,
    ``max_retries = Setting[int]("_throttle")`` reads and writes ``client._throttle.max_retries``
    (``attribute`` when the part names it otherwise)."""

    def __init__(self, part: str, attribute: str | None = None) -> None:
        self._part = part
        self._attribute = attribute

    def __set_name__(self, owner: type, name: str) -> None:
        self._attribute = self._attribute or name

    def __get__(self, client: object, owner: type | None = None) -> V:
        value: V = getattr(getattr(client, self._part), str(self._attribute))
        return value

    def __set__(self, client: object, value: V) -> None:
        setattr(getattr(client, self._part), str(self._attribute), value)


# --- Retry-After -------------------------------------------------------------------------------


def retry_after_delay(value: str | None) -> float | None:
    """Retry-After as a delay in seconds; ``None`` when missing, not a number, negative, NaN or
    infinite (so a caller falls back rather than waiting forever)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def throttled_wait(
    response: httpx.Response,
    now: datetime,
    *,
    field: str,
    pattern: re.Pattern[str],
    default: float,
) -> float:
    """Seconds from Retry-After (a delay or an HTTP date), else the number ``pattern`` finds in
    the body's ``field`` (a message such as "Try again in N seconds."), else ``default``."""
    seconds = retry_after_seconds(response, now)
    if seconds is not None:
        return seconds
    body = response_body(response)
    text = body.get(field) if isinstance(body, dict) else None
    found = pattern.search(text) if isinstance(text, str) else None
    return float(found.group(1)) if found else default


def retry_after_seconds(response: httpx.Response, now: datetime) -> float | None:
    """Seconds to wait from Retry-After, a delay or an HTTP date (0 once that date has passed);
    ``None`` when the header is missing or unusable, so the client applies its vendor's
    fallback."""
    header = response.headers.get("Retry-After")
    if header is None:
        return None
    try:
        float(header.strip())
    except ValueError:
        pass
    else:
        return retry_after_delay(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def _is_429(response: httpx.Response) -> bool:
    return response.status_code == 429


class Throttle:
    """Waits out "too many requests": sends until the answer is not throttled, sleeping what
    ``wait`` says between tries, at most ``max_retries`` retries (not counting the first
    attempt) and never a wait beyond ``ceiling``.

    ``wait(response, attempt)`` is the vendor's reading of a throttled answer (Retry-After, a
    message in the body, a backoff by ``attempt``, counted from 0). ``rate_limited(response,
    seconds, message)`` makes the vendor's error; ``message`` is ``None`` when the retries ran
    out (the vendor's own message applies) and says why when the wait was refused.
    """

    def __init__(
        self,
        *,
        sleep: Sleeper,
        max_retries: int,
        wait: Callable[[httpx.Response, int], float],
        rate_limited: Callable[[httpx.Response, float, str | None], Exception],
        throttled: Callable[[httpx.Response], bool] = _is_429,
        ceiling: float = RETRY_AFTER_CEILING,
    ) -> None:
        self._sleep = sleep
        self.max_retries = max_retries
        self._wait = wait
        self._rate_limited = rate_limited
        self._throttled = throttled
        self.ceiling = ceiling

    def send(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        attempt = 0
        while True:
            response = send()
            if not self._throttled(response):
                return response
            seconds = self._wait(response, attempt)
            if seconds > self.ceiling:
                raise self._rate_limited(
                    response,
                    seconds,
                    f"HTTP {response.status_code}: the server asks to wait {seconds:g} s, more "
                    f"than this client's ceiling of {self.ceiling:g} s; not waited",
                )
            if attempt >= self.max_retries:
                raise self._rate_limited(response, seconds, None)
            attempt += 1
            self._sleep(seconds)


# --- tokens ------------------------------------------------------------------------------------


class BearerToken(Protocol):
    @property
    def access_token(self) -> str: ...


class TokenCache(Generic[TokenT]):
    """A client's token: fetched on first use, kept, and renewed ``renew_before`` ahead of the
    expiry ``expires`` reads from it (judged on the client's clock); a token without an expiry
    is kept until the API refuses it.

    ``fetch(previous)`` gets a new token; ``previous`` is the token being replaced (``None`` on
    first use or after ``forget``), so a vendor with refresh tokens can use its refresh token.
    """

    def __init__(
        self,
        fetch: Callable[[TokenT | None], TokenT],
        *,
        expires: Callable[[TokenT], datetime | None],
        clock: Clock,
        renew_before: timedelta,
    ) -> None:
        self._fetch = fetch
        self._expires = expires
        self._clock = clock
        self.renew_before = renew_before
        self.token: TokenT | None = None

    def current(self) -> TokenT:
        token = self.token
        if token is None or self.due(token):
            token = self.renew()
        return token

    def due(self, token: TokenT) -> bool:
        expires = self._expires(token)
        return expires is not None and self._clock() >= expires - self.renew_before

    def renew(self) -> TokenT:
        """A new token in place of the current one (also when the API refused it)."""
        # Dropped first: when fetching fails, the next call fetches again rather than
        # sending a token already judged unusable.
        previous, self.token = self.token, None
        self.token = self._fetch(previous)
        return self.token

    def forget(self) -> None:
        """No token: the next one is fetched anew, with no refresh token."""
        self.token = None


def grant_form(username: str | None, password: str | None) -> dict[str, str]:
    """The token request's grant: the password grant with a username and password, else
    client credentials."""
    if username is not None and password is not None:
        return {"grant_type": "password", "username": username, "password": password}
    return {"grant_type": "client_credentials"}


def refresh_form(refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token}


def bearer_token_answer(body: Any) -> tuple[dict[str, Any], str, str]:
    """An OAuth 2.0 token answer (RFC 6749 section 5.1): the object, its ``access_token`` (an
    RFC 6750 b64token) and its ``token_type`` (Bearer, in any case); ValueError otherwise."""
    body = json_object(body, "the body")
    access_token = json_string(body.get("access_token"), "access_token")
    if not _B64TOKEN.fullmatch(access_token):
        raise ValueError("access_token is not an RFC 6750 b64token")
    token_type = json_string(body.get("token_type"), "token_type")
    if token_type.lower() != "bearer":
        raise ValueError(f"token_type {token_type!r} is not Bearer")
    return body, access_token, token_type


def expiry(sent_at: datetime, expires_in: int | None) -> datetime | None:
    """When a token sent for at ``sent_at`` expires; ``None`` without ``expires_in``, or when it
    lies beyond what a datetime holds."""
    if expires_in is None:
        return None
    try:
        return sent_at + timedelta(seconds=expires_in)
    except OverflowError:
        return None


class BearerClient(HttpClientOwner, Generic[TokenT]):
    """A client whose requests carry a bearer token from its cache (``_tokens``), through its
    throttle (``_throttle``)."""

    _throttle: Throttle
    _tokens: TokenCache[TokenT]

    def _bearer_request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        token: Callable[[], str] | None = None,
        refused: Callable[[], object] | None = None,
        **options: Any,
    ) -> httpx.Response:
        """``method url`` with the cached token (or ``token()``): throttling waited out, and a
        401 renews the token (or calls ``refused``: log in anew) and repeats the request once."""
        return send_authorized(
            lambda access: self._http.request(
                method,
                url,
                headers={**(headers or {}), "Authorization": f"Bearer {access}"},
                **options,
            ),
            self._throttle,
            token=token or (lambda: self._tokens.current().access_token),
            refused=refused or self._tokens.renew,
        )


def send_authorized(
    send: Callable[[str], httpx.Response],
    throttle: Throttle,
    *,
    token: Callable[[], str],
    refused: Callable[[], object],
) -> httpx.Response:
    """``send(access_token)`` with throttling waited out; an answer of 401 calls ``refused``
    (renew the token, or log in again) and repeats the request once, and only once: a second
    401 is the caller's to raise."""
    response = throttle.send(lambda: send(token()))
    if response.status_code == 401:
        refused()
        response = throttle.send(lambda: send(token()))
    return response


# --- paging ------------------------------------------------------------------------------------


def follow_next(
    get: Callable[[str, Mapping[str, Any] | None], httpx.Response],
    url: str,
    params: Mapping[str, Any] | None,
    read: Callable[[httpx.Response], tuple[list[T], str | None]],
    contract_error: Callable[[httpx.Response, str], Exception],
    *,
    resolve: Callable[[httpx.Response, str], str] | None = None,
    origin: str | None = None,
) -> Iterator[T]:
    """Every item of a paged list, fetched a page at a time as the caller iterates: ``url``
    with ``params``, then each page its ``next`` link names, until one names none.

    ``read`` gives a page's items and its ``next``; ``resolve`` makes the next URL of it (by
    default relative to the page's own URL). A ``next`` that leads back to a page already
    fetched (which would never end), or away from ``origin``'s scheme, host and port (where the
    token must not go), raises ``contract_error``.
    """
    query = params
    seen: set[str] = set()
    while True:
        response = get(url, query)
        seen.add(str(response.request.url))
        items, next_url = read(response)
        yield from items
        if not next_url:
            return
        url = (
            resolve(response, next_url)
            if resolve is not None
            else urljoin(str(response.request.url), next_url)
        )
        query = None
        if origin is not None and not same_origin(url, origin):
            raise contract_error(response, f"next {next_url!r} leaves {origin}")
        if url in seen:
            raise contract_error(response, f"next {next_url!r} was already fetched")


def same_origin(url: str, other: str) -> bool:
    one, two = httpx.URL(url), httpx.URL(other)
    return (one.scheme, one.host, one.port) == (two.scheme, two.host, two.port)


# --- JSON answers ------------------------------------------------------------------------------


def parse_json(
    response: httpx.Response,
    parse: Callable[[Any], T],
    contract_error: Callable[[httpx.Response, str], Exception],
) -> T:
    """``parse`` applied to the JSON body; a body that is not JSON, or that ``parse`` refuses
    (ValueError, KeyError, TypeError), raises the client's own ``contract_error``."""
    try:
        body = response.json()
    except ValueError:
        raise contract_error(response, "not JSON") from None
    try:
        return parse(body)
    except (ValueError, KeyError, TypeError) as err:
        raise contract_error(response, str(err)) from None


def json_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def json_string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string")
    return value


def json_optional_string(value: Any, what: str) -> str | None:
    return None if value is None else json_string(value, what)


def is_json_integer(value: Any) -> bool:
    """JSON integers: ``3`` and ``3.0`` alike (as JSON Schema counts them), never booleans."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def json_integer(value: Any, what: str) -> int:
    if not is_json_integer(value):
        raise ValueError(f"{what} is not an integer")
    return int(value)
