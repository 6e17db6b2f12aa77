"""Atrius meter data over 2,000 rows is made on a worker thread, pushed readings included: a
cheap request answers while a year of a pushed-to meter's quarter hours is being made, and
that year equals its days asked one at a time (each made on the loop)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from standin import Sandbox, build_app
from standin.atrius import state as atrius_state
from tests.atrius.conftest import LIB_DEMAND, LIB_ELECTRICITY
from tests.conftest import bearer

YEAR = {"start": "2023-01-01", "end": "2023-12-31", "resolution": "quarterhour"}


def hourly(first: datetime, hours: int, value: Callable[[int], float]) -> list[list[Any]]:
    return [
        [(first + timedelta(hours=n)).isoformat().replace("+00:00", "Z"), value(n)]
        for n in range(hours)
    ]


def push(api: Any, data: dict[str, Any]) -> None:
    response = api.post("/gateways/48213/data", json={"data": data})
    assert response.status_code == 200, response.text


def data(api: Any, meter: str, **params: str) -> list[dict[str, Any]]:
    response = api.get(f"/meters/{meter}/data/", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


@pytest.mark.parametrize("meter", [LIB_ELECTRICITY, LIB_DEMAND])
def test_a_pushed_year_of_quarter_hours_equals_its_days_asked_one_at_a_time(
    api: Any, meter: str
) -> None:
    january = datetime(2023, 1, 1, 5, tzinfo=UTC)  # local midnight in New York
    push(api, {meter: hourly(january, 24 * 20, lambda n: 1000.0 + 7 * n)})
    push(api, {meter: hourly(january + timedelta(days=40), 24 * 5, lambda n: 9000.0 + n)})
    year = data(api, meter, **YEAR)
    assert len(year) == 365 * 96
    # Inside the readings, a day without any, and the first day after the gap (whose
    # cumulative baseline is the last reading before it).
    for day in ("2023-01-01", "2023-01-20", "2023-01-30", "2023-02-10", "2023-02-11"):
        alone = data(api, meter, start=day, end=day, resolution="quarterhour")
        assert [row for row in year if row["localtime"].startswith(day)] == alone
    assert {row["value"] for row in year if row["localtime"].startswith("2023-06")} == {None}


def test_a_year_of_a_meter_with_readings_only_outside_it_is_empty_not_generated(
    api: Any,
) -> None:
    push(api, {LIB_DEMAND: hourly(datetime(2022, 3, 1, tzinfo=UTC), 48, lambda n: 500.0)})
    year = data(api, LIB_DEMAND, **YEAR)
    assert len(year) == 365 * 96
    assert {row["value"] for row in year} == {None}


@pytest.mark.anyio
async def test_a_cheap_request_answers_while_a_pushed_year_is_being_made(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    making, release = threading.Event(), threading.Event()
    made_on: list[str] = []
    waited: list[bool] = []
    meter_rows = atrius_state.meter_rows

    def held(*args: Any) -> Any:
        made_on.append(threading.current_thread().name)
        making.set()
        # Bounded: were this on the event loop, the cheap request could not answer, and the
        # test fails once this gives up instead of hanging.
        waited.append(release.wait(10))
        return meter_rows(*args)

    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        creds = sandbox.credentials()["atrius"]
        form = {
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "grant_type": "client_credentials",
        }
        token = (await http.post("/atrius/o/token/", data=form)).json()["access_token"]
        auth = bearer(token)
        start = datetime(2023, 1, 1, 5, tzinfo=UTC)
        pushed = await http.post(
            "/atrius/gateways/48213/data",
            json={"data": {LIB_DEMAND: hourly(start, 24 * 30, lambda n: 1000.0)}},
            headers=auth,
        )
        assert pushed.status_code == 200
        monkeypatch.setattr(atrius_state, "meter_rows", held)
        heavy: list[httpx.Response] = []

        async def ask_heavy() -> None:
            heavy.append(
                await http.get(f"/atrius/meters/{LIB_DEMAND}/data/", params=YEAR, headers=auth)
            )

        async with anyio.create_task_group() as group:
            group.start_soon(ask_heavy)
            while not making.is_set():
                await anyio.sleep(0.01)
            cheap = await http.get(f"/atrius/meters/{LIB_ELECTRICITY}", headers=auth)
            answered_while_held = not release.is_set()
            release.set()
    assert (cheap.status_code, answered_while_held) == (200, True)
    assert made_on != [threading.main_thread().name]
    assert waited == [True]
    [answer] = heavy
    assert answer.status_code == 200
    rows = answer.json()["data"]
    assert len(rows) == 365 * 96
    assert rows[0] == {"localtime": "2023-01-01T00:00:00-05:00", "value": 1.0}
