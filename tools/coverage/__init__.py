"""The coverage table (``docs/coverage.md``): vendor reference, contract, fake, client, tests."""

from tools.coverage.table import README, TABLE, ApiCoverage, Row, coverage, render, with_totals

__all__ = ["README", "TABLE", "ApiCoverage", "Row", "coverage", "render", "with_totals"]
