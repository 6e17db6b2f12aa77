"""``make bench``'s durable-write part runs end to end on a tiny trail: each point is measured,
beside the whole-snapshot cost of the same state, and the table and results file come out.
Figures are never asserted (on a shared machine they are noise); their shape and ratios are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_durable_bench_times_a_command_with_an_empty_and_a_filled_trail(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.durable"],
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_RESULTS": str(tmp_path),
            "BENCH_DURABLE_WRITES": "2",
            "BENCH_DURABLE_AUDITS": "0 30",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = (tmp_path / "durable.txt").read_text()
    assert table.strip() in done.stdout
    assert (
        'Command: BENCH_DURABLE_WRITES=2 BENCH_DURABLE_AUDITS="0 30" python -m bench.durable'
        in (table)
    )
    results = json.loads((tmp_path / "durable.json").read_text())
    assert results["writes"] == 2
    points = results["points"]
    assert [p["audits"] for p in points] == [0, 30]
    for point in points:
        assert point["command_ms"] > 0
        assert point["whole_snapshot_ms"] > 0
        assert point["ratio_to_empty"] == pytest.approx(
            point["command_ms"] / points[0]["command_ms"]
        )
    assert points[1]["whole_snapshot_kib"] > points[0]["whole_snapshot_kib"]
