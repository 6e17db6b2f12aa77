"""``make bench``'s durable-write part runs end to end on states filled to a sliver of their caps:
each API's write is measured empty and filled, beside the whole-snapshot cost of the same state,
and the table and results file come out. Figures are never asserted (on a shared machine they
are noise); their shape and ratios are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_durable_bench_times_each_apis_write_empty_and_filled(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.durable"],
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_RESULTS": str(tmp_path),
            "BENCH_DURABLE_WRITES": "2",
            "BENCH_DURABLE_FILL": "0.005",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = (tmp_path / "durable.txt").read_text()
    assert table.strip() in done.stdout
    assert (
        'Command: BENCH_DURABLE_WRITES=2 BENCH_DURABLE_APIS="metasys buildingminds atrius" '
        "BENCH_DURABLE_FILL=0.005 python -m bench.durable"
    ) in table
    results = json.loads((tmp_path / "durable.json").read_text())
    assert (results["writes"], results["fill"]) == (2, 0.005)
    points = results["points"]
    assert [(p["api"], p["at_cap"]) for p in points] == [
        ("metasys", False),
        ("metasys", True),
        ("buildingminds", False),
        ("buildingminds", True),
        ("atrius", False),
        ("atrius", True),
    ]
    for empty, full in zip(points[::2], points[1::2], strict=True):
        for point in (empty, full):
            assert point["write_ms"] > 0
            assert point["whole_snapshot_ms"] > 0
        assert empty["cpu_ratio_to_empty"] == 1
        if empty["cpu_ms"] > 0:
            assert full["cpu_ratio_to_empty"] == pytest.approx(full["cpu_ms"] / empty["cpu_ms"])
        assert full["whole_snapshot_kib"] > empty["whole_snapshot_kib"]
    assert [p["held"] for p in points[1::2]] == [
        "50 audits",
        "57 batches, 263 messages, 113 entities",  # the fixtures' 7, 13 and 13 too
        "495 readings",
    ]


def test_the_durable_bench_refuses_a_fill_outside_the_caps(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.durable"],
        cwd=ROOT,
        env={**os.environ, "BENCH_RESULTS": str(tmp_path), "BENCH_DURABLE_FILL": "2"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr.strip()) == (
        1,
        "bench: BENCH_DURABLE_FILL must be a fraction of the caps, above 0 to 1",
    )
