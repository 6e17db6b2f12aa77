from datetime import UTC, datetime

from standin._core.clock import Clock, isoformat


class FakeSource:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_real_clock_follows_its_source() -> None:
    source = FakeSource(1000.0)
    clock = Clock(source)
    assert clock.mode == "real"
    assert clock.time() == 1000.0
    source.now = 1005.5
    assert clock.time() == 1005.5


def test_frozen_clock_stands_still_until_advanced() -> None:
    source = FakeSource(1000.0)
    clock = Clock(source)
    clock.freeze()
    source.now = 2000.0
    assert clock.mode == "frozen"
    assert clock.time() == 1000.0
    clock.advance(30)
    assert clock.time() == 1030.0


def test_set_on_a_running_clock_keeps_it_running_from_there() -> None:
    source = FakeSource(1000.0)
    clock = Clock(source)
    clock.set(datetime(2022, 6, 13, tzinfo=UTC))
    assert clock.mode == "offset"
    start = clock.time()
    assert start == datetime(2022, 6, 13, tzinfo=UTC).timestamp()
    source.now += 10
    assert clock.time() == start + 10


def test_set_on_a_frozen_clock_moves_it_and_keeps_it_frozen() -> None:
    clock = Clock(FakeSource(0.0))
    clock.freeze()
    clock.set(datetime(2030, 1, 1, 12, 0))
    assert clock.mode == "frozen"
    assert clock.now() == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_advancing_a_running_clock_offsets_it() -> None:
    source = FakeSource(100.0)
    clock = Clock(source)
    clock.advance(3600)
    assert clock.mode == "offset"
    assert clock.time() == 3700.0


def test_real_returns_to_the_source_time() -> None:
    source = FakeSource(100.0)
    clock = Clock(source)
    clock.freeze()
    clock.advance(50)
    clock.real()
    assert clock.mode == "real"
    assert clock.time() == 100.0


def test_isoformat_is_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2023, 10, 19, 16, 38, 0, 123456, tzinfo=UTC)
    assert isoformat(moment) == "2023-10-19T16:38:00.123Z"
