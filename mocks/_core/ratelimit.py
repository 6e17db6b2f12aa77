"""Rate limiters keyed by credential, each reading its tenant's clock.

Three shapes cover the vendors: a fixed window aligned to clock boundaries, a rolling window,
and a limit on requests in flight at once. Each refusal says how long to wait before retrying.
A vendor declares its limiters once (:class:`LimiterSpec`); every tenant gets its own live
copies (:meth:`LimitRegistry.from_specs`), whose ``limit`` or ``enabled`` the control plane
changes for that tenant alone.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, Protocol

from standin._core.clock import Clock, isoformat


class RateDecision(NamedTuple):
    """A limiter's answer to one request (a named tuple: one is made for every request)."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float | None = None
    """Seconds until a retry can succeed (refusals only)."""
    reset_at: float | None = None
    """When the current window ends, in clock seconds (windowed limiters only)."""

    def retry_after_header(self) -> str:
        """Retry-After as whole seconds, never zero for a refusal."""
        return str(max(1, math.ceil(self.retry_after or 0)))


@dataclass(frozen=True)
class KeyUsage:
    """What one key has used of a limiter at an instant.

    ``used`` counts arrivals in the current window (windowed kinds) or requests in flight
    (concurrency). ``frees_at`` is when ``used`` next drops, in clock seconds: the end of the
    fixed window, or the moment the oldest counted arrival leaves a rolling one; None for
    concurrency, whose places free as answers finish.
    """

    key: str
    used: int
    frees_at: float | None = None


