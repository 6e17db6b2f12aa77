"""Containers kept one row per record beside the capped logs: a row collection, a meter's pushed
readings and a point's command history. A write keeps the rows that changed since the last one,
whatever the container holds, and the snapshot with its rows loads back as the state was."""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from standin._core.clock import Clock
from standin._core.logrows import LogWriter
from standin._core.store import MemoryStore, RowCollection
from standin.atrius.series import PushedReadings
from standin.metasys.state import history
from standin.metasys.state.history import RecordedHistory
from tests.row_table import Table

if TYPE_CHECKING:
    from standin._core.api import VendorApi

API = cast("VendorApi", SimpleNamespace())


@dataclass
class Item:
    name: str
    tags: list[str] = field(default_factory=list)


@dataclass
class Shelf:
    """A state with a row collection, pushed readings and command histories."""

    clock: Clock
    items: RowCollection[str, Item] = field(default_factory=RowCollection)
    readings: PushedReadings = field(default_factory=PushedReadings)
    histories: dict[str, Any] = field(default_factory=dict)


def contents(shelf: Shelf) -> tuple[Any, ...]:
    return (
        [(key, vars(item)) for key, item in zip(shelf.items, shelf.items.values(), strict=True)],
        shelf.readings.between(-(10**9), 10**9),
        {name: list(kept) for name, kept in shelf.histories.items()},
    )


def loaded_back(table: Table) -> Shelf:
    clock = Clock()
    shelf = LogWriter(API).load(table.blob, table.kept(), clock)
    assert isinstance(shelf, Shelf)
    assert shelf.clock is clock
    return shelf


def test_a_put_into_a_full_collection_writes_one_row_and_a_snapshot_of_the_same_size() -> None:
    shelf = Shelf(Clock())
    for n in range(1_000):
        shelf.items.put(f"k{n}", Item(f"item {n}"))
    writer = LogWriter(API)
    first = writer.write(shelf)
    assert len(first.rows) == 1_000
    shelf.items.put("new", Item("new"))
    second = writer.write(shelf)
    assert [(log_id, seq) for log_id, seq, _ in second.rows] == [(1, 1_000)]
    assert len(second.blob) == len(first.blob)


def test_a_record_changed_in_place_is_written_again_only_when_touched() -> None:
    shelf = Shelf(Clock())
    shelf.items.put("a", Item("a"))
    shelf.items.put("b", Item("b"))
    writer = LogWriter(API)
    table = Table()
    table.apply(writer.write(shelf))
    item = shelf.items.get("b")
    assert item is not None
    item.tags.append("seen")
    assert writer.write(shelf).rows == []
    item.tags.append("again")
    shelf.items.touch("b")
    written = writer.write(shelf)
    assert [(log_id, seq) for log_id, seq, _ in written.rows] == [(1, 1)]
    table.apply(written)
    assert contents(loaded_back(table)) == contents(shelf)


def test_a_pushed_reading_is_one_row_numbered_by_its_timestamp() -> None:
    shelf = Shelf(Clock())
    for t in range(0, 90_000, 900):
        shelf.readings.put(t, 1.0)
    writer = LogWriter(API)
    writer.write(shelf)
    shelf.readings.put(900, 2.5)
    shelf.readings.put(123_456, 3.0)
    written = writer.write(shelf)
    assert sorted((log_id, seq) for log_id, seq, _ in written.rows) == [(2, 900), (2, 123_456)]


