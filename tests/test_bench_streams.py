"""``python -m bench.streams`` runs end to end on a tiny case: the server starts, streams open,
subscribe and receive, and the table comes out. Its figures are not asserted (on a shared
machine they are noise at this size)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_stream_bench_measures_tiny_cases_and_prints_their_rows_and_ratios() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.streams", "--streams", "3,6", "--seconds", "0.5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("streams  open"))
    row = lines[header + 1].split()
    assert row[0] == "3"
    assert any(cell.endswith("%") for cell in row)  # delivered and CPU shares
    assert lines[header + 2].split()[0] == "6"
    ratios = lines.index("ratios to the smallest case (3 streams):")
    assert lines[ratios + 1].split()[:2] == ["streams", "CPU/change"]
    smallest = lines[ratios + 2].split()
    # CPU time comes in 10 ms ticks: a tiny run may measure none, and then has no ratio.
    assert smallest[0] == "3"
    assert smallest[1] == smallest[3]
    assert smallest[1] in ("1.00", "n/a")
    assert lines[ratios + 3].split()[0] == "6"
    assert lines[ratios + 4].startswith("ceiling at 10 changes/s, from CPU per event at 6 streams")
