"""Runs a contract's operations against a live target with schemathesis' checks."""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from standin import contracts
from standin.check import credentials as credential_sources
from standin.check.pacing import PacedSession, Pacer, StillThrottled
from standin.check.profiles import PROFILES, Connection, Credentials, Target, TargetProfile
from standin.check.progress import Progress

if TYPE_CHECKING:
    from standin.check.profiles.base import Case

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    ignored_auth,
]
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class CheckOptions:
    api: str
    base_url: str
    credentials: Path | None = None
    allow_writes: bool = False
    max_examples: int = 20
    """Per operation, half positive (valid data) and half negative (invalid data)."""
    seed: int = 0
    requests_per_minute: int | None = None
    """Pace under this limit instead of the profile's (a vendor plan's, a standin's setting)."""
    admin_token: str | None = None
    """Sent as ``X-Standin-Admin-Token`` when the credentials are asked of a standin."""
    tenant_token: str | None = None
    """Sent as ``X-Standin-Tenant-Token``: the credentials asked of a standin are its tenant's."""


@dataclass
class OperationResult:
    label: str
    skipped: str | None = None
    """Why the operation was not run."""
    passed: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    """Each failure reason, with the number of examples it failed."""
    details: list[str] = field(default_factory=list)
    """The full report of each example that failed for a reason no earlier example had."""
    statuses: Counter[int] = field(default_factory=Counter)
    """The status of each example's answer."""
    seconds: float = 0.0

    @property
    def examples(self) -> int:
        return self.passed + self.failed

    @property
    def ok(self) -> bool:
        return self.skipped is not None or (self.failed == 0 and self.examples > 0)


@dataclass
class CheckReport:
    api: str
    base_url: str
    seed: int
    operations: list[OperationResult] = field(default_factory=list)
    throttled: int = 0
    """429 answers absorbed by waiting."""
    waited: float = 0.0
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        """Whether any example was answered 2xx: if none was, the credentials may be refused,
        and a run that only ever saw errors proves little."""
        return any(200 <= s < 300 for r in self.operations for s in r.statuses)

    @property
    def ok(self) -> bool:
        ran = [result for result in self.operations if result.skipped is None]
        return bool(ran) and self.succeeded and all(result.ok for result in ran)


def operation_seed(seed: int, label: str) -> int:
    """A seed per operation, so adding an operation to a contract changes no other's examples."""
    return zlib.crc32(f"{seed}:{label}".encode())


def skip_reason(profile: TargetProfile, label: str, method: str, allow_writes: bool) -> str | None:
    """Why an operation is not run, or None: writes wait for --allow-writes."""
    if label in profile.unsupported:
        return profile.unsupported[label]
    if allow_writes or method in READ_ONLY_METHODS or label in profile.token_operations:
        return None
    return "a write operation (run with --allow-writes)"


class Redactor:
    """Hides the credentials' secrets in reports (they end up in CI logs), encoded or not."""

    def __init__(self, credentials: Credentials) -> None:
        values = {v for v in credentials.values() if isinstance(v, str) and len(v) >= 6}
        forms = {form for v in values for form in (v, quote(v, safe=""), quote_plus(v))}
        self.secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[Filtered]")
        return text


def pacing_reason(profile: TargetProfile, requests_per_minute: int | None) -> str:
    """Whose limit the check keeps to, for its progress lines."""
    if requests_per_minute is not None:
        return f"--requests-per-minute allows {requests_per_minute} requests in any 60 s"
    return profile.rate_limit.format(limit=profile.requests_per_minute)


def run_check(
    options: CheckOptions,
    *,
    pacer: Pacer | None = None,
    clock: Callable[[], float] = time.monotonic,
    progress: Progress | None = None,
) -> CheckReport:
    """Every selected operation of ``options.api``'s contract against ``options.base_url``;
    ``progress`` is told of each operation and each wait as it happens.

    Raises :class:`~standin.check.credentials.NoCredentials` when there are none to be had, and
    :class:`~standin.check.profiles.CredentialsRefused` when the target refuses them.
    """
    profile = PROFILES[options.api]
    if pacer is None:
        pacer = Pacer(
            options.requests_per_minute or profile.requests_per_minute,
            reason=pacing_reason(profile, options.requests_per_minute),
        )
    if progress is not None:
        pacer.on_wait, pacer.on_resume = progress.waiting, progress.resumed
    throttle_status = getattr(profile, "throttle_status", 429)
    with PacedSession(pacer, throttle_status=throttle_status) as session:
        started = clock()
        base_url = options.base_url.rstrip("/")
        creds = credential_sources.load(
            options.api,
            base_url,
            options.credentials,
            session,
            # None: from the environment, as before these options were there.
            credential_sources.control_headers(options.admin_token, options.tenant_token) or None,
        )
        connection = profile.connect(Target(options.api, base_url, creds, session, clock))
        connection.authenticate()
        run = _Run(connection, session, base_url, Redactor(creds))
        schema = schemathesis.openapi.from_dict(contracts.load(options.api))
        schema.auth(refresh_interval=None)(_provider_for(connection))
        report = CheckReport(options.api, base_url, options.seed)
        found_operations = list(schema.get_all_operations())
        if progress is not None:
            progress.begin(options.api, base_url, len(found_operations))
        for found in found_operations:
            if not isinstance(found, Ok):
                broken = OperationResult(found.err().label)  # counted as one failed example
                reasons = ["the contract describes this operation wrongly"]
                _fail(broken, reasons, str(found.err()))
                result = broken
            else:
                operation = found.ok()
                result = OperationResult(operation.label)
                method = operation.method.upper()
                result.skipped = skip_reason(profile, operation.label, method, options.allow_writes)
                if result.skipped is None:
                    if progress is not None:
                        progress.operation_started(result.label)
                    began = clock()
                    _run_operation(operation, result, run, options)
                    result.seconds = clock() - began
            report.operations.append(result)
            if progress is not None:
                progress.operation_finished(result)
        finish: Callable[[], None] | None = getattr(connection, "finish", None)
        if finish is not None:
            finish()
    report.throttled, report.waited = pacer.throttled, pacer.waited
    report.seconds = clock() - started
    return report


