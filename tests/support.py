"""Helpers the API test suites share."""

from __future__ import annotations

from typing import Any

from schemathesis.checks import CHECKS
from schemathesis.specs.openapi import checks as _openapi_checks  # noqa: F401 - registers them

from standin import Sandbox
from tools.conformance.contract import HTTP_METHODS, ContractReader


def all_checks() -> list[Any]:
    """Every schemathesis check, the OpenAPI ones included."""
    return list(CHECKS.get_all())


class SandboxSleep:
    """A sleep that records each wait and, if ``moves_clock``, moves the sandbox clock on."""

    def __init__(self, sandbox: Sandbox, *, moves_clock: bool = True) -> None:
        self.sandbox = sandbox
        self.moves_clock = moves_clock
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.moves_clock:
            self.sandbox.clock.advance(seconds)


__all__ = ["HTTP_METHODS", "ContractReader", "SandboxSleep", "all_checks"]
