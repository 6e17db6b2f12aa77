"""The Locus client: against the fake in-process (the reference's three workflows, windows,
token renewal, errors), and with respx serving schema-valid answers that hypothesis writes."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from standin import Sandbox
from standin.clients.locus import (
    LocusAuthError,
    LocusBadRequest,
    LocusClient,
    LocusError,
    LocusForbidden,
    LocusNotFound,
    LocusRateLimited,
)
from standin.inprocess import standin
from standin.locus import LocusApi
from tests.locus.conftest import (
    ADELAIDE_INVERTER,
    INVERTER_E1,
    KAKAAKO,
    MISSION,
    PARTNER,
    THEIR_SITE,
)
from tests.support import SandboxSleep

BASE_URL = "https://api.locusenergy.com"


@pytest.fixture
def live(sandbox: Sandbox) -> Iterator[Sandbox]:
    """Requests for api.locusenergy.com reach the sandbox: the client runs unchanged."""
    with standin(sandbox):
        yield sandbox


def make_client(sandbox: Sandbox, *, password: bool = True, **options: Any) -> LocusClient:
    creds: dict[str, Any] = dict(sandbox.credentials()["locus"])
    login = {"username": creds["username"], "password": creds["password"]} if password else {}
    return LocusClient(
        creds["client_id"],
        creds["client_secret"],
        clock=sandbox.clock.now,
        sleep=SandboxSleep(sandbox),
        **login,
        **options,
    )


def token_posts(sandbox: Sandbox) -> int:
    entries = sandbox.journal.entries("locus", 1000)
    return sum(1 for e in entries if e.method == "POST" and e.path == "/oauth/token")


def data_gets(sandbox: Sandbox) -> list[str]:
    entries = sandbox.journal.entries("locus", 1000)
    return [e.query for e in reversed(entries) if e.path.endswith("/data")]


# --- the reference's common workflows ----------------------------------------------------------


def test_getting_data_for_a_component_by_its_node_id(live: Sandbox) -> None:
    with make_client(live) as locus:
        component, rows = locus.component_data_by_node_id(
            PARTNER,
            "OB.TESTNODE.44",
            ["W_avg", "Wh_sum"],
            dt.datetime(2024, 1, 1),
            dt.datetime(2024, 3, 1),
            gran="monthly",
            tz="US/Pacific",
        )
    assert component.id == INVERTER_E1
    assert [row.ts.isoformat() for row in rows] == [
        "2024-01-01T00:00:00-08:00",
        "2024-02-01T00:00:00-08:00",
    ]
    assert all(set(row.values) == {"W_avg", "Wh_sum"} for row in rows)
    with make_client(live) as locus, pytest.raises(LookupError, match="no GHI_avg"):
        locus.component_data_by_node_id(
            PARTNER, "OB.TESTNODE.44", ["GHI_avg"], dt.datetime(2024, 1, 1),
            dt.datetime(2024, 3, 1), gran="monthly", tz="UTC",
        )  # fmt: skip


def test_getting_lifetime_energy_for_a_component(live: Sandbox) -> None:
    with make_client(live) as locus:
        energy = locus.lifetime_energy(ADELAIDE_INVERTER)
        months = locus.component_data(
            ADELAIDE_INVERTER, ["Wh_sum"], dt.datetime(2023, 1, 1), dt.datetime(2027, 1, 1),
            gran="monthly", tz="UTC",
        )  # fmt: skip
    assert energy == pytest.approx(sum(row.values.get("Wh_sum") or 0 for row in months), abs=1)
    assert 8e7 < energy < 1.2e8  # 18 kW DC for 3.7 years at about 1500 kWh per kW a year


def test_traversing_the_hierarchy_to_get_data(live: Sandbox) -> None:
    with make_client(live) as locus:
        walked = list(locus.walk(PARTNER))
        sites = {site.id for site, _, _ in walked}
        assert KAKAAKO not in sites  # no components
        assert MISSION in sites
        inverter = next(c for _, c, _ in walked if c.id == INVERTER_E1)
        fields = next(f for _, c, f in walked if c.id == INVERTER_E1)
        assert inverter.parent_type == "COMPONENT"
        assert "Wh_sum" in {name for base in fields for name in base.short_names}
        rows = locus.component_data(
            inverter.id, ["Wh_sum"], dt.datetime(2024, 4, 1, 12), dt.datetime(2024, 4, 1, 14),
            gran="hourly", tz="US/Pacific",
        )  # fmt: skip
    assert [row.ts.hour for row in rows] == [12, 13]


# --- windows -----------------------------------------------------------------------------------


def test_long_periods_are_split_into_the_windows_a_granularity_allows(live: Sandbox) -> None:
    with make_client(live) as locus:
        rows = locus.site_data(
            MISSION, ["Wh_sum"], dt.datetime(2024, 1, 1), dt.datetime(2024, 3, 6),
            gran="hourly", tz="America/Los_Angeles",
        )  # fmt: skip
    assert len(data_gets(live)) == 3  # 30 + 30 + 5 days
    assert len(rows) == 65 * 24
    assert len({row.ts for row in rows}) == len(rows)
    gaps = {later.ts - earlier.ts for earlier, later in itertools.pairwise(rows)}
    assert gaps == {dt.timedelta(hours=1)}


def test_one_minute_data_comes_four_days_at_a_time(live: Sandbox) -> None:
    with make_client(live) as locus:
        rows = locus.component_data(
            INVERTER_E1, ["W_avg"], dt.datetime(2024, 6, 1), dt.datetime(2024, 6, 5, 2),
            gran="1min", tz="UTC",
        )  # fmt: skip
    assert len(rows) == (4 * 24 + 2) * 60
    assert [q.split("&")[1:3] for q in data_gets(live)] == [
        ["start=2024-06-01T00%3A00%3A00", "end=2024-06-05T00%3A00%3A00"],
        ["start=2024-06-05T00%3A00%3A00", "end=2024-06-05T02%3A00%3A00"],
    ]


def test_bulk_data_comes_a_year_at_a_time(live: Sandbox) -> None:
    with make_client(live) as locus:
        rows = locus.bulk_data(
            PARTNER, ["Wh_sum", "Wh_e_sum"], dt.datetime(2024, 1, 1), dt.datetime(2025, 3, 1),
            tz="UTC",
        )  # fmt: skip
    assert len(data_gets(live)) == 2
    assert len(rows) == 4 * 14
    assert any(row.values.get("Wh_e_sum", 0.0) is None for row in rows)  # Hudson has no TMY3


# --- tokens ------------------------------------------------------------------------------------


def test_the_token_is_refreshed_before_it_expires_again_and_again(live: Sandbox) -> None:
    with make_client(live) as locus:
        first = locus.token()
        assert first.refresh_token is not None
        locus.site(MISSION)
        live.clock.advance(3600 - 59)
        locus.site(MISSION)
        second = locus.token()
        live.clock.advance(3600)
        locus.site(MISSION)
        third = locus.token()
    assert second.access_token != first.access_token
    assert third.access_token != second.access_token
    assert third.refresh_token == first.refresh_token  # kept: refresh answers carry none
    assert token_posts(live) == 3  # login, refresh, refresh


def test_a_refused_refresh_falls_back_to_a_new_login(live: Sandbox) -> None:
    with make_client(live) as locus:
        first = locus.token()
        assert first.refresh_token is not None
        live.vendor(LocusApi).issuer.revoke(first.refresh_token)
        live.clock.advance(3600)
        locus.site(MISSION)
        renewed = locus.token()
    assert token_posts(live) == 3  # login, refused refresh, login
    assert renewed.refresh_token is not None


def test_client_credentials_work_without_a_user(live: Sandbox) -> None:
    with make_client(live, password=False) as locus:
        assert locus.site(MISSION).name == "Mission St Rooftop"
        assert locus.token().refresh_token is None


def test_wrong_credentials_raise_the_oauth_error(live: Sandbox) -> None:
    locus = LocusClient("standin-locus-client", "wrong")
    with pytest.raises(LocusAuthError) as caught:
        locus.site(MISSION)
    assert caught.value.status == 401
    assert caught.value.error == "invalid_client"


# --- errors ------------------------------------------------------------------------------------


def test_errors_become_typed_exceptions(live: Sandbox) -> None:
    with make_client(live) as locus:
        with pytest.raises(LocusForbidden):
            locus.site(THEIR_SITE)
        with pytest.raises(LocusNotFound):
            locus.component(1)
        with pytest.raises(LocusBadRequest) as bad:
            locus.component_data(
                INVERTER_E1, ["nope"], dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2),
                gran="hourly", tz="UTC",
            )  # fmt: skip
    assert bad.value.body == {"message": "Invalid field: nope", "statusCode": 400}


# --- one request at a time ------------------------------------------------------------------


def token_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": "t", "issued_at": 0, "token_type": "bearer", "expires_in": 3600}
    )


def test_a_429_is_waited_out_and_retried() -> None:
    waits: list[float] = []
    with respx.mock(base_url=BASE_URL) as router:
        router.post("/oauth/token").mock(side_effect=token_answer)
        router.get("/v3/sites/1").mock(
            side_effect=[
                httpx.Response(429, json={"message": "Too many requests", "statusCode": 429}),
                httpx.Response(429, json={"message": "Too many requests", "statusCode": 429}),
                httpx.Response(200, json={"statusCode": 200, "id": 1, "clientId": 2, "name": "S"}),
            ]
        )
        site = LocusClient("id", "secret", sleep=waits.append).site(1)
    assert site.name == "S"
    assert waits == [1.0, 2.0]


def test_a_429_that_persists_is_raised() -> None:
    with respx.mock(base_url=BASE_URL) as router:
        router.post("/oauth/token").mock(side_effect=token_answer)
        sites = router.get("/v3/sites/1").respond(
            429, json={"message": "Too many requests", "statusCode": 429}
        )
        locus = LocusClient("id", "secret", sleep=lambda s: None, max_retries=2)
        with pytest.raises(LocusRateLimited) as caught:
            locus.site(1)
    assert caught.value.body == {"message": "Too many requests", "statusCode": 429}
    assert sites.call_count == 3


def test_threads_sharing_a_client_send_one_request_at_a_time() -> None:
    in_flight = 0
    most = 0
    guard = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        with guard:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.01)
        with guard:
            in_flight -= 1
        if request.url.path == "/oauth/token":
            return token_answer(request)
        return httpx.Response(200, json={"statusCode": 200, "id": 1, "clientId": 2, "name": "S"})

    with httpx.Client(transport=httpx.MockTransport(slow), base_url=BASE_URL) as http:
        locus = LocusClient("id", "secret", http=http)
        threads = [threading.Thread(target=locus.site, args=(1,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert most == 1


# --- an answer outside the contract (any answer inside it: tests/conformance) ---------------


def test_an_answer_that_breaks_the_contract_is_a_locus_error() -> None:
    with respx.mock(base_url=BASE_URL) as router:
        router.post("/oauth/token").mock(side_effect=token_answer)
        router.get("/v3/sites/1").respond(200, json={"statusCode": 200, "id": "one"})
        with pytest.raises(LocusError, match="Locus answered 200 with a body outside the contract"):
            LocusClient("id", "secret").site(1)
