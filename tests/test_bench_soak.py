"""``python -m bench.soak`` runs end to end on a tiny case: the default tenant is filled, tenants
are made, used and deleted, RSS is read at the start, middle and end, streams are opened and
dropped and the unrelated read is timed. Its figures are not asserted (on a shared machine they
are noise at this size)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_soak_runs_a_tiny_case_and_prints_its_memory_and_stream_figures() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--soak-seconds",
            "3",
            "--tenants",
            "2",
            "--workers",
            "2",
            "--streams",
            "20",
            "--fill-scale",
            "0.005",
            "--release-wait",
            "0.5",
            "--warmup-requests",
            "30",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout
    assert re.search(r"RSS MiB   start +[0-9.]+   middle +[0-9.]+   end +[0-9.]+", output)
    assert re.search(r"^flat: (yes|NO) \(the end [0-9.]+% from the middle", output, re.MULTILINE)
    assert re.search(r"^second half: [-+][0-9.]+ MiB .* MiB a minute\)$", output, re.MULTILINE)
    made = re.search(r"([0-9]+) tenants made and deleted", output)
    assert made is not None
    assert int(made.group(1)) >= 1
    assert "streams: 20 opened and dropped" in output
    for row in ("fresh server", "just after the drops", "after the resume grace"):
        assert re.search(rf"{row} +[0-9.]+ ms +[0-9.]+", output), row
