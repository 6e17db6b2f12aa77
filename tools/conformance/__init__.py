"""Property-based client conformance: every reference client method against answers drawn
from its contract (every documented status), every request it sends checked against the
contract. ``TABLES`` holds one table of client calls per API.

A tool of this repository (``tests/conformance`` runs it, the coverage table counts its rows),
not part of the installed package."""

from tools.conformance.contract import ContractReader, Operation
from tools.conformance.runner import Run, check_run, conform, run_row, statuses
from tools.conformance.table import ClientTable, Row
from tools.conformance.values import SchemaValues

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
