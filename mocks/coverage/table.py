"""The coverage table: for each API, every operation of the vendor's reference (and every
operation the contract adds), whether the contract has it, the fake serves it, the client
calls it, and which tests exercise it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mocks._core.clock import Clock
from mocks._core.sandbox import Sandbox
from mocks.coverage.operations import (
    ContractOperation,
    OperationKey,
    ReferenceOperation,
    contract_operations,
    load_reference,
)
from mocks.coverage.probes import PROBES
from mocks.coverage.probes.probe import run_probe
from mocks.coverage.served import serves
from mocks.coverage.tests_index import TestIndex, index_tests
from mocks.registry import create_sandbox

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "coverage.md"
REFRESH = "make coverage-table"


@dataclass
class Row:
    key: OperationKey
    reference: ReferenceOperation | None = None
    contract: list[ContractOperation] = field(default_factory=list)
    served: bool = False
    client_methods: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        if self.reference is not None:
            return self.reference.path
        return self.contract[0].path

    @property
    def name(self) -> str:
        if self.reference is not None:
            return self.reference.name
        return self.contract[0].summary


@dataclass
class ApiCoverage:
    api: str
    title: str
    source: str
    rows: list[Row]

    @property
    def documented(self) -> list[Row]:
        return [row for row in self.rows if row.reference is not None]

    @property
    def beyond(self) -> list[Row]:
        return [row for row in self.rows if row.reference is None]

    def unserved_contract_operations(self) -> list[ContractOperation]:
        return [op for row in self.rows for op in row.contract if not row.served]


def _holes(row: Row) -> int:
    return row.key.shape.count("{}")


def _best(rows: Iterable[Row]) -> list[Row]:
    """The rows whose shape is the most literal (``/objects/streams`` over ``/objects/{}``)."""
    found = list(rows)
    if not found:
        return []
    fewest = min(_holes(row) for row in found)
    return [row for row in found if _holes(row) == fewest]


def _rows_for(rows: Sequence[Row], method: str | None, path: str) -> list[Row]:
    """The operation(s) a request is for; with no known method, only an unambiguous one."""
    if method is not None:
        return _best(row for row in rows if row.key.matches(method, path))
    candidates = _best(row for row in rows if row.key.pattern.match(path))
    return candidates if len(candidates) == 1 else []


def api_coverage(api: str, sandbox: Sandbox, tests_root: Path) -> ApiCoverage:
    reference = load_reference(api)
    rows: dict[OperationKey, Row] = {}
    for documented in reference.operations:
        rows.setdefault(documented.key, Row(documented.key, reference=documented))
    for operation in contract_operations(api):
        rows.setdefault(operation.key, Row(operation.key)).contract.append(operation)
    ordered = list(rows.values())

    vendor = sandbox.api(api)
    app = vendor.app()
    for row in ordered:
        if row.contract:
            row.served = all(serves(app, op.method, op.path) for op in row.contract)
        else:
            row.served = serves(app, row.key.method, row.path)

    probe = PROBES[api]
    hits: dict[str, set[str]] = {}
    for hit in run_probe(api, probe, sandbox):
        for row in _rows_for(ordered, hit.method, hit.path):
            hits.setdefault(str(row.key), set()).add(hit.client_method)
    for row in ordered:
        row.client_methods = sorted(hits.get(str(row.key), set()))

    folder = tests_root / api
    index = index_tests(folder, api, frozenset(probe.calls)) if folder.is_dir() else TestIndex()
    exercised: dict[str, set[str]] = {str(row.key): set() for row in ordered}
    for mention in index.paths:
        for row in _rows_for(ordered, mention.method, mention.path):
            exercised[str(row.key)].add(mention.test)
    for test, client_method in index.client_calls:
        for row in ordered:
            if client_method in row.client_methods:
                exercised[str(row.key)].add(test)
    for test in index.contract_wide:
        for row in ordered:
            if row.contract:
                exercised[str(row.key)].add(test)
    for row in ordered:
        row.tests = sorted(exercised[str(row.key)])
    return ApiCoverage(api=api, title=vendor.title, source=reference.source, rows=ordered)


def coverage(tests_root: Path = ROOT / "tests") -> list[ApiCoverage]:
    """Every API that has joined the table (``PROBES``), on a frozen sandbox clock."""
    clock = Clock()
    clock.freeze()
    sandbox = create_sandbox(list(PROBES), clock=clock, journal_capacity=10_000)
    return [api_coverage(api, sandbox, tests_root) for api in PROBES]


# --- markdown --------------------------------------------------------------------------------

YES, NO = "✅", "❌"


def _mark(value: bool) -> str:
    return YES if value else NO


def _tests_cell(tests: Sequence[str]) -> str:
    if not tests:
        return NO
    per_file = Counter(test.split("::", 1)[0] for test in tests)
    return f"{len(tests)}: " + ", ".join(f"{name} ({n})" for name, n in sorted(per_file.items()))


def _row(row: Row, documented: bool) -> str:
    contract = ", ".join(f"`{op.operation_id}`" for op in row.contract)
    cells = [
        f"`{row.key.method} {row.path}`",
        row.name.replace("|", "\\|"),
        *([row.reference.where] if documented and row.reference is not None else []),
        f"{YES} {contract}" if row.contract else NO,
        _mark(row.served),
        f"{YES} " + ", ".join(f"`{m}`" for m in row.client_methods) if row.client_methods else NO,
        _tests_cell(row.tests),
    ]
    return "| " + " | ".join(cells) + " |"


def _totals(entries: Sequence[ApiCoverage]) -> list[str]:
    lines = [
        "| API | Operations in the vendor's reference | In the contract | Served by the fake "
        "| Called by the client | Exercised by tests | Operations beyond the reference |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    sums = [0] * 6
    for entry in entries:
        rows = entry.documented
        counts = [
            len(rows),
            sum(1 for row in rows if row.contract),
            sum(1 for row in rows if row.served),
            sum(1 for row in rows if row.client_methods),
            sum(1 for row in rows if row.tests),
            len(entry.beyond),
        ]
        sums = [a + b for a, b in zip(sums, counts, strict=True)]
        lines.append(
            f"| [{entry.title}](#{entry.api}) | " + " | ".join(str(n) for n in counts) + " |"
        )
    lines.append("| **All** | " + " | ".join(f"**{n}**" for n in sums) + " |")
    return lines


def render(entries: Sequence[ApiCoverage]) -> str:
    lines = [
        "# Coverage",
        "",
        f"Generated by `{REFRESH}` (`python -m mocks.coverage`); `make test` fails when this "
        "file is stale or when an operation of a contract is not served. Do not edit by hand.",
        "",
        "- **Operations**: the vendor's reference, listed by hand from the vendor's guide in "
        "`contracts/reference/<api>.yaml`, and any operation the contract adds beyond it.",
        "- **Contract**: the operation ids of `contracts/<api>.yaml` for that method and path "
        "(a trailing slash and parameter names aside).",
        "- **Fake**: every contract path of the operation (or the documented one) matches a "
        "route of the fake's route table for that method.",
        "- **Client**: the reference client methods that sent that request when each public "
        "method was called against the fake (`mocks/coverage/probes/<api>.py`).",
        "- **Tests**: tests in `tests/<api>/` whose source sends a request to the operation's "
        "path, calls a client method that does, or runs schemathesis on the contract "
        "(see `mocks/coverage/tests_index.py`).",
        "",
        "## Totals",
        "",
        *_totals(entries),
    ]
    for entry in entries:
        lines += [
            "",
            f'<a id="{entry.api}"></a>',
            "",
            f"## {entry.title} (`{entry.api}`)",
            "",
            f"Vendor reference: {entry.source} (`contracts/reference/{entry.api}.yaml`).",
            "",
            "| Operation | What | Vendor docs | Contract | Fake | Client | Tests |",
            "|---|---|---|---|---|---|---|",
            *(_row(row, documented=True) for row in entry.documented),
        ]
        if entry.beyond:
            lines += [
                "",
                "Beyond the vendor's reference (the contract says why, as a sandbox choice):",
                "",
                "| Operation | What | Contract | Fake | Client | Tests |",
                "|---|---|---|---|---|---|",
                *(_row(row, documented=False) for row in entry.beyond),
            ]
        lines += ["", "<details><summary>Tests per operation</summary>", ""]
        for row in entry.rows:
            lines.append(f"- `{row.key.method} {row.path}`")
            lines += [f"  - `{test}`" for test in row.tests]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
