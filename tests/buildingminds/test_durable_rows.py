"""BuildingMinds state kept in rows: batches, inbound messages and entities are one row each, a
record whose status moves on in place is written again, and the indexes (what falls due, what
waits for which parent, reservations, batch order) are made again from the records at load."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standin import Sandbox
from standin._core.clock import Clock
from standin._core.logrows import LogWriter
from standin._core.pickling import dump_state
from standin._core.store import MemoryCollection, RowCollection
from standin.buildingminds.api import BuildingMindsApi
from standin.buildingminds.entities import ENTITIES
from standin.buildingminds.state import BuildingMindsState
from standin.registry import create_sandbox
from tests.buildingminds.conftest import record
from tests.row_table import Table


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    made = create_sandbox(["buildingminds"])
    yield made
    made.close()


def fresh_state(sandbox: Sandbox) -> tuple[BuildingMindsApi, BuildingMindsState, Clock]:
    api = sandbox.vendor(BuildingMindsApi)
    clock = Clock()
    clock.freeze()
    return api, api.new_state("t", {}, clock), clock


def records_of(state: BuildingMindsState) -> tuple[Any, ...]:
    return (
        [(key, vars(m)) for key, m in zip(state.messages, state.messages.values(), strict=True)],
        [(key, vars(b)) for key, b in zip(state.batches, state.batches.values(), strict=True)],
        [(key, e) for key, e in zip(state.entities, state.entities.values(), strict=True)],
    )


def indexes_of(state: BuildingMindsState) -> tuple[Any, ...]:
    live = sorted(
        entry
        for entry in state._due
        if (m := state.messages.get(entry[2])) is not None and m.due == entry[0]
    )
    return live, dict(state._reserved), list(state._order), state._seq


def loaded(api: BuildingMindsApi, table: Table, clock: Clock) -> BuildingMindsState:
    copy_of_clock = Clock()
    copy_of_clock.apply(clock.settings())
    state = LogWriter(api).load(table.blob, table.kept(), copy_of_clock)
    assert isinstance(state, BuildingMindsState)
    return state


def test_a_batch_completed_after_it_was_written_is_its_rows_written_again(
    sandbox: Sandbox,
) -> None:
    api, state, clock = fresh_state(sandbox)
    writer = LogWriter(api)
    table = Table()
    table.apply(writer.write(state))
    submitted = state.submit("address", [record("address", "A1"), record("address", "A2")])
    assert submitted.batch_id is not None
    table.apply(writer.write(state))
    state.complete_batch(submitted.batch_id)
    written = writer.write(state)
    # The two messages moved on in place, the batch was marked expedited, and the two
    # addresses were onboarded: five rows.
    assert len(written.rows) == 5
    assert (written.removed, written.cleared) == ([], [])
    table.apply(written)
    back = loaded(api, table, clock)
    assert [m.status for m in back.messages.values()][-2:] == ["Completed", "Completed"]
    assert records_of(back) == records_of(state)


def test_the_snapshot_stays_the_same_size_however_many_batches_the_tenant_holds(
    sandbox: Sandbox,
) -> None:
    api, state, _ = fresh_state(sandbox)
    writer = LogWriter(api)
    state.submit("address", [record("address", "A0")])
    small = len(writer.write(state).blob)
    for n in range(1, 300):
        state.submit("address", [record("address", f"A{n}")])
    # Only the counter of records grows (an int of a byte or two more).
    assert len(writer.write(state).blob) <= small + 4


operation = st.one_of(
    st.tuples(st.just("address"), st.integers(0, 5)),
    st.tuples(st.just("site"), st.integers(0, 5)),
    st.tuples(st.just("building"), st.integers(0, 5)),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("wait"), st.integers(0, 40)),
    st.tuples(st.just("complete"), st.integers(0, 30)),
    st.tuples(st.just("fail"), st.integers(0, 200)),
    st.tuples(st.just("read"), st.just(0)),
    st.tuples(st.just("write"), st.just(0)),
)


def apply(state: BuildingMindsState, clock: Clock, kind: str, n: int) -> None:
    if kind == "address":
        state.submit("address", [record("address", f"A{n}")])
    elif kind == "site":
        state.submit("site", [record("site", f"S{n}", addressIds=[f"A{n}"])])
    elif kind == "building":
        state.submit("building", [record("building", f"B{n}", siteId=f"S{n}")])
    elif kind == "delete":
        state.submit(
            "address", [record("address", f"A{n}", eventType=f"{ENTITIES['address'].name}Deleted")]
        )
    elif kind == "wait":
        clock.advance(float(n))
    elif kind == "complete":
        batches = list(state.batches)
        state.complete_batch(batches[n % len(batches)])
    elif kind == "fail":
        open_ones = [m.id for m in state.messages.values() if not m.terminal]
        if open_ones:
            state.fail_message(open_ones[n % len(open_ones)], "Failed", "injected")
    elif kind == "read":
        state.advance()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=40))
def test_any_history_written_along_the_way_loads_back_and_moves_on_as_the_state_does(
    sandbox: Sandbox, operations: list[tuple[str, int]]
) -> None:
    api, state, clock = fresh_state(sandbox)
    writer = LogWriter(api)
    table = Table()
    table.apply(writer.write(state))
    for kind, n in operations:
        if kind == "write":
            table.apply(writer.write(state))
        else:
            apply(state, clock, kind, n)
    table.apply(writer.write(state))
    back = loaded(api, table, clock)
    assert records_of(back) == records_of(state)
    assert indexes_of(back) == indexes_of(state)
    # From here on both move on alike: the parents arrive, the clock runs on.
    for kind, n in [("address", k) for k in range(6)] + [("site", k) for k in range(6)]:
        apply(state, clock, kind, n)
        apply(back, back._clock, kind, n)
    for moment in (30.0, 60.0, 600.0):
        clock.advance(moment)
        back._clock.advance(moment)
        state.advance()
        back.advance()
    assert [(m.status, m.missing, m.message) for m in back.messages.values()] == [
        (m.status, m.missing, m.message) for m in state.messages.values()
    ]


def test_a_snapshot_kept_whole_before_rows_loads_and_is_kept_in_rows_from_its_next_write(
    sandbox: Sandbox,
) -> None:
    api, state, clock = fresh_state(sandbox)
    state.submit("address", [record("address", "OLD")])
    for name in ("entities", "batches", "messages"):  # as kept before: plain collections
        plain: MemoryCollection[Any, Any] = MemoryCollection()
        for key, value in zip(getattr(state, name), getattr(state, name).values(), strict=True):
            plain.put(key, value)
        setattr(state, name, plain)
    old = dump_state(state, api)
    writer = LogWriter(api)
    back = writer.load(old, [], clock)
    assert isinstance(back, BuildingMindsState)
    assert type(back.messages) is RowCollection
    assert records_of(back) == records_of(state)
    written = writer.write(back)
    assert len(written.rows) == len(back.messages) + len(back.batches) + len(back.entities)
