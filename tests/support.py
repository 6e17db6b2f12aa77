"""Helpers the API test suites share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
from schemathesis.checks import CHECKS
from schemathesis.specs.openapi import checks as _openapi_checks  # noqa: F401 - registers them

from mocks import Sandbox


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


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ContractReader:
    """What the contract tests of every API ask of their contract: its operations, a schema
    check against it, and ``$ref`` resolution."""

    def __init__(self, contract: dict[str, Any], methods: tuple[str, ...] = HTTP_METHODS) -> None:
        self.contract = contract
        self.methods = methods

    def check(self, instance: Any, schema: dict[str, Any]) -> None:
        jsonschema.validate(
            instance,
            {**schema, "components": self.contract["components"]},
            cls=jsonschema.Draft202012Validator,
            format_checker=jsonschema.FormatChecker(),
        )

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.contract["paths"].items():
            for method, operation in item.items():
                if method in self.methods:
                    yield method, path, operation

    def resolved(self, thing: dict[str, Any]) -> dict[str, Any]:
        """``thing``, or what its local ``$ref`` points at."""
        while "$ref" in thing:
            node: Any = self.contract
            for part in thing["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            thing = node
        return thing
