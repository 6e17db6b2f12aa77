import pytest

from standin._core.clock import Clock
from standin._core.ratelimit import (
    ConcurrencyLimiter,
    FixedWindowLimiter,
    KeyUsage,
    LimiterSpec,
    LimitRegistry,
    RollingWindowLimiter,
    admitted,
    holds_places,
)


@pytest.fixture
def clock() -> Clock:
    frozen = Clock(lambda: 1_700_000_020.0)  # 40 s into a clock minute
    frozen.freeze()
    return frozen


def test_fixed_window_refuses_past_the_limit_until_the_next_minute_starts(clock: Clock) -> None:
    limiter = FixedWindowLimiter(clock, limit=3, window_seconds=60)
    assert [limiter.acquire("k").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.acquire("k")
    assert refused.allowed is False
    assert refused.retry_after == pytest.approx(20.0)
    assert refused.retry_after_header() == "20"
    clock.advance(19.9)
    assert limiter.acquire("k").allowed is False
    clock.advance(0.1)
    assert limiter.acquire("k").allowed is True


def test_fixed_window_counts_each_key_separately(clock: Clock) -> None:
    limiter = FixedWindowLimiter(clock, limit=1, window_seconds=60)
    assert limiter.acquire("a").allowed
    assert limiter.acquire("b").allowed
    assert not limiter.acquire("a").allowed


def test_fixed_window_reports_remaining_and_reset(clock: Clock) -> None:
    limiter = FixedWindowLimiter(clock, limit=60, window_seconds=60)
    decision = limiter.acquire("k")
    assert decision.remaining == 59
    assert decision.reset_at == 1_700_000_040.0


def test_rolling_window_frees_a_slot_when_the_oldest_request_ages_out(clock: Clock) -> None:
    limiter = RollingWindowLimiter(clock, limit=2, window_seconds=60)
    assert limiter.acquire("k").allowed
    clock.advance(30)
    assert limiter.acquire("k").allowed
    refused = limiter.acquire("k")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(30.0)
    clock.advance(30)
    assert limiter.acquire("k").allowed
    assert not limiter.acquire("k").allowed


def test_rolling_window_does_not_reset_at_minute_boundaries(clock: Clock) -> None:
    limiter = RollingWindowLimiter(clock, limit=1, window_seconds=60)
    assert limiter.acquire("k").allowed
    clock.advance(21)  # past the clock minute, not past the window
    assert not limiter.acquire("k").allowed


@pytest.fixture
def running_clock() -> Clock:
    """A clock that follows a fixed machine time, so it can go forward and back to real."""
    return Clock(lambda: 1_700_000_020.0)


def test_rolling_window_forgets_requests_made_in_the_future_once_the_clock_goes_back(
    running_clock: Clock,
) -> None:
    limiter = RollingWindowLimiter(running_clock, limit=3, window_seconds=60)
    running_clock.advance(3000)
    assert [limiter.acquire("k").allowed for _ in range(3)] == [True, True, True]
    assert not limiter.acquire("k").allowed
    running_clock.real()
    admitted_again = limiter.acquire("k")
    assert admitted_again.allowed
    assert admitted_again.remaining == 2


def test_rolling_window_still_counts_the_past_after_the_clock_goes_back(
    running_clock: Clock,
) -> None:
    limiter = RollingWindowLimiter(running_clock, limit=2, window_seconds=60)
    assert limiter.acquire("k").allowed  # at real time: it counts again once back
    running_clock.advance(30)
    assert limiter.acquire("k").allowed
    running_clock.real()
    assert limiter.acquire("k").allowed
    refused = limiter.acquire("k")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(60.0)
    assert refused.retry_after_header() == "60"


def test_fixed_window_starts_afresh_after_the_clock_goes_back(running_clock: Clock) -> None:
    limiter = FixedWindowLimiter(running_clock, limit=2, window_seconds=60)
    running_clock.advance(3000)
    assert [limiter.acquire("k").allowed for _ in range(2)] == [True, True]
    assert not limiter.acquire("k").allowed
    running_clock.real()
    assert limiter.acquire("k").allowed


def test_concurrency_limit_refuses_while_another_request_is_in_flight() -> None:
    limiter = ConcurrencyLimiter(limit=1)
    with admitted(limiter, "k") as first:
        assert first.allowed
        with admitted(limiter, "k") as second:
            assert not second.allowed
        with admitted(limiter, "other") as other:
            assert other.allowed
    with admitted(limiter, "k") as later:
        assert later.allowed
    assert limiter.in_flight("k") == 0


def test_refused_requests_do_not_release_a_place_they_never_held() -> None:
    limiter = ConcurrencyLimiter(limit=1)
    first = limiter.acquire("k")
    with admitted(limiter, "k") as refused:
        assert not refused.allowed
    assert first.allowed
    assert limiter.in_flight("k") == 1


def test_disabled_limiters_allow_everything(clock: Clock) -> None:
    for limiter in (
        FixedWindowLimiter(clock, 1, 60),
        RollingWindowLimiter(clock, 1, 60),
        ConcurrencyLimiter(1),
    ):
        limiter.configure({"enabled": False})
        assert all(limiter.acquire("k").allowed for _ in range(5))


def test_registry_describes_and_changes_limits(clock: Clock) -> None:
    registry = LimitRegistry()
    limiter = registry.register("atmotube", "requests", FixedWindowLimiter(clock, 60, 60, "x"))
    assert registry.describe() == {
        "atmotube": {
            "requests": {
                "kind": "fixed_window",
                "limit": 60,
                "window_seconds": 60.0,
                "enabled": True,
                "description": "x",
            }
        }
    }
    registry.configure({"atmotube": {"requests": {"limit": 5, "enabled": False}}})
    assert (limiter.limit, limiter.enabled) == (5, False)


@pytest.mark.parametrize(
    "change",
    [
        {"nope": {"requests": {"limit": 1}}},
        {"atmotube": {"nope": {"limit": 1}}},
        {"atmotube": {"requests": {"limit": 0}}},
        {"atmotube": {"requests": {"limit": True}}},
        {"atmotube": {"requests": {"enabled": "no"}}},
        {"atmotube": {"requests": {"window_seconds": -1}}},
        {"atmotube": {"requests": {"colour": "red"}}},
        {"atmotube": "off"},
    ],
)
def test_registry_rejects_bad_changes_and_applies_none_of_them(
    clock: Clock, change: dict[str, object]
) -> None:
    registry = LimitRegistry()
    limiter = registry.register("atmotube", "requests", FixedWindowLimiter(clock, 60, 60))
    with pytest.raises(ValueError, match=r"."):
        registry.configure({"atmotube": {"requests": {"limit": 7}}, **change})
    assert (limiter.limit, limiter.enabled, limiter.window_seconds) == (60, True, 60.0)


def test_registry_reset_forgets_counts(clock: Clock) -> None:
    registry = LimitRegistry()
    limiter = registry.register("a", "r", FixedWindowLimiter(clock, 1, 60))
    limiter.acquire("k")
    registry.reset()
    assert limiter.acquire("k").allowed


SPECS = {
    "atmotube": (LimiterSpec("requests", "fixed_window", 2, "per key per minute"),),
    "atrius": (LimiterSpec("requests", "rolling_window", 2, "per client", window_seconds=30),),
    "locus": (LimiterSpec("concurrency", "concurrency", 1, "one at a time"),),
}


def test_limiters_built_from_specs_have_the_declared_kind_limit_window_and_description(
    clock: Clock,
) -> None:
    assert LimitRegistry.from_specs(SPECS, clock).describe() == {
        "atmotube": {
            "requests": {
                "kind": "fixed_window",
                "limit": 2,
                "window_seconds": 60.0,
                "enabled": True,
                "description": "per key per minute",
            }
        },
        "atrius": {
            "requests": {
                "kind": "rolling_window",
                "limit": 2,
                "window_seconds": 30.0,
                "enabled": True,
                "description": "per client",
            }
        },
        "locus": {
            "concurrency": {
                "kind": "concurrency",
                "limit": 1,
                "enabled": True,
                "description": "one at a time",
            }
        },
    }


def test_two_registries_from_the_same_specs_share_no_limiter_and_no_clock(clock: Clock) -> None:
    other_clock = Clock(lambda: 1_700_000_020.0)
    other_clock.freeze()
    mine = LimitRegistry.from_specs(SPECS, clock)
    theirs = LimitRegistry.from_specs(SPECS, other_clock)
    mine.configure({"atmotube": {"requests": {"limit": 1}}})
    assert theirs.describe()["atmotube"]["requests"]["limit"] == 2
    assert mine.get("atmotube", "requests").acquire("k").allowed
    assert not mine.get("atmotube", "requests").acquire("k").allowed
    assert theirs.get("atmotube", "requests").acquire("k").allowed
    clock.advance(40)  # a new minute on my clock only
    assert mine.get("atmotube", "requests").acquire("k").allowed
    assert theirs.get("atmotube", "requests").acquire("k").allowed
    assert not theirs.get("atmotube", "requests").acquire("k").allowed


def test_fixed_window_usage_counts_the_current_window_only(clock: Clock) -> None:
    limiter = FixedWindowLimiter(clock, limit=5, window_seconds=60)
    limiter.acquire("a")
    limiter.acquire("a")
    limiter.acquire("b")
    now = clock.time()
    assert sorted(limiter.usage(now), key=lambda u: u.key) == [
        KeyUsage("a", 2, 1_700_000_040.0),
        KeyUsage("b", 1, 1_700_000_040.0),
    ]
    assert limiter.usage(now + 20) == []


def test_rolling_window_usage_counts_arrivals_still_inside_the_window(clock: Clock) -> None:
    limiter = RollingWindowLimiter(clock, limit=5, window_seconds=60)
    limiter.acquire("k")
    clock.advance(30)
    limiter.acquire("k")
    now = clock.time()
    assert limiter.usage(now) == [KeyUsage("k", 2, now - 30 + 60)]
    assert limiter.usage(now + 30) == [KeyUsage("k", 1, now + 60)]
    assert limiter.usage(now + 60) == []


def test_concurrency_usage_is_the_requests_in_flight() -> None:
    limiter = ConcurrencyLimiter(limit=2)
    limiter.acquire("k")
    limiter.acquire("k")
    assert limiter.usage(0.0) == [KeyUsage("k", 2)]
    limiter.release("k")
    limiter.release("k")
    assert limiter.usage(0.0) == []


def test_registry_usage_shows_the_busiest_keys_first_up_to_the_bound(clock: Clock) -> None:
    registry = LimitRegistry.from_specs(
        {"api": [LimiterSpec("requests", "fixed_window", 10, "d")]}, clock
    )
    limiter = registry.get("api", "requests")
    for key, times in (("quiet", 1), ("busy", 3), ("middling", 2), ("also-middling", 2)):
        for _ in range(times):
            limiter.acquire(key)
    report = registry.usage(clock.time(), busiest=3)["api"]["requests"]
    assert [(k["key"], k["used"], k["remaining"]) for k in report["keys"]] == [
        ("busy", 3, 7),
        ("also-middling", 2, 8),
        ("middling", 2, 8),
    ]
    assert report["keys"][0]["frees_at"] == "2023-11-14T22:14:00.000Z"
    assert (report["keys_counted"], report["keys_shown_at_most"]) == (4, 3)
    assert report["limit"] == 10


def test_only_a_limiter_that_holds_places_is_asked_to_give_them_back(clock: Clock) -> None:
    """A window counts arrivals (its release gives nothing back); a concurrency limit holds a
    place until the answer has left, and a limiter that says nothing is taken to hold one."""

    class Unknown:
        def release(self, key: str) -> None: ...

    assert not holds_places(FixedWindowLimiter(clock, limit=1, window_seconds=60))
    assert not holds_places(RollingWindowLimiter(clock, limit=1, window_seconds=60))
    assert holds_places(ConcurrencyLimiter(limit=1))
    assert holds_places(Unknown())  # type: ignore[arg-type]
