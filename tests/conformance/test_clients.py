"""Every reference client method against answers drawn from its contract: every documented
status of the operation it sends, every request it sends checked against the contract
(mocks/conformance)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mocks.conformance import ClientTable, Row, conform, statuses
from mocks.conformance.tables import TABLES

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
EXAMPLES = max(4, settings.default.max_examples // 6)
"""Per client call: 10 under the ci profile, many more under deep."""


@pytest.mark.parametrize(("table", "row"), CASES)
def test_the_client_call_keeps_to_the_contract_for_every_documented_status(
    table: ClientTable[Any], row: Row[Any]
) -> None:
    documented = statuses(table, row)

    examples = max(EXAMPLES, 2 * len(documented))
    phases = list(Phase)
    if row.known_bug:
        # More examples, so that the bug shows under the ci profile too; no shrinking, which
        # would take minutes and tell nothing new.
        examples *= 4
        phases = [Phase.explicit, Phase.reuse, Phase.generate]

    @settings(max_examples=examples, phases=phases)
    @given(status=st.sampled_from(documented), data=st.data())
    def check(status: int, data: st.DataObject) -> None:
        conform(table, row, status, data.draw)

    check()


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_every_public_client_method_has_a_row_or_sends_no_request(
    table: ClientTable[Any],
) -> None:
    assert table.uncovered() == []
    assert table.stale() == []
