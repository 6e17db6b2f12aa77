"""The coverage table (``docs/coverage.md``): vendor reference, contract, fake, client, tests."""

from mocks.coverage.table import TABLE, ApiCoverage, Row, coverage, render

__all__ = ["TABLE", "ApiCoverage", "Row", "coverage", "render"]
