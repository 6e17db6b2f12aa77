"""The index ``GET /audits/counts`` answers from (the kept audits' times by audit string id)
counts what a scan of the kept trail counts, whatever order the audits came in and however many
the trail dropped, and after a snapshot's load."""

from __future__ import annotations

import pickle
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from standin._core.clock import Clock
from standin._core.history import CappedLog
from standin.metasys.state.audit_counts import (
    AUDIT_STRINGS,
    INTERVALS,
    AuditCount,
    count,
    interval_end,
    interval_start,
)
from standin.metasys.state.audits import AuditBook
from standin.metasys.state.model import AuditEntry

ACTIONS = [*AUDIT_STRINGS, "auditActionTypeEnumSet.unknownAuditActionType"]
EPOCH = 1_700_000_000.0
SPAN = 90 * 86400.0


def scanned(
    book: AuditBook, start: float, end: float, interval: str, wanted: set[int] | None
) -> list[AuditCount]:
    """The counts as a walk over every kept audit gives them."""
    tally: Counter[tuple[float, int]] = Counter()
    for entry in book.entries:
        string_id = AUDIT_STRINGS.get(entry.action_type)
        if string_id is None or not start <= entry.time <= end:
            continue
        if wanted is not None and string_id not in wanted:
            continue
        bucket = start if interval == "None" else max(start, interval_start(entry.time, interval))
        tally[(bucket, string_id)] += 1
    return [
        AuditCount(
            string_id,
            bucket,
            end
            if interval == "None"
            else min(end, interval_end(interval_start(bucket, interval), interval)),
            number,
        )
        for (bucket, string_id), number in sorted(tally.items())
    ]


def entry(number: int, moment: float, action: str) -> AuditEntry:
    return AuditEntry(f"a{number}", moment, "api", "o", "r", "n", action, "d", None, None)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    audits=st.lists(
        st.tuples(st.floats(0, SPAN).map(lambda s: EPOCH + round(s)), st.sampled_from(ACTIONS)),
        max_size=80,
    ),
    limit=st.integers(1, 50),
    period=st.tuples(st.floats(-86400, SPAN + 86400), st.floats(-86400, SPAN + 86400)),
    interval=st.sampled_from(INTERVALS),
    wanted=st.none() | st.sets(st.sampled_from(sorted(AUDIT_STRINGS.values())), max_size=3),
)
def test_counts_from_the_index_equal_a_scan_of_the_kept_trail(
    audits: list[tuple[float, str]],
    limit: int,
    period: tuple[float, float],
    interval: str,
    wanted: set[int] | None,
) -> None:
    book = AuditBook(Clock(), CappedLog(limit))
    for number, (moment, action) in enumerate(audits):
        book.add(entry(number, moment, action))
    start, end = EPOCH + period[0], EPOCH + period[1]
    expected = scanned(book, start, end, interval, wanted)
    assert count(book.action_times, start, end, interval, wanted) == expected
    loaded: AuditBook = pickle.loads(pickle.dumps(book))
    assert count(loaded.action_times, start, end, interval, wanted) == expected


def test_ten_thousand_kept_audits_are_counted_whole_and_by_day() -> None:
    book = AuditBook(Clock(), CappedLog(10_000))
    for number in range(10_000):
        book.add(
            entry(number, EPOCH + number * 60.0, "auditActionTypeEnumSet.writeAuditActionType")
        )
    assert count(book.action_times, EPOCH, EPOCH + SPAN, "None", None) == [
        AuditCount(42, EPOCH, EPOCH + SPAN, 10_000)
    ]
    assert (
        sum(c.count for c in count(book.action_times, EPOCH, EPOCH + SPAN, "Day", {42})) == 10_000
    )
