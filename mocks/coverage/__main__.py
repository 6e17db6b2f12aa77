"""``python -m mocks.coverage``: write docs/coverage.md; ``--check``: fail if it is stale."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mocks.coverage.table import REFRESH, TABLE, coverage, render


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mocks.coverage", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render(coverage())
    if args.check:
        if not TABLE.exists() or TABLE.read_text(encoding="utf-8") != text:
            print(f"{TABLE} is stale: run `{REFRESH}`", file=sys.stderr)
            return 1
        return 0
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
