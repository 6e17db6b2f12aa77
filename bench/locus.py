"""``make bench``: Locus coarse questions answered cold, and how their cost grows with the span.

The default fixtures' Oakland site (installed May 2013) with the tenant's clock set to June 2044,
so that thirty whole years have data. Each question runs in this process against a fresh Locus
state (nothing cached: the first time any tenant asks), ``BENCH_LOCUS_RUNS`` times (default 5);
the figures are medians of wall and of CPU time (the latter holds still on a busy machine), and
each span's cost as a ratio to the one-year question's in the same run (issue 20's curve). The
questions: ``Wh_sum,W_avg,W_max`` at yearly granularity over 1, 5 and 30 years (from 2014,
America/Los_Angeles), monthly over 30 years, daily over one year (a local day cuts two UTC days)
and hourly over a month; then the 30-year yearly question again, warm. Last, the age curve: the
same question (monthly over the 12 months to June) asked of the site at 1, 5 and 30 years old,
each as a ratio to the 1-year-old site's.

numpy is imported once before timing (a server imports it on its first coarse question; that
one-time cost is reported on its own line).

Writes ``locus.json`` and ``locus.txt`` to the results folder (``BENCH_RESULTS``, default
bench/results).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO / "bench" / "results"
SITE = 3395001
"""Oakland High Gym: installed 2013-05-20, in America/Los_Angeles."""
NOW = datetime(2044, 6, 1, tzinfo=UTC)
ZONE = "America/Los_Angeles"
FIELDS = ("Wh_sum", "W_avg", "W_max")
TARGET_MS = 100.0


@dataclass(frozen=True)
class Question:
    name: str
    gran: str
    start: datetime
    end: datetime
    years: float | None = None
    warm: bool = False
    age: int | None = None
    """For the age curve: the site's age in years when the question is asked (its last 12
    months); ratios of these rows are to the youngest site's."""


QUESTIONS = (
    Question("yearly, 1 year", "yearly", datetime(2014, 1, 1), datetime(2015, 1, 1), 1),
    Question("yearly, 5 years", "yearly", datetime(2014, 1, 1), datetime(2019, 1, 1), 5),
    Question("yearly, 30 years", "yearly", datetime(2014, 1, 1), datetime(2044, 1, 1), 30),
    Question("monthly, 30 years", "monthly", datetime(2014, 1, 1), datetime(2044, 1, 1)),
    Question("daily, 1 year", "daily", datetime(2014, 1, 1), datetime(2014, 12, 31)),
    Question("hourly, 30 days", "hourly", datetime(2014, 6, 1), datetime(2014, 7, 1)),
    Question(
        "yearly, 30 years, warm", "yearly", datetime(2014, 1, 1), datetime(2044, 1, 1), warm=True
    ),
    *(
        Question(
            f"monthly, last year, age {age}",
            "monthly",
            datetime(2013 + age, 6, 1),
            datetime(2014 + age, 6, 1),
            age=age,
        )
        for age in (1, 5, 30)
    ),
)


@dataclass(frozen=True)
class Figures:
    question: Question
    wall_ms: list[float]
    cpu_ms: list[float]
    rows: int


def ask(question: Question) -> tuple[float, float, int]:
    """(wall ms, CPU ms, rows) of one answer from a fresh state (asked twice when warm)."""
    from standin import fixtures
    from standin._core.clock import Clock
    from standin.locus.data import site_data
    from standin.locus.query import DataQuery
    from standin.locus.state import LocusState

    clock = Clock()
    clock.freeze(NOW)
    fixture = fixtures.load("locus")
    state = LocusState.from_fixture(fixture, clock, [123, 456, 111], seed=7)
    site = state.site(SITE)
    query = DataQuery(
        FIELDS,
        question.gran,
        ZoneInfo(ZONE),
        question.start,
        question.end,
        {},  # type: ignore[arg-type]
    )
    if question.warm:
        site_data(state, site, query)
    wall, cpu = time.perf_counter(), time.process_time()
    rows = site_data(state, site, query)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, len(rows)


