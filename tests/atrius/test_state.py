"""Atrius state and series, without HTTP."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin import fixtures
from standin._core.clock import Clock
from standin.atrius.models import Meter
from standin.atrius.series import (
    GENERATED_FROM,
    DataQuery,
    GeneratedSeries,
    PushedReadings,
    Resolution,
    ZoneOffsets,
    meter_rows,
)
from standin.atrius.state import AtriusState
from standin.atrius.units import unit
from tests.atrius.conftest import meter_body

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp()


def state() -> AtriusState:
    clock = Clock()
    clock.freeze(datetime(2026, 11, 20, 12, tzinfo=UTC))
    return AtriusState.from_fixture(fixtures.load("atrius"), {}, clock)


def meter(**changes: str) -> Meter:
    fields = {
        "id": "1",
        "uuid": "ab" * 16,
        "building": "1",
        "gateway": "1",
        "display_name": "m",
        "resource_type": "electricity",
        "reading_type": "cumulative",
        "storage_unit": "kwh",
        "display_unit": "kwh",
        "source_unit": "kwh",
        "scope": "building",
    }
    fields.update(changes)
    return Meter(**fields)


def test_pushed_readings_stay_sorted_and_replace_duplicates() -> None:
    readings = PushedReadings()
    for t, v in ((30, 3.0), (10, 1.0), (20, 2.0), (10, 1.5)):
        readings.put(t, v)
    assert readings.between(0, 100) == [(10, 1.5), (20, 2.0), (30, 3.0)]
    assert readings.between(10, 30) == [(10, 1.5), (20, 2.0)]
    assert readings.last_before(20) == (10, 1.5)
    assert readings.last_before(10) is None
    assert len(readings) == 3


def test_hourly_buckets_follow_daylight_saving_time() -> None:
    query = DataQuery(date(2024, 3, 10), date(2024, 3, 10), "hour")
    rows = meter_rows(
        meter(reading_type="instantaneous", storage_unit="kw", display_unit="kw", source_unit="kw"),
        None,
        query,
        NEW_YORK,
        NOW,
    )
    assert len(rows) == 23
    assert rows[2].start.isoformat() == "2024-03-10T03:00:00-04:00"


def test_monthly_buckets_start_on_the_first_of_each_month() -> None:
    query = DataQuery(date(2024, 1, 15), date(2024, 3, 2), "month")
    rows = meter_rows(meter(), None, query, NEW_YORK, NOW)
    assert [r.start.isoformat() for r in rows] == [
        "2024-01-15T00:00:00-05:00",
        "2024-02-01T00:00:00-05:00",
        "2024-03-01T00:00:00-05:00",
    ]


def new_york_series(**changes: str) -> GeneratedSeries:
    """A generated meter in New York, its offsets known from 2020 to the end of 2025."""
    base = unit("electricity", changes.get("storage_unit", "kwh"))
    assert base is not None
    end = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    return GeneratedSeries(meter(**changes), base, ZoneOffsets(NEW_YORK, GENERATED_FROM, end))


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


@given(st.floats(1.6e9, 1.75e9), st.floats(60, 86400 * 40))
def test_generated_counters_never_run_backwards(start: float, span: float) -> None:
    series = new_york_series()
    assert series.counter(start + span) > series.counter(start)


def test_a_zones_offsets_change_at_its_daylight_saving_changes_to_the_second() -> None:
    offsets = ZoneOffsets(NEW_YORK, at("2024-01-01T00:00:00Z"), at("2025-01-01T00:00:00Z"))
    assert list(zip(offsets.starts, offsets.offsets, strict=True)) == [
        (at("2024-01-01T00:00:00Z"), -5.0),
        (at("2024-03-10T07:00:00Z"), -4.0),  # 02:00 EST
        (at("2024-11-03T06:00:00Z"), -5.0),  # 02:00 EDT
    ]
    assert offsets.at(at("2024-03-10T06:59:59Z")) == -5.0
    assert offsets.at(at("2024-03-10T07:00:00Z")) == -4.0


def test_a_generated_counter_runs_on_without_a_jump_where_the_clock_changes() -> None:
    series = new_york_series()
    change = at("2024-03-10T07:00:00Z")
    most_in_two_seconds = 150.0 * (1 + 0.35 + 0.10) * 2 / 3600  # the profile's highest rate
    assert 0 < series.counter(change + 1) - series.counter(change - 1) < most_in_two_seconds


@pytest.mark.parametrize(
    ("first_day", "day", "resolution", "storage"),
    [
        (date(2024, 3, 9), date(2024, 3, 11), "hour", "kw"),
        (date(2024, 3, 9), date(2024, 3, 11), "live", "kwh"),
        (date(2024, 11, 1), date(2024, 11, 4), "hour", "kwh"),
        (date(2024, 11, 1), date(2024, 11, 4), "quarterhour", "kw"),
    ],
)
def test_a_generated_reading_is_the_same_whichever_day_the_range_starts_across_dst(
    first_day: date, day: date, resolution: Resolution, storage: str
) -> None:
    """The daily shape follows the local clock at each reading: a range that starts before a
    daylight saving change answers the days after it as a range starting after it does."""
    kind = "instantaneous" if storage == "kw" else "cumulative"
    chosen = meter(
        reading_type=kind, storage_unit=storage, display_unit=storage, source_unit=storage
    )
    across = meter_rows(chosen, None, DataQuery(first_day, day, resolution), NEW_YORK, NOW)
    alone = meter_rows(chosen, None, DataQuery(day, day, resolution), NEW_YORK, NOW)
    assert alone
    assert across[-len(alone) :] == alone


def test_generated_consumption_adds_up_across_resolutions() -> None:
    query_day = DataQuery(date(2024, 6, 1), date(2024, 6, 30), "day")
    query_month = DataQuery(date(2024, 6, 1), date(2024, 6, 30), "month")
    days = meter_rows(meter(), None, query_day, NEW_YORK, NOW)
    (month,) = meter_rows(meter(), None, query_month, NEW_YORK, NOW)
    assert month.value == pytest.approx(sum(r.value or 0 for r in days))


def test_fixture_meters_belong_to_the_fixture_gateway_and_buildings() -> None:
    s = state()
    assert s.gateway.id == "48213"
    assert {m.building for m in s.list_meters()} == {"176498", "176499"}
    assert all(m.gateway == "48213" for m in s.list_meters())


def test_new_ids_follow_the_largest_existing_one() -> None:
    s = state()
    body = {"organization": "6732", "name": "x", "postalCode": "1"}
    assert s.create_building(body).id == "176500"
    assert s.create_building(body).id == "176501"


def test_a_new_meter_after_a_fresh_start_gets_a_uuid_never_given_before() -> None:
    """Uuids come from secrets, not the seed: a restarted sandbox does not hand out the uuid of
    a meter made before it."""
    body = meter_body()
    before, after = state().create_meter(body), state().create_meter(body)
    assert after.uuid != before.uuid
