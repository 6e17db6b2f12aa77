"""A contract as the conformance suite and the contract tests read it: its operations, each
matched from a concrete request, ``$ref`` resolution and schema checks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote

import jsonschema

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAMETER = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Operation:
    """One method and path template of a contract, its parameters' ``$ref``s resolved."""

    method: str
    """Upper case."""
    path: str
    """The template, as the contract writes it."""
    spec: dict[str, Any] = field(repr=False, compare=False)
    reader: ContractReader = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        parts = _PARAMETER.split(self.path)
        body = "".join(
            f"(?P<p{i // 2}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
        )
        return re.compile(f"^{body}$")

    @cached_property
    def path_names(self) -> list[str]:
        return _PARAMETER.findall(self.path)

    @property
    def literal_length(self) -> int:
        """How much of the template is literal text: the most literal match wins."""
        return len(_PARAMETER.sub("", self.path))

    def path_values(self, path: str) -> dict[str, str] | None:
        """The path parameters of a concrete (percent-encoded) path, or None if it is not
        this operation's."""
        found = self.pattern.match(path)
        if found is None:
            return None
        return {name: unquote(found.group(f"p{i}")) for i, name in enumerate(self.path_names)}

    @cached_property
    def parameters(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(in, name) -> parameter, the path item's and the operation's (which win)."""
        item = self.reader.contract["paths"][self.path]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for parameter in [*item.get("parameters", []), *self.spec.get("parameters", [])]:
            resolved = self.reader.resolved(parameter)
            found[(resolved["in"], resolved["name"])] = resolved
        return found

    def responses(self) -> dict[str, dict[str, Any]]:
        """Status -> response, resolved."""
        return {
            str(status): self.reader.resolved(response)
            for status, response in self.spec.get("responses", {}).items()
        }

    @property
    def statuses(self) -> list[int]:
        return sorted(int(status) for status in self.spec.get("responses", {}) if status.isdigit())

    @property
    def security(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.spec.get(
            "security", self.reader.contract.get("security", [])
        )
        return found


class ContractReader:
    """What the contract tests and the conformance suite ask of a contract: its operations,
    a schema check against it, and ``$ref`` resolution."""

    def __init__(self, contract: dict[str, Any], methods: tuple[str, ...] = HTTP_METHODS) -> None:
        self.contract = contract
        self.methods = methods
        self._validators: dict[str, Any] = {}

    def check(self, instance: Any, schema: dict[str, Any]) -> None:
        """Raises jsonschema.ValidationError unless ``instance`` is valid against ``schema``."""
        self.validator(schema).validate(instance)

    def is_valid(self, instance: Any, schema: dict[str, Any]) -> bool:
        return bool(self.validator(schema).is_valid(instance))

    def validator(self, schema: dict[str, Any] | bool) -> Any:
        """A Draft 2020-12 validator for ``schema``, its ``$ref``s resolved in the contract."""
        key = json.dumps(schema, sort_keys=True, default=str)
        if key in self._validators:
            return self._validators[key]
        root: Any = (
            {**schema, "components": self.contract.get("components", {})}
            if isinstance(schema, dict)
            else schema
        )
        validator = jsonschema.Draft202012Validator(
            root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        self._validators[key] = validator
        return validator

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.contract["paths"].items():
            for method, operation in item.items():
                if method in self.methods:
                    yield method, path, operation

    @cached_property
    def all_operations(self) -> list[Operation]:
        return [
            Operation(method.upper(), path, spec, self) for method, path, spec in self.operations()
        ]

    def operation(self, label: str) -> Operation:
        """``"GET /meters/{uuid}"`` -> its operation."""
        for operation in self.all_operations:
            if operation.label == label:
                return operation
        raise KeyError(f"no operation {label!r} in the contract")

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation a request is for (the most literal template that matches), and its
        path parameters."""
        found = [
            (operation, values)
            for operation in self.all_operations
            if operation.method == method.upper()
            and (values := operation.path_values(path)) is not None
        ]
        if not found:
            return None
        return max(found, key=lambda pair: pair[0].literal_length)

    def resolved(self, thing: dict[str, Any]) -> dict[str, Any]:
        """``thing``, or what its local ``$ref`` points at (its siblings kept)."""
        while "$ref" in thing:
            node: Any = self.contract
            for part in thing["$ref"].removeprefix("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            thing = {**node, **{k: v for k, v in thing.items() if k != "$ref"}}
        return thing
