"""``python -m bench.streams`` runs end to end on a tiny case: the server starts, streams open,
subscribe and receive, and the table comes out. Its figures are not asserted (on a shared
machine they are noise at this size)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_stream_bench_measures_a_tiny_case_and_prints_its_row() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.streams", "--streams", "3", "--seconds", "0.5"],
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
