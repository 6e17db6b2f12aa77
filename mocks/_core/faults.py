"""Fault injection: answer chosen requests with a given status/body, or slow them down."""

from __future__ import annotations

import fnmatch
import random
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

MAX_FAULTS = 100
"""A tenant holds at most 100 active faults (each request of the tenant looks through them);
adding one more is refused with 400. Removing faults, or their wearing out, makes room."""
MAX_LATENCY_MS = 600_000
"""The longest delay a fault adds (10 minutes): longer than any client timeout worth testing,
short enough that a request it holds is answered (a delay of 1e300 ms held it for ever)."""
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP field name (RFC 9110's token), matched whole (``$`` would let a final newline in)."""
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
"""A field value every client reads: printable ASCII and tabs (no CR or LF, nothing that
Latin-1 cannot encode, nothing httpx cannot take as text)."""
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
"""Set by the server from the body it sends; a fault's own would contradict it."""


class FaultSpecError(ValueError):
    """A fault definition the control plane cannot accept."""


@dataclass
class Fault:
    api: str
    method: str | None = None
    path: str | None = None
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    latency_ms: float = 0.0
    count: int | None = None
    """How many more requests it applies to; ``None`` means until removed."""
    probability: float = 1.0
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def matches(self, api: str, method: str, path: str) -> bool:
        if self.api != api:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "latency_ms": self.latency_ms,
            "count": self.count,
            "probability": self.probability,
        }

    @classmethod
    def from_spec(cls, spec: Any, known_apis: set[str]) -> Fault:
        if not isinstance(spec, dict):
            raise FaultSpecError("a fault is a JSON object")
        unknown = set(spec) - {
            "api",
            "method",
            "path",
            "status",
            "body",
            "headers",
            "latency_ms",
            "count",
            "probability",
        }
        if unknown:
            raise FaultSpecError(f"unknown fields: {', '.join(sorted(unknown))}")
        api = spec.get("api")
        if not isinstance(api, str) or api not in known_apis:
            raise FaultSpecError(f"api must be one of {sorted(known_apis)}")
        status = spec.get("status")
        # 1xx statuses are interim: no request can end with one.
        if status is not None and (not _is_int(status) or not 200 <= status <= 599):
            raise FaultSpecError("status must be a final HTTP status code, 200 to 599")
        latency = spec.get("latency_ms", 0)
        if not _is_number(latency) or not 0 <= latency <= MAX_LATENCY_MS:
            raise FaultSpecError(f"latency_ms must be a number from 0 to {MAX_LATENCY_MS}")
        if status is None and not latency:
            raise FaultSpecError("a fault needs a status, a latency_ms, or both")
        count = spec.get("count")
        if count is not None and (not _is_int(count) or count < 1):
            raise FaultSpecError("count must be a positive integer")
        probability = spec.get("probability", 1.0)
        if not _is_number(probability) or not 0 < probability <= 1:
            raise FaultSpecError("probability must be in (0, 1]")
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise FaultSpecError("headers must be an object of strings")
        for name, value in headers.items():
            if not HEADER_NAME.fullmatch(name) or name.lower() in FRAMING_HEADERS:
                raise FaultSpecError(
                    f"header name {name!r} is not one a fault can send (a token, "
                    "not Content-Length or Transfer-Encoding)"
                )
            if not HEADER_VALUE.fullmatch(value):
                raise FaultSpecError(f"header {name} must be printable ASCII")
        for name in ("method", "path"):
            if spec.get(name) is not None and not isinstance(spec[name], str):
                raise FaultSpecError(f"{name} must be a string")
        return cls(
            api=api,
            method=spec.get("method"),
            path=spec.get("path"),
            status=status,
            body=spec.get("body"),
            headers=headers,
            latency_ms=float(latency),
            count=count,
            probability=float(probability),
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class FaultRegistry:
    """The active faults; the first match wins, and a counted fault wears out."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: dict[str, Fault] = {}
        self._random = random.Random(seed)

    def add(self, fault: Fault) -> Fault:
        self._faults[fault.id] = fault
        return fault

    def list(self) -> list[Fault]:
        return list(self._faults.values())

    def __len__(self) -> int:
        return len(self._faults)

    def remove(self, fault_id: str) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        self._faults.clear()

    def take(self, api: str, method: str, path: str) -> Fault | None:
        """The fault that applies to this request, if any, counting it as used."""
        if not self._faults:
            return None  # the usual case, on every request: one test, nothing copied
        for fault in list(self._faults.values()):
            if not fault.matches(api, method, path):
                continue
            if fault.probability < 1.0 and self._random.random() >= fault.probability:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    del self._faults[fault.id]
            return fault
        return None