@dataclass(frozen=True)
class _Run:
    """What every example of one run is sent with."""

    connection: Connection
    session: requests.Session
    base_url: str
    redact: Redactor


def _provider_for(connection: Connection) -> type:
    class ConnectionAuth:
        """schemathesis' auth provider: the credential the connection gives each case."""

        def get(self, case: Case, ctx: Any) -> str | None:
            return connection.credential(case)

        def set(self, case: Case, data: str, ctx: Any) -> None:
            connection.apply(case, data)

    return ConnectionAuth


def _run_operation(
    operation: Any, result: OperationResult, run: _Run, options: CheckOptions
) -> None:
    positive = (options.max_examples + 1) // 2
    budgets = (
        (GenerationMode.POSITIVE, positive),
        (GenerationMode.NEGATIVE, options.max_examples - positive),
    )
    for mode, budget in budgets:
        if budget <= 0:
            continue
        strategy: st.SearchStrategy[Case] = operation.as_strategy(generation_mode=mode)
        seed = operation_seed(options.seed, f"{operation.label} {mode.value}")

        def run_one(case: Case) -> None:
            _run_case(case, result, run)

        test: Callable[[], None] = hypothesis.seed(seed)(
            settings(
                max_examples=budget,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                derandomize=False,  # else hypothesis ignores the seed
                suppress_health_check=list(HealthCheck),
            )(given(strategy)(run_one))
        )
        try:
            test()
        except Exception as exc:  # generating (or authenticating) a case broke off the run
            reason = f"{mode.value} examples stopped: {type(exc).__name__}"
            result.reasons[reason] += 1
            result.details.append(run.redact(f"{reason}\n{exc}"))


def operation_base_url(connection: Connection, path: str, base_url: str) -> str:
    """Where the operation at ``path`` is sent: the connection's own base URL for it (see
    :class:`~standin.check.profiles.base.Connection`), else the target's."""
    own: Callable[[str], str | None] | None = getattr(connection, "operation_base_url", None)
    chosen = None if own is None else own(path)
    return base_url if chosen is None else chosen.rstrip("/")


def _run_case(case: Case, result: OperationResult, run: _Run) -> None:
    try:
        run.connection.prepare(case)
        base_url = operation_base_url(run.connection, case.operation.path, run.base_url)
        response = case.call(base_url=base_url, session=run.session, timeout=30)
        result.statuses[response.status_code] += 1
        # ignored_auth sends the request again: to the same base URL.
        transport = {"base_url": base_url, "session": run.session, "timeout": 30}
        case.validate_response(response, checks=CHECKS, transport_kwargs=transport)
    except FailureGroup as group:
        reasons = [failure.title for failure in group.exceptions]
        _fail(result, reasons, run.redact(str(group)))
    except Failure as failure:
        _fail(result, [failure.title], run.redact(str(failure)))
    except StillThrottled as exc:
        _fail(result, ["rate limited: still 429 after every retry"], str(exc))
    except requests.RequestException as exc:
        _fail(result, [f"request failed: {type(exc).__name__}"], run.redact(str(exc)))
    except Exception as exc:  # a profile or a check broke on this answer: report it, go on
        reason = f"error: {type(exc).__name__}"
        _fail(result, [reason], run.redact(f"{reason}: {exc}"))
    else:
        result.passed += 1


def _fail(result: OperationResult, reasons: list[str], detail: str) -> None:
    """Count a failed example; keep its report when it fails for a reason not seen before."""
    result.failed += 1
    if any(reason not in result.reasons for reason in reasons):
        result.details.append(detail.strip())
    for reason in dict.fromkeys(reasons):
        result.reasons[reason] += 1
