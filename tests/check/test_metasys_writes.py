"""Metasys ``--allow-writes``: the check writes only to objects of its own, and passes against
`standin serve`."""

from __future__ import annotations

import re
from typing import Any

import httpx

from standin.check.profiles.metasys_writes import (
    description,
    fix_batch,
    takes_analog_values,
    tree_items,
    unique_ids,
)
from standin.check.report import summary
from standin.metasys.api import MetasysApi
from tests.check.conftest import FakeTime, Served
from tests.check.test_check import contract_operations, quick

OBJECT_WRITE = re.compile(r"^/api/v4/objects/([0-9a-f-]{36})(/commands/.*)?$")


def test_a_get_batch_carries_no_bodies_and_repeated_ids_are_made_unique() -> None:
    body: dict[str, Any] = {
        "method": "GET",
        "requests": [
            {"id": "1", "relativeUrl": "a", "body": {"x": 1}},
            {"id": "1", "relativeUrl": "b"},
            {"id": "2", "relativeUrl": "c"},
        ],
    }
    fix_batch(body, "scratch", seed=0)
    assert body["requests"] == [
        {"id": "1", "relativeUrl": "a"},
        {"id": "1~1", "relativeUrl": "b"},
        {"id": "2", "relativeUrl": "c"},
    ]


def test_a_patch_batch_edits_the_descriptions_of_the_checks_own_object() -> None:
    body: dict[str, Any] = {"method": "PATCH", "requests": [{"id": "", "relativeUrl": "x"}] * 2}
    body["requests"] = [dict(r) for r in body["requests"]]
    fix_batch(body, "scratch", seed=0)
    assert [r["id"] for r in body["requests"]] == ["", "~1"]
    assert {r["relativeUrl"] for r in body["requests"]} == {"scratch"}
    assert body["requests"][0]["body"] == description((0, 0))
    assert set(body["requests"][0]["body"]["item"]) == {"description"}


def test_unique_ids_leaves_anything_but_a_list_of_requests_alone() -> None:
    for body in (None, [], {"requests": "x"}, {"requests": [1, {"id": "a"}, {"id": "a"}]}):
        unique_ids(body)
    body = {"requests": [1, {"id": "a"}, {"id": "a"}]}
    unique_ids(body)
    assert body == {"requests": [1, {"id": "a"}, {"id": "a~2"}]}


def test_analog_values_are_found_in_either_shape_of_the_child_types() -> None:
    assert takes_analog_values([{"objectType": "avClass"}])
    assert takes_analog_values({"items": [{"objectType": "objectTypeEnumSet.avClass"}]})
    assert not takes_analog_values({"items": [{"objectType": "containerClass"}]})
    assert not takes_analog_values({"items": [{"objectType": "objectTypeEnumSet.navClass"}]})
    assert not takes_analog_values("avClass")


def test_with_allow_writes_every_operation_passes_and_writes_only_the_checks_own_objects(
    served: Served, fake_time: FakeTime
) -> None:
    state = served.sandbox.vendor(MetasysApi).state(served.sandbox.tenants.default())
    site_objects = {obj.id for obj in state.tree.all()}
    with served.control() as control:
        # 70 operations, their replays and the lookups of the world are more than 600 requests
        # a minute: the pacing has its own tests.
        off = {"metasys": {"requests": {"enabled": False}}}
        assert control.patch("/limits", json=off).status_code == 200
    # Positive examples only: they are the ones that write.
    report = quick("metasys", served, fake_time, allow_writes=True, max_examples=1)
    assert report.ok, summary(report, 1)
    assert [r.label for r in report.operations] == contract_operations("metasys")
    results = {r.label: r for r in report.operations}
    for label in (
        "POST /api/v4/objects",
        "PATCH /api/v4/objects/{objectId}",
        "DELETE /api/v4/objects/{objectId}",
        "PUT /api/v4/objects/{objectId}/commands/{commandId}",
    ):
        assert any(200 <= s < 300 for s in results[label].statuses), (label, results[label])
    journal = httpx.get(
        f"{served.origin}/_sandbox/requests", params={"api": "metasys", "limit": 1000}
    ).json()["requests"]
    written = {
        match.group(1)
        for entry in journal
        if entry["method"] in ("PATCH", "PUT", "DELETE") and 200 <= entry["status"] < 300
        if (match := OBJECT_WRITE.match(entry["path"]))
    }
    assert written
    assert not written & site_objects
    made = [
        entry
        for entry in journal
        if (entry["method"], entry["path"]) == ("POST", "/api/v4/objects")
        and 200 <= entry["status"] < 300
    ]
    # The POST's own example, the object edited and commanded, the one deleted.
    assert len(made) >= 3
    # Whatever the run made, it deleted when it finished.
    assert {obj.id for obj in state.tree.all()} == site_objects
    deleted_devices = [
        entry
        for entry in journal
        if entry["method"] == "DELETE" and entry["path"].startswith("/api/v4/networkDevices/")
    ]
    assert deleted_devices
    assert {entry["status"] for entry in deleted_devices} <= {401, 404}


def test_a_listing_is_read_flat_or_nested() -> None:
    nested = {"items": [{"id": "p", "items": [{"id": "a"}, {"id": "b", "items": [{"id": "c"}]}]}]}
    assert [item["id"] for item in tree_items(nested)] == ["p", "a", "b", "c"]
    assert [item["id"] for item in tree_items({"items": [{"id": "a"}, 1]})] == ["a"]
    assert tree_items(None) == []