def measure(runs: int) -> tuple[float, list[Figures]]:
    started = time.perf_counter()
    import numpy  # noqa: F401  (the one-time cost, reported apart)

    import standin.locus.quarters  # noqa: F401

    numpy_ms = (time.perf_counter() - started) * 1000
    figures = []
    for question in QUESTIONS:
        done = [ask(question) for _ in range(runs)]
        figures.append(Figures(question, [d[0] for d in done], [d[1] for d in done], done[0][2]))
    return numpy_ms, figures


def base_of(figure: Figures, figures: list[Figures]) -> Figures:
    """What a row's ratio is to: the 1-year question, or for the age curve the youngest site's."""
    if figure.question.age is None:
        return figures[0]
    return next(f for f in figures if f.question.age is not None)


def report(numpy_ms: float, figures: list[Figures], runs: int, load: float) -> str:
    lines = [
        "",
        f"Locus site data, {', '.join(FIELDS)}, site {SITE}, cold (fresh state), median of {runs}"
        f" runs (1-minute load average before: {load:.2f})",
        f"{'question':26} {'rows':>5} {'wall ms':>8} {'/1 year':>8} {'CPU ms':>8} {'/1 year':>8}"
        "  verdict (CPU, target < 100 ms)",
    ]
    for figure in figures:
        base = base_of(figure, figures)
        wall, cpu = median(figure.wall_ms), median(figure.cpu_ms)
        wall_ratio = wall / median(base.wall_ms)
        cpu_ratio = cpu / median(base.cpu_ms)
        verdict = "ok" if cpu < TARGET_MS else "MISSED"
        lines.append(
            f"{figure.question.name:26} {figure.rows:5d} {wall:8.1f} {wall_ratio:8.2f} "
            f"{cpu:8.1f} {cpu_ratio:8.2f}  {verdict}"
        )
    lines.append("(the 'age' rows: ratios to the site at 1 year old)")
    lines.append(f"numpy's one-time import, on a server's first coarse question: {numpy_ms:.0f} ms")
    lines.append(f"Command: BENCH_LOCUS_RUNS={runs} python -m bench.locus")
    return "\n".join(lines)


def results_json(numpy_ms: float, figures: list[Figures], runs: int, load: float) -> dict[str, Any]:
    return {
        "command": f"BENCH_LOCUS_RUNS={runs} python -m bench.locus",
        "load_average_before": load,
        "numpy_import_ms": numpy_ms,
        "questions": [
            {
                "name": f.question.name,
                "granularity": f.question.gran,
                "start": f.question.start.isoformat(),
                "end": f.question.end.isoformat(),
                "warm": f.question.warm,
                "age_years": f.question.age,
                "rows": f.rows,
                "wall_ms": median(f.wall_ms),
                "cpu_ms": median(f.cpu_ms),
                "wall_ratio_to_1_year": median(f.wall_ms) / median(base_of(f, figures).wall_ms),
                "cpu_ratio_to_1_year": median(f.cpu_ms) / median(base_of(f, figures).cpu_ms),
                "runs_wall_ms": f.wall_ms,
                "runs_cpu_ms": f.cpu_ms,
            }
            for f in figures
        ],
    }


def main() -> int:
    runs = int(os.environ.get("BENCH_LOCUS_RUNS", "5"))
    if not 1 <= runs <= 50:
        raise SystemExit("bench: BENCH_LOCUS_RUNS must be 1 to 50")
    raw = os.environ.get("BENCH_RESULTS", "").strip()
    results = Path(raw) if raw else DEFAULT_RESULTS
    load = os.getloadavg()[0]
    numpy_ms, figures = measure(runs)
    table = report(numpy_ms, figures, runs, load)
    print(table)
    results.mkdir(parents=True, exist_ok=True)
    (results / "locus.json").write_text(
        json.dumps(results_json(numpy_ms, figures, runs, load), indent=2) + "\n"
    )
    (results / "locus.txt").write_text(table.lstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
