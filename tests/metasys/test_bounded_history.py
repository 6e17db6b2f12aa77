"""What a tenant keeps of its Metasys history: the newest audits, alarms and value changes up to
a documented bound, with lists, counts and pages that say only what is kept."""

from __future__ import annotations

from typing import Any

import httpx

from standin import Sandbox
from standin.metasys.state.alarms import ALARM_LIMIT, Annotation
from standin.metasys.state.annotation_log import ANNOTATION_LIMIT, AnnotationLog
from standin.metasys.state.audits import AUDIT_LIMIT
from standin.metasys.state.history import HISTORY_KEPT, HISTORY_LIMIT
from standin.metasys.state.site import EVENT_LIMIT, MetasysState
from tests.metasys.conftest import FAN, ZONE_SETPOINT, object_id, state_of

EPOCH = "1970-01-01T00:00:00Z"


def describe(sandbox: Sandbox, times: int, step: float = 1.0) -> MetasysState:
    """``times`` description edits of the zone setpoint, ``step`` seconds apart: one audit and
    one event each."""
    state = state_of(sandbox)
    point = state.object(object_id(sandbox, ZONE_SETPOINT))
    admin = next(user for user in state.users.values() if user.can_write)
    for number in range(times):
        state.patch(point, {"item": {"description": f"edit {number}"}}, admin)
        sandbox.clock.advance(step)
    return state


def raise_alarms(sandbox: Sandbox, times: int) -> MetasysState:
    state = state_of(sandbox)
    fan = state.object(object_id(sandbox, FAN))
    for number in range(times):
        state.raise_alarm(fan, "avAlarm", 100 + number % 50, bool(number % 2), number)
    return state


def test_the_audit_log_keeps_the_newest_10000_and_says_so_in_its_total(
    api: Any, sandbox: Sandbox
) -> None:
    state = describe(sandbox, AUDIT_LIMIT + 5)
    assert AUDIT_LIMIT == 10_000
    oldest_kept = state.audits[0]
    body = api.get("/audits", params={"pageSize": 2, "sort": "creationTime"}).json()
    assert body["total"] == 10_000
    assert [i["id"] for i in body["items"]] == [oldest_kept.id, state.audits[1].id]
    assert oldest_kept.post_data == "edit 5"
    newest = api.get("/audits", params={"pageSize": 1, "sort": "-creationTime"}).json()
    assert newest["items"][0]["postData"]["item"] == f"edit {AUDIT_LIMIT + 4}"
    assert newest["total"] == 10_000
    last_page = api.get("/audits", params={"pageSize": 1000, "page": 10}).json()
    assert (len(last_page["items"]), last_page["next"]) == (1000, None)


def test_a_dropped_audit_answers_404_and_its_id_is_never_reused(api: Any, sandbox: Sandbox) -> None:
    state = describe(sandbox, 1)
    first = state.audits[0].id
    api.patch(f"/audits/{first}", json={"activityManagementStatus": "discarded"})
    assert first in state.audit_book.tracks
    describe(sandbox, AUDIT_LIMIT)
    assert api.get(f"/audits/{first}").status_code == 404
    assert first not in state.audit_book.tracks
    assert len({entry.id for entry in state.audits}) == AUDIT_LIMIT
    assert first not in {entry.id for entry in state.audits}


def test_audit_counts_and_users_count_only_the_kept_audits(api: Any, sandbox: Sandbox) -> None:
    state = describe(sandbox, AUDIT_LIMIT + 3)
    counts = api.get(
        "/audits/counts", params={"startTime": EPOCH, "endTime": "2999-01-01T00:00:00Z"}
    )
    assert counts.status_code == 200
    assert [(c["auditStringId"], c["count"]) for c in counts.json()] == [(42, 10_000)]
    users = api.get("/audits/users").json()
    assert (users["total"], users["items"]) == (1, [state.audits[0].user])


