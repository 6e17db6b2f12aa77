"""Metasys state without HTTP: the priority array against a model, samples, fixture integrity."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from standin import fixtures
from standin._core.clock import Clock
from standin._core.errors import VendorError
from standin.metasys.enums import ENUM_SETS, priority_name
from standin.metasys.state import MetasysState
from standin.metasys.state.commands import specs
from standin.metasys.state.model import MetasysObject
from standin.metasys.state.samples import SampleWindow
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