class RateLimiter(Protocol):
    enabled: bool
    limit: int
    kind: str

    def acquire(self, key: str) -> RateDecision: ...

    def usage(self, now: float) -> list[KeyUsage]:
        """Every key with something counted at ``now`` (the tenant's clock); reads only."""
        ...

    def release(self, key: str) -> None: ...

    def reset(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...

    def configure(self, settings: dict[str, Any]) -> None: ...


class _Configurable:
    kind: str
    enabled: bool
    limit: int
    description: str

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply control-plane settings; unknown keys or bad values raise ValueError (and then
        none of them applies)."""
        for name, value in checked_settings(settings, windowed=self.kind != "concurrency").items():
            setattr(self, name, value)


def checked_settings(settings: Mapping[str, Any], *, windowed: bool) -> dict[str, Any]:
    """``settings`` as a limiter applies them (``window_seconds`` as a float); ValueError for an
    unknown key or a bad value. ``windowed``: whether the limiter has a window to change."""
    checked: dict[str, Any] = {}
    for name, value in settings.items():
        if name == "enabled":
            if not isinstance(value, bool):
                raise ValueError("enabled must be true or false")
            checked[name] = value
        elif name == "limit":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError("limit must be a positive integer")
            checked[name] = value
        elif name == "window_seconds" and windowed:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError("window_seconds must be a positive number")
            checked[name] = float(value)
        else:
            raise ValueError(f"unknown setting {name!r}")
    return checked


class _WindowLimiter(_Configurable):
    """What the windowed limiters share: a clock, a limit per window, and no release."""

    kind: str

    def __init__(
        self, clock: Clock, limit: int, window_seconds: float, description: str = ""
    ) -> None:
        self._clock = clock
        self.limit = limit
        self.window_seconds = float(window_seconds)
        self.enabled = True
        self.description = description

    holds_places = False
    """Whether an admitted request holds something until its answer has left (see
    :func:`holds_places`): a window counts arrivals only."""

    def release(self, key: str) -> None:
        """Windows count arrivals, not requests in flight: nothing to give back."""

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "limit": self.limit,
            "window_seconds": self.window_seconds,
            "enabled": self.enabled,
            "description": self.description,
        }


class FixedWindowLimiter(_WindowLimiter):
    """``limit`` requests per window, windows aligned to multiples of ``window_seconds``.

    With a 60 s window the count resets at the start of each clock minute.
    """

    kind = "fixed_window"

    def __init__(
        self, clock: Clock, limit: int, window_seconds: float, description: str = ""
    ) -> None:
        super().__init__(clock, limit, window_seconds, description)
        self._counts: dict[str, tuple[int, int]] = {}

    def acquire(self, key: str) -> RateDecision:
        now = self._clock.time()
        window = math.floor(now / self.window_seconds)
        reset_at = (window + 1) * self.window_seconds
        if not self.enabled:
            return RateDecision(True, self.limit, self.limit, reset_at=reset_at)
        current_window, count = self._counts.get(key, (window, 0))
        if current_window != window:
            count = 0
        if count >= self.limit:
            self._counts[key] = (window, count)
            return RateDecision(False, self.limit, 0, retry_after=reset_at - now, reset_at=reset_at)
        self._counts[key] = (window, count + 1)
        return RateDecision(True, self.limit, self.limit - count - 1, reset_at=reset_at)

    def usage(self, now: float) -> list[KeyUsage]:
        window = math.floor(now / self.window_seconds)
        frees_at = (window + 1) * self.window_seconds
        return [
            KeyUsage(key, count, frees_at)
            for key, (counted_in, count) in self._counts.items()
            if counted_in == window and count > 0
        ]

    def reset(self) -> None:
        self._counts.clear()


class RollingWindowLimiter(_WindowLimiter):
    """``limit`` requests in any span of ``window_seconds`` (a sliding log per key)."""

    kind = "rolling_window"

    def __init__(
        self, clock: Clock, limit: int, window_seconds: float, description: str = ""
    ) -> None:
        super().__init__(clock, limit, window_seconds, description)
        self._log: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> RateDecision:
        if not self.enabled:
            return RateDecision(True, self.limit, self.limit)
        now = self._clock.time()
        log = self._log.setdefault(key, deque())
        # Arrivals later than now were made while the clock stood ahead; once it goes back
        # they have not happened yet, and left in the log they would count for as long as
        # the clock was moved forward. Dropping them also keeps the log in order.
        while log and log[-1] > now:
            log.pop()
        while log and log[0] <= now - self.window_seconds:
            log.popleft()
        if len(log) >= self.limit:
            retry_after = log[0] + self.window_seconds - now
            return RateDecision(False, self.limit, 0, retry_after=retry_after)
        log.append(now)
        return RateDecision(True, self.limit, self.limit - len(log))

    def usage(self, now: float) -> list[KeyUsage]:
        found = []
        for key, log in self._log.items():
            # What acquire would count at ``now``: arrivals in (now - window, now].
            counted = [at for at in log if now - self.window_seconds < at <= now]
            if counted:
                found.append(KeyUsage(key, len(counted), counted[0] + self.window_seconds))
        return found

    def reset(self) -> None:
        self._log.clear()


class ConcurrencyLimiter(_Configurable):
    """At most ``limit`` requests of one key in flight at once; every acquire needs a release."""

    kind = "concurrency"

    def __init__(self, limit: int, description: str = "", retry_after: float = 1.0) -> None:
        self.limit = limit
        self.enabled = True
        self.description = description
        self._retry_after = retry_after
        self._in_flight: dict[str, int] = {}

    def acquire(self, key: str) -> RateDecision:
        in_flight = self._in_flight.get(key, 0)
        if self.enabled and in_flight >= self.limit:
            return RateDecision(False, self.limit, 0, retry_after=self._retry_after)
        self._in_flight[key] = in_flight + 1
        return RateDecision(True, self.limit, max(0, self.limit - in_flight - 1))

    def release(self, key: str) -> None:
        in_flight = self._in_flight.get(key, 0) - 1
        if in_flight > 0:
            self._in_flight[key] = in_flight
        else:
            self._in_flight.pop(key, None)

    def in_flight(self, key: str) -> int:
        return self._in_flight.get(key, 0)

    def usage(self, now: float) -> list[KeyUsage]:
        return [KeyUsage(key, count) for key, count in self._in_flight.items() if count > 0]

    def reset(self) -> None:
        self._in_flight.clear()

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "limit": self.limit,
            "enabled": self.enabled,
            "description": self.description,
        }


def holds_places(limiter: RateLimiter) -> bool:
    """Whether ``release`` gives anything back (a concurrency limit's place); a limiter whose
    class says ``holds_places = False`` (the windows) has nothing to give back, so nobody need
    call it. Any other limiter is assumed to hold one."""
    held: bool = getattr(type(limiter), "holds_places", True)
    return held


@contextmanager
def admitted(limiter: RateLimiter, key: str) -> Iterator[RateDecision]:
    """Hold a place for the duration of a request; the caller must check ``allowed``.

    Refused requests hold nothing, so only admitted ones are released.
    """
    decision = limiter.acquire(key)
    try:
        yield decision
    finally:
        if decision.allowed:
            limiter.release(key)


LimiterKind = Literal["fixed_window", "rolling_window", "concurrency"]


@dataclass(frozen=True)
class LimiterSpec:
    """A vendor's declaration of one limiter, from which each tenant gets its own."""

    name: str
    kind: LimiterKind
    limit: int
    description: str
    window_seconds: float = 60.0
    """For the windowed kinds only."""

    def build(self, clock: Clock) -> RateLimiter:
        if self.kind == "fixed_window":
            return FixedWindowLimiter(clock, self.limit, self.window_seconds, self.description)
        if self.kind == "rolling_window":
            return RollingWindowLimiter(clock, self.limit, self.window_seconds, self.description)
        return ConcurrencyLimiter(self.limit, self.description)


class LimiterStore(Protocol):
    """Where tenants' limiters keep their counters and settings when not in this process's
    memory (the default, :meth:`LimiterSpec.build`): a store several processes share (Redis,
    ``standin._core.cluster.limits``), so that together they admit no more than the limit."""

    def limiter(self, tenant_id: str, api: str, spec: LimiterSpec, clock: Clock) -> RateLimiter:
        """The tenant's live copy of ``spec`` for ``api``, reading the tenant's ``clock``."""
        ...

    def forget_tenant(self, tenant_id: str) -> None:
        """A tenant is gone: forget its counters and its changed settings."""
        ...

    def close(self) -> None:
        """Let go of what the store holds (connections, threads); the sandbox is closing."""
        ...


class LimitRegistry:
    """Every API's named limiters of one tenant, as the control plane shows and changes them."""

    def __init__(self) -> None:
        self._limiters: dict[str, dict[str, RateLimiter]] = {}

    @classmethod
    def from_specs(
        cls,
        specs: Mapping[str, Sequence[LimiterSpec]],
        clock: Clock,
        *,
        store: LimiterStore | None = None,
        tenant_id: str = "",
    ) -> LimitRegistry:
        """Fresh limiters for every API's declared ``specs``, reading ``clock``: in memory, or
        made by ``store`` for the tenant ``tenant_id``."""
        registry = cls()
        for api, declared in specs.items():
            for spec in declared:
                limiter = (
                    spec.build(clock)
                    if store is None
                    else store.limiter(tenant_id, api, spec, clock)
                )
                registry.register(api, spec.name, limiter)
        return registry

    def register(self, api: str, name: str, limiter: RateLimiter) -> RateLimiter:
        self._limiters.setdefault(api, {})[name] = limiter
        return limiter

    def get(self, api: str, name: str) -> RateLimiter:
        return self._limiters[api][name]

    def describe(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            api: {name: limiter.describe() for name, limiter in limiters.items()}
            for api, limiters in self._limiters.items()
        }

    def usage(self, now: float, busiest: int) -> dict[str, dict[str, dict[str, Any]]]:
        """Each limiter's settings and, for at most its ``busiest`` keys, what they have used
        at ``now`` (the tenant's clock, in seconds), the busiest first."""
        report: dict[str, dict[str, dict[str, Any]]] = {}
        for api, limiters in self._limiters.items():
            report[api] = {}
            for name, limiter in limiters.items():
                counted = limiter.usage(now)
                shown = heapq.nsmallest(busiest, counted, key=lambda u: (-u.used, u.key))
                report[api][name] = {
                    **limiter.describe(),
                    "keys": [_key_usage(limiter, u) for u in shown],
                    "keys_counted": len(counted),
                    "keys_shown_at_most": busiest,
                }
        return report

    def configure(self, changes: dict[str, Any]) -> None:
        """Validate every change first, then apply them all (all or nothing)."""
        plan: list[tuple[RateLimiter, dict[str, Any]]] = []
        for api, named in changes.items():
            if api not in self._limiters:
                raise ValueError(f"unknown api {api!r}")
            if not isinstance(named, dict):
                raise ValueError(f"{api}: expected an object of limiter names")
            for name, settings in named.items():
                limiter = self._limiters[api].get(name)
                if limiter is None:
                    raise ValueError(f"{api}: unknown limiter {name!r}")
                if not isinstance(settings, dict):
                    raise ValueError(f"{api}.{name}: expected an object of settings")
                _probe(limiter, settings)
                plan.append((limiter, settings))
        for limiter, settings in plan:
            limiter.configure(settings)

    def reset(self) -> None:
        for limiters in self._limiters.values():
            for limiter in limiters.values():
                limiter.reset()


def _key_usage(limiter: RateLimiter, usage: KeyUsage) -> dict[str, Any]:
    found: dict[str, Any] = {
        "key": usage.key,
        "used": usage.used,
        "limit": limiter.limit,
        "remaining": max(0, limiter.limit - usage.used),
    }
    if usage.frees_at is not None:
        found["frees_at"] = isoformat(datetime.fromtimestamp(usage.frees_at, tz=UTC))
    return found


def _probe(limiter: RateLimiter, settings: dict[str, Any]) -> None:
    """Raise ValueError if ``settings`` would not apply, without changing ``limiter``."""
    checked_settings(settings, windowed=limiter.kind != "concurrency")
