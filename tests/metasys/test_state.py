"""Metasys state without HTTP: the priority array against a model, samples, fixture integrity."""

from __future__ import annotations

import itertools
import json
import math
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from standin import fixtures
from standin._core.clock import Clock
from standin._core.errors import VendorError
from standin._core.rendering import dumps
from standin.metasys.enums import ENUM_SETS, priority_name
from standin.metasys.handlers.site import sample_page
from standin.metasys.query import Paging
from standin.metasys.state import MetasysState
from standin.metasys.state.commands import specs
from standin.metasys.state.model import MetasysObject
from standin.metasys.state.samples import SampleWindow
from standin.metasys.state.values import ValueModel
from tests.conftest import NOW

SETPOINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"


def new_state(salt: str = "") -> MetasysState:
    clock = Clock()
    clock.freeze(NOW)
    return MetasysState(fixtures.load("metasys"), clock, salt, 7)


def point(state: MetasysState, reference: str = SETPOINT) -> MetasysObject:
    found = state.tree.find(reference)
    assert found is not None
    return found


def admin(state: MetasysState) -> Any:
    return state.user("api-admin")


class PriorityArray(RuleBasedStateMachine):
    """Any sequence of adjusts, overrides and releases leaves the value a BACnet priority array
    would: the lowest written priority wins, else relinquishDefault."""

    def __init__(self) -> None:
        super().__init__()
        self.state = new_state()
        self.obj = point(self.state)
        self.model: dict[int, float] = {}
        self.sent = 0

    def send(self, command: str, body: dict[str, Any]) -> None:
        self.sent += 1
        self.state.command(self.obj, command, body, admin(self.state))

    @rule(level=st.integers(1, 16), value=st.integers(50, 95))
    def adjust(self, level: int, value: int) -> None:
        self.send("adjustCommand", {"parameters": [value], "priority": priority_name(level)})
        self.model[level] = float(value)

    @rule(value=st.integers(50, 95))
    def override(self, value: int) -> None:
        self.send("overrideCommand", {"parameters": [value]})
        self.model[8] = float(value)

    @rule()
    def release_override(self) -> None:
        self.send("overrideReleaseCommand", {})
        self.model.pop(8, None)

    @rule(level=st.integers(1, 16))
    def release(self, level: int) -> None:
        self.send(
            "releaseCommand",
            {"parameters": ["attributeEnumSet.presentValue", priority_name(level)]},
        )
        self.model.pop(level, None)

    @rule()
    def release_all(self) -> None:
        self.send("releaseAllCommand", {"parameters": ["attributeEnumSet.presentValue"]})
        self.model.clear()

    @invariant()
    def value_is_the_highest_priority(self) -> None:
        item = self.state.item(self.obj, ["presentValue", "currentCommandPriority", "reliability"])
        level = min(self.model) if self.model else None
        expected = 72.0 if level is None else self.model[level]
        assert item["presentValue"] == expected
        assert item["currentCommandPriority"] == level
        high, low = expected > 85.0, expected < 60.0
        assert item["reliability"] == (
            "reliabilityEnumSet.unreliableHigh"
            if high
            else "reliabilityEnumSet.unreliableLow"
            if low
            else "reliabilityEnumSet.reliable"
        )

    @invariant()
    def every_change_is_one_event_and_every_command_an_audit(self) -> None:
        seen = [(e.value, repr(e.condition)) for e in self.state.events]
        assert all(a != b for a, b in itertools.pairwise(seen))
        assert len(self.state.audits) == self.sent


TestPriorityArray = PriorityArray.TestCase
TestPriorityArray.settings = settings(max_examples=25, stateful_step_count=12, deadline=None)


def test_a_release_falls_back_to_the_next_priority() -> None:
    state = new_state()
    obj = point(state)
    user = admin(state)
    for level, value in ((5, 61.0), (10, 70.0), (16, 80.0)):
        state.command(
            obj, "adjustCommand", {"parameters": [value], "priority": priority_name(level)}, user
        )
    release = {"parameters": ["attributeEnumSet.presentValue", priority_name(5)]}
    state.command(obj, "releaseCommand", release, user)
    assert state.effective(obj).value == 70.0
    assert state.effective(obj).priority == "writePriorityEnumSet.priority10"
    assert [e.value for e in state.events] == [61.0, 70.0]
    assert len(state.audits) == 4


