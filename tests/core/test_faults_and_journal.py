import pytest

from standin._core.faults import Fault, FaultRegistry
from standin._core.journal import JournalEntry, RequestJournal


def entry(api: str, n: int) -> JournalEntry:
    return JournalEntry("2026-01-01T00:00:00.000Z", api, "GET", f"/{n}", "", 200, 1.0)


def test_journal_keeps_the_newest_entries_up_to_its_capacity() -> None:
    journal = RequestJournal(capacity=3)
    for n in range(5):
        journal.record(entry("a", n))
    assert [e.path for e in journal.entries()] == ["/4", "/3", "/2"]
    assert len(journal) == 3


def test_journal_filters_by_api_and_limit() -> None:
    journal = RequestJournal(capacity=10)
    for n in range(4):
        journal.record(entry("a" if n % 2 else "b", n))
    assert [e.path for e in journal.entries("a")] == ["/3", "/1"]
    assert [e.path for e in journal.entries(limit=1)] == ["/3"]


def test_journal_keeps_the_newest_within_its_capacity() -> None:
    journal = RequestJournal(capacity=2)
    for n in range(5):
        journal.record(entry("a", n))
    assert [e.path for e in journal.entries()] == ["/4", "/3"]
    with pytest.raises(ValueError, match="positive"):
        RequestJournal(capacity=0)


def test_first_matching_fault_wins_and_counted_faults_wear_out() -> None:
    registry = FaultRegistry()
    registry.add(Fault(api="a", path="/x", status=500, count=1))
    registry.add(Fault(api="a", status=503))
    first = registry.take("a", "GET", "/x")
    assert first is not None
    assert first.status == 500
    second = registry.take("a", "GET", "/x")
    assert second is not None
    assert second.status == 503
    assert registry.take("b", "GET", "/x") is None


def test_fault_paths_are_globs_and_methods_are_case_insensitive() -> None:
    fault = Fault(api="a", method="get", path="/api/v1/*")
    assert fault.matches("a", "GET", "/api/v1/data")
    assert not fault.matches("a", "POST", "/api/v1/data")
    assert not fault.matches("a", "GET", "/other")


def test_probabilistic_faults_are_reproducible_for_a_seed() -> None:
    def pattern() -> list[bool]:
        registry = FaultRegistry(seed=42)
        registry.add(Fault(api="a", status=500, probability=0.3))
        return [registry.take("a", "GET", "/") is not None for _ in range(50)]

    first = pattern()
    assert first == pattern()
    assert 5 < sum(first) < 25
