"""Capped logs kept as rows: a write keeps the records a log gained or lost since the last one,
the snapshot only refers to the log and its records, and loading the snapshot with its rows gives
the state back as it was, however far past its cap the log has wrapped."""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from standin._core.clock import Clock
from standin._core.history import CappedLog
from standin._core.logrows import LogWriter
from tests.row_table import Table

if TYPE_CHECKING:
    from standin._core.api import VendorApi

API = cast("VendorApi", SimpleNamespace())


@dataclass
class Note:
    id: int
    text: str
    marks: list[str] = field(default_factory=list)


@dataclass
class Book:
    """A state with a capped log, an index of its records by id and a clock."""

    clock: Clock
    log: CappedLog[Note]
    by_id: dict[int, Note] = field(default_factory=dict)
    small: CappedLog[str] = field(default_factory=lambda: CappedLog(3))

    def add(self, moment: float, note: Note) -> None:
        self.by_id[note.id] = note
        for gone in self.log.append(moment, note):
            del self.by_id[gone.id]

    def mark(self, note_id: int, text: str) -> None:
        note = self.by_id[note_id]
        note.marks.append(text)
        moment = next(m for m, _, n in self.log.entries() if n is note)
        self.log.touch(moment, note)


def same(book: Book, loaded: object, clock: Clock) -> None:
    assert isinstance(loaded, Book)
    assert loaded.clock is clock
    for mine, theirs in ((book.log, loaded.log), (book.small, loaded.small)):
        assert [
            (m, a, vars(r)) if isinstance(r, Note) else (m, a, r) for m, a, r in theirs.entries()
        ] == [(m, a, vars(r)) if isinstance(r, Note) else (m, a, r) for m, a, r in mine.entries()]
        assert (theirs.limit, theirs.appended, theirs.dropped) == (
            mine.limit,
            mine.appended,
            mine.dropped,
        )
    # The index refers to the log's records: the same objects, not copies.
    assert loaded.by_id == book.by_id
    assert all(loaded.by_id[note.id] is note for note in loaded.log)


def test_a_write_keeps_only_the_records_appended_and_dropped_since_the_last_one() -> None:
    book = Book(Clock(), CappedLog(3))
    writer = LogWriter(API)
    for n in range(5):
        book.add(float(n), Note(n, f"n{n}"))
    first = writer.write(book)
    assert first.full
    assert sorted((log_id, seq) for log_id, seq, _ in first.rows) == [(1, 2), (1, 3), (1, 4)]
    book.add(10.0, Note(10, "ten"))
    second = writer.write(book)
    assert (second.full, second.cleared) == (False, [])
    assert [(log_id, seq) for log_id, seq, _ in second.rows] == [(1, 5)]
    assert second.removed == [(1, 2)]
    assert len(second.blob) < len(first.blob) + 64
    unchanged = writer.write(book)
    assert (unchanged.rows, unchanged.removed, unchanged.cleared) == ([], [], [])


def test_a_record_changed_in_place_is_written_again_when_its_log_is_touched() -> None:
    book = Book(Clock(), CappedLog(10))
    writer = LogWriter(API)
    book.add(1.0, Note(1, "one"))
    book.add(2.0, Note(2, "two"))
    table = Table()
    table.apply(writer.write(book))
    book.mark(1, "seen")
    written = writer.write(book)
    assert [(log_id, seq) for log_id, seq, _ in written.rows] == [(1, 0)]
    table.apply(written)
    clock = Clock()
    loaded = LogWriter(API).load(table.blob, table.kept(), clock)
    same(book, loaded, clock)


def test_a_log_no_longer_in_the_state_has_its_rows_removed() -> None:
    book = Book(Clock(), CappedLog(10))
    writer = LogWriter(API)
    book.add(1.0, Note(1, "one"))
    writer.write(book)
    book.log = CappedLog(10)
    book.by_id.clear()
    written = writer.write(book)
    # Removed by key, not by clearing the log (in Redis that looks through every row).
    assert (written.cleared, written.removed) == ([], [(1, 0)])
    assert [(log_id, seq) for log_id, seq, _ in written.rows] == []


operation = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 30)),
    st.tuples(st.just("mark"), st.integers(0, 200)),
    st.tuples(st.just("small"), st.integers(0, 30)),
    st.tuples(st.just("clear"), st.just(0)),
    st.tuples(st.just("write"), st.just(0)),
    st.tuples(st.just("reload"), st.just(0)),
)


@settings(max_examples=150, deadline=None)
@given(limit=st.integers(1, 6), operations=st.lists(operation, max_size=60))
def test_save_then_restore_gives_back_a_log_wrapped_past_its_cap(
    limit: int, operations: list[tuple[str, int]]
) -> None:
    """Appends at any moment (a clock moved back lands mid-log), records changed in place,
    clears, writes and loads in any order: what is loaded is always what was written."""
    book = Book(Clock(), CappedLog(limit))
    writer = LogWriter(API)
    table = Table()
    next_id = 0
    for name, value in operations:
        if name == "add":
            book.add(float(value), Note(next_id, f"n{next_id}"))
            next_id += 1
        elif name == "mark" and book.by_id:
            book.mark(sorted(book.by_id)[value % len(book.by_id)], f"m{value}")
        elif name == "small":
            book.small.append(float(value), f"s{value}")
        elif name == "clear":
            book.log.clear()
            book.by_id.clear()
        elif name == "write":
            table.apply(writer.write(book))
        elif name == "reload":
            table.apply(writer.write(book))
            clock = Clock()
            writer = LogWriter(API)
            loaded = writer.load(table.blob, table.kept(), clock)
            same(book, loaded, clock)
            assert isinstance(loaded, Book)
            book = loaded
    table.apply(writer.write(book))
    clock = Clock()
    same(book, LogWriter(API).load(table.blob, table.kept(), clock), clock)
    # The rows kept are the records kept: nothing dropped lingers.
    assert len(table.rows) == len(book.log) + len(book.small)


class _PersistentIds(pickle.Pickler):
    """How snapshots were pickled before references went through ``reducer_override``."""

    def persistent_id(self, obj: object) -> object:
        return ("clock",) if isinstance(obj, Clock) else None


def test_a_snapshot_kept_with_persistent_ids_before_still_loads() -> None:
    book = Book(Clock(), CappedLog(3))
    book.add(1.0, Note(1, "one"))
    buffer = io.BytesIO()
    _PersistentIds(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(book)
    clock = Clock()
    loaded = LogWriter(API).load(buffer.getvalue(), [], clock)
    same(book, loaded, clock)


def test_a_log_pickled_before_logs_could_be_followed_loads_and_takes_records() -> None:
    kept = {"limit": 2, "_entries": [(1.0, 0, "a"), (2.0, 1, "b")], "appended": 2, "dropped": 0}
    log: CappedLog[str] = CappedLog.__new__(CappedLog)
    log.__setstate__(kept)
    assert log.append(3.0, "c") == ["a"]
    assert (list(log), log.followed) == (["b", "c"], False)
