"""The coverage table (``docs/coverage.md``): vendor reference, contract, fake, client, tests.

A tool of this repository (``make coverage-table``), not part of the installed package: it reads
the checkout (``contracts/reference/``, ``tests/``) and writes its docs."""

from tools.coverage.table import README, TABLE, ApiCoverage, Row, coverage, render, with_totals

__all__ = ["README", "TABLE", "ApiCoverage", "Row", "coverage", "render", "with_totals"]
