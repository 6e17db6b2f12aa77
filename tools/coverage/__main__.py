"""``python -m tools.coverage``: write docs/coverage.md and the totals in README.md (between
its coverage-totals markers); ``--check``: fail if either is stale."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tools.coverage.table import README, REFRESH, TABLE, coverage, render, with_totals

README_LINK = "docs/coverage.md"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.coverage", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    entries = coverage()
    readme = README.read_text(encoding="utf-8") if README.exists() else ""
    wanted = {TABLE: render(entries), README: with_totals(readme, entries, README_LINK)}
    stale = [
        path
        for path, text in wanted.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"{path} is stale: run `{REFRESH}`", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
