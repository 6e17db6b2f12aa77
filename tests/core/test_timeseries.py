import itertools
import math
import pickle
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin._core.timeseries import (
    Availability,
    LayeredNoise,
    clear_sky_irradiance,
    daily_cycle,
    layered_noise,
    series_key,
    solar_day_terms,
    solar_elevation,
    unit,
    value_noise,
)
from standin.locus.sky import Sky


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def test_the_same_question_always_gets_the_same_answer() -> None:
    assert unit(1, series_key("pm25"), 42) == unit(1, series_key("pm25"), 42)
    assert value_noise(1, 2, 12345.0, 600.0) == value_noise(1, 2, 12345.0, 600.0)


def test_different_seeds_and_series_differ() -> None:
    assert unit(1, 2, 3) != unit(2, 2, 3)
    assert unit(1, 2, 3) != unit(1, 3, 3)


def test_series_key_is_stable_across_processes() -> None:
    # A salted hash() would change between runs; readings must not.
    # FNV-1a, 64 bit: the published test vector for "abc".
    assert series_key("abc") == 0xE71FA2190541574B


@given(st.integers(0, 2**40), st.integers(0, 2**40), st.floats(0, 4e9))
def test_noise_stays_in_range(seed: int, key: int, t: float) -> None:
    assert 0.0 <= unit(seed, key, int(t)) < 1.0
    assert -1.0 <= value_noise(seed, key, t, 600.0) <= 1.0
    assert -1.0 <= layered_noise(seed, key, t, (3600.0, 600.0)) <= 1.0


def test_value_noise_is_smooth_between_knots() -> None:
    steps = [value_noise(7, 9, 1_000_000.0 + i * 10.0, 600.0) for i in range(120)]
    assert max(abs(a - b) for a, b in itertools.pairwise(steps)) < 0.1


def test_daily_cycle_peaks_at_the_local_peak_hour() -> None:
    assert daily_cycle(ts(2024, 6, 1, 14), utc_offset_hours=1, peak_hour=15) == pytest.approx(1.0)
    assert daily_cycle(ts(2024, 6, 1, 2), utc_offset_hours=1, peak_hour=15) == pytest.approx(-1.0)


def test_sun_is_high_at_noon_in_summer_and_down_at_midnight() -> None:
    # Berlin, 21 June: solar noon near 11:10 UTC, elevation about 61 degrees.
    noon = solar_elevation(52.52, 13.40, ts(2024, 6, 21, 11, 10))
    assert 60.0 < noon < 62.5
    assert solar_elevation(52.52, 13.40, ts(2024, 6, 21, 23, 10)) < 0
    assert clear_sky_irradiance(52.52, 13.40, ts(2024, 6, 21, 23, 10)) == 0.0
    assert 750.0 < clear_sky_irradiance(52.52, 13.40, ts(2024, 6, 21, 11, 10)) < 1000.0


# Worked out before solar_day_terms was factored out of solar_elevation and Sky: the refactor
# must not move a single bit.
PINNED_INSTANTS = (0.0, 1_700_000_000.0, 1_718_971_200.0, 1_735_689_599.0, 1_709_208_000.0)


def test_solar_elevation_gives_the_same_values_as_before_the_day_terms_were_shared() -> None:
    berlin = [solar_elevation(52.52, 13.405, t) for t in PINNED_INSTANTS]
    sydney = [solar_elevation(-33.87, 151.21, t) for t in PINNED_INSTANTS]
    assert berlin == [
        -59.00737666800854,
        -54.844637486924576,
        59.28599209984197,
        -58.96224449816546,
        28.977378155685752,
    ]
    assert sydney == [
        62.08180432922155,
        41.5455587265216,
        -62.483937292063025,
        61.95148938541237,
        -38.38703469061343,
    ]


def test_locus_sky_gives_the_same_values_as_before_the_day_terms_were_shared() -> None:
    sky = Sky(7, 3, 40.0, -105.0)
    assert [sky.sin_elevation(t) for t in PINNED_INSTANTS] == [
        -0.06072377880826246,
        0.2477361216852997,
        0.06939082542782407,
        -0.06067444046787018,
        -0.3254448309268532,
    ]


@pytest.mark.parametrize(("month", "day"), [(1, 1), (3, 20), (6, 21), (9, 23), (12, 31)])
def test_locus_sky_and_solar_elevation_agree_at_noon_utc(month: int, day: int) -> None:
    # Sky takes the day's terms at noon UTC, so there the two compute the same sun.
    noon = ts(2024, month, day, 12)
    sky = Sky(1, 2, 47.3, 8.5)
    assert sky.sin_elevation(noon) == pytest.approx(
        math.sin(math.radians(solar_elevation(47.3, 8.5, noon))), rel=1e-12, abs=1e-12
    )


