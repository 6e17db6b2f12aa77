"""What the five ``test_contract.py`` modules share: a vendor's contract with the assertions
every contract answers to, the in-process app schemathesis drives, bearer auth, the seeded
choices that steer generated cases, and the reading of a whole run from the journal.

What a vendor's contract alone says (its operations, its errors, its cross-field rules) stays
in that vendor's module."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from starlette.types import ASGIApp

from standin import Sandbox, contracts, create_sandbox, fixtures
from standin._core.clock import Clock
from standin._core.journal import BODY_LIMIT, JournalEntry
from standin.server import build_app
from tests.conftest import NOW, bearer, json_of_ok
from tests.support import HTTP_METHODS, ContractReader, all_checks

T = TypeVar("T")

EVERY_CHECK = frozenset(
    {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "ignored_auth",
        "use_after_free",
        "ensure_resource_availability",
    }
)
"""The schemathesis checks the contract runs rely on (``all_checks()`` passes them all)."""


def disabled_checks() -> set[str]:
    """The checks of :data:`EVERY_CHECK` that ``all_checks()`` does not pass."""
    return set(EVERY_CHECK - {check.__name__ for check in all_checks()})


# --- seeded choices: the same generated value always steers the same way ---------------------


def crc(seed: object) -> int:
    """A stable number for ``seed`` (so shrinking and replay meet the same choice)."""
    return zlib.crc32(repr(seed).encode("utf-8", "surrogatepass"))


def pick(seed: object, options: Sequence[T]) -> T:
    return options[crc(seed) % len(options)]


def mostly(seed: object) -> bool:
    """Three times in four, decided by ``seed``."""
    return crc(seed) % 4 != 0


# --- the contract ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """One request or response body an operation documents."""

    method: str
    path: str
    status: str | None
    """None for the request body."""
    media_type: str
    content: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} {self.status or 'request'} {self.media_type}"


class VendorContract(ContractReader):
    """The contract of ``api`` as its tests read it, with what every contract must satisfy."""

    def __init__(self, api: str, methods: tuple[str, ...] = HTTP_METHODS) -> None:
        super().__init__(contracts.load(api), methods)
        self.api = api

    def schema_for(self, name: str) -> dict[str, Any]:
        """A self-contained JSON Schema for ``components.schemas.<name>``."""
        return {"$ref": f"#/components/schemas/{name}", "components": self.contract["components"]}

    def assert_valid_openapi_3_1(self) -> None:
        validate(contracts.load(self.api))
        assert self.contract["openapi"] == "3.1.0"

    def assert_served_by(self, client: httpx.Client) -> None:
        """``GET /<api>/openapi.json`` is this contract, the sandbox's own server first."""
        served = client.get(f"/{self.api}/openapi.json").json()
        assert served["servers"][0]["url"] == f"http://standin.test/{self.api}"
        assert served.pop("servers")[1:] == self.contract["servers"]
        assert served == {key: value for key, value in self.contract.items() if key != "servers"}

    def assert_fixture_matches(self) -> None:
        """The API's fixture file is valid against the contract's ``SandboxFixture``."""
        self.check(fixtures.load(self.api), {"$ref": "#/components/schemas/SandboxFixture"})

    def source(self) -> str:
        """The contract as written (its comments and markers included)."""
        return resources.files(contracts).joinpath(f"{self.api}.yaml").read_text("utf-8")

    def bodies(self) -> Iterator[Body]:
        for method, path, operation in self.operations():
            request = self.resolved(operation.get("requestBody", {"content": {}}))
            for media_type, content in request["content"].items():
                yield Body(method, path, None, media_type, content)
            for status, response in operation["responses"].items():
                for media_type, content in self.resolved(response).get("content", {}).items():
                    yield Body(method, path, status, media_type, content)

    def responses_without_a_body(self) -> list[str]:
        return [
            f"{method} {path} {status}"
            for method, path, operation in self.operations()
            for status, response in operation["responses"].items()
            if not self.resolved(response).get("content")
        ]

    def assert_body_examples_valid(self) -> int:
        """Every body carries an example valid against its schema, and so is each of its named
        examples; returns how many bodies there are."""
        seen = 0
        for body in self.bodies():
            assert "example" in body.content, body.label
            self.check(body.content["example"], body.content["schema"])
            for example in body.content.get("examples", {}).values():
                self.check(example["value"], body.content["schema"])
            seen += 1
        return seen

    def parameters(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(method, path, parameter) for each operation's own parameters, resolved."""
        for method, path, operation in self.operations():
            for parameter in operation.get("parameters", []):
                yield method, path, self.resolved(parameter)

    def documented_statuses(self) -> set[int]:
        return {
            int(status)
            for _, _, operation in self.operations()
            for status in operation["responses"]
        }

    def never_succeeded(self, entries: Iterable[JournalEntry]) -> set[tuple[str, str]]:
        """The operations (method, template) no 2xx answer in ``entries`` was for.

        An answer counts for one template, the first of the fewest parameters that matches (so
        ``/objects/batch`` is not an object id)."""
        templates = sorted(
            ((method.upper(), path) for method, path, _ in self.operations()),
            key=lambda pair: (pair[1].count("{"), pair[1]),
        )
        patterns = [(method, template_pattern(path), path) for method, path in templates]
        succeeded = set()
        for entry in entries:
            if 200 <= entry.status < 300:
                for method, pattern, path in patterns:
                    if entry.method == method and pattern.match(entry.path):
                        succeeded.add((method, path))
                        break
        return set(templates) - succeeded


def template_pattern(path: str) -> re.Pattern[str]:
    """Matches the concrete paths of the template ``path``."""
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


# --- the fake in-process, as schemathesis drives it --------------------------------------------


def in_process(
    api: str, *, journal_capacity: int = 1000, rate_limited: bool = False
) -> tuple[Sandbox, ASGIApp, Any]:
    """``api`` alone on a sandbox frozen at NOW, its app, and the schemathesis schema the app
    serves."""
    clock = Clock()
    clock.freeze(NOW)
    # The byte budget never drops an entry before the entry bound does: a test reading a whole
    # run from the journal counts on its capacity alone.
    sandbox = create_sandbox(
        [api],
        clock=clock,
        journal_capacity=journal_capacity,
        journal_bytes=journal_capacity * (2 * BODY_LIMIT + 64 * 1024),
    )
    if not rate_limited:
        # Generated traffic is far above any vendor's limit; each limit has its own tests.
        sandbox.limits.configure({api: {"requests": {"enabled": False}}})
    app = build_app(sandbox, api)
    return sandbox, app, schemathesis.openapi.from_asgi("/openapi.json", app)


def answer_of(operation: Any, **case: Any) -> dict[str, Any]:
    """The JSON answer to a call of ``operation`` that must succeed (a token request)."""
    return json_of_ok(operation.Case(**case).call())


def use_bearer_tokens(schema: Any, token: Callable[[], str], **skip_for: str) -> None:
    """Generated cases carry a bearer token from ``token()``, but for the operations
    ``skip_for`` selects (schemathesis' filters: ``path=``, ``path_regex=``)."""

    class BearerToken:
        def get(self, case: Any, ctx: Any) -> str:
            return token()

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), **bearer(data)}

    schema.auth().skip_for(**skip_for)(BearerToken)


def validated(case: Any) -> Any:
    """The answer to ``case``, checked against the contract with every check."""
    response = case.call()
    case.validate_response(response, checks=all_checks())
    return response


class EveryCheckOnEachStep:
    """Put before ``schema.as_state_machine()``: each step's answer meets every check."""

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        case.validate_response(response, checks=all_checks(), transport_kwargs=kwargs or None)


def stateful_settings(*, max_examples: int, steps: int) -> settings:
    """Replayable scenarios: derandomized, no deadline, no health check (a step calls the app)."""
    return settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
