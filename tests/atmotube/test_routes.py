"""GET /api/v1/data, parameter by parameter and error by error, as the guide describes it."""

import csv
import io
from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin.atmotube.api import AtmotubeApi
from tests.atmotube.conftest import BIKE, DOCK, OFFICE


def items(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]["items"]
    return found


def test_json_answer_has_status_zero_total_and_items(data: Any) -> None:
    response = data(mac=OFFICE, date="2022-06-13", limit=2)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == 0
    assert body["data"]["total"] == 1440
    assert [i["time"] for i in body["data"]["items"]] == [
        "2022-06-13T00:00:00.000Z",
        "2022-06-13T00:01:00.000Z",
    ]
    assert set(body["data"]["items"][0]) == {"time", "voc", "pm1", "pm25", "pm10", "t", "h", "p"}


def test_a_device_with_gps_has_coords_and_one_without_has_none(data: Any) -> None:
    with_gps = items(data(mac=BIKE, date="2022-06-13", limit=1))[0]
    assert set(with_gps["coords"]) == {"lat", "lon"}
    assert abs(with_gps["coords"]["lat"] - 52.52) < 0.02
    assert "coords" not in items(data(mac=OFFICE, date="2022-06-13", limit=1))[0]


def test_mac_is_case_insensitive(data: Any) -> None:
    assert items(data(mac=OFFICE.lower(), date="2022-06-13", limit=3)) == items(
        data(mac=OFFICE, date="2022-06-13", limit=3)
    )


def test_readings_are_deterministic(data: Any, sandbox: Sandbox) -> None:
    first = data(mac=BIKE, date="2022-06-14", limit=50).json()
    sandbox.vendor(AtmotubeApi).cache.clear()
    assert data(mac=BIKE, date="2022-06-14", limit=50).json() == first


def test_limit_defaults_to_100_without_a_date_range(data: Any) -> None:
    response = data(mac=OFFICE)
    assert len(items(response)) == 100
    assert items(response)[0]["time"] == "2022-01-01T00:00:00.000Z"


def test_limit_may_be_left_empty_for_a_date_range_to_get_everything(data: Any) -> None:
    response = data(mac=OFFICE, start_date="2022-06-13", end_date="2022-06-15")
    body = response.json()["data"]
    assert len(body["items"]) == body["total"]
    assert body["total"] > 1440
    empty = data(mac=OFFICE, start_date="2022-06-13", end_date="2022-06-15", limit="")
    assert empty.json() == response.json()


def test_limit_of_1440_gives_a_whole_day(data: Any) -> None:
    assert len(items(data(mac=OFFICE, date="2022-06-13", limit=1440))) == 1440


@pytest.mark.parametrize(
    "limit", ["0", "1441", "2000", "-1", "ten", "1.5", "\uff11\uff10", "9" * 5000, "1" + "0" * 5000]
)
def test_limit_outside_1_to_1440_is_refused(data: Any, limit: str) -> None:
    response = data(mac=OFFICE, limit=limit)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "limit must be an integer between 1 and 1440",
    }


def test_a_date_range_allows_1440_readings_a_day_and_no_more(data: Any) -> None:
    five_days = {"mac": OFFICE, "start_date": "2022-06-13", "end_date": "2022-06-17"}
    everything = data(**five_days, limit=7200).json()["data"]
    assert len(everything["items"]) == everything["total"]  # a few hours are missing
    response = data(**five_days, limit=7201)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "limit must be an integer between 1 and 7200",
    }


def test_a_single_date_allows_1440_readings(data: Any) -> None:
    response = data(mac=OFFICE, date="2022-06-13", limit=1441)
    assert response.status_code == 400
    assert response.json()["message"] == "limit must be an integer between 1 and 1440"


def test_offset_skips_readings(data: Any) -> None:
    day = items(data(mac=OFFICE, date="2022-06-13", limit=20))
    assert items(data(mac=OFFICE, date="2022-06-13", limit=5, offset=10)) == day[10:15]


