"""``python -m bench.scaleout --quick`` runs end to end: every configuration (one process with
and without Redis, one to three replicas behind HAProxy) starts, answers the baseline's bodies
and is measured on both cases, and the table and the results file come out. The figures
themselves are never asserted (a shared machine makes them noise at this duration)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = {
    "single": {"r1"},
    "redis": {"r1", "redis"},
    "lb-1": {"r1", "redis", "haproxy"},
    "lb-2": {"r1", "r2", "redis", "haproxy"},
    "lb-3": {"r1", "r2", "r3", "redis", "haproxy"},
}
"""Each configuration's processes, whose CPU time per request the bench reports."""


def test_every_configuration_is_measured_on_both_cases_as_ratios_to_one_process(
    tmp_path: Path,
) -> None:
    if shutil.which("wrk") is None:
        reason = "wrk is not installed (Debian: `apt-get install wrk`); `make bench` needs it"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)
    done = subprocess.run(
        [sys.executable, "-m", "bench.scaleout", "--quick"],
        cwd=ROOT,
        env={**os.environ, "BENCH_RESULTS": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "scaleout.json").read_text())
    assert set(results["cases"]) == {"a", "b"}
    for case in results["cases"].values():
        assert set(case["configs"]) == set(PROCESSES)
        assert case["configs"]["single"]["ratios"]["requests_per_s"] == 1.0
        for name, figures in case["configs"].items():
            assert figures["requests_per_s"] > 0, name
            assert set(figures["cpu_us_per_request"]) == PROCESSES[name]
    table = (tmp_path / "scaleout.txt").read_text()
    assert "Redis adds " in table
    assert "lb-3, with a core per process, predicts req/s: one tenant" in table
    assert table.rstrip().endswith("Command: python -m bench.scaleout --quick")
    assert table.strip() in done.stdout
