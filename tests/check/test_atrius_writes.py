"""Atrius write bodies made to obey the rules a schema cannot say, from what the target holds."""

from __future__ import annotations

from typing import Any

from standin.check.profiles.atrius_writes import MAX_POINTS, AtriusWorld, Unit, fix_meter, fix_push

WORLD_UNITS = [
    Unit("kw", "electricity", "power"),
    Unit("kwh", "electricity", "energy"),
    Unit("wh", "electricity", "energy"),
    Unit("degc", "temperature", "temperature"),
    Unit("degf", "temperature", "temperature"),
]


def world() -> AtriusWorld:
    return AtriusWorld(
        organization="6732",
        gateway="48213",
        buildings=["176498"],
        meters=["3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c"],
        units=WORLD_UNITS,
    )


def test_a_patched_unit_joins_the_existing_meters_dimension() -> None:
    existing = {"resourceType": "electricity", "readingType": "cumulative", "storageUnit": "kwh"}
    body: dict[str, Any] = {"displayUnit": "mlb"}
    fix_meter(body, world(), existing=existing)
    assert body["displayUnit"] in {"kwh", "wh"}
    assert (body["resourceType"], body["readingType"]) == ("electricity", "cumulative")
    assert body["storageUnit"] == "kwh"


def test_a_new_meter_gets_a_real_building_gateway_and_one_dimension() -> None:
    body: dict[str, Any] = {
        "building": "https://x/buildings/1",
        "gateway": 7,
        "resourceType": "temperature",
        "readingType": "cumulative",
        "storageUnit": "kwh",
        "displayUnit": "degf",
        "sourceUnit": "k",
        "vendorMeterId": "X",
    }
    fix_meter(body, world(), existing=None)
    assert body["building"] == "https://api.buildingos.com/buildings/176498"
    assert body["gateway"] == 48213
    assert body["readingType"] == "instantaneous"
    assert body["displayUnit"] == "degf"
    assert {body["storageUnit"], body["sourceUnit"]} <= {"degc", "degf"}
    assert body["vendorMeterId"].startswith("CHECK-")


def test_a_push_stays_under_the_point_limit_and_carries_good_readings() -> None:
    body: dict[str, Any] = {"data": {"a": [["2024-01-01T00:00:00Z", 1]] * 800, "b": [[0, 0]] * 800}}
    fix_push(body, world())
    assert sum(len(series) for series in body["data"].values()) <= MAX_POINTS
    good = body["data"]["3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c"]
    assert [value for _, value in good] == [20.0, 21.0, 22.0]