@pytest.mark.parametrize("offset", ["2147483648", "9" * 5000])
def test_an_offset_beyond_32_bits_is_refused_however_many_digits_it_has(
    data: Any, offset: str
) -> None:
    response = data(mac=OFFICE, offset=offset)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "offset must be an integer between 0 and 2147483647",
    }


def test_an_offset_with_thousands_of_leading_zeros_is_its_value(data: Any) -> None:
    day = items(data(mac=OFFICE, date="2022-06-13", limit=20))
    padded = data(mac=OFFICE, date="2022-06-13", limit=5, offset="0" * 5000 + "10")
    assert items(padded) == day[10:15]


def test_offset_past_the_end_gives_no_items_but_the_total(data: Any) -> None:
    body = data(mac=OFFICE, date="2022-06-13", offset=5000).json()
    assert body == {"status": 0, "data": {"total": 1440, "items": []}}


@pytest.mark.parametrize("offset", ["-1", "x", "2147483648"])
def test_bad_offset_is_refused(data: Any, offset: str) -> None:
    response = data(mac=OFFICE, offset=offset)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "offset must be an integer between 0 and 2147483647",
    }


def test_the_largest_offset_is_accepted(data: Any) -> None:
    body = data(mac=OFFICE, offset=2147483647).json()
    assert body["data"]["items"] == []


def test_order_desc_returns_newest_first(data: Any) -> None:
    ascending = items(data(mac=OFFICE, date="2022-06-13", limit=1440))
    descending = items(data(mac=OFFICE, date="2022-06-13", limit=1440, order="desc"))
    assert descending == list(reversed(ascending))
    first_desc = items(data(mac=OFFICE, date="2022-06-13", limit=3, offset=2, order="desc"))
    assert first_desc == list(reversed(ascending))[2:5]


def test_desc_without_dates_starts_at_the_latest_completed_minute(data: Any) -> None:
    latest = items(data(mac=OFFICE, order="desc", limit=1))[0]
    # The clock is frozen at 12:00:30: the 11:59 minute is the last completed one (if the
    # 11:00 hour was not a gap for this device).
    assert latest["time"] <= "2026-11-20T11:59:00.000Z"
    assert latest["time"] >= "2026-11-20T00:00:00.000Z"


def test_no_readings_after_the_sandbox_clock(data: Any, sandbox: Sandbox) -> None:
    today = data(mac=OFFICE, date="2026-11-20", limit=1440).json()["data"]
    assert today["total"] <= 12 * 60
    assert all(i["time"] < "2026-11-20T12:00:00.000Z" for i in today["items"])
    sandbox.clock.advance(3600)
    later = data(mac=OFFICE, date="2026-11-20", limit=1440).json()["data"]
    assert later["total"] in (today["total"], today["total"] + 60)


def test_no_readings_before_the_device_history_starts(data: Any, client: httpx.Client) -> None:
    key = client.get("/_sandbox/credentials").json()["atmotube"]["keys"][1]["api_key"]
    response = client.get(
        "/atmotube/api/v1/data", params={"api_key": key, "mac": DOCK, "date": "2023-05-31"}
    )
    assert response.json() == {"status": 0, "data": {"total": 0, "items": []}}


def test_a_day_has_at_most_1440_readings_one_per_minute(data: Any) -> None:
    for day in ("2022-06-13", "2022-06-14", "2024-02-29"):
        body = data(mac=BIKE, date=day, limit=1440).json()["data"]
        times = [i["time"] for i in body["items"]]
        assert body["total"] <= 1440
        assert len(times) == len(set(times)) == body["total"]
        assert all(t.startswith(day) and t.endswith(":00.000Z") for t in times)


def test_hours_without_data_are_gaps_not_zeros(data: Any) -> None:
    totals = [
        data(mac=OFFICE, date=f"2022-07-{d:02d}", limit=1).json()["data"]["total"]
        for d in range(1, 31)
    ]
    assert all(total % 60 == 0 for total in totals)
    assert min(totals) < 1440 == max(totals)


def test_start_and_end_date_are_inclusive(data: Any) -> None:
    body = data(mac=OFFICE, start_date="2022-06-13", end_date="2022-06-13").json()
    assert body == data(mac=OFFICE, date="2022-06-13", limit=1440).json()


