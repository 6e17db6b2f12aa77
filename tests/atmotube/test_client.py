"""The Atmotube reference client: against the fake in-process, and against answers generated
from the contract (respx serves them, hypothesis-jsonschema writes them)."""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import jsonschema
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

import contracts
from clients._http import ApiError
from clients.atmotube import (
    AtmotubeBadRequest,
    AtmotubeClient,
    AtmotubeError,
    AtmotubeNotFound,
    AtmotubeRateLimited,
    AtmotubeUnauthorized,
    Coords,
    Reading,
    ReadingsPage,
)
from mocks import Sandbox
from mocks.inprocess import standin
from tests.support import SandboxSleep

BASE_URL = "https://api.atmotube.com"
BIKE = "D7:1F:0C:55:A2:8E"
"""First key; reports GPS coordinates."""
OFFICE = "C2:4E:91:7A:3B:10"
"""First key; no GPS."""
DOCK = "E9:63:2D:B4:7C:05"
"""Registered to the second key only."""
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain client, as a user would write it: standin intercepts the real host name."""
    with httpx.Client() as client:
        yield client


@pytest.fixture
def fake(sandbox: Sandbox) -> Iterator[Sandbox]:
    with standin(sandbox):
        yield sandbox


@pytest.fixture
def sleep(sandbox: Sandbox) -> SandboxSleep:
    return SandboxSleep(sandbox)


def make_client(
    sandbox: Sandbox,
    http: httpx.Client,
    sleep: SandboxSleep,
    *,
    api_key: str | None = None,
    max_retries: int = 3,
) -> AtmotubeClient:
    key = api_key or str(sandbox.credentials()["atmotube"]["api_key"])
    return AtmotubeClient(
        key, http=http, clock=sandbox.clock.now, sleep=sleep, max_retries=max_retries
    )


@pytest.fixture
def atmotube(fake: Sandbox, http: httpx.Client, sleep: SandboxSleep) -> AtmotubeClient:
    return make_client(fake, http, sleep)


def sent(sandbox: Sandbox) -> list[dict[str, str]]:
    """The query of every request the fake saw, oldest first."""
    return [
        {name: values[0] for name, values in parse_qs(entry.query).items()}
        for entry in reversed(sandbox.journal.entries("atmotube"))
    ]


def statuses(sandbox: Sandbox) -> list[int]:
    return [entry.status for entry in reversed(sandbox.journal.entries("atmotube"))]


def span_days(query: dict[str, str]) -> int:
    start = dt.date.fromisoformat(query["start_date"])
    return (dt.date.fromisoformat(query["end_date"]) - start).days + 1


# --- against the fake, in-process ---------------------------------------------------------


def test_a_20_day_range_is_the_days_served_one_by_one_in_order(
    atmotube: AtmotubeClient, fake: Sandbox
) -> None:
    first, last = dt.date(2026, 10, 1), dt.date(2026, 10, 20)

    got = atmotube.readings(BIKE, first, last)

    per_day = {day: atmotube.page(BIKE, date=day) for day in days(first, last)}
    for day, page in per_day.items():
        assert page.total == len(page.items), day  # a date alone means no limit
        assert all(r.time.date() == day for r in page.items)
    expected = [reading for page in per_day.values() for reading in page.items]
    assert got == expected
    assert len({r.time for r in got}) == len(got)
    assert [r.time for r in got] == sorted(r.time for r in got)
    # About 3% of hours are missing, so 20 days hold fewer than 20 * 1440 readings.
    assert 0.9 * 20 * 1440 < len(got) < 20 * 1440


def test_a_range_is_fetched_in_windows_of_7_days_and_pages_of_1440(
    atmotube: AtmotubeClient, fake: Sandbox
) -> None:
    first, last = dt.date(2026, 10, 1), dt.date(2026, 10, 20)
    windows = [
        (dt.date(2026, 10, 1), dt.date(2026, 10, 7)),
        (dt.date(2026, 10, 8), dt.date(2026, 10, 14)),
        (dt.date(2026, 10, 15), dt.date(2026, 10, 20)),
    ]

    atmotube.readings(BIKE, first, last)
    requests = sent(fake)
    totals = [atmotube.page(BIKE, start_date=a, end_date=b, limit=1).total for a, b in windows]

    expected = [
        {
            "api_key": atmotube.api_key,
            "mac": BIKE,
            "order": "asc",
            "format": "json",
            "offset": str(offset),
            "limit": "1440",
            "start_date": a.isoformat(),
            "end_date": b.isoformat(),
        }
        for (a, b), total in zip(windows, totals, strict=True)
        for offset in range(0, total, 1440)
    ]
    assert requests == expected
    assert max(span_days(q) for q in requests) == 7
    assert max(int(q["limit"]) for q in requests) == 1440


@pytest.mark.parametrize(
    ("first", "last", "windows"),
    [
        ("2027-03-01", "2027-03-01", [("2027-03-01", "2027-03-01")]),
        ("2027-03-01", "2027-03-07", [("2027-03-01", "2027-03-07")]),
        ("2027-03-01", "2027-03-08", [("2027-03-01", "2027-03-07"), ("2027-03-08", "2027-03-08")]),
        (
            "2027-02-20",
            "2027-03-10",
            [
                ("2027-02-20", "2027-02-26"),
                ("2027-02-27", "2027-03-05"),
                ("2027-03-06", "2027-03-10"),
            ],
        ),
    ],
)
def test_windows_cover_the_range_with_at_most_7_days_each(
    atmotube: AtmotubeClient, fake: Sandbox, first: str, last: str, windows: list[tuple[str, str]]
) -> None:
    # Days after the sandbox's now hold no readings: one request per window, each total 0.
    got = atmotube.readings(BIKE, dt.date.fromisoformat(first), dt.date.fromisoformat(last))

    assert got == []
    assert [(q["start_date"], q["end_date"], q["offset"]) for q in sent(fake)] == [
        (a, b, "0") for a, b in windows
    ]
    assert statuses(fake) == [200] * len(windows)


def test_desc_returns_the_whole_range_newest_first(atmotube: AtmotubeClient, fake: Sandbox) -> None:
    first, last = dt.date(2026, 10, 5), dt.date(2026, 10, 14)

    newest_first = atmotube.readings(BIKE, first, last, order="desc")
    oldest_first = atmotube.readings(BIKE, first, last)

    assert newest_first == list(reversed(oldest_first))
    assert newest_first[0].time.date() == last
    assert newest_first[-1].time.date() == first
    desc_windows = [(q["start_date"], q["end_date"]) for q in sent(fake) if q["order"] == "desc"]
    assert list(dict.fromkeys(desc_windows)) == [
        ("2026-10-12", "2026-10-14"),
        ("2026-10-05", "2026-10-11"),
    ]


def test_desc_over_a_range_that_grows_while_paging_has_no_repeats_or_gaps(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep
) -> None:
    # Two requests a minute: every other page waits for the next minute, and each minute that
    # completes meanwhile adds a reading at the head, shifting later desc pages by one.
    fake.limits.configure({"atmotube": {"requests": {"limit": 2}}})
    atmotube = make_client(fake, http, sleep)
    first, today = dt.date(2026, 11, 14), dt.date(2026, 11, 20)

    got = atmotube.readings(BIKE, first, today, order="desc")

    fake.limits.configure({"atmotube": {"requests": {"enabled": False}}})
    now_served = [r for day in days(first, today) for r in atmotube.page(BIKE, date=day).items]
    assert now_served[-1].time > got[0].time  # the range did grow during the fetch
    assert got == list(reversed([r for r in now_served if r.time <= got[0].time]))
    assert got[0].time == at("2026-11-20T11:59:00")  # the last completed minute at the start
    assert sleep.waits  # the fetch did wait out the limit


def test_csv_and_json_give_the_same_readings(atmotube: AtmotubeClient, fake: Sandbox) -> None:
    first, last = dt.date(2026, 9, 28), dt.date(2026, 10, 6)
    for mac in (BIKE, OFFICE):
        from_json = atmotube.readings(mac, first, last)
        from_csv = atmotube.readings(mac, first, last, fmt="csv")
        assert from_csv == from_json
        assert len(from_json) > 8 * 1440
    formats = {q["format"] for q in sent(fake)}
    assert formats == {"json", "csv"}
    assert all(q["separator"] == ";" for q in sent(fake) if q["format"] == "csv")


@pytest.mark.parametrize("separator", [",", ";", "|", "\t"])
def test_csv_with_any_separator_matches_the_json_page(
    atmotube: AtmotubeClient, fake: Sandbox, separator: str
) -> None:
    arguments: dict[str, Any] = {
        "order": "desc",
        "offset": 5,
        "limit": 50,
        "date": dt.date(2022, 6, 13),
    }

    rows = atmotube.page_csv(BIKE, separator=separator, **arguments)

    assert rows == atmotube.page(BIKE, **arguments).items
    assert len(rows) == 50
    assert rows[0].time == at("2022-06-13T23:54:00")
    assert rows[0].coords is not None
    assert sent(fake)[0]["separator"] == separator


def test_one_page_is_typed_and_a_device_without_gps_has_no_coords(
    atmotube: AtmotubeClient,
) -> None:
    bike = atmotube.page(BIKE, limit=3)
    office = atmotube.page(OFFICE, date=dt.date(2022, 6, 13), limit=2)

    assert bike.total > 1_000_000  # the whole history since 2022-01-01
    assert [r.time for r in bike.items] == [
        at("2022-01-01T00:00:00"),
        at("2022-01-01T00:01:00"),
        at("2022-01-01T00:02:00"),
    ]
    assert all(isinstance(r.coords, Coords) for r in bike.items)
    assert office.total == 1440
    assert [r.time for r in office.items] == [at("2022-06-13T00:00:00"), at("2022-06-13T00:01:00")]
    assert [r.coords for r in office.items] == [None, None]
    reading = office.items[0]
    assert isinstance(reading.voc, float)
    assert isinstance(reading.pm25, int)
    assert isinstance(reading.h, int)
    assert isinstance(reading.p, float)


def test_without_a_limit_one_page_holds_100_readings(atmotube: AtmotubeClient) -> None:
    page = atmotube.page(OFFICE, order="desc")
    assert len(page.items) == 100
    assert page.items[0].time == at("2026-11-20T11:59:00")


def test_an_unknown_api_key_raises_unauthorized(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep
) -> None:
    atmotube = make_client(fake, http, sleep, api_key="not-a-key")
    with pytest.raises(AtmotubeUnauthorized) as raised:
        atmotube.page(BIKE)
    assert raised.value.status == 401
    assert raised.value.body == {"status": 401, "message": "Invalid API key"}
    assert isinstance(raised.value, AtmotubeError)
    assert isinstance(raised.value, ApiError)


def test_a_device_of_another_key_raises_not_found(atmotube: AtmotubeClient) -> None:
    with pytest.raises(AtmotubeNotFound) as raised:
        atmotube.page(DOCK)
    assert raised.value.status == 404
    assert raised.value.body == {
        "status": 404,
        "message": f"Device {DOCK} is not registered to this API key",
    }


@pytest.mark.parametrize(
    ("mac", "arguments", "message"),
    [
        (
            BIKE,
            {"start_date": dt.date(2022, 6, 1), "end_date": dt.date(2022, 6, 8)},
            "the date range must not exceed 7 days",
        ),
        (
            "D7-1F-0C-55-A2-8E",
            {},
            "mac must be a MAC address in the format AA:BB:CC:DD:EE:FF",
        ),
        (
            BIKE,
            {"date": dt.date(2022, 6, 1), "start_date": dt.date(2022, 6, 1)},
            "use either date or start_date and end_date, not both",
        ),
        (BIKE, {"limit": 1441}, "limit must be an integer between 1 and 1440"),
    ],
)
def test_a_bad_parameter_raises_bad_request(
    atmotube: AtmotubeClient, mac: str, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(AtmotubeBadRequest) as raised:
        atmotube.page(mac, **arguments)
    assert raised.value.status == 400
    assert raised.value.body == {"status": 400, "message": message}


def test_a_range_ending_before_it_starts_is_left_to_the_api(
    atmotube: AtmotubeClient, fake: Sandbox
) -> None:
    with pytest.raises(AtmotubeBadRequest) as raised:
        atmotube.readings(BIKE, dt.date(2022, 6, 10), dt.date(2022, 6, 1))
    assert raised.value.body == {"status": 400, "message": "end_date must not be before start_date"}
    assert [(q["start_date"], q["end_date"]) for q in sent(fake)] == [("2022-06-10", "2022-06-01")]


def test_rate_limited_waits_until_the_next_minute_then_succeeds(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep
) -> None:
    fake.limits.configure({"atmotube": {"requests": {"limit": 2}}})
    atmotube = make_client(fake, http, sleep)

    pages = [atmotube.page(BIKE, limit=1, offset=n) for n in range(3)]

    assert sleep.waits == [30.0]  # NOW is 12:00:30
    assert fake.clock.now() == at("2026-11-20T12:01:00")
    assert statuses(fake) == [200, 200, 429, 200]
    assert [p.items[0].time for p in pages] == [
        at("2022-01-01T00:00:00"),
        at("2022-01-01T00:01:00"),
        at("2022-01-01T00:02:00"),
    ]


def test_rate_limited_waits_for_retry_after_when_it_is_later_than_the_minute(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep
) -> None:
    # 12:00:47.25: the minute ends in 12.75 s, and Retry-After rounds that up to 13.
    fake.clock.advance(17.25)
    fake.limits.configure({"atmotube": {"requests": {"limit": 1}}})
    atmotube = make_client(fake, http, sleep)

    atmotube.page(BIKE, limit=1)
    atmotube.page(BIKE, limit=1)

    assert sleep.waits == [13.0]
    assert statuses(fake) == [200, 429, 200]


def test_rate_limited_raises_after_max_retries_when_the_minute_never_ends(
    fake: Sandbox, http: httpx.Client
) -> None:
    fake.limits.configure({"atmotube": {"requests": {"limit": 2}}})
    stuck = SandboxSleep(fake, moves_clock=False)
    atmotube = make_client(fake, http, stuck)
    atmotube.page(BIKE, limit=1)
    atmotube.page(BIKE, limit=1)

    with pytest.raises(AtmotubeRateLimited) as raised:
        atmotube.page(BIKE, limit=1)

    assert stuck.waits == [30.0, 30.0, 30.0]
    assert statuses(fake) == [200, 200, 429, 429, 429, 429]
    error = raised.value
    assert error.status == 429
    assert error.retry_after == 30.0
    assert error.headers["retry-after"] == "30"
    assert error.body == {
        "status": 429,
        "message": "Rate limit exceeded: 2 requests per minute. Retry after 30 s.",
    }


def test_max_retries_zero_raises_at_the_first_429(fake: Sandbox, http: httpx.Client) -> None:
    fake.limits.configure({"atmotube": {"requests": {"limit": 1}}})
    stuck = SandboxSleep(fake, moves_clock=False)
    atmotube = make_client(fake, http, stuck, max_retries=0)
    atmotube.page(BIKE, limit=1)
    with pytest.raises(AtmotubeRateLimited):
        atmotube.page(BIKE, limit=1)
    assert stuck.waits == []
    assert statuses(fake) == [200, 429]


def test_a_client_without_an_http_client_makes_its_own(fake: Sandbox) -> None:
    key = str(fake.credentials()["atmotube"]["api_key"])
    with AtmotubeClient(key, clock=fake.clock.now, sleep=SandboxSleep(fake)) as atmotube:
        page = atmotube.page(OFFICE, date=dt.date(2022, 6, 13), limit=1)
    assert page.items[0].time == at("2022-06-13T00:00:00")


def test_the_same_client_reaches_the_combined_server_under_its_prefix(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    key = str(sandbox.credentials()["atmotube"]["api_key"])
    atmotube = AtmotubeClient(key, base_url="http://standin.test/atmotube/", http=client)
    page = atmotube.page(OFFICE, date=dt.date(2022, 6, 13), limit=1)
    assert page.total == 1440
    assert sandbox.journal.entries("atmotube")[0].path == "/api/v1/data"


# --- against answers generated from the contract --------------------------------------------

CONTRACT = contracts.load("atmotube")
OPERATION = CONTRACT["paths"]["/api/v1/data"]["get"]
PARAMETERS = {p["name"]: p for p in OPERATION["parameters"]}
API_KEY_PARAMETER = CONTRACT["components"]["securitySchemes"]["ApiKey"]["name"]
ERROR_STATUSES = sorted(int(status) for status in OPERATION["responses"] if status != "200")
MINUTE_TIME = "atmotube-minute"


def resolve_refs(node: Any, root: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by a copy of its target (none recurse)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return resolve_refs({**copy.deepcopy(target), **siblings}, root)
        return {key: resolve_refs(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_refs(item, root) for item in node]
    return node


def response_schema(status: str) -> dict[str, Any]:
    schema = OPERATION["responses"][status]["content"]["application/json"]["schema"]
    resolved: dict[str, Any] = resolve_refs(schema, CONTRACT)
    return resolved


DATA_RESPONSE = response_schema("200")
ERROR_BODY = {status: response_schema(str(status)) for status in ERROR_STATUSES}
RETRY_AFTER = OPERATION["responses"]["429"]["headers"]["Retry-After"]["schema"]


def generatable(schema: dict[str, Any]) -> dict[str, Any]:
    """DataResponse with ``time`` under a custom format instead of ``date-time``.

    hypothesis-jsonschema would generate RFC 3339 date-times and filter them by the pattern
    (``:00.000Z``), which almost never passes; from the pattern alone, ``\\d`` would yield
    non-ASCII digits that no date-time parser takes. So ``time`` comes from a simpler strategy,
    whole minutes printed the contract's way, and the pattern still applies on top.
    """
    schema = copy.deepcopy(schema)
    time = schema["properties"]["data"]["properties"]["items"]["items"]["properties"]["time"]
    assert time["format"] == "date-time"
    time["format"] = MINUTE_TIME
    return schema


minute_times = st.datetimes(min_value=dt.datetime(1970, 1, 1)).map(
    lambda moment: moment.replace(second=0, microsecond=0).isoformat(timespec="milliseconds") + "Z"
)


def contract_values(
    schema: dict[str, Any], custom_formats: dict[str, st.SearchStrategy[str]] | None = None
) -> st.SearchStrategy[Any]:
    """Values valid against ``schema``: every non-object schema comes from ``from_schema``.

    hypothesis-jsonschema 0.23.1 (its latest release) draws object properties through
    Hypothesis's private ``cu.many(...).more()``, which Hypothesis 6.170 no longer has, so
    ``from_schema`` raises AttributeError for any object schema. Objects (and the arrays and
    ``oneOf``s holding them) are therefore put together here from their ``properties``;
    everything below them is still generated by ``from_schema``. Only the keywords the
    contract uses are understood; anything else fails loudly rather than generate bad data.
    """

    def values(node: dict[str, Any]) -> st.SearchStrategy[Any]:
        return contract_values(node, custom_formats)

    if "oneOf" in schema:
        # The contract's oneOfs are null-or-object, which no value can match both of.
        rest = {k: v for k, v in schema.items() if k != "oneOf"}
        return st.one_of([values({**rest, **branch}) for branch in schema["oneOf"]])
    if schema.get("type") == "object":
        unsupported = set(schema) - {"type", "properties", "required", "description"}
        assert not unsupported, unsupported
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        named = st.fixed_dictionaries(
            {name: values(properties[name]) for name in sorted(required)},
            optional={name: values(p) for name, p in properties.items() if name not in required},
        )
        # No additionalProperties: false anywhere, so clients must ignore unknown keys.
        unknown = st.dictionaries(
            st.text(max_size=8).filter(lambda name: name not in properties),
            from_schema(True),
            max_size=2,
        )
        return st.tuples(named, unknown).map(lambda parts: {**parts[1], **parts[0]})
    if schema.get("type") == "array" and schema.get("items", {}).get("type") == "object":
        unsupported = set(schema) - {"type", "items", "minItems", "maxItems", "description"}
        assert not unsupported, unsupported
        return st.lists(
            values(schema["items"]),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems"),
        )
    return from_schema(schema, custom_formats=custom_formats)


data_responses = contract_values(
    generatable(DATA_RESPONSE), custom_formats={MINUTE_TIME: minute_times}
)


@st.composite
def error_answers(draw: st.DrawFn) -> tuple[int, Any, dict[str, str]]:
    status = draw(st.sampled_from(ERROR_STATUSES))
    body = draw(contract_values(ERROR_BODY[status]))
    headers = {"Retry-After": draw(from_schema(RETRY_AFTER))} if status == 429 else {}
    return status, body, headers


def from_parameter(name: str) -> st.SearchStrategy[Any]:
    return from_schema(PARAMETERS[name]["schema"])


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


contract_days = from_parameter("date").map(dt.date.fromisoformat)

page_arguments = st.fixed_dictionaries(
    {
        "mac": from_parameter("mac"),
        "order": from_parameter("order"),
        "offset": from_parameter("offset"),
        "limit": optional(from_parameter("limit")),
    }
).flatmap(
    lambda arguments: st.one_of(
        st.just({}),
        st.fixed_dictionaries({"date": contract_days}),
        st.fixed_dictionaries({"start_date": contract_days, "end_date": contract_days}),
    ).map(lambda days: {**arguments, **days})
)


def assert_follows_contract(request: httpx.Request) -> None:
    assert request.method == "GET"
    assert request.url.path == "/api/v1/data"
    params = request.url.params
    names = list(params.keys())
    assert len(names) == len(set(names)), names
    assert params.get(API_KEY_PARAMETER)
    assert set(names) <= {*PARAMETERS, API_KEY_PARAMETER}, names
    required = {name for name, p in PARAMETERS.items() if p.get("required")}
    assert required <= set(names)
    for name in names:
        if name == API_KEY_PARAMETER:
            continue
        schema = PARAMETERS[name]["schema"]
        value: Any = params[name]
        if schema.get("type") == "integer":
            assert re.fullmatch(r"-?[0-9]+", value), (name, value)
            value = int(value)
        jsonschema.validate(
            value,
            schema,
            cls=jsonschema.Draft202012Validator,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )


def typed(item: dict[str, Any]) -> Reading:
    """What the client should make of one generated item, written independently of it."""

    def number(name: str) -> float | None:
        value = item.get(name)
        return None if value is None else float(value)

    def integer(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else int(value)

    coords = item.get("coords")
    return Reading(
        time=dt.datetime.fromisoformat(item["time"]),
        voc=number("voc"),
        pm1=integer("pm1"),
        pm25=integer("pm25"),
        pm10=integer("pm10"),
        t=number("t"),
        h=integer("h"),
        p=number("p"),
        coords=None if coords is None else Coords(float(coords["lat"]), float(coords["lon"])),
    )


CLIENT_NOW = at("2026-11-20T12:00:18")
"""The client's clock in generated runs: 42 s before the next minute."""


