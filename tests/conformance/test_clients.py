"""Every reference client method against answers drawn from its contract: every documented
status of the operation it sends, every request it sends checked against the contract
(tools/conformance)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from tools.conformance import ClientTable, Row, conform, statuses
from tools.conformance.tables import TABLES

CASES = [
    pytest.param(
        table,
        row,
        id=f"{api}.{row.id}",
        marks=[pytest.mark.xfail(reason=row.known_bug)] if row.known_bug else [],
    )
    for api, table in TABLES.items()
    for row in table.rows
]
EXAMPLES = max(3, settings.default.max_examples // 20)
"""Per client call and status: 3 under the ci profile, 100 under deep."""


@pytest.mark.parametrize(("table", "row"), CASES)
def test_the_client_call_keeps_to_the_contract_for_every_documented_status(
    table: ClientTable[Any], row: Row[Any]
) -> None:
    examples, phases = EXAMPLES, list(Phase)
    if row.known_bug:
        # More examples, so that the bug shows under the ci profile too; no shrinking, which
        # would take minutes and tell nothing new.
        examples, phases = 4 * examples, [Phase.explicit, Phase.reuse, Phase.generate]

    for status in statuses(table, row):
        run_examples(table, row, status, examples, phases)


def run_examples(
    table: ClientTable[Any], row: Row[Any], status: int, examples: int, phases: list[Phase]
) -> None:
    @settings(max_examples=examples, phases=phases)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        conform(table, row, status, data.draw)

    check()


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_every_public_client_method_has_a_row_or_sends_no_request(
    table: ClientTable[Any],
) -> None:
    assert table.uncovered() == []
    assert table.stale() == []
