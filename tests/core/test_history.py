from hypothesis import given
from hypothesis import strategies as st

from standin._core.history import CappedLog


def test_a_full_log_drops_the_earliest_record_first_and_counts_it() -> None:
    log: CappedLog[str] = CappedLog(3)
    assert log.append(10.0, "b") == []
    log.append(5.0, "a")
    log.append(20.0, "c")
    assert log.append(15.0, "d") == ["a"]
    assert (list(log), log.appended, log.dropped) == (["b", "d", "c"], 4, 1)


def test_between_finds_the_records_of_a_closed_period() -> None:
    log: CappedLog[int] = CappedLog(10)
    for moment in (1.0, 2.0, 2.0, 3.0, 4.0):
        log.append(moment, int(moment * 10) + len(log))
    assert log.between(2.0, 3.0) == [21, 22, 33]
    assert log.between(5.0, 9.0) == []


@given(
    moments=st.lists(st.integers(0, 5), max_size=40),
    start=st.integers(0, 45),
    size=st.integers(1, 10),
    descending=st.booleans(),
)
def test_a_window_is_the_slice_a_stable_sort_by_time_gives(
    moments: list[int], start: int, size: int, descending: bool
) -> None:
    log: CappedLog[tuple[int, int]] = CappedLog(25)
    for arrival, moment in enumerate(moments):
        log.append(float(moment), (moment, arrival))
    records = [(moment, arrival) for arrival, moment in enumerate(moments)]
    kept = sorted(sorted(records)[-25:], key=lambda record: record[1])
    expected = sorted(kept, key=lambda record: record[0], reverse=descending)
    assert log.window(start, size, descending) == expected[start : start + size]