def test_solar_day_terms_default_to_the_days_noon() -> None:
    assert solar_day_terms(172) == solar_day_terms(172, 12.0)
    assert solar_day_terms(172, 0.0) != solar_day_terms(172)


def test_winter_noon_is_lower_than_summer_noon() -> None:
    winter = clear_sky_irradiance(52.52, 13.40, ts(2024, 12, 21, 11, 10))
    summer = clear_sky_irradiance(52.52, 13.40, ts(2024, 6, 21, 11, 10))
    assert 0 < winter < summer / 3


def brute_count(hours: Availability, start: int, end: int) -> list[int]:
    return [m for m in range(start, end) if hours.present(m // 60)]


@given(st.integers(0, 3000), st.integers(0, 3000), st.integers(0, 500))
def test_availability_counts_and_indexes_agree_with_brute_force(a: int, b: int, n: int) -> None:
    hours = Availability(seed=3, key=5, first_hour=10, missing_fraction=0.2)
    start, end = min(a, b), max(a, b)
    minutes = brute_count(hours, start, end)
    assert hours.count_minutes(start, end) == len(minutes)
    if n < len(minutes):
        assert hours.nth_minute(start, end, n) == minutes[n]


def test_availability_misses_the_missing_fraction_of_every_block_of_100_hours() -> None:
    hours = Availability(seed=1, key=2, first_hour=0, missing_fraction=0.03)
    assert hours.hours_before(10_000) == 9700
    assert [sum(not hours.present(h) for h in range(b, b + 100)) for b in range(0, 1000, 100)] == [
        3
    ] * 10
    assert len({hours.gaps(block) for block in range(100)}) > 90  # not the same hours each time


@given(
    first_hour=st.integers(0, 500),
    fraction=st.sampled_from([0.0, 0.03, 0.2, 0.5, 0.97]),
    a=st.integers(0, 2500),
    b=st.integers(0, 2500),
    n=st.integers(0, 2000),
)
def test_availability_counts_hours_and_finds_the_nth_as_a_walk_over_every_hour_does(
    first_hour: int, fraction: float, a: int, b: int, n: int
) -> None:
    hours = Availability(seed=7, key=11, first_hour=first_hour, missing_fraction=fraction)
    low, high = min(a, b), max(a, b)
    present = [h for h in range(low, 2600) if hours.present(h)]
    assert hours.hours_between(low, high) == sum(1 for h in present if h < high)
    if n < len(present):
        assert hours.nth_hour(low, n) == present[n]


def test_a_count_reaching_a_century_draws_two_blocks_not_the_century() -> None:
    hours = Availability(seed=1, key=2, first_hour=0, missing_fraction=0.03)
    assert hours.hours_before(876_600) == 8766 * 97
    assert len(hours._gaps) <= 2


def test_nothing_is_available_before_the_first_hour() -> None:
    hours = Availability(seed=1, key=2, first_hour=100, missing_fraction=0.0)
    assert hours.count_minutes(0, 6000) == 0
    assert hours.count_minutes(0, 6060) == 60


@given(
    seed=st.integers(0, 2**64 - 1),
    name=st.text(max_size=20),
    instants=st.lists(st.floats(-6e10, 2e11, allow_nan=False), min_size=1, max_size=20),
)
def test_layered_noise_of_one_series_equals_layered_noise_bit_for_bit(
    seed: int, name: str, instants: list[float]
) -> None:
    periods = (3 * 3600.0, 1800.0, 300.0)
    key = series_key(name)
    noise = LayeredNoise(seed, key, periods)
    for t in [*instants, *instants]:  # again: now from the remembered knots
        assert noise.at(t) == layered_noise(seed, key, t, periods)
    copy = pickle.loads(pickle.dumps(noise))
    assert [copy.at(t) for t in instants] == [
        layered_noise(seed, key, t, periods) for t in instants
    ]


@given(seed=st.integers(0, 2**64 - 1), start=st.floats(-1e9, 2e9, allow_nan=False))
def test_layered_noise_read_instant_after_instant_equals_layered_noise_bit_for_bit(
    seed: int, start: float
) -> None:
    """Readings a few seconds apart fall between the knots the last one did (the kept pair),
    then past them, then back: every one is still the function's value."""
    periods = (3 * 3600.0, 1800.0, 300.0)
    key = series_key("ADS1:NAE-1/FC-1.AHU-1.SA-T#presentValue")
    noise = LayeredNoise(seed, key, periods)
    instants = [start + step * 7.5 for step in range(200)]
    for t in [*instants, *reversed(instants), start - 301.0, start]:
        assert noise.at(t) == layered_noise(seed, key, t, periods)
