"""``make bench``'s start-up and Locus parts run end to end on one run each: every timing and
question is measured, and the tables and results files come out. Figures are never asserted (on
a shared machine they are noise); their shape and their ratios to the baseline are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_bench(module: str, tmp_path: Path, **env: str) -> tuple[str, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}"],
        cwd=ROOT,
        env={**os.environ, **env, "BENCH_RESULTS": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = (tmp_path / f"{module}.txt").read_text()
    assert table.strip() in done.stdout
    return table, json.loads((tmp_path / f"{module}.json").read_text())


def test_the_startup_bench_times_python_help_and_the_first_answers(tmp_path: Path) -> None:
    table, results = run_bench("startup", tmp_path, BENCH_STARTUP_RUNS="1")
    names = [t["name"] for t in results["timings"]]
    assert names == [
        "python -c pass",
        "standin --help",
        "standin serve: first /_sandbox/health 200",
        "standin serve: first vendor read 200",
        "  its CPU time by then (idle-core cost)",
    ]
    python = results["timings"][0]["median_s"]
    for timing in results["timings"]:
        assert timing["median_s"] > 0
        assert timing["ratio_to_python"] == pytest.approx(timing["median_s"] / python)
        assert len(timing["runs_s"]) == 1
    assert [t["target_s"] for t in results["timings"]] == [None, 0.5, None, 1.0, 1.0]
    assert "Command: BENCH_STARTUP_RUNS=1 python -m bench.startup" in table


def test_the_locus_bench_asks_every_question_cold_and_gives_the_curve(tmp_path: Path) -> None:
    table, results = run_bench("locus", tmp_path, BENCH_LOCUS_RUNS="1")
    questions = {q["name"]: q for q in results["questions"]}
    assert list(questions) == [
        "yearly, 1 year",
        "yearly, 5 years",
        "yearly, 30 years",
        "monthly, 30 years",
        "daily, 1 year",
        "hourly, 30 days",
        "yearly, 30 years, warm",
        "monthly, last year, age 1",
        "monthly, last year, age 5",
        "monthly, last year, age 30",
    ]
    assert [questions[f"yearly, {n}"]["rows"] for n in ("1 year", "5 years", "30 years")] == [
        1,
        5,
        30,
    ]
    assert questions["monthly, 30 years"]["rows"] == 360
    assert questions["yearly, 1 year"]["cpu_ratio_to_1_year"] == pytest.approx(1.0)
    thirty = questions["yearly, 30 years"]
    assert thirty["cpu_ratio_to_1_year"] == pytest.approx(
        thirty["cpu_ms"] / questions["yearly, 1 year"]["cpu_ms"]
    )
    ages = [questions[f"monthly, last year, age {n}"] for n in (1, 5, 30)]
    assert [q["age_years"] for q in ages] == [1, 5, 30]
    assert [q["rows"] for q in ages] == [12, 12, 12]
    assert ages[0]["cpu_ratio_to_1_year"] == pytest.approx(1.0)
    assert ages[2]["cpu_ratio_to_1_year"] == pytest.approx(ages[2]["cpu_ms"] / ages[0]["cpu_ms"])
    assert "numpy's one-time import" in table
    assert "Command: BENCH_LOCUS_RUNS=1 python -m bench.locus" in table


def test_the_atmotube_bench_asks_each_first_question_of_each_age_and_gives_the_curve(
    tmp_path: Path,
) -> None:
    table, results = run_bench("atmotube", tmp_path, BENCH_ATMOTUBE_RUNS="1")
    points = [(p["question"], p["age"]) for p in results["points"]]
    assert points == [
        (question, age)
        for question in ("last 7 days, unlimited", "newest 100", "oldest 100")
        for age in ("1 week", "1 year", "5 years")
    ]
    week = results["points"][0]
    for point in results["points"]:
        youngest = next(p for p in results["points"] if p["question"] == point["question"])
        assert point["ratio_to_1_week"] == pytest.approx(point["cpu_ms"] / youngest["cpu_ms"])
        assert point["rows"] == (week["rows"] if point["question"] == week["question"] else 100)
    totals = [p["total"] for p in results["points"] if p["question"] == "newest 100"]
    assert totals[0] < totals[1] < totals[2]
    assert "Command: BENCH_ATMOTUBE_RUNS=1 python -m bench.atmotube" in table
