"""Pacing under a rate limit and waiting out 429s, on a fake clock (nothing sleeps)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from standin.check.pacing import PacedSession, Pacer, StillThrottled
from tests.check.conftest import FakeTime, Served

MAC = "C2:4E:91:7A:3B:10"


def pacer(fake_time: FakeTime, limit: int, **options: Any) -> Pacer:
    return Pacer(limit, clock=fake_time.clock, sleep=fake_time.sleep, **options)


def test_requests_within_the_limit_never_wait(fake_time: FakeTime) -> None:
    paced = pacer(fake_time, 3)
    for _ in range(3):
        paced.before_request()
    assert fake_time.waits == []
    assert paced.waited == 0.0


def test_the_request_over_the_limit_waits_until_the_oldest_leaves_the_window(
    fake_time: FakeTime,
) -> None:
    paced = pacer(fake_time, 3)
    for step in (0.0, 10.0, 5.0):
        fake_time.now += step
        paced.before_request()
    paced.before_request()
    assert fake_time.waits == [45.0]
    assert fake_time.now == 1060.0
    paced.before_request()
    assert fake_time.waits == [45.0, 10.0]
    assert paced.waited == 55.0


def test_no_window_of_60_seconds_ever_holds_more_than_the_limit(fake_time: FakeTime) -> None:
    paced = pacer(fake_time, 60)
    sent = []
    for i in range(300):
        fake_time.now += 0.25 if i % 7 else 3.0
        paced.before_request()
        sent.append(fake_time.now)
    assert max(sum(1 for t in sent if start <= t < start + 60) for start in sent) == 60


def test_retry_after_is_read_as_seconds_or_as_an_http_date(fake_time: FakeTime) -> None:
    paced = Pacer(60, clock=fake_time.clock, sleep=fake_time.sleep, wall_clock=lambda: 1.7e9)
    assert paced.retry_after("7") == 7.0
    assert paced.retry_after(" 30 ") == 30.0
    # 1.7e9 is Tue, 14 Nov 2023 22:13:20 GMT.
    assert paced.retry_after("Tue, 14 Nov 2023 22:13:32 GMT") == 12.0
    assert paced.retry_after("Tue, 14 Nov 2023 22:13:00 GMT") == 0.0
    assert paced.retry_after(None) == 60.0
    assert paced.retry_after("soon") == 60.0


def test_a_429_is_waited_out_per_retry_after_and_the_request_repeated(
    served: Served, fake_time: FakeTime
) -> None:
    with served.control() as control:
        fault = {"api": "atmotube", "path": "/api/v1/data", "status": 429, "count": 2}
        control.post("/faults", json={**fault, "headers": {"Retry-After": "7"}})
    paced = pacer(fake_time, 60)
    with PacedSession(paced) as session:
        response = session.get(
            f"{served.base_url('atmotube')}/api/v1/data", params={"api_key": "x", "mac": MAC}
        )
    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Invalid API key"}
    assert fake_time.waits == [7.0, 7.0]
    assert (paced.throttled, paced.waited) == (2, 14.0)
    assert len(paced.sent) == 3


def test_a_target_that_keeps_answering_429_fails_after_the_retries(
    served: Served, fake_time: FakeTime
) -> None:
    with served.control() as control:
        fault = {"api": "atmotube", "path": "/api/v1/data", "status": 429}
        control.post("/faults", json={**fault, "headers": {"Retry-After": "1"}})
    paced = pacer(fake_time, 60, max_retries=3)
    with PacedSession(paced) as session, pytest.raises(StillThrottled) as raised:
        session.get(f"{served.base_url('atmotube')}/api/v1/data")
    assert str(raised.value) == "still answered 429 Too Many Requests after 4 attempts"
    assert fake_time.waits == [1.0, 1.0, 1.0]
    journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"api": "atmotube"})
    assert [entry["status"] for entry in journal.json()["requests"]] == [429] * 4


def test_a_403_with_retry_after_is_waited_out_where_the_vendor_throttles_with_403(
    served: Served, fake_time: FakeTime
) -> None:
    with served.control() as control:
        fault = {"api": "metasys", "path": "/api/v4/login", "status": 403, "count": 1}
        control.post("/faults", json={**fault, "headers": {"Retry-After": "3"}})
        refused = {"api": "metasys", "path": "/api/v4/userinfo", "status": 403, "count": 1}
        control.post("/faults", json=refused)
    paced = pacer(fake_time, 600)
    url = served.base_url("metasys")
    with PacedSession(paced, throttle_status=403) as session:
        login = session.post(f"{url}/api/v4/login", json={"username": "x", "password": "y"})
        forbidden = session.get(f"{url}/api/v4/userinfo")
    assert (login.status_code, forbidden.status_code) == (401, 403)
    assert fake_time.waits == [3.0]
    assert paced.throttled == 1
