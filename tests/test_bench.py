"""``make bench`` runs end to end on a tiny duration: every server starts, answers the same bodies
and is measured on both cases, and the table and the results file come out. The figures
themselves are never asserted (a shared machine makes them noise at this duration)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "BENCH_DURATION": "1",
    "BENCH_WARMUP": "1",
    "BENCH_ROUNDS": "1",
    "BENCH_CONNECTIONS": "2",
    # Never a download in the test suite: WireMock runs when `make bench` has cached its jar.
    "BENCH_WIREMOCK": "cached",
    "BENCH_HISTORY_COMMANDS": "0 20",
    "BENCH_HISTORY_READS": "2",
    "BENCH_ACTIVITY_SIZES": "0 120",
}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], Path]:
    if shutil.which("wrk") is None:
        reason = "wrk is not installed (Debian: `apt-get install wrk`); `make bench` needs it"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs it")  # CI must never skip it silently
        pytest.skip(reason)
    results = tmp_path_factory.mktemp("bench-results")
    done = subprocess.run(
        [sys.executable, "-m", "bench.run"],
        cwd=ROOT,
        env={**os.environ, **TINY, "BENCH_RESULTS": str(results)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads((results / "metasys.json").read_text()), results


def test_standin_and_bare_are_measured_on_both_cases_with_the_same_bodies(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    _, results, _ = bench_run
    assert set(results["cases"]) == {"a", "b"}
    case_a, case_b = results["cases"]["a"], results["cases"]["b"]
    assert case_a["request"].endswith("/attributes/presentValue")
    assert "/trendedAttributes/attributeEnumSet.presentValue/samples?" in case_b["request"]
    assert "page=3&pageSize=100" in case_b["request"]
    for case in (case_a, case_b):
        for server in ("bare", "standin"):
            figures = case["servers"][server]
            assert figures["requests_per_s"] > 0
            assert figures["rss_mib"] > 0
            assert figures["cpu_us_per_request"] > 0
            assert figures["timeouts"] >= 0
            assert figures["ratios"]["bare"]["requests_per_s"] == pytest.approx(
                figures["requests_per_s"] / case["servers"]["bare"]["requests_per_s"]
            )
            assert len(figures["runs"]) == 1
    assert case_b["body_bytes"] > 10_000


def test_wiremock_is_measured_when_its_jar_is_cached(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    output, results, _ = bench_run
    skipped = results["environment"]["wiremock_skipped"]
    if skipped is not None:
        assert f"WireMock skipped: {skipped}" in output
        pytest.skip(f"WireMock not measured: {skipped}")
    for case in results["cases"].values():
        wiremock = case["servers"]["wiremock"]
        assert wiremock["requests_per_s"] > 0
        assert wiremock["ratios"]["wiremock"]["requests_per_s"] == pytest.approx(1.0)
        assert case["servers"]["standin"]["ratios"]["wiremock"]["requests_per_s"] is not None


def test_the_table_and_the_command_are_printed_and_written(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    output, results, folder = bench_run
    table = (folder / "metasys.txt").read_text()
    assert table.strip() in output
    assert "(a) authenticated small read, 105 B" in table
    header = "server         req/s  /bare    /wm     p50 ms  /bare    /wm     p99 ms  /bare    /wm"
    assert header in table
    assert "CPU us/req  /bare    /wm    RSS MiB" in table
    command = (
        "BENCH_DURATION=1 BENCH_WARMUP=1 BENCH_ROUNDS=1 BENCH_CONNECTIONS=2 BENCH_THREADS=1 "
        "BENCH_WIREMOCK=cached"
    )
    assert f"Command: {command}" in table
    assert results["command"].startswith(command)


def measured_head_of_line(results: dict[str, Any], run: str) -> dict[str, Any]:
    """The head-of-line ``run`` of the results: its heavy requests were sent, and its ratio is
    the cheap read's p50 beside them over its p50 alone."""
    blocking: dict[str, Any] = results[run]
    assert blocking["heavy_run"]["requests"] > 0
    assert blocking["ratio_p50"] == pytest.approx(
        blocking["beside_heavy"]["p50_ms"] / blocking["alone"]["p50_ms"]
    )
    return blocking


def test_the_head_of_line_ratio_is_measured_beside_a_year_of_quarter_hours(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    output, results, _ = bench_run
    blocking = measured_head_of_line(results, "head_of_line")
    assert blocking["cheap"].endswith("/attributes/presentValue")
    assert "/atrius/meters/" in blocking["heavy"]
    assert "resolution=quarterhour" in blocking["heavy"]
    assert "head-of-line ratio (p50 beside / alone):" in output


def test_the_head_of_line_ratio_is_also_measured_beside_a_year_of_pushed_readings(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    output, results, _ = bench_run
    blocking = measured_head_of_line(results, "head_of_line_pushed")
    assert blocking["pushed_readings"] == 365 * 24
    assert blocking["heavy"] == results["head_of_line"]["heavy"]
    assert "the meter has 8,760 pushed readings" in output


def test_the_head_of_line_ratio_is_also_measured_beside_a_list_of_5000_objects(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    output, results, _ = bench_run
    blocking = measured_head_of_line(results, "head_of_line_object_list")
    assert blocking["objects_listed"] == 5_000
    assert blocking["cheap"] == results["head_of_line"]["cheap"]
    assert "/metasys/api/v4/objects/" in blocking["heavy"]
    assert blocking["heavy"].endswith("/objects?depth=-1&flatten=true&includeExtensions=true")
    assert "the list holds 5,000 objects" in output


def test_the_history_growth_curve_lists_each_size_as_a_ratio_to_the_smallest(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    output, results, _ = bench_run
    growth = results["history_growth"]
    assert [point["commands"] for point in growth] == [0, 20]
    assert growth[0]["ratio_to_smallest"] == 1.0
    assert growth[1]["samples"] > growth[0]["samples"]
    assert growth[1]["ratio_to_smallest"] == pytest.approx(
        growth[1]["median_ms"] / growth[0]["median_ms"]
    )
    assert "Metasys samples page after N commands" in output


def test_the_layers_of_case_a_are_measured_in_process_beside_bare_starlette() -> None:
    """``python -m bench.layers`` calls both apps with case A's request (each answers 200, or
    it exits non-zero) and prints CPU per request of each and their ratio."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.layers", "--requests", "20", "--rounds", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert (figures["requests"], figures["rounds"]) == (20, 1)
    assert figures["standin_us"] > 0
    assert figures["bare_us"] > 0
    assert figures["ratio"] == figures["bare_us"] / figures["standin_us"]


def test_the_activity_lists_growth_curves_give_each_list_as_a_ratio_to_a_full_page(
    bench_run: tuple[str, dict[str, Any], Path],
) -> None:
    output, results, _ = bench_run
    growth = results["activity_growth"]
    assert [point["made"] for point in growth] == [0, 120]
    lists = ["audits", "alarms", "activities", "audit counts"]
    assert growth[0]["kept"] == dict.fromkeys(lists, 0)
    assert growth[1]["kept"] == {
        "audits": 120,
        "alarms": 120,
        "activities": 240,
        "audit counts": 120,
    }
    for point in growth:
        assert point["reference_made"] == 120
        assert sorted(point["ratio_to_reference"]) == sorted(lists)
        for name in lists:
            assert point["ratio_to_reference"][name] == pytest.approx(
                point["median_ms"][name] / growth[1]["median_ms"][name]
            )
    assert growth[1]["ratio_to_reference"]["audits"] == 1.0
    assert "Metasys activity lists with N audits and N alarms made" in output
    assert "past that, 'kept' stays at 10,000 of each" in output