def test_a_seven_day_range_is_accepted(data: Any) -> None:
    body = data(mac=OFFICE, start_date="2022-06-13", end_date="2022-06-19", limit=1).json()
    assert body["status"] == 0
    assert body["data"]["total"] > 6 * 1440


def test_a_range_longer_than_seven_days_is_refused(data: Any) -> None:
    response = data(mac=OFFICE, start_date="2022-06-13", end_date="2022-06-20")
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "the date range must not exceed 7 days"}


def test_end_before_start_is_refused(data: Any) -> None:
    response = data(mac=OFFICE, start_date="2022-06-17", end_date="2022-06-13")
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "end_date must not be before start_date",
    }


@pytest.mark.parametrize(
    "params",
    [{"start_date": "2022-06-13"}, {"end_date": "2022-06-13"}],
)
def test_start_and_end_date_must_come_together(data: Any, params: dict[str, str]) -> None:
    response = data(mac=OFFICE, **params)
    assert response.status_code == 400
    assert response.json()["message"] == "start_date and end_date must be given together"


def test_date_cannot_be_combined_with_a_range(data: Any) -> None:
    response = data(mac=OFFICE, date="2022-06-13", start_date="2022-06-13", end_date="2022-06-14")
    assert response.status_code == 400
    assert response.json()["message"] == "use either date or start_date and end_date, not both"


@pytest.mark.parametrize("name", ["date", "start_date", "end_date"])
@pytest.mark.parametrize("value", ["2022-6-13", "13-06-2022", "2022-02-30", "2022/06/13", "today"])
def test_malformed_dates_are_refused(data: Any, name: str, value: str) -> None:
    other = {"start_date": "2022-06-13", "end_date": "2022-06-14"}
    params = {name: value} if name == "date" else {**other, name: value}
    response = data(mac=OFFICE, **params)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": f"{name} must be a date in the format YYYY-MM-DD",
    }


@pytest.mark.parametrize(
    "mac", ["C24E917A3B10", "C2-4E-91-7A-3B-10", "C2:4E:91:7A:3B", "ZZ:4E:91:7A:3B:10"]
)
def test_malformed_mac_is_refused(data: Any, mac: str) -> None:
    response = data(mac=mac)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "mac must be a MAC address in the format AA:BB:CC:DD:EE:FF",
    }


def test_missing_mac_is_refused(data: Any) -> None:
    response = data()
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "mac is required"}


def test_a_device_of_another_key_is_not_found(data: Any) -> None:
    response = data(mac=DOCK)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": f"Device {DOCK} is not registered to this API key",
    }


def test_an_unknown_device_is_not_found(data: Any) -> None:
    assert data(mac="00:11:22:33:44:55").status_code == 404


def test_a_device_of_another_tenant_is_not_found(
    client: httpx.Client, sandbox: Sandbox, api_key: str
) -> None:
    tenant = sandbox.create_tenant()
    their_key = tenant.credentials["atmotube"]["api_key"]
    assert their_key != api_key
    registered = client.post(
        "/_sandbox/atmotube/devices", json={"api_key": their_key, "mac": "AA:BB:CC:DD:EE:02"}
    )
    assert registered.status_code == 201
    theirs = {"mac": "AA:BB:CC:DD:EE:02", "date": "2022-06-13"}
    assert (
        client.get("/atmotube/api/v1/data", params={"api_key": their_key, **theirs}).status_code
        == 200
    )
    mine = client.get("/atmotube/api/v1/data", params={"api_key": api_key, **theirs})
    assert mine.status_code == 404


def test_a_new_tenant_has_its_own_copy_of_the_fixture_devices(
    client: httpx.Client, sandbox: Sandbox, data: Any
) -> None:
    tenant = sandbox.create_tenant()
    tenant.clock.freeze(sandbox.clock.now())  # its own clock, at the same time as the default's
    their_key = tenant.credentials["atmotube"]["api_key"]
    theirs = client.get(
        "/atmotube/api/v1/data", params={"api_key": their_key, "mac": OFFICE, "limit": 5}
    )
    assert theirs.json() == data(mac=OFFICE, limit=5).json()