def generated_run(
    answer: httpx.Response, arguments: dict[str, Any]
) -> tuple[Any, Any, list[float]]:
    """page(**arguments) with every request answered by ``answer``: result or error, the
    requests sent, and the waits."""
    waits: list[float] = []
    with respx.mock(base_url=BASE_URL) as router, httpx.Client() as http:
        route = router.get("/api/v1/data").mock(return_value=answer)
        atmotube = AtmotubeClient(
            "any-key", http=http, clock=lambda: CLIENT_NOW, sleep=waits.append
        )
        outcome: Any
        try:
            outcome = atmotube.page(**arguments)
        except AtmotubeError as error:
            outcome = error
        for call in route.calls:
            assert_follows_contract(call.request)
        return outcome, route.calls, waits


@given(body=data_responses, arguments=page_arguments)
def test_any_contract_valid_page_is_parsed_into_equal_typed_readings(
    body: dict[str, Any], arguments: dict[str, Any]
) -> None:
    jsonschema.validate(body, DATA_RESPONSE, cls=jsonschema.Draft202012Validator)

    page, calls, waits = generated_run(httpx.Response(200, json=body), arguments)

    assert page == ReadingsPage(body["data"]["total"], [typed(i) for i in body["data"]["items"]])
    assert len(calls) == 1
    assert waits == []


