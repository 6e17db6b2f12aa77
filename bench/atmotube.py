"""``make bench``: an Atmotube device's first request, and how its cost grows with the device's
age (issue 20's curve).

In process (no server, no port), a fresh sandbox per run (its reading cache empty: the first
time anyone asks), Atmotube alone, its clock frozen: a device registered 1 week, 1 year or 5 years
before now is asked, through the whole ASGI stack, one of three first questions:

- the last 7 days, unlimited (``start_date``/``end_date``, no ``limit``: up to 10,080 rows);
- the newest 100 readings (no range, ``order=desc``): the total counts every reading since
  the device began;
- the oldest 100 readings (no range, the defaults), whose total does too.

Reported: the median over ``BENCH_ATMOTUBE_RUNS`` runs (default 5) of the CPU time of the
request (the process's, client included), and each age's cost as a ratio to the youngest
device's for the same question.

    python -m bench.atmotube
    BENCH_ATMOTUBE_RUNS=3 python -m bench.atmotube --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO / "bench" / "results"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MAC = "0A:0B:0C:0D:0E:0F"
AGES = (("1 week", 7), ("1 year", 365), ("5 years", 5 * 365))
QUESTIONS = ("last 7 days, unlimited", "newest 100", "oldest 100")


@dataclass(frozen=True)
class Figure:
    age: str
    days: int
    question: str
    rows: int
    total: int
    cpu_ms: list[float]


def params(question: str) -> dict[str, str]:
    today = NOW.date()
    if question == "last 7 days, unlimited":
        return {"start_date": (today - timedelta(days=6)).isoformat(), "end_date": str(today)}
    if question == "newest 100":
        return {"order": "desc", "limit": "100"}
    return {}


def ask(days: int, question: str) -> tuple[float, int, int]:
    """(CPU ms, rows, total) of the first request to a fresh sandbox."""
    from standin.atmotube.readings import Device
    from standin.atmotube.state import ApiKey
    from standin.registry import create_sandbox
    from standin.server import build_app

    sandbox = create_sandbox(["atmotube"])
    sandbox.clock.freeze(NOW)
    tenant = sandbox.tenants.default()
    tenant.clock.freeze(NOW)
    state: Any = tenant.states["atmotube"]
    since: date = NOW.date() - timedelta(days=days)
    state.register_device(Device(MAC, "bench", "outdoor", since, 0.0, 52.5, 13.4))
    key = next(iter(state.api_keys.values()))
    state.api_keys.put(key.key, ApiKey(key.key, (*key.macs, MAC)))
    return asyncio.run(_first(build_app(sandbox), key.key, question))


async def _first(app: Any, api_key: str, question: str) -> tuple[float, int, int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        query = {"api_key": api_key, "mac": MAC, **params(question)}
        began = time.process_time()
        answer = await client.get("/atmotube/api/v1/data", params=query)
        elapsed = (time.process_time() - began) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"bench.atmotube: {answer.status_code} {answer.text[:300]}")
        body = answer.json()
        return elapsed, len(body["data"]["items"]), int(body["data"]["total"])


def measure(runs: int) -> list[Figure]:
    figures = []
    for question in QUESTIONS:
        for age, days in AGES:
            done = [ask(days, question) for _ in range(runs)]
            figures.append(
                Figure(age, days, question, done[0][1], done[0][2], [d[0] for d in done])
            )
    return figures


def ratio(figure: Figure, figures: Sequence[Figure]) -> float:
    youngest = next(f for f in figures if f.question == figure.question)
    return median(figure.cpu_ms) / median(youngest.cpu_ms)


def report(figures: list[Figure], runs: int) -> str:
    lines = [
        "",
        "Atmotube first request by the device's age (issue 20): in process, fresh sandbox, "
        f"median CPU ms of {runs} runs, ratio to the week-old device",
        f"{'question':24} {'age':8} {'rows':>6} {'total':>9} {'CPU ms':>8} {'/1 week':>7}",
    ]
    for figure in figures:
        lines.append(
            f"{figure.question:24} {figure.age:8} {figure.rows:6d} {figure.total:9,d} "
            f"{median(figure.cpu_ms):8.2f} {ratio(figure, figures):7.2f}"
        )
    lines.append(f"Command: BENCH_ATMOTUBE_RUNS={runs} python -m bench.atmotube")
    return "\n".join(lines)


def as_json(figures: list[Figure], runs: int) -> dict[str, Any]:
    return {
        "command": f"BENCH_ATMOTUBE_RUNS={runs} python -m bench.atmotube",
        "now": NOW.isoformat(),
        "points": [
            {
                "question": f.question,
                "age": f.age,
                "age_days": f.days,
                "rows": f.rows,
                "total": f.total,
                "cpu_ms": median(f.cpu_ms),
                "runs_cpu_ms": f.cpu_ms,
                "ratio_to_1_week": ratio(f, figures),
            }
            for f in figures
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.atmotube", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    runs = int(os.environ.get("BENCH_ATMOTUBE_RUNS", "5"))
    if not 1 <= runs <= 50:
        raise SystemExit("bench: BENCH_ATMOTUBE_RUNS must be 1 to 50")
    figures = measure(runs)
    if args.json:
        print(json.dumps(as_json(figures, runs)))
        return 0
    table = report(figures, runs)
    print(table)
    raw = os.environ.get("BENCH_RESULTS", "").strip()
    results = Path(raw) if raw else DEFAULT_RESULTS
    results.mkdir(parents=True, exist_ok=True)
    (results / "atmotube.json").write_text(json.dumps(as_json(figures, runs), indent=2) + "\n")
    (results / "atmotube.txt").write_text(table.lstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
