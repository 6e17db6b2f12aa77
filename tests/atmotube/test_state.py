"""Atmotube state and readings, without HTTP."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standin._core.clock import Clock
from standin._core.errors import VendorError
from standin.atmotube.query import DataQuery
from standin.atmotube.readings import Device, ReadingCache, reading_at
from standin.atmotube.state import AtmotubeState

INDOOR = Device("C2:4E:91:7A:3B:10", "office", "indoor", date(2022, 1, 1), 1.0)
OUTDOOR = Device("D7:1F:0C:55:A2:8E", "bike", "outdoor", date(2022, 1, 1), 1.0, 52.52, 13.405)
FIRST = INDOOR.first_minute
minutes = st.integers(FIRST, FIRST + 5 * 365 * 1440)


@given(minutes, st.sampled_from([INDOOR, OUTDOOR]))
def test_particulates_are_ordered_pm1_pm25_pm10(minute: int, device: Device) -> None:
    reading = reading_at(device, minute)
    assert 0 <= reading.pm1 <= reading.pm25 <= reading.pm10


@given(minutes, st.sampled_from([INDOOR, OUTDOOR]))
def test_values_stay_physically_plausible(minute: int, device: Device) -> None:
    reading = reading_at(device, minute)
    assert 1 <= reading.h <= 100
    assert 950 <= reading.p <= 1080
    assert 0.01 <= reading.voc <= 2.0
    assert reading.pm10 < 300
    if device.environment == "indoor":
        assert 17 <= reading.t <= 26
    else:
        assert -15 <= reading.t <= 40


@given(minutes)
def test_coords_only_for_devices_with_gps_and_near_home(minute: int) -> None:
    assert reading_at(INDOOR, minute).lat is None
    outdoor = reading_at(OUTDOOR, minute)
    assert outdoor.lat is not None
    assert outdoor.lon is not None
    assert abs(outdoor.lat - 52.52) <= 0.01
    assert abs(outdoor.lon - 13.405) <= 0.015


def test_outdoor_is_warmer_in_summer_afternoons_than_winter_nights() -> None:
    def at(*args: int) -> int:
        return int(datetime(*args, tzinfo=UTC).timestamp()) // 60  # type: ignore[misc]

    summer = [reading_at(OUTDOOR, at(2023, 7, d, 14)).t for d in range(1, 29)]
    winter = [reading_at(OUTDOOR, at(2023, 1, d, 3)).t for d in range(1, 29)]
    assert sum(summer) / len(summer) > sum(winter) / len(winter) + 10


def test_reading_time_is_the_start_of_its_minute() -> None:
    minute = int(datetime(2022, 6, 13, 16, 38, tzinfo=UTC).timestamp()) // 60
    assert reading_at(INDOOR, minute).time == "2022-06-13T16:38:00.000Z"


def test_the_cache_keeps_only_the_most_recent_hours() -> None:
    cache = ReadingCache(max_hours=2)
    first = cache.hour(INDOOR, FIRST // 60)
    cache.hour(INDOOR, FIRST // 60 + 1)
    cache.hour(INDOOR, FIRST // 60 + 2)
    again = cache.hour(INDOOR, FIRST // 60)
    assert again is not first
    assert again == first


def make_state(now: datetime) -> AtmotubeState:
    clock = Clock()
    clock.freeze(now)
    state = AtmotubeState(clock, ReadingCache())
    state.register_device(INDOOR)
    from standin.atmotube.state import ApiKey

    state.api_keys.put("k", ApiKey("k", (INDOOR.mac,)))
    return state


def test_readings_page_counts_and_slices_without_materialising_history() -> None:
    state = make_state(datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC))
    page = state.readings("k", DataQuery(mac=INDOOR.mac, limit=10, order="desc"))
    assert len(page.readings) == 10
    assert page.total > 4 * 365 * 1440 * 0.9
    assert page.readings[0].time < "2026-11-20T12:00:00.000Z"
    assert [r.time for r in page.readings] == sorted((r.time for r in page.readings), reverse=True)


def test_unknown_key_or_device_is_not_found() -> None:
    state = make_state(datetime(2026, 11, 20, tzinfo=UTC))
    for key, mac in (("other", INDOOR.mac), ("k", "00:00:00:00:00:00")):
        with pytest.raises(VendorError) as error:
            state.readings(key, DataQuery(mac=mac))
        assert error.value.status == 404


def test_a_range_before_the_history_is_empty() -> None:
    state = make_state(datetime(2026, 11, 20, tzinfo=UTC))
    page = state.readings(
        "k", DataQuery(mac=INDOOR.mac, first_day=date(2021, 12, 25), last_day=date(2021, 12, 31))
    )
    assert (page.total, page.readings) == (0, [])


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    first_day=st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 11, 1)),
    days=st.integers(1, 7),
    offset=st.integers(0, 12_000),
    limit=st.integers(1, 3000),
    order=st.sampled_from(["asc", "desc"]),
)
def test_a_date_range_reads_the_readings_a_walk_over_every_minute_finds(
    first_day: date, days: int, offset: int, limit: int, order: str
) -> None:
    """Counted and indexed in closed form (flat in the device's age): the same page as a walk
    over every minute of the range, keeping those of the hours the device reported in."""
    state = make_state(datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC))
    query = DataQuery(
        mac=INDOOR.mac,
        limit=limit,
        offset=offset,
        order=order,  # type: ignore[arg-type]
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
    )
    page = state.readings("k", query)
    start, end = state._minute_range(INDOOR, query)
    hours = state._cache.availability(INDOOR)
    minutes = [m for m in range(start, end) if hours.present(m // 60)]
    assert page.total == len(minutes)
    if order == "desc":
        minutes.reverse()
    expected = [reading_at(INDOOR, m) for m in minutes[offset : offset + limit]]
    assert list(page.readings) == expected