def test_the_alarm_list_keeps_the_newest_10000_and_says_so_in_its_total(
    api: Any, sandbox: Sandbox
) -> None:
    state = raise_alarms(sandbox, ALARM_LIMIT + 2)
    assert ALARM_LIMIT == 10_000
    assert len(state.alarms.items) == 10_000
    body = api.get("/alarms", params={"pageSize": 1, "sort": "creationTime"}).json()
    assert body["total"] == 10_000
    oldest_kept = state.alarms.history[0]
    assert (body["items"][0]["id"], oldest_kept.trigger_value) == (oldest_kept.id, 2)


def test_value_changes_keep_the_newest_10000_and_number_on(sandbox: Sandbox) -> None:
    state = describe(sandbox, EVENT_LIMIT + 1)
    assert EVENT_LIMIT == 10_000
    assert len(state.events) == 10_000
    assert (state.events[0].value, state.events[-1].sequence) == ("edit 1", 10_001)


def test_the_first_page_read_from_the_kept_order_is_the_page_a_full_sort_gives(
    api: Any, sandbox: Sandbox, client: httpx.Client
) -> None:
    # Same times (the clock frozen), then a clock moved back: ties and out-of-order arrivals.
    client.post("/_sandbox/clock", json={"freeze": True})
    describe(sandbox, 30, step=0)
    raise_alarms(sandbox, 30)
    client.post("/_sandbox/clock", json={"advance": -600})
    describe(sandbox, 30, step=0)
    raise_alarms(sandbox, 30)
    client.post("/_sandbox/clock", json={"advance": 1200})
    describe(sandbox, 30, step=10)
    for path in ("/audits", "/alarms"):
        for sort in ("creationTime", "-creationTime"):
            for page in (1, 2, 3):
                plain = {"sort": sort, "pageSize": 25, "page": page}
                # A filter that selects everything takes the full scan and sort.
                scanned = api.get(path, params={**plain, "startTime": EPOCH}).json()
                kept = api.get(path, params=plain).json()
                assert [i["id"] for i in kept["items"]] == [i["id"] for i in scanned["items"]]
                assert (kept["total"], kept["next"] is None) == (
                    scanned["total"],
                    scanned["next"] is None,
                )
    for sort in ("creationTime", "-creationTime"):
        kept = api.get("/activities", params={"sort": sort}).json()
        scanned = api.get("/activities", params={"sort": sort, "startTime": EPOCH}).json()
        assert kept["total"] == scanned["total"] == 150
        assert [i["id"] for i in kept["items"]] == [i["id"] for i in scanned["items"]]
        following = api.get(kept["next"].split("/api/v4")[1]).json()
        scanned_next = api.get(scanned["next"].split("/api/v4")[1]).json()
        assert [i["id"] for i in following["items"]] == [i["id"] for i in scanned_next["items"]]


def alarm_notes(api: Any, alarm_id: str) -> list[tuple[int, str]]:
    listed = api.get(f"/alarms/{alarm_id}/annotations", params={"pageSize": 10_000}).json()
    return [(item["id"], item["text"]) for item in listed["items"]]


def test_a_tenant_keeps_its_newest_10000_alarm_annotations_dropping_the_oldest_first(
    api: Any, sandbox: Sandbox
) -> None:
    state = raise_alarms(sandbox, 2)
    first, second = state.alarms.history[0], state.alarms.history[1]
    assert ANNOTATION_LIMIT == 10_000
    assert (
        api.post(f"/alarms/{first.id}/annotations", json={"text": "on the first"}).status_code
        == 201
    )
    for number in range(ANNOTATION_LIMIT):
        sandbox.clock.advance(1)
        state.alarms.annotate(second, f"note {number}", "admin")
    assert alarm_notes(api, first.id) == []
    assert api.get(f"/alarms/{first.id}").json()["annotationsUrl"] is None
    kept = alarm_notes(api, second.id)
    assert (len(kept), kept[0], kept[-1]) == (10_000, (1, "note 0"), (10_000, "note 9999"))
    sandbox.clock.advance(1)
    assert api.post(f"/alarms/{second.id}/annotations", json={"text": "newest"}).status_code == 201
    kept = alarm_notes(api, second.id)
    assert (len(kept), kept[0], kept[-1]) == (10_000, (2, "note 1"), (10_001, "newest"))


