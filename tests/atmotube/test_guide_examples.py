"""Every example request of the Atmotube guide, sent verbatim with the host swapped.

Only the guide's placeholders (the API key ``xxxxxx-xxxx-xxxx-xxxx-xxxxxxxx`` and the MAC
``XX:XX:XX:XX:XX:XX``) are filled in; the examples are copied here, nothing is read from the
guide at test time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.atmotube.conftest import OFFICE

GUIDE_HOST = "https://api.atmotube.com"
KEY_PLACEHOLDER = "xxxxxx-xxxx-xxxx-xxxx-xxxxxxxx"
MAC_PLACEHOLDER = "XX:XX:XX:XX:XX:XX"

RANGE_EXAMPLE = (
    "https://api.atmotube.com/api/v1/data?api_key=xxxxxx-xxxx-xxxx-xxxx-xxxxxxxx"
    "&mac=XX:XX:XX:XX:XX:XX&limit=2000&offset=0&order=desc&start_date=2022-06-13"
    "&end_date=2022-06-17&format=json"
)
DATE_EXAMPLE = (
    "https://api.atmotube.com/api/v1/data?api_key=xxxxxx-xxxx-xxxx-xxxx-xxxxxxxx"
    "&mac=XX:XX:XX:XX:XX:XX&limit=1000&offset=0&order=desc&date=2022-06-13&format=json"
)


def sandboxed(example: str, api_key: str) -> str:
    assert example.startswith(GUIDE_HOST)
    path = "/atmotube" + example.removeprefix(GUIDE_HOST)
    return path.replace(KEY_PLACEHOLDER, api_key).replace(MAC_PLACEHOLDER, OFFICE)


def minutes(items: list[dict[str, object]]) -> list[datetime]:
    return [datetime.fromisoformat(str(item["time"]).replace("Z", "+00:00")) for item in items]


@pytest.mark.parametrize(
    ("example", "first_day", "last_day", "limit"),
    [
        (RANGE_EXAMPLE, "2022-06-13", "2022-06-17", 2000),
        (DATE_EXAMPLE, "2022-06-13", "2022-06-13", 1000),
    ],
    ids=["start_date-end_date-limit-2000", "date-limit-1000"],
)
def test_the_guides_example_url_answers_json_readings_newest_first(
    client: httpx.Client, api_key: str, example: str, first_day: str, last_day: str, limit: int
) -> None:
    response = client.get(sandboxed(example, api_key))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == 0
    items = body["data"]["items"]
    assert len(items) == limit
    days = (datetime.fromisoformat(last_day) - datetime.fromisoformat(first_day)).days + 1
    assert limit <= body["data"]["total"] <= 1440 * days
    times = minutes(items)
    assert times == sorted(times, reverse=True)
    assert all(first_day <= t.date().isoformat() <= last_day for t in times)
    assert all(b - a >= timedelta(minutes=1) for a, b in zip(times[1:], times, strict=False))


def test_a_limit_over_1440_a_day_is_still_refused(client: httpx.Client, api_key: str) -> None:
    over = RANGE_EXAMPLE.replace("limit=2000", "limit=7201")
    response = client.get(sandboxed(over, api_key))
    assert response.status_code == 400
    assert response.json()["message"] == "limit must be an integer between 1 and 7200"