@pytest.mark.parametrize("order", ["ASC", "up", ""])
def test_bad_order_is_refused(data: Any, order: str) -> None:
    response = data(mac=OFFICE, order=order)
    if order == "":
        assert response.status_code == 200  # empty means the default, asc
    else:
        assert response.status_code == 400
        assert response.json() == {"status": 400, "message": "order must be asc or desc"}


def test_bad_format_is_refused(data: Any) -> None:
    response = data(mac=OFFICE, format="xml")
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "format must be json or csv"}


def test_bad_separator_is_refused(data: Any) -> None:
    response = data(mac=OFFICE, format="csv", separator="x")
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "separator must be one of ; , | or a tab"}


def test_csv_is_semicolon_separated_by_default(data: Any) -> None:
    text = data(mac=OFFICE, date="2022-06-13", limit=1, format="csv").text
    assert text.startswith("Date (GMT);VOC (ppm);PM1 (ug/m3);")
    assert text.splitlines()[1].startswith("2022-06-13 00:00:00;")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_first_and_last_representable_days_are_empty_not_errors(data: Any, day: str) -> None:
    for params in ({"date": day}, {"start_date": day, "end_date": day}):
        assert data(mac=OFFICE, **params).json() == {"status": 0, "data": {"total": 0, "items": []}}


def test_missing_api_key_is_unauthorized(client: httpx.Client) -> None:
    response = client.get("/atmotube/api/v1/data", params={"mac": OFFICE})
    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Invalid API key"}


def test_unknown_api_key_is_unauthorized_before_parameters_are_checked(
    client: httpx.Client,
) -> None:
    response = client.get("/atmotube/api/v1/data", params={"api_key": "nope", "mac": "bad"})
    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Invalid API key"}


def parse_csv(text: str, separator: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=separator))


def test_csv_has_a_header_row_and_one_row_per_reading(data: Any) -> None:
    response = data(mac=BIKE, date="2022-06-13", limit=3, format="csv", separator=",")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="D71F0C55A28E.csv"'
    assert response.text.endswith("\r\n")
    rows = parse_csv(response.text)
    assert rows[0] == [
        "Date (GMT)",
        "VOC (ppm)",
        "PM1 (ug/m3)",
        "PM2.5 (ug/m3)",
        "PM10 (ug/m3)",
        "Temperature (C)",
        "Humidity (%)",
        "Pressure (mbar)",
        "Latitude",
        "Longitude",
    ]
    assert [r[0] for r in rows[1:]] == [
        "2022-06-13 00:00:00",
        "2022-06-13 00:01:00",
        "2022-06-13 00:02:00",
    ]


def test_csv_and_json_carry_the_same_readings(data: Any) -> None:
    json_items = items(data(mac=BIKE, date="2022-06-13", limit=5, order="desc"))
    rows = parse_csv(
        data(mac=BIKE, date="2022-06-13", limit=5, order="desc", format="csv").text, ";"
    )
    for item, row in zip(json_items, rows[1:], strict=True):
        assert row[0] == item["time"][:19].replace("T", " ")
        assert [float(v) for v in row[1:8]] == [
            item[k] for k in ("voc", "pm1", "pm25", "pm10", "t", "h", "p")
        ]
        assert [float(row[8]), float(row[9])] == [item["coords"]["lat"], item["coords"]["lon"]]


@pytest.mark.parametrize("separator", [",", "|", "\t"])
def test_csv_honours_the_separator(data: Any, separator: str) -> None:
    text = data(mac=OFFICE, date="2022-06-13", limit=2, format="csv", separator=separator).text
    rows = parse_csv(text, separator)
    assert rows[0][0] == "Date (GMT)"
    assert len(rows[0]) == len(rows[1]) == 10
    assert rows[1][8:] == ["", ""]  # no GPS on this device


