"""Locus series and state properties: energy is the integral of power, coarse sums are sums of
finer ones, the night is dark, timestamps are in the asked zone, intervals are [start, end)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standin import fixtures
from standin._core.clock import Clock
from standin._core.timeseries import solar_elevation
from standin.locus.data import component_data, site_data
from standin.locus.query import DataQuery
from standin.locus.series import intervals
from standin.locus.state import LocusState
from tests.conftest import NOW
from tests.locus.conftest import (
    ADELAIDE,
    CAMELBACK,
    HUDSON,
    INVERTER_E1,
    INVERTER_W1,
    MISSION,
    NET_METER,
    PV_METER,
    WEATHER_STATION,
)


def make_state() -> LocusState:
    clock = Clock()
    clock.freeze(NOW)
    return LocusState.from_fixture(fixtures.load("locus"), clock, [123, 456, 111], seed=7)


STATE = make_state()
GENERATORS = {MISSION: [PV_METER], HUDSON: [123, 61002], CAMELBACK: [61010], ADELAIDE: [61020]}
INVERTERS = [INVERTER_E1, INVERTER_W1, 123, 61002, 61011, 61020]
days = st.dates(min_value=datetime(2024, 1, 1).date(), max_value=datetime(2026, 10, 1).date())
zones = st.sampled_from(
    ["UTC", "US/Pacific", "America/New_York", "Australia/Adelaide", "Asia/Kolkata"]
)


def query(fields: str, gran: str, start: datetime, end: datetime, tz: str = "UTC") -> DataQuery:
    return DataQuery(tuple(fields.split(",")), gran, ZoneInfo(tz), start, end, {})  # type: ignore[arg-type]


def component_rows(component_id: int, q: DataQuery) -> list[dict[str, Any]]:
    component = STATE.component(component_id)
    return component_data(STATE, component, q)


def total(rows: list[dict[str, Any]], name: str) -> float:
    return sum(row.get(name, 0.0) for row in rows)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(day=days, hour=st.integers(0, 23), component=st.sampled_from(INVERTERS))
def test_energy_is_the_integral_of_power(day: Any, hour: int, component: int) -> None:
    start = datetime(day.year, day.month, day.day, hour)
    minutes = component_rows(
        component, query("W_avg,Wh_sum", "1min", start, start + timedelta(hours=1))
    )
    hourly = component_rows(
        component, query("W_avg,Wh_sum", "hourly", start, start + timedelta(hours=1))
    )
    assert len(minutes) == 60
    integral = sum(row["W_avg"] / 60 for row in minutes)
    assert integral == pytest.approx(hourly[0]["Wh_sum"], abs=0.05)
    assert hourly[0]["W_avg"] == pytest.approx(hourly[0]["Wh_sum"], abs=0.002)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(day=days, tz=zones, component=st.sampled_from([*INVERTERS, PV_METER]))
def test_coarse_sums_are_sums_of_finer_ones(day: Any, tz: str, component: int) -> None:
    start = datetime(day.year, day.month, day.day)
    end = start + timedelta(days=1)
    fifteen = component_rows(component, query("Wh_sum", "15min", start, end, tz))
    hourly = component_rows(component, query("Wh_sum", "hourly", start, end, tz))
    daily = component_rows(component, query("Wh_sum", "daily", start, end, tz))
    assert total(fifteen, "Wh_sum") == pytest.approx(daily[0]["Wh_sum"], abs=0.05)
    assert total(hourly, "Wh_sum") == pytest.approx(daily[0]["Wh_sum"], abs=0.05)
    assert daily[0]["Wh_sum"] > 0


def test_a_month_is_the_sum_of_its_days_and_a_year_of_its_months() -> None:
    start, end = datetime(2024, 1, 1), datetime(2025, 1, 1)
    monthly = component_rows(PV_METER, query("Wh_sum", "monthly", start, end, "US/Pacific"))
    yearly = component_rows(PV_METER, query("Wh_sum", "yearly", start, end, "US/Pacific"))
    assert total(monthly, "Wh_sum") == pytest.approx(yearly[0]["Wh_sum"], abs=1)
    june = component_rows(
        PV_METER, query("Wh_sum", "daily", datetime(2024, 6, 1), datetime(2024, 7, 1), "US/Pacific")
    )
    assert total(june, "Wh_sum") == pytest.approx(monthly[5]["Wh_sum"], abs=0.5)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(day=days, component=st.sampled_from(INVERTERS))
def test_power_is_zero_at_night_and_follows_the_sun(day: Any, component: int) -> None:
    site = STATE.sites.get(STATE.component(component).site_id)
    assert site is not None
    assert site.latitude is not None
    assert site.longitude is not None
    start = datetime(day.year, day.month, day.day)
    rows = component_rows(component, query("W_avg", "5min", start, start + timedelta(days=1)))
    for row in rows:
        moment = datetime.fromisoformat(row["ts"]).timestamp()
        elevations = [solar_elevation(site.latitude, site.longitude, moment + s) for s in (0, 300)]
        if max(elevations) < -1.0:
            assert row["W_avg"] == 0.0, row
    sunny = [row["W_avg"] for row in rows if row["W_avg"] > 0]
    assert sunny, "some daylight every day"
    noon = max(rows, key=lambda row: row["W_avg"])
    moment = datetime.fromisoformat(noon["ts"]).timestamp()
    assert solar_elevation(site.latitude, site.longitude, moment) > 10


@settings(max_examples=10, deadline=None, derandomize=True)
@given(day=days, site=st.sampled_from(list(GENERATORS)))
def test_a_site_is_the_sum_of_its_generating_components(day: Any, site: int) -> None:
    start = datetime(day.year, day.month, day.day, 6)
    end = start + timedelta(hours=12)
    site_rows = site_data(STATE, STATE.site(site), query("Wh_sum", "hourly", start, end))
    parts = [component_rows(c, query("Wh_sum", "hourly", start, end)) for c in GENERATORS[site]]
    for i, row in enumerate(site_rows):
        assert row["Wh_sum"] == pytest.approx(sum(p[i]["Wh_sum"] for p in parts), abs=0.01)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(day=days)
def test_a_meter_measures_the_inverters_under_it(day: Any) -> None:
    start = datetime(day.year, day.month, day.day, 10)
    end = start + timedelta(hours=1)
    meter = component_rows(PV_METER, query("Wh_sum", "5min", start, end))
    east = component_rows(INVERTER_E1, query("Wh_sum", "5min", start, end))
    west = component_rows(INVERTER_W1, query("Wh_sum", "5min", start, end))
    for m, e, w in zip(meter, east, west, strict=True):
        assert m["Wh_sum"] == pytest.approx(e["Wh_sum"] + w["Wh_sum"], abs=0.002)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(day=days, hour=st.integers(8, 16))
def test_the_phases_add_up_to_ac_power(day: Any, hour: int) -> None:
    start = datetime(day.year, day.month, day.day, hour)
    fields = "W_avg,WphA_avg,WphB_avg,WphC_avg,VA_avg,PF_avg"
    for gran in ("1min", "hourly"):
        rows = component_rows(INVERTER_E1, query(fields, gran, start, start + timedelta(hours=1)))
        for row in rows:
            phases = row["WphA_avg"] + row["WphB_avg"] + row["WphC_avg"]
            assert phases == pytest.approx(row["W_avg"], abs=0.01)
            assert row["VA_avg"] >= row["W_avg"] - 0.01


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    start=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)),
    span=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=4)),
    gran=st.sampled_from(["1min", "5min", "15min", "hourly", "daily", "monthly", "yearly"]),
    tz=zones,
)
def test_intervals_are_leading_boundaries_in_start_end(
    start: datetime, span: timedelta, gran: str, tz: str
) -> None:
    start = start.replace(microsecond=0)
    zone = ZoneInfo(tz)
    end = start + span
    found = intervals(start, end, zone, gran)  # type: ignore[arg-type]
    lower = start.replace(tzinfo=zone).timestamp()
    upper = end.replace(tzinfo=zone).timestamp()
    for interval in found:
        assert lower <= interval.start < upper
        assert interval.end > interval.start
        assert interval.ts.utcoffset() == zone.utcoffset(interval.ts.replace(tzinfo=None))
        assert interval.ts.isoformat().endswith(_offset(interval.ts))
        local = interval.ts
        if gran in ("hourly", "daily", "monthly", "yearly"):
            assert (local.minute, local.second) == (0, 0)
        if gran in ("daily", "monthly", "yearly"):
            assert local.hour == 0
    for earlier, later in itertools.pairwise(found):
        assert earlier.end == later.start


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def test_hourly_rows_keep_local_hours_across_a_dst_change() -> None:
    found = intervals(
        datetime(2024, 3, 10, 0), datetime(2024, 3, 10, 5), ZoneInfo("US/Pacific"), "hourly"
    )
    assert [i.ts.isoformat() for i in found] == [
        "2024-03-10T00:00:00-08:00",
        "2024-03-10T01:00:00-08:00",
        "2024-03-10T03:00:00-07:00",
        "2024-03-10T04:00:00-07:00",
    ]
    days_ = intervals(datetime(2024, 3, 9), datetime(2024, 3, 12), ZoneInfo("US/Pacific"), "daily")
    assert [i.end - i.start for i in days_] == [86400, 82800, 86400]


def test_values_are_deterministic_and_read_the_sandbox_clock() -> None:
    q = query("Wh_sum", "hourly", datetime(2026, 11, 20, 10), datetime(2026, 11, 20, 13))
    first = component_rows(INVERTER_E1, q)
    assert component_rows(INVERTER_E1, q) == first
    other = make_state()
    assert component_data(other, other.component(INVERTER_E1), q) == first
    other.clock.advance(3600)
    later = component_data(other, other.component(INVERTER_E1), q)
    assert later[:1] == first[:1]
    assert "Wh_sum" not in first[2]
    assert "Wh_sum" in later[2]
    assert datetime.fromtimestamp(other.clock.time(), UTC) > NOW


@settings(max_examples=8, deadline=None, derandomize=True)
@given(day=days)
def test_the_weather_station_sees_the_same_sun(day: Any) -> None:
    start = datetime(day.year, day.month, day.day)
    end = start + timedelta(days=1)
    fields = "GHI_avg,GHI_max,GHIh_sum,TmpAmb_avg,TmpAmb_min,TmpAmb_max"
    rows = component_rows(WEATHER_STATION, query(fields, "hourly", start, end, "US/Pacific"))
    assert len(rows) == 24
    for row in rows:
        assert row["GHIh_sum"] == pytest.approx(row["GHI_avg"], abs=0.002)  # over one hour
        assert row["GHI_max"] >= row["GHI_avg"] >= 0
        assert row["TmpAmb_min"] <= row["TmpAmb_avg"] <= row["TmpAmb_max"]
        assert -15 < row["TmpAmb_avg"] < 45
    assert rows[0]["GHI_avg"] == 0.0  # midnight in San Francisco
    assert max(row["GHI_avg"] for row in rows) > 100
    daily = component_rows(WEATHER_STATION, query("GHIh_sum", "daily", start, end, "US/Pacific"))
    assert daily[0]["GHIh_sum"] == pytest.approx(total(rows, "GHIh_sum"), abs=0.05)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(day=days)
def test_the_net_meter_exports_at_noon_and_imports_at_night(day: Any) -> None:
    start = datetime(day.year, day.month, day.day)
    rows = component_rows(
        NET_METER, query("Wh_sum,W_avg", "hourly", start, start + timedelta(days=1), "US/Pacific")
    )
    assert rows[2]["Wh_sum"] > 0  # 2 am: only the building's load
    site = site_data(
        STATE,
        STATE.site(MISSION),
        query("Wh_sum", "hourly", start, start + timedelta(days=1), "US/Pacific"),
    )
    for net, generated in zip(rows, site, strict=True):
        assert net["Wh_sum"] + generated["Wh_sum"] > 0  # the load itself is never negative


@settings(max_examples=10, deadline=None, derandomize=True)
@given(day=days, gran=st.sampled_from(["1min", "15min", "hourly", "daily"]))
def test_maximum_mean_and_minimum_are_ordered(day: Any, gran: str) -> None:
    start = datetime(day.year, day.month, day.day, 10)
    end = start + (timedelta(hours=2) if gran != "daily" else timedelta(days=2))
    rows = component_rows(INVERTER_E1, query("W_max,W_avg,W_min,PF_avg,Hz_avg", gran, start, end))
    for row in rows:
        assert row["W_max"] >= row["W_avg"] >= row["W_min"] >= 0
        assert 0.9 < row["PF_avg"] <= 1.0
        assert 59.9 < row["Hz_avg"] < 60.1


def test_the_fixtures_readable_partners_become_the_tenants_own() -> None:
    clock = Clock()
    clock.freeze(NOW)
    state = LocusState.from_fixture(fixtures.load("locus"), clock, [71, 72, 73], seed=7)
    assert state.partner_ids == {71, 72, 73}
    assert state.partners == {71, 72, 73, 5050}
    assert [c.id for c in state.partner_clients(72)] == [789, 419020]
    assert [s.id for s in state.partner_sites(73)] == [3395001, 3395002]


def test_a_state_needs_as_many_partner_ids_as_the_fixture_has() -> None:
    with pytest.raises(ValueError, match="reads 3 partners"):
        LocusState.from_fixture(fixtures.load("locus"), Clock(), [71], seed=7)
