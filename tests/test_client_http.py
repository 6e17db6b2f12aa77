"""The pieces every reference client shares (clients/_http.py): the transport (throttling
with its ceiling, the token cache, the one retry after a 401, paging) and the reading of
answers; last, the five clients refusing a Retry-After beyond the ceiling."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from standin.clients._http import (
    RETRY_AFTER_CEILING,
    ApiError,
    HttpClientOwner,
    RateLimitedError,
    Throttle,
    TokenCache,
    bearer_token_answer,
    contract_error,
    expiry,
    follow_next,
    grant_form,
    json_object,
    json_string,
    parse_json,
    rate_limited_error,
    retry_after_delay,
    retry_after_seconds,
    send_authorized,
    status_error,
)
from standin.clients.atmotube import AtmotubeClient, AtmotubeRateLimited
from standin.clients.atrius import AtriusClient, AtriusRateLimited
from standin.clients.buildingminds import BuildingMindsClient, BuildingMindsRateLimited
from standin.clients.locus import LocusClient, LocusRateLimited
from standin.clients.metasys import MetasysClient, MetasysTooManyRequests

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def answer(headers: dict[str, str] | None = None, content: bytes = b"{}") -> httpx.Response:
    return httpx.Response(429, headers=headers, content=content)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 2.5 ", 2.5), ("0", 0.0), (None, None), ("-1", None), ("nan", None),
     ("inf", None), ("soon", None), ("Thu, 01 Jan 2026 12:00:30 GMT", None)],
)  # fmt: skip
def test_retry_after_delay_reads_only_a_usable_number_of_seconds(
    value: str | None, seconds: float | None
) -> None:
    assert retry_after_delay(value) == seconds


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0), ("Thu, 01 Jan 2026 11:59:00 GMT", 0.0),
     ("-1", None), ("nan", None), ("soon", None), ("Thu, 01 Jan 2026 12:00:30 -0000", None)],
)  # fmt: skip
def test_retry_after_seconds_reads_a_delay_or_an_http_date(
    header: str, seconds: float | None
) -> None:
    assert retry_after_seconds(answer({"Retry-After": header}), NOW) == seconds


def test_retry_after_seconds_is_none_without_the_header() -> None:
    assert retry_after_seconds(answer(), NOW) is None


class Broken(Exception):
    pass


def broken(response: httpx.Response, why: str) -> Broken:
    return Broken(f"{response.status_code}: {why}")


def test_parse_json_applies_the_parser_to_the_body() -> None:
    assert parse_json(answer(content=b'{"a": "b"}'), lambda b: json_object(b, "it"), broken) == {
        "a": "b"
    }


def test_parse_json_raises_the_clients_error_for_a_body_that_is_not_json() -> None:
    with pytest.raises(Broken, match=r"^429: not JSON$"):
        parse_json(answer(content=b"<html>"), lambda body: body, broken)


def refuse_type(body: Any) -> Any:
    raise TypeError("a type the contract does not allow")


@pytest.mark.parametrize(
    ("parse", "why"),
    [
        (lambda body: json_string(body, "the body"), "the body is not a string"),
        (lambda body: json_object(body, "the body")["missing"], "'missing'"),
        (refuse_type, "a type the contract does not allow"),
    ],
)
def test_parse_json_raises_the_clients_error_for_a_body_the_parser_refuses(
    parse: Any, why: str
) -> None:
    with pytest.raises(Broken, match=f"^429: {why}$"):
        parse_json(answer(content=b"{}"), parse, broken)


class Owner(HttpClientOwner):
    def __init__(self, http: httpx.Client, owns: bool) -> None:
        self._http, self._owns_http = http, owns


def test_a_client_closes_the_http_client_it_made_when_its_block_ends() -> None:
    http = httpx.Client()
    with Owner(http, owns=True) as owner:
        assert isinstance(owner, Owner)
    assert http.is_closed


def test_a_client_leaves_open_an_http_client_it_was_given() -> None:
    with httpx.Client() as http:
        Owner(http, owns=False).close()
        assert not http.is_closed


# --- tokens' answers and typed errors -----------------------------------------------------------


def test_a_token_answer_gives_its_bearer_token_and_type() -> None:
    body = {"access_token": "abc.DEF-123_~+/==", "token_type": "bearer", "expires_in": 5}
    assert bearer_token_answer(body) == (body, "abc.DEF-123_~+/==", "bearer")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ([], "the body is not an object"),
        ({"token_type": "Bearer"}, "access_token is not a string"),
        ({"access_token": "a b", "token_type": "Bearer"},
         "access_token is not an RFC 6750 b64token"),
        ({"access_token": "a", "token_type": "MAC"}, "token_type 'MAC' is not Bearer"),
    ],
)  # fmt: skip
def test_a_token_answer_without_a_usable_bearer_token_is_refused(body: Any, why: str) -> None:
    with pytest.raises(ValueError, match=f"^{why}$"):
        bearer_token_answer(body)


def test_a_token_expires_when_sent_plus_its_lifetime_unless_that_is_beyond_a_datetime() -> None:
    assert expiry(NOW, 3600) == datetime(2026, 1, 1, 13, 0, 0, tzinfo=UTC)
    assert expiry(NOW, None) is None
    assert expiry(NOW, 10**18) is None


def test_the_grant_is_the_password_grant_only_with_both_username_and_password() -> None:
    assert grant_form("ann", "pw") == {
        "grant_type": "password",
        "username": "ann",
        "password": "pw",
    }
    assert grant_form("ann", None) == {"grant_type": "client_credentials"}
    assert grant_form(None, None) == {"grant_type": "client_credentials"}


class VendorError(ApiError):
    pass


class VendorNotFound(VendorError):
    pass


class VendorRateLimited(RateLimitedError, VendorError):
    pass


def vendor_message(status: int, body: Any) -> str:
    return f"Vendor {status}: {body['message']}"


def test_an_error_answer_raises_the_type_of_its_status_else_the_vendors_base_error() -> None:
    errors = {404: VendorNotFound}
    answer = httpx.Response(404, json={"message": "no such thing"}, headers={"X-Id": "7"})
    found = status_error(errors, VendorError, answer, vendor_message)
    assert type(found) is VendorNotFound
    assert (found.status, found.body, found.headers["x-id"]) == (
        404,
        {"message": "no such thing"},
        "7",
    )
    assert str(found) == "Vendor 404: no such thing"
    other = status_error(errors, VendorError, httpx.Response(502, text="Bad Gateway"))
    assert type(other) is VendorError
    assert str(other) == "HTTP 502: 'Bad Gateway'"


def test_a_body_outside_the_contract_raises_the_vendors_base_error_saying_why() -> None:
    broken_answer = contract_error(VendorError, "Vendor")
    error = broken_answer(httpx.Response(200, text="<html>"), "not JSON")
    assert type(error) is VendorError
    assert (error.status, error.body) == (200, "<html>")
    assert str(error) == "Vendor answered 200 with a body outside the contract: not JSON"


def test_a_rate_limited_error_has_the_vendors_message_unless_the_wait_was_refused() -> None:
    make = rate_limited_error(VendorRateLimited, vendor_message)
    answer = httpx.Response(429, json={"message": "slow down"})
    spent = make(answer, 30.0, None)
    refused = make(answer, 5.9e19, "beyond the ceiling")
    assert isinstance(spent, VendorRateLimited)
    assert isinstance(refused, VendorRateLimited)
    assert (str(spent), spent.retry_after) == ("Vendor 429: slow down", 30.0)
    assert (str(refused), refused.retry_after) == ("beyond the ceiling", 5.9e19)


# --- throttling --------------------------------------------------------------------------------

API = "https://api.example.test"


class Throttled(RateLimitedError):
    pass


def throttled(response: httpx.Response, seconds: float, why: str | None) -> Throttled:
    return Throttled(
        response.status_code, response.text, response.headers, why, retry_after=seconds
    )


def retry_after(response: httpx.Response, attempt: int) -> float:
    return float(response.headers["Retry-After"])


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API) as router:
        yield router


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=API) as client:
        yield client


def throttle(slept: list[float], max_retries: int = 2, **options: Any) -> Throttle:
    return Throttle(
        sleep=slept.append,
        max_retries=max_retries,
        wait=options.pop("wait", retry_after),
        rate_limited=throttled,
        **options,
    )


def test_each_429_is_waited_out_and_the_first_other_answer_is_returned(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    route = api.get("/things").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(429, headers={"Retry-After": "2.5"}),
            httpx.Response(201, json={}),
        ]
    )
    slept: list[float] = []
    response = throttle(slept).send(lambda: http.get("/things"))
    assert response.status_code == 201
    assert slept == [1.0, 2.5]
    assert route.call_count == 3


def test_after_max_retries_the_last_429_raises_the_vendors_error_with_its_wait(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    route = api.get("/things").respond(429, headers={"Retry-After": "3"}, text="slow down")
    slept: list[float] = []
    with pytest.raises(Throttled) as raised:
        throttle(slept).send(lambda: http.get("/things"))
    assert slept == [3.0, 3.0]
    assert route.call_count == 3
    error = raised.value
    assert (error.status, error.body, error.retry_after) == (429, "slow down", 3.0)
    assert str(error) == "HTTP 429: 'slow down'"


def test_a_retry_after_beyond_the_ceiling_is_refused_not_waited(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    route = api.get("/things").respond(429, headers={"Retry-After": "5.9e19"})
    slept: list[float] = []
    with pytest.raises(Throttled) as raised:
        throttle(slept).send(lambda: http.get("/things"))
    assert slept == []
    assert route.call_count == 1
    assert raised.value.retry_after == 5.9e19
    assert str(raised.value) == (
        "HTTP 429: the server asks to wait 5.9e+19 s, more than this client's ceiling of "
        "3600 s; not waited"
    )


def test_the_ceiling_is_an_hour_and_a_wait_of_exactly_the_ceiling_is_still_waited(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    api.get("/things").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200)]
    )
    slept: list[float] = []
    assert throttle(slept).send(lambda: http.get("/things")).status_code == 200
    assert RETRY_AFTER_CEILING == 3600.0
    assert slept == [3600.0]


def test_a_client_may_lower_the_ceiling(api: respx.MockRouter, http: httpx.Client) -> None:
    api.get("/things").respond(429, headers={"Retry-After": "61"})
    slept: list[float] = []
    with pytest.raises(Throttled, match="ceiling of 60 s"):
        throttle(slept, ceiling=60.0).send(lambda: http.get("/things"))
    assert slept == []


def test_the_wait_is_told_which_retry_it_is_for_so_a_backoff_can_grow(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    api.get("/things").respond(429)
    slept: list[float] = []
    with pytest.raises(Throttled) as raised:
        throttle(slept, max_retries=3, wait=lambda _, attempt: 2.0**attempt).send(
            lambda: http.get("/things")
        )
    assert slept == [1.0, 2.0, 4.0]
    assert raised.value.retry_after == 8.0


def test_a_vendor_that_throttles_with_another_status_says_which_answers_are_throttled(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    api.get("/things").mock(
        side_effect=[
            httpx.Response(403, headers={"Retry-After": "5"}),
            httpx.Response(403, json={"Message": "not yours"}),
        ]
    )
    slept: list[float] = []
    forbidden = throttle(
        slept, throttled=lambda r: r.status_code == 403 and "retry-after" in r.headers
    )
    assert forbidden.send(lambda: http.get("/things")).status_code == 403
    assert slept == [5.0]


def test_with_no_retries_the_first_429_raises(api: respx.MockRouter, http: httpx.Client) -> None:
    route = api.get("/things").respond(429, headers={"Retry-After": "1"})
    slept: list[float] = []
    with pytest.raises(Throttled):
        throttle(slept, max_retries=0).send(lambda: http.get("/things"))
    assert (slept, route.call_count) == ([], 1)


# --- tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: datetime | None


class Issuer:
    """Hands out token-1, token-2, ... living ``lifetime``; records what each fetch replaced."""

    def __init__(self, now: list[datetime], lifetime: timedelta | None) -> None:
        self.now = now
        self.lifetime = lifetime
        self.replaced: list[str | None] = []
        self.down = False

    def __call__(self, previous: Token | None) -> Token:
        if self.down:
            raise RuntimeError("the token endpoint is down")
        self.replaced.append(None if previous is None else previous.access_token)
        expires = None if self.lifetime is None else self.now[0] + self.lifetime
        return Token(f"token-{len(self.replaced)}", expires)


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def cache(
    lifetime: timedelta | None = timedelta(hours=1),
) -> tuple[TokenCache[Token], Issuer, list[datetime]]:
    now = [NOW]
    issuer = Issuer(now, lifetime)
    tokens = TokenCache(
        issuer,
        expires=lambda token: token.expires_at,
        clock=lambda: now[0],
        renew_before=timedelta(minutes=5),
    )
    return tokens, issuer, now


def test_a_token_is_fetched_on_first_use_and_then_kept() -> None:
    tokens, issuer, now = cache()
    assert tokens.current().access_token == "token-1"
    now[0] += timedelta(minutes=54, seconds=59)
    assert tokens.current().access_token == "token-1"
    assert issuer.replaced == [None]


def test_a_token_is_renewed_ahead_of_its_expiry_and_the_fetch_sees_the_token_it_replaces() -> None:
    tokens, issuer, now = cache()
    tokens.current()
    now[0] += timedelta(minutes=55)
    assert tokens.current().access_token == "token-2"
    assert issuer.replaced == [None, "token-1"]


def test_a_token_without_an_expiry_is_kept_until_renewed() -> None:
    tokens, _, now = cache(lifetime=None)
    tokens.current()
    now[0] += timedelta(days=365)
    assert tokens.current().access_token == "token-1"
    assert tokens.renew().access_token == "token-2"


def test_a_forgotten_token_is_fetched_anew_without_the_one_it_replaces() -> None:
    tokens, issuer, _ = cache()
    tokens.current()
    tokens.forget()
    assert tokens.current().access_token == "token-2"
    assert issuer.replaced == [None, None]


def test_when_fetching_fails_the_old_token_is_not_sent_again() -> None:
    tokens, issuer, now = cache()
    tokens.current()
    now[0] += timedelta(hours=2)
    issuer.down = True
    with pytest.raises(RuntimeError, match="down"):
        tokens.current()
    assert tokens.token is None


def bearer_of(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def test_a_401_renews_the_token_and_repeats_the_request_once(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    route = api.get("/things").mock(side_effect=[httpx.Response(401), httpx.Response(200)])
    tokens, _, _ = cache()
    response = send_authorized(
        lambda access: http.get("/things", headers={"Authorization": f"Bearer {access}"}),
        throttle([]),
        token=lambda: tokens.current().access_token,
        refused=tokens.renew,
    )
    assert response.status_code == 200
    assert [bearer_of(call.request) for call in route.calls] == ["token-1", "token-2"]


def test_a_second_401_is_returned_not_retried_again(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    route = api.get("/things").respond(401)
    tokens, issuer, _ = cache()
    response = send_authorized(
        lambda access: http.get("/things", headers={"Authorization": f"Bearer {access}"}),
        throttle([]),
        token=lambda: tokens.current().access_token,
        refused=tokens.renew,
    )
    assert response.status_code == 401
    assert route.call_count == 2
    assert issuer.replaced == [None, "token-1"]


def test_throttling_is_waited_out_before_and_after_the_401(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    wait = {"Retry-After": "1"}
    api.get("/things").mock(
        side_effect=[
            httpx.Response(429, headers=wait),
            httpx.Response(401),
            httpx.Response(429, headers=wait),
            httpx.Response(200),
        ]
    )
    slept: list[float] = []
    tokens, _, _ = cache()
    response = send_authorized(
        lambda access: http.get("/things", headers={"Authorization": f"Bearer {access}"}),
        throttle(slept),
        token=lambda: tokens.current().access_token,
        refused=tokens.renew,
    )
    assert response.status_code == 200
    assert slept == [1.0, 1.0]


# --- paging --------------------------------------------------------------------------------------


def read_page(response: httpx.Response) -> tuple[list[Any], str | None]:
    body = response.json()
    return body["items"], body.get("next")


def pages(http: httpx.Client, **options: Any) -> list[Any]:
    return list(
        follow_next(
            lambda url, query: http.get(url, params=query),
            f"{API}/things",
            {"size": "2"},
            read_page,
            broken,
            **options,
        )
    )


def test_pages_are_followed_by_next_relative_to_the_page_and_the_query_goes_first_only(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    first = api.get("/things", params={"size": "2"}).respond(
        json={"items": [1, 2], "next": "/things/2"}
    )
    second = api.get("/things/2").respond(json={"items": [3], "next": None})
    assert pages(http) == [1, 2, 3]
    assert (first.call_count, second.call_count) == (1, 1)
    assert second.calls.last.request.url.query == b""


def test_pages_are_fetched_as_the_caller_iterates(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    route = api.get("/things").respond(json={"items": [1], "next": None})
    items = follow_next(
        lambda url, query: http.get(url, params=query), f"{API}/things", None, read_page, broken
    )
    assert route.call_count == 0
    assert list(items) == [1]
    assert route.call_count == 1


def test_a_next_link_back_to_a_fetched_page_is_refused_rather_than_followed_forever(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    api.get("/things").respond(json={"items": [1], "next": "/things/2"})
    api.get("/things/2").respond(json={"items": [2], "next": f"{API}/things/2"})
    with pytest.raises(
        Broken, match=r"^200: next 'https://api.example.test/things/2' was already fetched$"
    ):
        pages(http)


def test_a_next_link_to_another_origin_is_refused_so_the_token_does_not_go_there(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    api.get("/things").respond(json={"items": [1], "next": "https://elsewhere.test/things/2"})
    with pytest.raises(Broken, match=r"^200: next 'https://elsewhere.test/things/2' leaves "):
        pages(http, origin=API)


def test_a_client_may_resolve_next_links_its_own_way(
    api: respx.MockRouter, http: httpx.Client
) -> None:
    api.get("/things").respond(json={"items": [1], "next": "/page/2"})
    api.get("/api/v4/page/2").respond(json={"items": [2]})
    found = pages(http, resolve=lambda _, link: f"{API}/api/v4{link}")
    assert found == [1, 2]


# --- every client refuses a Retry-After beyond the ceiling ---------------------------------------

ABSURD = {"Retry-After": "5.9e19"}
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Vendor:
    base_url: str
    error: type[RateLimitedError]
    arrange: Callable[[respx.MockRouter], respx.Route]
    """Answers whatever the client needs first and returns the throttled route."""
    call: Callable[[Any], object]
    make: Callable[[str, httpx.Client, Callable[[float], None]], Any]


def atrius(router: respx.MockRouter) -> respx.Route:
    router.post("https://atrius.test/o/token/").respond(
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 36000}
    )
    return router.get("https://atrius.test/meters/m1").respond(429, headers=ABSURD, json={})


def buildingminds(router: respx.MockRouter) -> respx.Route:
    router.post(url__regex=r"https://login\.test/.*").respond(
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3599}
    )
    return router.get("https://bm.test/batch").respond(429, headers=ABSURD, json={})


def metasys(router: respx.MockRouter) -> respx.Route:
    router.post("https://metasys.test/api/v4/login").respond(
        json={"accessToken": "t", "expires": "2099-01-01T00:00:00Z"}
    )
    return router.get("https://metasys.test/api/v4/userinfo").respond(
        403, headers=ABSURD, json={"Message": "Too many requests"}
    )


VENDORS = {
    "atrius": Vendor(
        "https://atrius.test",
        AtriusRateLimited,
        atrius,
        lambda c: c.meter("m1"),
        lambda url, http, sleep: AtriusClient(
            "id", "secret", base_url=url, http=http, sleep=sleep, clock=lambda: NOW
        ),
    ),
    "buildingminds": Vendor(
        "https://bm.test",
        BuildingMindsRateLimited,
        buildingminds,
        lambda c: c.batches(),
        lambda url, http, sleep: BuildingMindsClient(
            "id",
            "secret",
            "api://bm",
            base_url=url,
            login_url="https://login.test",
            http=http,
            sleep=sleep,
            clock=lambda: NOW,
        ),
    ),
    "atmotube": Vendor(
        "https://atmotube.test",
        AtmotubeRateLimited,
        lambda router: router.get("https://atmotube.test/api/v1/data").respond(
            429, headers=ABSURD, json={"status": 429, "message": "slow down"}
        ),
        lambda c: c.page("aa:bb"),
        lambda url, http, sleep: AtmotubeClient(
            "key", base_url=url, http=http, sleep=sleep, clock=lambda: NOW
        ),
    ),
    "metasys": Vendor(
        "https://metasys.test/api/v4",
        MetasysTooManyRequests,
        metasys,
        lambda c: c.user_info(),
        lambda url, http, sleep: MetasysClient(
            "u", "p", base_url=url, http=http, sleep=sleep, clock=lambda: NOW
        ),
    ),
}


@pytest.mark.parametrize("vendor", VENDORS.values(), ids=list(VENDORS))
def test_every_client_refuses_a_retry_after_beyond_the_ceiling_without_waiting(
    vendor: Vendor,
) -> None:
    slept: list[float] = []
    with respx.mock() as router, httpx.Client() as http:
        throttled_route = vendor.arrange(router)
        client = vendor.make(vendor.base_url, http, slept.append)
        with pytest.raises(vendor.error) as raised:
            vendor.call(client)
    assert slept == []
    assert throttled_route.call_count == 1
    assert raised.value.retry_after == 5.9e19
    assert "ceiling of 3600 s; not waited" in str(raised.value)


def test_locus_which_sends_no_retry_after_refuses_a_backoff_grown_beyond_the_ceiling() -> None:
    slept: list[float] = []
    with respx.mock() as router, httpx.Client() as http:
        router.post("https://locus.test/oauth/token").respond(
            json={"access_token": "t", "expires_in": 3600}
        )
        route = router.get("https://locus.test/v3/sites/1").respond(429, json={})
        locus = LocusClient(
            "id",
            "secret",
            base_url="https://locus.test",
            http=http,
            sleep=slept.append,
            clock=lambda: NOW,
            retry_wait=1000.0,
        )
        with pytest.raises(LocusRateLimited) as raised:
            locus.site(1)
    assert slept == [1000.0, 2000.0]
    assert route.call_count == 3
    assert raised.value.retry_after == 4000.0