def test_the_61st_request_in_a_minute_is_refused_until_the_next_minute(
    data: Any, sandbox: Sandbox
) -> None:
    for _ in range(60):
        assert data(mac=OFFICE, limit=1).status_code == 200
    refused = data(mac=OFFICE, limit=1)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"  # the clock is at hh:mm:30
    assert refused.json() == {
        "status": 429,
        "message": "Rate limit exceeded: 60 requests per minute. Retry after 30 s.",
    }
    sandbox.clock.advance(29)
    assert data(mac=OFFICE, limit=1).headers["retry-after"] == "1"
    sandbox.clock.advance(1)
    assert data(mac=OFFICE, limit=1).status_code == 200


def test_the_rate_limit_is_per_api_key(data: Any, client: httpx.Client, sandbox: Sandbox) -> None:
    for _ in range(60):
        data(mac=OFFICE, limit=1)
    assert data(mac=OFFICE, limit=1).status_code == 429
    second_key = sandbox.credentials()["atmotube"]["keys"][1]["api_key"]
    other = client.get("/atmotube/api/v1/data", params={"api_key": second_key, "mac": DOCK})
    assert other.status_code == 200


def test_invalid_requests_count_against_the_rate_limit(data: Any) -> None:
    for _ in range(60):
        assert data(mac="bad").status_code == 400
    assert data(mac=OFFICE).status_code == 429


def test_the_rate_limit_can_be_raised_or_switched_off(data: Any, sandbox: Sandbox) -> None:
    sandbox.limits.configure({"atmotube": {"requests": {"enabled": False}}})
    assert all(data(mac=OFFICE, limit=1).status_code == 200 for _ in range(70))


def test_unknown_path_and_wrong_method_answer_atmotube_json(client: httpx.Client) -> None:
    missing = client.get("/atmotube/api/v1/nope")
    assert missing.status_code == 404
    assert missing.json() == {"status": 404, "message": "Not found"}
    wrong = client.post("/atmotube/api/v1/data")
    assert wrong.status_code == 405
    assert wrong.json() == {"status": 405, "message": "Method not allowed"}
    assert wrong.headers["allow"] == "GET, HEAD"


def test_the_contract_is_served_pointing_at_this_sandbox(client: httpx.Client) -> None:
    document = client.get("/atmotube/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"][0]["url"] == "http://standin.test/atmotube"
    assert document["servers"][1]["url"] == "https://api.atmotube.com"
    assert "/api/v1/data" in document["paths"]


def test_a_device_registered_through_the_control_plane_answers(
    client: httpx.Client, api_key: str
) -> None:
    created = client.post(
        "/_sandbox/atmotube/devices",
        json={
            "api_key": api_key,
            "mac": "aa:bb:cc:dd:ee:01",
            "since": "2026-11-19",
            "coords": {"lat": 40.7, "lon": -74.0},
        },
    )
    assert created.status_code == 201
    assert created.json() == {"mac": "AA:BB:CC:DD:EE:01", "api_key": api_key, "since": "2026-11-19"}
    body = client.get(
        "/atmotube/api/v1/data",
        params={"api_key": api_key, "mac": "AA:BB:CC:DD:EE:01", "date": "2026-11-19", "limit": 1},
    ).json()
    assert body["data"]["total"] % 60 == 0
    assert body["data"]["total"] > 0
    assert body["data"]["items"][0]["time"].startswith("2026-11-19T")
    assert "coords" in body["data"]["items"][0]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"api_key": "nope", "mac": "AA:BB:CC:DD:EE:01"}, 404),
        ({"mac": "AA:BB:CC:DD:EE:01"}, 404),
        ({"api_key": "KEY", "mac": "nope"}, 400),
        ({"api_key": "KEY", "mac": "AA:BB:CC:DD:EE:01", "environment": "space"}, 400),
        ({"api_key": "KEY", "mac": "AA:BB:CC:DD:EE:01", "since": "June"}, 400),
    ],
)
def test_registering_a_device_checks_its_fields(
    client: httpx.Client, api_key: str, body: dict[str, str], status: int
) -> None:
    if body.get("api_key") == "KEY":
        body = {**body, "api_key": api_key}
    response = client.post("/_sandbox/atmotube/devices", json=body)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
