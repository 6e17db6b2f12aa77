"""The Atmotube reference client: against the fake in-process, and its behaviours against
answers respx serves (any contract-valid answer is the conformance suite's: tests/conformance)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from standin import Sandbox
from standin.clients._http import ApiError
from standin.clients.atmotube import (
    AtmotubeBadRequest,
    AtmotubeClient,
    AtmotubeError,
    AtmotubeNotFound,
    AtmotubeRateLimited,
    AtmotubeUnauthorized,
    Coords,
)
from standin.inprocess import standin
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
            "api_key": "***",  # the journal never keeps a credential
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

CLIENT_NOW = at("2026-11-20T12:00:18")
"""The client's clock in these runs: 42 s before the next minute."""


def generated_run(
    answer: httpx.Response, arguments: dict[str, Any]
) -> tuple[Any, Any, list[float]]:
    """page(**arguments) with every request answered by ``answer``: result or error, the
    requests sent, and the waits. (Any contract-valid answer, for every status, is the
    conformance suite's: tests/conformance.)"""
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
        return outcome, route.calls, waits


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