def test_a_command_history_writes_its_new_changes_and_is_written_anew_when_cut() -> None:
    shelf = Shelf(Clock())
    writer = LogWriter(API)
    table = Table()
    for n in range(history.HISTORY_LIMIT - 1):
        history.record(shelf.histories, "presentValue", float(n), n)
    table.apply(writer.write(shelf))
    history.record(shelf.histories, "presentValue", 1e6, -1)
    written = writer.write(shelf)
    assert (written.cleared, [seq for _, seq, _ in written.rows]) == (
        [],
        [history.HISTORY_LIMIT - 1],
    )
    table.apply(written)
    history.record(shelf.histories, "presentValue", 2e6, -2)  # past the bound: cut
    written = writer.write(shelf)
    # The cut history's rows go by key (with the change it took before it was cut, never
    # written), the new one's are written.
    assert written.cleared == []
    assert sorted(written.removed) == [(3, seq) for seq in range(history.HISTORY_LIMIT + 1)]
    assert len(written.rows) == history.HISTORY_KEPT
    table.apply(written)
    assert len(table.rows) == history.HISTORY_KEPT
    assert contents(loaded_back(table)) == contents(shelf)


def test_a_plain_list_history_kept_before_becomes_a_recorded_one_at_its_next_change() -> None:
    histories: dict[str, Any] = {"presentValue": [(1.0, 70)]}
    history.record(histories, "presentValue", 2.0, 71)
    assert type(histories["presentValue"]) is RecordedHistory
    assert histories["presentValue"] == [(1.0, 70), (2.0, 71)]


def test_a_copy_or_a_plain_pickle_of_a_container_does_not_follow_it() -> None:
    items: RowCollection[str, int] = RowCollection()
    items.put("a", 1)
    items.follow()
    readings = PushedReadings()
    readings.follow()
    recorded = RecordedHistory([(1.0, 2)])
    recorded.follow()
    for container in (items, readings, recorded):
        for other in (copy.deepcopy(container), pickle.loads(pickle.dumps(container))):
            assert type(other) is type(container)
            try:
                other.take_row_changes()
            except RuntimeError:
                continue
            raise AssertionError(f"{other!r} follows")


def test_a_store_hands_out_a_row_collection_only_when_asked() -> None:
    store = MemoryStore()
    assert type(store.collection("kept", str, int, rows=True)) is RowCollection
    assert type(store.collection("plain", str, int)) is not RowCollection


operation = st.one_of(
    st.tuples(st.just("put"), st.integers(0, 12)),
    st.tuples(st.just("delete"), st.integers(0, 12)),
    st.tuples(st.just("touch"), st.integers(0, 12)),
    st.tuples(st.just("clear"), st.just(0)),
    st.tuples(st.just("push"), st.integers(0, 40)),
    st.tuples(st.just("command"), st.integers(0, 3)),
    st.tuples(st.just("write"), st.just(0)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(operation, max_size=60))
def test_any_changes_written_along_the_way_load_back_as_the_state_was(
    operations: list[tuple[str, int]],
) -> None:
    shelf = Shelf(Clock())
    writer = LogWriter(API)
    table = Table()
    table.apply(writer.write(shelf))
    for step, (kind, n) in enumerate(operations):
        key = f"k{n}"
        if kind == "put":
            shelf.items.put(key, Item(f"{key}@{step}"))
        elif kind == "delete":
            shelf.items.delete(key)
        elif kind == "touch":
            found = shelf.items.get(key)
            if found is not None:
                found.tags.append(str(step))
                shelf.items.touch(key)
        elif kind == "clear":
            shelf.items.clear()
        elif kind == "push":
            shelf.readings.put(900 * n, float(step))
        elif kind == "command":
            history.record(shelf.histories, f"a{n % 2}", float(step), step)
        else:
            table.apply(writer.write(shelf))
    table.apply(writer.write(shelf))
    loaded = loaded_back(table)
    assert contents(loaded) == contents(shelf)
    # The loaded state is followed from its rows: a change to it is one more row.
    reader = LogWriter(API)
    again = Table()
    again.rows, again.blob = dict(table.rows), table.blob
    state = reader.load(again.blob, again.kept(), Clock())
    assert isinstance(state, Shelf)
    state.items.put("fresh", Item("fresh"))
    written = reader.write(state)
    assert [(log_id, seq) for log_id, seq, _ in written.rows] == [
        (1, max([-1, *(seq for (log_id, seq) in table.rows if log_id == 1)]) + 1)
    ]
    again.apply(written)
    assert contents(loaded_back(again)) == contents(state)
