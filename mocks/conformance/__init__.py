"""Property-based client conformance: every reference client method against answers drawn
from its contract (every documented status), every request it sends checked against the
contract. ``TABLES`` holds one table of client calls per API."""

from mocks.conformance.contract import ContractReader, Operation
from mocks.conformance.runner import Run, check_run, conform, run_row, statuses
from mocks.conformance.table import ClientTable, Row
from mocks.conformance.values import SchemaValues

__all__ = [
    "ClientTable",
    "ContractReader",
    "Operation",
    "Row",
    "Run",
    "SchemaValues",
    "check_run",
    "conform",
    "run_row",
    "statuses",
]
