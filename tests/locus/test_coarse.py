"""Coarse answers (hourly and up) come from quarter-hours worked out as arrays and whole UTC days
kept per tenant; they equal the fine answers built one minute or one quarter at a time, for any
window, signal, aggregation and zone, cold or with what earlier questions left in the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standin.locus import series
from standin.locus.data import ELECTRICAL, Signals, site_data
from standin.locus.quarters import day_grid
from standin.locus.series import BlockCache, Measure, _scan_quarters, _Totals, aggregate
from standin.locus.signals import Signal
from tests.locus.conftest import ADELAIDE, CAMELBACK, HUDSON, MISSION
from tests.locus.test_state import STATE, make_state, query

MODELED = {"irradianceSource": "TMY3", "modelType": "simple", "inverterClipping": "true"}
FIELDS = (
    # (site, base field, its parameters, aggregations)
    (MISSION, "Wh", {}, ("sum",)),
    (MISSION, "W", {}, ("avg", "max", "min")),
    (HUDSON, "W", {}, ("avg", "max")),
    (CAMELBACK, "Wh_e", {}, ("sum",)),
    (ADELAIDE, "GHI_m", {}, ("avg", "max", "min")),
    (ADELAIDE, "GHIh_m", {}, ("sum",)),
    (MISSION, "Wh_m", MODELED, ("sum",)),
)
COMPONENT_FIELDS = (
    # (component, base field, aggregations): a net meter (load minus generation), a weather
    # station's temperature, an inverter's current and its performance index (a ratio).
    (54373, "Wh", ("sum",)),
    (54372, "TmpAmb", ("avg", "max", "min")),
    (456, "A", ("avg", "max")),
    (456, "PI_m", ("avg",)),
)
MOMENTS = st.integers(int(datetime(2019, 1, 1).timestamp()), int(datetime(2026, 10, 1).timestamp()))


def measures(pick: int) -> list[Measure]:
    """One site field or one component field of the fixtures, with every aggregation."""
    if pick < len(FIELDS):
        site_id, base, parameters, aggregations = FIELDS[pick]
        signals = Signals(STATE, STATE.site(site_id))
        signal: Signal = signals.site_signal(base, parameters)
        ratio_of = None
    else:
        component_id, base, aggregations = COMPONENT_FIELDS[pick - len(FIELDS)]
        component = STATE.component(component_id)
        signals = Signals(STATE, STATE.site(component.site_id))
        signal, ratio_of = signals.component_signal(component, base, MODELED)
    return [Measure(f"{base}_{a}", a, signal, ratio_of) for a in aggregations]


def one_quarter_at_a_time(chosen: list[Measure], start: int, end: int) -> dict[str, float]:
    """The coarse answer as it was built before arrays: every quarter in Python."""
    totals = _Totals(len(chosen))
    _scan_quarters(chosen, start, end, False, totals)
    return {m.short_name: _value(m, totals, i) for i, m in enumerate(chosen)}


def _value(measure: Measure, totals: _Totals, i: int) -> float:
    if measure.ratio_of is not None:
        return round(totals.sums[i] / totals.denominators[i], 3)
    if measure.aggregation == "sum":
        return round(totals.sums[i], 3)
    if measure.aggregation == "avg":
        return round(totals.sums[i] / totals.seconds, 3)
    return round(totals.highs[i] if measure.aggregation == "max" else totals.lows[i], 3)


def close(found: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(found) == set(expected)
    for name, value in expected.items():
        if not isinstance(value, float):
            assert found[name] == value, name
            continue
        # Both rounded to 3 decimals: one unit of the last place apart at most, plus the
        # float noise of long sums.
        assert found[name] == pytest.approx(value, rel=1e-9, abs=0.0011), name


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    pick=st.integers(0, len(FIELDS) + len(COMPONENT_FIELDS) - 1),
    start=MOMENTS,
    seconds=st.integers(60, 9 * 86400),
    warm=st.booleans(),
)
def test_a_coarse_answer_equals_the_quarter_by_quarter_one_for_any_window(
    pick: int, start: int, seconds: int, warm: bool
) -> None:
    chosen = measures(pick)
    end = start + seconds
    cache = BlockCache()
    if warm:  # what an earlier, overlapping question left behind
        aggregate(chosen, start - 86400, start + seconds // 2, False, cache)
    coarse = aggregate(chosen, start, end, False, cache)
    close(coarse, one_quarter_at_a_time(chosen, start, end))


@pytest.mark.parametrize(
    ("pick", "first"),
    [
        # Each highest or lowest falls in a whole run, not at an edge.
        (1, datetime(2021, 3, 1, 0, 7)),  # W
        (4, datetime(2021, 3, 1, 7, 13)),  # GHI_m
        (len(FIELDS) + 1, datetime(2021, 3, 1, 17, 2)),  # TmpAmb, its highest
        (len(FIELDS) + 1, datetime(2021, 10, 15, 3, 30)),  # TmpAmb, its lowest
        (len(FIELDS) + 3, datetime(2024, 2, 3, 9, 41)),  # a performance index (a ratio)
    ],
)
def test_a_window_over_whole_runs_of_days_equals_the_quarter_by_quarter_answer(
    pick: int, first: datetime
) -> None:
    """Runs of 32 whole days are added by their own sum, highest and lowest; the days at either
    edge one by one: the same answer as every quarter in Python."""
    chosen = measures(pick)
    start = int(first.replace(tzinfo=UTC).timestamp())
    end = start + 150 * 86400 + 4321
    cache = BlockCache()
    aggregate(chosen, start + 40 * 86400, end, False, cache)  # a run kept from before
    close(aggregate(chosen, start, end, False, cache), one_quarter_at_a_time(chosen, start, end))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(pick=st.integers(0, len(FIELDS) - 1), start=MOMENTS, seconds=st.integers(60, 3 * 86400))
def test_a_coarse_sum_equals_the_sum_of_its_minutes(pick: int, start: int, seconds: int) -> None:
    chosen = [m for m in measures(pick) if m.aggregation in ("sum", "avg")]
    coarse = aggregate(chosen, start, start + seconds, False, BlockCache())
    fine = aggregate(chosen, start, start + seconds, True, None)
    close(coarse, fine)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(
    year=st.integers(2020, 2025),
    tz=st.sampled_from(["UTC", "US/Pacific", "Asia/Kolkata", "Australia/Adelaide"]),
    site=st.sampled_from([MISSION, HUDSON, CAMELBACK]),
)
def test_a_year_is_the_sum_of_its_months_and_of_its_days(year: int, tz: str, site: int) -> None:
    state = make_state()
    start, end = datetime(year, 1, 1), datetime(year + 1, 1, 1)

    def rows(gran: str, low: datetime, high: datetime) -> list[dict[str, Any]]:
        return site_data(state, state.site(site), query("Wh_sum", gran, low, high, tz))

    [yearly] = rows("yearly", start, end)
    monthly = rows("monthly", start, end)
    daily = rows("daily", start, end - timedelta(days=1)) + rows(
        "daily", end - timedelta(days=1), end
    )
    assert len(monthly) == 12
    assert len(daily) == (end - start).days
    assert sum(r["Wh_sum"] for r in monthly) == pytest.approx(yearly["Wh_sum"], abs=0.01)
    assert sum(r["Wh_sum"] for r in daily) == pytest.approx(yearly["Wh_sum"], abs=0.5)


def test_thirty_years_answer_the_same_cold_warm_and_with_a_cache_too_small_to_hold_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = make_state()
    state.clock.set(datetime(2043, 6, 1, tzinfo=ZoneInfo("UTC")))
    oakland = state.site(3395001)
    thirty = query("Wh_sum,W_avg,W_max", "yearly", datetime(2013, 1, 1), datetime(2043, 1, 1))
    cold = site_data(state, oakland, thirty)
    assert len(cold) == 30
    assert all(row["Wh_sum"] > 0 for row in cold)  # installed in May 2013
    assert cold[0]["Wh_sum"] < cold[1]["Wh_sum"] / 1.5
    assert site_data(state, oakland, thirty) == cold
    monkeypatch.setattr(series, "BLOCK_CACHE_LIMIT", 1000)
    monkeypatch.setattr(series, "ROW_CACHE_LIMIT", 10)
    small = make_state()
    small.clock.set(datetime(2043, 6, 1, tzinfo=ZoneInfo("UTC")))
    for found, expected in zip(site_data(small, oakland, thirty), cold, strict=True):
        close(found, expected)
    # The next question forgets what the last one left (over the limit) before it keeps its own.
    mission = small.site(MISSION)
    three = query("Wh_sum", "yearly", datetime(2020, 1, 1), datetime(2023, 1, 1))
    assert site_data(small, mission, three) == site_data(state, state.site(MISSION), three)
    # Its whole UTC days (UTC, so every day of the three years), kept in whole runs of days.
    first_day = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp()) // 86400
    runs = range(
        first_day // series.CHUNK_DAYS, (first_day + 366 + 365 + 365 - 1) // series.CHUNK_DAYS + 1
    )
    assert small.block_cache.block_count == len(runs) * series.CHUNK_DAYS


def every_kind_of_signal() -> list[tuple[str, Signal]]:
    """One signal of every class and every electrical formula, from the fixtures."""
    mission = Signals(STATE, STATE.site(MISSION))
    inverter = STATE.component(456)
    found: list[tuple[str, Signal]] = [
        ("site energy", mission.site_signal("Wh", {})),
        ("site power", mission.site_signal("W", {})),
        ("expected", mission.site_signal("Wh_e", {})),
        ("modeled, measured weather, clipped", mission.site_signal("Wh_m", MEASURED_WEATHER)),
        ("typical irradiance", mission.irradiance(typical=True)),
        ("insolation", mission.site_signal("GHIh_m", {})),
        ("net meter", mission.energy(STATE.component(54373))),
    ]
    station = STATE.component(54372)
    for base in ("GHI", "TmpAmb"):
        found.append((base, mission.component_signal(station, base, {})[0]))
    for base in ELECTRICAL:
        found.append((base, mission.component_signal(inverter, base, {})[0]))
    return found


MEASURED_WEATHER = {"irradianceSource": "weatherStation", "modelType": "singleDiode"}
MEASURED_WEATHER["inverterClipping"] = "true"


@pytest.mark.parametrize(("kind", "signal"), every_kind_of_signal())
def test_a_day_grid_holds_the_quarter_values_of_the_signal(kind: str, signal: Signal) -> None:
    days = np.array([19000, 19001, 19170, 20500], dtype=np.int64)  # winter, summer, 2026
    grid = day_grid(signal, days, {})
    assert grid.shape == (4, 96)
    expected = [signal.quarter(day * 96 + q, {}) for day in days.tolist() for q in range(96)]
    assert grid.ravel().tolist() == pytest.approx(expected, rel=1e-9, abs=1e-6), kind


def test_a_question_that_fills_the_day_cache_past_its_limit_answers_as_with_an_empty_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen = measures(1)
    start = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
    day = 86_400
    cache = BlockCache()
    aggregate(chosen, start, start + 64 * day, False, cache)
    # The next question needs more runs than the cache has room for: it is emptied first,
    # the runs this question found held among them.
    monkeypatch.setattr(series, "BLOCK_CACHE_LIMIT", cache.block_count + 10)
    answer = aggregate(chosen, start, start + 200 * day, False, cache)
    assert answer == aggregate(chosen, start, start + 200 * day, False, BlockCache())
