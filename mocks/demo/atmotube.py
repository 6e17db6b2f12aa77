"""Atmotube: a week of readings from every device of the API key, with the reference client.

The API answers at most 7 days per request and 1440 readings per page; the client splits and
pages. The sandbox answers one request 429 along the way, so the client is seen waiting for
the next minute as the guide's rate limit says it must.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from standin.atmotube.errors import rate_limited
from standin.clients.atmotube import DEFAULT_BASE_URL, AtmotubeClient, Reading
from standin.demo.workflow import DemoContext, Step, expect

DAYS = 7
READINGS_PER_DAY = 1440


class AtmotubeWeek:
    title = "Atmotube: a week of readings"
    token_path: str | None = None

    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo
        credentials = demo.control.credentials("atmotube")
        self.api_key = str(credentials["api_key"])
        self.macs = [str(mac) for mac in credentials["macs"]]
        self.client = AtmotubeClient(
            self.api_key,
            http=demo.http,
            clock=demo.now,
            sleep=demo.sleep,
            base_url=demo.base_url or DEFAULT_BASE_URL,
        )
        # The last seven whole days (GMT) before today.
        today = demo.now().date()
        self.first = today - dt.timedelta(days=DAYS)
        self.last = today - dt.timedelta(days=1)
        self.week: dict[str, list[Reading]] = {}

    def close(self) -> None:
        self.client.close()

    def steps(self) -> Sequence[Step]:
        return [
            ("The API key and its devices", self.devices),
            *((f"A week of readings from {mac}", self._week_of(mac)) for mac in self.macs),
            (f"The last day of {self.macs[0]} as CSV", self.csv),
        ]

    def devices(self) -> str:
        expect(bool(self.macs), "the API key has no devices")
        error = rate_limited(60, "30")
        self.demo.control.fail_next(
            "atmotube", "GET", "/api/v1/data", 429, error.body, error.headers
        )
        return (
            f"{len(self.macs)} devices, {self.first} to {self.last} "
            "(the sandbox will answer the first request 429)"
        )

    def _week_of(self, mac: str) -> Callable[[], str]:
        def step() -> str:
            readings = self.client.readings(mac, self.first, self.last)
            self.week[mac] = readings
            times = [r.time for r in readings]
            expect(times == sorted(set(times)), "readings repeat or are out of order")
            expect(
                len(readings) <= DAYS * READINGS_PER_DAY,
                f"{len(readings)} readings is more than one a minute",
            )
            expect(bool(times), f"{mac} has no readings that week")
            return (
                f"{len(readings)} readings, {times[0]:%Y-%m-%d %H:%M} to {times[-1]:%Y-%m-%d %H:%M}"
            )

        return step

    def csv(self) -> str:
        mac = self.macs[0]
        rows = self.client.page_csv(mac, date=self.last, limit=READINGS_PER_DAY)
        json_day = [r for r in self.week.get(mac, []) if r.time.date() == self.last]
        expect(
            [r.time for r in rows] == [r.time for r in json_day],
            "the CSV day differs from the JSON one",
        )
        return f"{len(rows)} rows, the same readings as the JSON"