@given(answer=error_answers(), arguments=page_arguments)
def test_any_contract_error_raises_its_typed_error(
    answer: tuple[int, Any, dict[str, str]], arguments: dict[str, Any]
) -> None:
    status, body, headers = answer
    expected_type = {
        400: AtmotubeBadRequest,
        401: AtmotubeUnauthorized,
        404: AtmotubeNotFound,
        429: AtmotubeRateLimited,
    }[status]

    error, calls, waits = generated_run(
        httpx.Response(status, json=body, headers=headers), arguments
    )

    assert type(error) is expected_type
    assert error.status == status
    assert error.body == body
    if status == 429:
        header = float(headers["Retry-After"])
        usable = math.isfinite(header)
        assert error.retry_after == (header if usable else 42.0)
        assert waits == [max(42.0, header) if usable else 42.0] * 3
        assert len(calls) == 4
    else:
        assert waits == []
        assert len(calls) == 1


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("5", 42.0), ("42", 42.0), ("50", 50.0), ("soon", 42.0)],
)
def test_a_429_waits_for_the_later_of_retry_after_and_the_next_minute(
    retry_after: str, wait: float
) -> None:
    answer = httpx.Response(
        429, json={"status": 429, "message": "slow down"}, headers={"Retry-After": retry_after}
    )
    _, calls, waits = generated_run(answer, {"mac": BIKE})
    assert waits == [wait, wait, wait]
    assert len(calls) == 4


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="Internal Server Error"),
        httpx.Response(503, json={"status": 503, "message": "maintenance"}),
        httpx.Response(200, text="<html>not json</html>"),
        httpx.Response(200, json={"status": 1, "data": {"total": 0, "items": []}}),
        httpx.Response(200, json={"status": 0, "data": {"total": -1, "items": []}}),
        httpx.Response(200, json={"status": 0, "data": {"total": 1, "items": [{"voc": 1}]}}),
        httpx.Response(
            200, json={"status": 0, "data": {"total": 1, "items": [{"time": "yesterday"}]}}
        ),
        httpx.Response(
            200,
            json={
                "status": 0,
                "data": {"total": 1, "items": [{"time": "2022-06-13T00:00:00.000Z", "pm1": "4"}]},
            },
        ),
    ],
)
def test_an_undocumented_status_or_a_body_outside_the_contract_raises_atmotube_error(
    answer: httpx.Response,
) -> None:
    error, _, _ = generated_run(answer, {"mac": BIKE})
    assert type(error) is AtmotubeError
    assert error.status == answer.status_code


def test_a_csv_without_the_documented_header_raises_atmotube_error() -> None:
    with respx.mock(base_url=BASE_URL) as router:
        router.get("/api/v1/data").mock(return_value=httpx.Response(200, text="time,voc\r\n"))
        with AtmotubeClient("any-key") as atmotube, pytest.raises(AtmotubeError) as raised:
            atmotube.page_csv(BIKE)
    assert raised.value.status == 200
    assert raised.value.body == "time,voc\r\n"