def test_a_temporary_override_end_is_recorded_when_it_happened() -> None:
    state = new_state()
    obj = point(state)
    state.command(obj, "temporaryOverrideCommand", {"parameters": [66, 0, 15]}, admin(state))
    state.clock.advance(3600)
    assert state.effective(obj).value == 72.0
    assert obj.history["presentValue"] == [(NOW.timestamp(), 66.0), (NOW.timestamp() + 900, None)]
    assert [(e.time - NOW.timestamp(), e.attribute, e.value) for e in state.events] == [
        (0, "presentValue", 66.0),
        (0, "overrideExpirationTime", {"date": "2026-11-20", "time": "06:15:30"}),
        (900, "presentValue", 72.0),
        (900, "overrideExpirationTime", {"date": None, "time": None}),
    ]


def test_a_viewer_cannot_command_and_nothing_changes() -> None:
    state = new_state()
    obj = point(state)
    with pytest.raises(VendorError) as raised:
        state.command(obj, "adjustCommand", {"parameters": [70]}, state.user("api-viewer"))
    assert raised.value.status == 403
    assert obj.priority_array == {}
    assert list(state.audits) == []


@settings(max_examples=30, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 59), min_size=0, max_size=5),
    size=st.integers(1, 7),
    descending=st.booleans(),
)
def test_sample_pages_tile_the_window(minutes: list[int], size: int, descending: bool) -> None:
    state = new_state()
    obj = point(state)
    for minute in sorted(minutes):
        state.clock.set(NOW.replace(minute=minute, second=0))
        state.command(obj, "adjustCommand", {"parameters": [60 + minute % 20]}, admin(state))
    start, end = NOW.timestamp() - 3600, NOW.timestamp() + 3600
    window = SampleWindow(obj, "presentValue", start, end, 900, state.values)
    changes = {m for m, _ in obj.history.get("presentValue", []) if m % 900}
    assert window.total == 8 + len(changes)  # 11:15 to 13:00
    everything = window.page(1, 1000, descending)
    pages = -(-window.total // size)
    tiled = [s for page in range(1, pages + 1) for s in window.page(page, size, descending)]
    assert tiled == everything
    times = [s.time for s in everything]
    assert times == sorted(times, reverse=descending)
    assert window.page(pages + 1, size, descending) == []


def test_every_tenant_gets_its_own_ids_and_series() -> None:
    default, other = new_state(""), new_state("t-1/")
    assert point(default).id != point(other).id
    assert default.tree.find(SETPOINT) is not None


def test_every_equipment_point_maps_to_an_object_of_the_fixture() -> None:
    state = new_state()
    for equipment in state.equipment.values():
        assert state.tree.get(equipment.device_id) is not None
        for mapped in equipment.points:
            assert state.tree.get(mapped.object_id) is not None
        assert all(e in state.equipment for e in equipment.serves_equipment)


def test_every_enum_value_an_object_returns_is_in_its_set() -> None:
    """``/schemas/enums`` and ``/enumerations`` describe exactly what the objects send."""
    state = new_state()
    for obj in state.tree.all():
        assert obj.type.enum_id in ENUM_SETS["objectTypeEnumSet"], obj.item_reference
        item = state.item(obj)
        for attribute in obj.type.attributes:
            value = item[attribute.name]
            if attribute.enum_set and value is not None:
                assert value in ENUM_SETS[attribute.enum_set], (obj.item_reference, value)
        for flags in state.condition(obj).values():
            assert flags["reliability"] in ENUM_SETS["reliabilityEnumSet"]
            assert flags.get("priority", priority_name(0)) in ENUM_SETS["writePriorityEnumSet"]
    for short, _ in ENUM_SETS["enumerationSetNamesEnumSet"].members:
        assert short in ENUM_SETS


def test_every_command_of_every_object_is_in_the_command_set() -> None:
    state = new_state()
    for obj in state.tree.all():
        for name, spec in specs(obj).items():
            assert f"commandIdEnumSet.{name}" in ENUM_SETS["commandIdEnumSet"]
            for parameter in spec.parameters:
                assert parameter.schema["id"] in ENUM_SETS["commandParmsEnumSet"]


def reference_samples(
    state: MetasysState, obj: MetasysObject, start: float, end: float, interval: float
) -> list[tuple[float, Any]]:
    """Every sample of the window the slow, obvious way: the grid instants and every distinct
    off-grid change, in time order, each with the last command at or before it (else the
    point's own value)."""
    history = sorted(obj.history.get("presentValue", []), key=lambda entry: entry[0])
    grid = [n * interval for n in range(math.ceil(start / interval), int(end // interval) + 1)]
    changes = {m for m, _ in history if start <= m <= end and m % interval}
    found = []
    for moment in sorted([*grid, *changes]):
        commanded = [value for at, value in history if at <= moment]
        value = commanded[-1] if commanded and commanded[-1] is not None else None
        found.append((moment, value if value is not None else state.values.base_value(obj, moment)))
    return found


def test_a_page_among_thousands_of_commands_lists_the_grid_merged_with_the_changes() -> None:
    state = new_state()
    obj, user = point(state), admin(state)
    start, end = NOW.timestamp() - 86400, NOW.timestamp()
    for index in range(3000):
        state.clock.freeze(datetime.fromtimestamp(start + index * 28.8 + 0.5, UTC))
        state.command(obj, "adjustCommand", {"parameters": [60.0 + index % 9]}, user)
    state.clock.freeze(NOW)
    window = SampleWindow(obj, "presentValue", start, end, 900, state.values)
    expected = reference_samples(state, obj, start, end, 900)
    assert window.total == len(expected) == 96 + 3000  # 12:15 yesterday to 12:00 today
    for page, size in ((1, 100), (17, 100), (31, 100), (3, 1000), (4, 1000)):
        listed = [(s.time, s.value) for s in window.page(page, size, False)]
        assert listed == expected[(page - 1) * size : page * size]
        backwards = [(s.time, s.value) for s in window.page(page, size, True)]
        assert backwards == expected[::-1][(page - 1) * size : page * size]


def test_a_command_made_on_a_clock_set_back_holds_until_the_next_later_one() -> None:
    state = new_state()
    obj, user = point(state), admin(state)
    later, earlier = NOW.timestamp(), NOW.timestamp() - 3600
    state.command(obj, "adjustCommand", {"parameters": [61.0]}, user)
    state.clock.freeze(datetime.fromtimestamp(earlier, UTC))
    state.command(obj, "adjustCommand", {"parameters": [62.0]}, user)
    assert [v for _, v in obj.history["presentValue"]] == [61.0, 62.0]  # recorded out of order
    assert state.values.value_at(obj, "presentValue", earlier + 1)[0] == 62.0
    assert state.values.value_at(obj, "presentValue", later + 1)[0] == 61.0
    assert state.values.value_at(obj, "presentValue", earlier - 1)[0] == 72.0  # relinquishDefault


def test_a_page_read_again_after_a_command_shows_the_command() -> None:
    state = new_state()
    obj, user = point(state), admin(state)
    start, end = NOW.timestamp() - 7200, NOW.timestamp() + 3600
    paging = Paging(1, 100, "timestamp", False)
    before = sample_page(state, obj, "presentValue", start, end, paging)
    assert sample_page(state, obj, "presentValue", start, end, paging) is before
    state.command(obj, "adjustCommand", {"parameters": [63.0]}, user)
    total, items = sample_page(state, obj, "presentValue", start, end, paging)
    assert total == before[0] + 1
    assert json.loads(dumps({"items": items}))["items"][-1]["value"]["value"] == 63.0


def test_a_snapshot_saved_before_the_value_memos_existed_still_reads_samples() -> None:
    state = new_state()
    obj = point(state)
    saved = {k: v for k, v in vars(state.values).items() if k in ("seed", "utc_offset_hours")}
    older = ValueModel.__new__(ValueModel)
    older.__setstate__(saved)
    state.values = older
    start, end = NOW.timestamp() - 3600, NOW.timestamp()
    total, _ = sample_page(
        state, obj, "presentValue", start, end, Paging(1, 10, "timestamp", False)
    )
    assert total == 4
    restored = pickle.loads(pickle.dumps(state.values))
    assert len(restored.pages) == 0
