"""A point's effective value, as served on every read of "now", equals the plain formula bit for
bit: mean + amplitude * daily cycle + noise * layered noise at the whole second the read falls in
(a sensor is read once a second), rounded to the display precision, with its reliability judged
against minPresValue and maxPresValue."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from standin import fixtures
from standin._core.clock import Clock
from standin._core.timeseries import daily_cycle, layered_noise, series_key
from standin.metasys.state import MetasysState
from standin.metasys.state.model import Command, MetasysObject
from standin.metasys.state.values import NOISE_PERIODS, Effective, ValueModel
from tests.conftest import NOW

DIGITS = {
    "displayPrecisionEnumSet.displayPrecision1": 0,
    "displayPrecisionEnumSet.displayPrecisionPt1": 1,
    "displayPrecisionEnumSet.displayPrecisionPt01": 2,
}


def plain_series_value(model: ValueModel, obj: MetasysObject, attribute: str, t: float) -> float:
    t = math.floor(t)
    spec = obj.series[attribute]
    key = series_key(f"{obj.item_reference}#{attribute}")
    value = (
        spec.mean
        + spec.amplitude * daily_cycle(t, model.utc_offset_hours, spec.peak_hour)
        + spec.noise * layered_noise(model.seed, key, t, NOISE_PERIODS)
    )
    return round(value, DIGITS.get(str(obj.attributes.get("displayPrecision")), 1))


def plain_reliability(obj: MetasysObject, value: Any) -> str:
    if obj.type.value_kind == "analog" and isinstance(value, int | float):
        high = obj.attributes.get("maxPresValue")
        low = obj.attributes.get("minPresValue")
        if isinstance(high, int | float) and value > high:
            return "reliabilityEnumSet.unreliableHigh"
        if isinstance(low, int | float) and value < low:
            return "reliabilityEnumSet.unreliableLow"
        if math.isnan(value):
            return "reliabilityEnumSet.unreliableOther"
    return "reliabilityEnumSet.reliable"


def plain_effective(model: ValueModel, obj: MetasysObject, t: float) -> Effective:
    if obj.priority_array:
        level: int | None = min(obj.priority_array)
        value = obj.priority_array[level].value
    elif "presentValue" in obj.series:
        level, value = None, plain_series_value(model, obj, "presentValue", t)
    else:
        level, value = None, obj.attributes.get("relinquishDefault")
    return Effective(value, level, plain_reliability(obj, value))


def bits(value: Any) -> Any:
    """A float as its exact bits (0.0 and -0.0 differ), anything else as it is."""
    return (type(value), value.hex() if isinstance(value, float) else value)


def site(salt: str = "", seed: int = 7) -> MetasysState:
    clock = Clock()
    clock.freeze(NOW)
    return MetasysState(fixtures.load("metasys"), clock, salt, seed)


STATE = site()
SERIES_OBJECTS = sorted(
    (obj for obj in STATE.tree.all() if obj.series), key=lambda obj: obj.item_reference
)
ANALOG_POINTS = [obj for obj in SERIES_OBJECTS if obj.type.value_kind == "analog"]
INSTANTS = st.floats(min_value=-2e9, max_value=4e9, allow_nan=False)
LIMITS = st.one_of(
    st.none(), st.floats(allow_nan=False), st.integers(-100, 200), st.just(True), st.text()
)


def test_the_fixtures_have_series_to_compare() -> None:
    assert len(SERIES_OBJECTS) >= 10
    assert len(ANALOG_POINTS) >= 5


@given(st.sampled_from(SERIES_OBJECTS), st.lists(INSTANTS, min_size=1, max_size=20))
def test_every_series_value_equals_the_plain_formula_bit_for_bit(
    obj: MetasysObject, instants: list[float]
) -> None:
    model = STATE.values
    for t in instants:
        for attribute in obj.series:
            served = model.series_value(obj, attribute, t)
            assert bits(served) == bits(plain_series_value(model, obj, attribute, t))


@given(
    st.sampled_from(ANALOG_POINTS),
    st.floats(min_value=0, max_value=4e9, allow_nan=False),
    st.lists(st.floats(min_value=0.0, max_value=120.0), min_size=1, max_size=30),
)
def test_reads_of_now_instant_after_instant_equal_the_plain_formula(
    obj: MetasysObject, start: float, steps: list[float]
) -> None:
    """As a busy client reads "now": a moment later each time (the noise's kept knots reused)."""
    model = site(salt="x/", seed=11).values
    t = start
    for step in steps:
        t += step
        served, plain = model.effective(obj, t), plain_effective(model, obj, t)
        assert bits(served.value) == bits(plain.value)
        assert (served.level, served.reliability) == (plain.level, plain.reliability)


@given(
    st.sampled_from(ANALOG_POINTS),
    INSTANTS,
    LIMITS,
    LIMITS,
    st.sampled_from([*DIGITS, None, "displayPrecisionEnumSet.unknown", 3]),
)
def test_the_effective_value_and_its_reliability_follow_the_objects_attributes(
    obj: MetasysObject, t: float, high: Any, low: Any, precision: Any
) -> None:
    model = STATE.values
    saved = dict(obj.attributes)
    try:
        for name, value in (
            ("maxPresValue", high),
            ("minPresValue", low),
            ("displayPrecision", precision),
        ):
            if value is None:
                obj.attributes.pop(name, None)
            else:
                obj.attributes[name] = value
        served, plain = model.effective(obj, t), plain_effective(model, obj, t)
        assert bits(served.value) == bits(plain.value)
        assert (served.level, served.reliability) == (plain.level, plain.reliability)
    finally:
        obj.attributes.clear()
        obj.attributes.update(saved)


@given(st.sampled_from(ANALOG_POINTS), LIMITS, st.sampled_from([float("nan"), 1e300, -1e300, 5]))
def test_a_commanded_value_is_judged_as_the_plain_formula_judges_it(
    obj: MetasysObject, high: Any, commanded: Any
) -> None:
    model = STATE.values
    saved_attributes, saved_commands = dict(obj.attributes), dict(obj.priority_array)
    try:
        obj.attributes["maxPresValue"] = high
        obj.priority_array[8] = Command(commanded)
        t = NOW.timestamp()
        served, plain = model.effective(obj, t), plain_effective(model, obj, t)
        assert bits(served.value) == bits(plain.value)
        assert (served.level, served.reliability) == (plain.level, plain.reliability)
    finally:
        obj.attributes.clear()
        obj.attributes.update(saved_attributes)
        obj.priority_array.clear()
        obj.priority_array.update(saved_commands)


def continuous_value(model: ValueModel, obj: MetasysObject, t: float) -> float:
    """The plain formula at the very instant, not at its whole second."""
    spec = obj.series["presentValue"]
    key = series_key(f"{obj.item_reference}#presentValue")
    return round(
        spec.mean
        + spec.amplitude * daily_cycle(t, model.utc_offset_hours, spec.peak_hour)
        + spec.noise * layered_noise(model.seed, key, t, NOISE_PERIODS),
        2,
    )


def test_a_sensor_reads_one_value_throughout_each_second() -> None:
    state = site(salt="s/", seed=5)
    model = state.values
    obj = next(
        o
        for o in state.tree.all()
        if o.series.get("presentValue")
        and o.series["presentValue"].noise
        and o.type.value_kind == "analog"
    )
    obj.attributes["displayPrecision"] = "displayPrecisionEnumSet.displayPrecisionPt01"
    # A second in which the value at the very instant moves, found from NOW on.
    second = int(NOW.timestamp())
    while continuous_value(model, obj, second) == continuous_value(model, obj, second + 0.999):
        second += 1
    first = model.series_value(obj, "presentValue", float(second))
    for fraction in (0.001, 0.5, 0.999):
        assert bits(model.series_value(obj, "presentValue", second + fraction)) == bits(first)
    assert bits(first) == bits(continuous_value(model, obj, second))


def test_a_changed_precision_or_series_shows_within_the_second_it_changed_in() -> None:
    state = site(salt="p/", seed=3)
    model = state.values
    obj = ANALOG_POINTS[0]
    obj = state.tree.find(obj.item_reference) or obj
    t = NOW.timestamp() + 0.25
    saved_attributes, saved_series = dict(obj.attributes), dict(obj.series)
    try:
        obj.attributes["displayPrecision"] = "displayPrecisionEnumSet.displayPrecisionPt01"
        before = model.series_value(obj, "presentValue", t)
        assert bits(before) == bits(plain_series_value(model, obj, "presentValue", t))
        obj.attributes["displayPrecision"] = "displayPrecisionEnumSet.displayPrecision1"
        coarse = model.series_value(obj, "presentValue", t + 0.5)
        assert bits(coarse) == bits(plain_series_value(model, obj, "presentValue", t))
        assert coarse == int(coarse)
        spec = obj.series["presentValue"]
        obj.series["presentValue"] = type(spec)(
            spec.mean + 100.0, spec.amplitude, spec.noise, spec.peak_hour
        )
        moved = model.series_value(obj, "presentValue", t + 0.6)
        assert bits(moved) == bits(plain_series_value(model, obj, "presentValue", t))
        assert moved > coarse + 90
    finally:
        obj.attributes.clear()
        obj.attributes.update(saved_attributes)
        obj.series.clear()
        obj.series.update(saved_series)
