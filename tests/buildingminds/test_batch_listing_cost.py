"""``GET /batch`` lists a page of batches at the page's cost: the batches are kept ordered as the
list shows them (newest first, batches of one instant in the order made), so a page neither
filters nor sorts the tenant's whole history (up to 10,000 batches)."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standin._core.clock import Clock
from standin.buildingminds import state as buildingminds_state
from standin.buildingminds.state import BatchQuery, BuildingMindsState, Timing
from tests.buildingminds.conftest import budget, record
from tests.conftest import NOW

DAY = 86_400.0


def listed_by_walking_every_batch(state: BuildingMindsState, query: BatchQuery) -> list[str]:
    """What the list showed before it was indexed: every batch filtered by its UTC day, then a
    stable sort, newest first."""

    def day(batch: Any) -> date:
        return datetime.fromtimestamp(batch.created_at, tz=UTC).date()

    chosen = [
        b
        for b in state.batches.values()
        if (query.created_at is None or day(b) == query.created_at)
        and (query.created_from is None or day(b) >= query.created_from)
        and (query.created_to is None or day(b) <= query.created_to)
    ]
    chosen.sort(key=lambda b: b.created_at, reverse=True)
    return [b.id for b in chosen]


def submitted_at(moves: list[float]) -> BuildingMindsState:
    """A state with one batch submitted after each clock move (back or forth, or none)."""
    clock = Clock()
    clock.freeze(NOW)
    state = BuildingMindsState(clock, Timing(), seed=3)
    for n, move in enumerate(moves):
        clock.advance(move)
        assert state.submit("address", [record("address", f"A{n}")]).batch_id is not None
    return state


@settings(max_examples=budget(60), deadline=None)
@given(
    moves=st.lists(
        st.sampled_from([0.0, 0.0, 1.0, 3_600.0, DAY, -DAY, -0.5, 12 * 3_600.0]), max_size=40
    ),
    bounds=st.tuples(
        st.none() | st.integers(min_value=-3, max_value=6),
        st.none() | st.integers(min_value=-3, max_value=6),
        st.none() | st.integers(min_value=-3, max_value=6),
    ),
    skip=st.integers(min_value=0, max_value=50),
    limit=st.integers(min_value=1, max_value=50),
)
def test_batches_are_listed_newest_first_with_same_instant_ones_in_the_order_made(
    moves: list[float], bounds: tuple[int | None, int | None, int | None], skip: int, limit: int
) -> None:
    """Clocks moved back and forth, batches made at one instant, every day filter: the total
    and the page are those of filtering every batch and sorting them newest first."""
    state = submitted_at(moves)
    today = NOW.date()
    at, first, last = (None if b is None else today + timedelta(days=b) for b in bounds)
    query = BatchQuery(created_at=at, created_from=first, created_to=last, skip=skip, limit=limit)
    expected = listed_by_walking_every_batch(state, query)
    total, page = state.list_batches(query)
    assert total == len(expected)
    assert [s.batch.id for s in page] == expected[skip : skip + limit]


def test_a_batch_made_a_microsecond_before_midnight_is_listed_under_its_day() -> None:
    clock = Clock()
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    state = BuildingMindsState(clock, Timing(), seed=3)
    made = []
    for offset in (-0.000_001, 0.0, 0.000_001):
        clock.freeze(midnight + timedelta(seconds=offset))
        made.append(state.submit("address", [record("address", f"A{offset}")]).batch_id)
    before, at, after = made
    first_day = BatchQuery(created_at=date(2026, 3, 1))
    second_day = BatchQuery(created_at=date(2026, 3, 2))
    assert [s.batch.id for s in state.list_batches(first_day)[1]] == [before]
    assert [s.batch.id for s in state.list_batches(second_day)[1]] == [after, at]
    assert state.list_batches(BatchQuery(created_to=date.max))[0] == 3
    assert state.list_batches(BatchQuery(created_from=date.min))[0] == 3


class CountingReads:
    """A batch collection that counts the batches read from it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.read = 0

    def get(self, key: str) -> Any:
        self.read += 1
        return self.inner.get(key)

    def values(self) -> Any:
        for value in self.inner.values():
            self.read += 1
            yield value


def test_page_1_of_10000_batches_reads_only_the_batches_it_lists(clock: Clock) -> None:
    state = BuildingMindsState(clock, Timing(), seed=3)
    for n in range(10_000):
        clock.advance(1)
        state.submit("address", [record("address", f"A{n}")])
    counting = CountingReads(state.batches)
    state.batches = counting  # type: ignore[assignment]
    total, page = state.list_batches(BatchQuery(limit=100, created_from=NOW.date()))
    assert (total, len(page), counting.read) == (10_000, 100, 100)


def test_the_listing_order_survives_a_snapshot_and_follows_forgotten_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = submitted_at([0.0, 0.0, -DAY, 5.0, 0.0])
    restored = pickle.loads(pickle.dumps(state))
    everything = BatchQuery(limit=1000)
    assert [s.batch.id for s in restored.list_batches(everything)[1]] == [
        s.batch.id for s in state.list_batches(everything)[1]
    ]
    monkeypatch.setattr(buildingminds_state, "MAX_BATCHES", 3)
    restored.submit("address", [record("address", "LAST")])
    total, page = restored.list_batches(everything)
    assert total == len(restored.batches) == 3
    assert [s.batch.id for s in page] == listed_by_walking_every_batch(restored, everything)
