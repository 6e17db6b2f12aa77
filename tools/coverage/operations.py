"""Operations, identified the same way in a vendor reference, a contract, a route table, a
request journal and a test's source: the method and the path template.

Two spellings of one operation are one operation: parameter names do not matter
(``/meters/{uuid}`` is ``/meters/{id}``), nor does a trailing slash (``/gateways/{n}`` is
``/gateways/{n}/``), since vendors and their guides write both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from standin import contracts

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PARAMETER = re.compile(r"\{[^}/]*\}")
VISIBILITIES = ("public", "internal", "private")
REFERENCES = Path(__file__).resolve().parents[2] / "contracts" / "reference"
"""The vendors' operation lists: this table's data, kept beside the contracts in the checkout but
not shipped in the package."""


def path_shape(path: str) -> str:
    """``/meters/{uuid}/data/`` -> ``/meters/{}/data``: what two spellings of a path share."""
    shape = PARAMETER.sub("{}", path)
    return shape.rstrip("/") or "/"


@dataclass(frozen=True)
class OperationKey:
    method: str
    shape: str

    def __str__(self) -> str:
        return f"{self.method} {self.shape}"

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Matches a concrete path of this operation (with or without a trailing slash)."""
        parts = self.shape.split("{}")
        body = "[^/]+".join(re.escape(part) for part in parts)
        return re.compile(f"^{body}/?$" if body != "/" else "^/$")

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and self.pattern.match(path) is not None


def key(method: str, path: str) -> OperationKey:
    return OperationKey(method.upper(), path_shape(path))


@dataclass(frozen=True)
class ReferenceOperation:
    """One operation as the vendor documents it."""

    method: str
    path: str
    name: str
    where: str
    """Where the vendor documents it (a section or step of the guide)."""
    visibility: str = "public"
    """Who the vendor documents it for, when its reference marks that (Metasys: ``internal``
    and ``private`` operations are for the vendor's own products)."""

    @property
    def key(self) -> OperationKey:
        return key(self.method, self.path)


@dataclass(frozen=True)
class Reference:
    api: str
    source: str
    """The vendor document the list was written from."""
    operations: tuple[ReferenceOperation, ...]


def load_reference(api: str) -> Reference:
    """``contracts/reference/<api>.yaml``: the operations the vendor documents."""
    document: Any = yaml.safe_load((REFERENCES / f"{api}.yaml").read_text(encoding="utf-8"))
    operations = tuple(
        ReferenceOperation(
            method=str(entry["method"]).upper(),
            path=str(entry["path"]),
            name=str(entry["name"]),
            where=str(entry["where"]),
            visibility=str(entry.get("visibility", "public")),
        )
        for entry in document["operations"]
    )
    for operation in operations:
        if operation.method not in HTTP_METHODS or not operation.path.startswith("/"):
            raise ValueError(
                f"{api} reference: {operation.method} {operation.path} is no operation"
            )
        if operation.visibility not in VISIBILITIES:
            raise ValueError(
                f"{api} reference: {operation.method} {operation.path} has visibility "
                f"{operation.visibility!r}, not one of {', '.join(VISIBILITIES)}"
            )
    return Reference(api=api, source=str(document["source"]), operations=operations)


@dataclass(frozen=True)
class ContractOperation:
    method: str
    path: str
    operation_id: str
    summary: str

    @property
    def key(self) -> OperationKey:
        return key(self.method, self.path)


def contract_operations(api: str) -> list[ContractOperation]:
    """Every (method, path) of ``contracts/<api>.yaml``, in the contract's order."""
    found: list[ContractOperation] = []
    for path, item in contracts.parsed(api).get("paths", {}).items():
        for method, operation in item.items():
            if method.upper() not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            found.append(
                ContractOperation(
                    method=method.upper(),
                    path=path,
                    operation_id=str(operation.get("operationId", "")),
                    summary=str(operation.get("summary", "")),
                )
            )
    return found