def test_a_tenant_keeps_its_newest_10000_audit_annotations_ids_never_reused(
    api: Any, sandbox: Sandbox
) -> None:
    state = describe(sandbox, 1)
    entry = state.audits[0]
    for number in range(ANNOTATION_LIMIT + 2):
        state.audit_book.annotate(entry, f"note {number}", "admin")
        sandbox.clock.advance(1)
    listed = api.get(f"/audits/{entry.id}/annotations", params={"pageSize": 10_000}).json()
    assert listed["total"] == 10_000
    assert [(i["id"], i["text"]) for i in (listed["items"][0], listed["items"][-1])] == [
        (3, "note 2"),
        (10_002, "note 10001"),
    ]
    assert len(state.audit_book.annotation_log) == 10_000


def early_samples(api: Any, point: str) -> list[tuple[str, float]]:
    window = {"startTime": "2026-11-20T12:00:00Z", "endTime": "2026-11-20T12:02:00Z"}
    body = api.get(f"/objects/{point}/trendedAttributes/presentValue/samples", params=window)
    assert body.status_code == 200
    return [(s["timestamp"], s["value"]["value"]) for s in body.json()["items"]]


def test_a_points_command_history_keeps_its_newest_changes_older_samples_come_back_generated(
    api: Any, sandbox: Sandbox
) -> None:
    state = state_of(sandbox)
    point = state.object(object_id(sandbox, ZONE_SETPOINT))
    admin = next(user for user in state.users.values() if user.can_write)
    assert (HISTORY_LIMIT, HISTORY_KEPT) == (10_000, 9_000)
    for number in range(HISTORY_LIMIT):
        value = 70.0 if number % 2 == 0 else 71.0
        state.command(point, "adjustCommand", {"parameters": [value]}, admin)
        sandbox.clock.advance(60)
    assert early_samples(api, point.id) == [
        ("2026-11-20T12:00:00.000Z", 72.0),
        ("2026-11-20T12:00:30.000Z", 70.0),
        ("2026-11-20T12:01:30.000Z", 71.0),
    ]
    state.command(point, "adjustCommand", {"parameters": [70.0]}, admin)
    # 10,001 changes: the oldest 1,001 went; before the earliest kept, the point reads as never
    # commanded (its relinquishDefault, 72.0).
    assert early_samples(api, point.id) == [("2026-11-20T12:00:00.000Z", 72.0)]
    first_kept = "2026-11-21T04:41:30.000Z"  # change 1,002: 1,001 minutes after the first
    window = {"startTime": "2026-11-21T04:30:00Z", "endTime": "2026-11-21T04:42:00Z"}
    body = api.get(f"/objects/{point.id}/trendedAttributes/presentValue/samples", params=window)
    assert [(s["timestamp"], s["value"]["value"]) for s in body.json()["items"]] == [
        ("2026-11-21T04:30:00.000Z", 72.0),
        (first_kept, 71.0),
    ]


def test_a_dropped_annotation_leaves_a_record_that_holds_an_equal_copy_as_after_a_restore() -> None:
    # A data directory keeps each log row on its own, so after a restore the record's list and
    # the annotation log hold equal copies, not the same object: the bound must still hold.
    log: AnnotationLog[Annotation] = AnnotationLog(limit=2)
    notes = [Annotation(1, "first", "u", 0.0, "none")]
    restored = {"alarm-1": notes}
    log.add("alarm-1", 0.0, Annotation(1, "first", "u", 0.0, "none"), restored.get)
    second = Annotation(2, "second", "u", 1.0, "none")
    notes.append(second)
    log.add("alarm-1", 1.0, second, restored.get)
    third = Annotation(3, "third", "u", 2.0, "none")
    notes.append(third)
    log.add("alarm-1", 2.0, third, restored.get)

    assert [note.id for note in notes] == [2, 3]
