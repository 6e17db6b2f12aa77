"""The request journal in Redis (``standin._core.cluster.journal``): it answers as the in-memory
journal does, bounded per tenant, and every replica records into and reads the same one."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from bench.servers import free_port
from standin import Sandbox, build_app, create_sandbox
from standin._core.clock import Clock
from standin._core.cluster.connection import connect
from standin._core.cluster.journal import RedisRequestJournal, WriteQueue
from standin._core.cluster.signals import StorageUnavailable
from standin._core.journal import (
    DEFAULT_BYTE_BUDGET,
    ENTRY_OVERHEAD,
    Exchange,
    Journal,
    JournalEntry,
    JournalQuery,
    RequestJournal,
)
from tests.atmotube.conftest import OFFICE
from tests.conftest import bridged_client
from tests.journal_support import kept_bytes
from tests.redis_support import RedisServer
from tests.scaleout.replicas import replica

PREFIXES = itertools.count(1)


def entry(api: str, n: int, tenant: str | None = None, status: int = 200) -> JournalEntry:
    return JournalEntry(
        "2026-01-01T00:00:00.000Z",
        api,
        "GET" if n % 3 else "POST",
        f"/{api}/{n}",
        f"n={n}",
        status,
        1.5,
        tenant=tenant,
        request_headers={"accept": "application/json"},
        request_body="",
        response_body='{"ok": true}',
    )


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture(params=["memory", "redis"])
def make_journal(request: pytest.FixtureRequest) -> Callable[..., Journal]:
    """A journal of the given capacity (and byte budget), in memory or in Redis: the same tests
    hold for both."""
    if request.param == "memory":
        return RequestJournal
    connection: redis.Redis = request.getfixturevalue("client")
    url: str = request.getfixturevalue("redis_url")

    def in_redis(capacity: int, byte_budget: int = DEFAULT_BYTE_BUDGET) -> Journal:
        return RedisRequestJournal(connection, url, capacity, byte_budget=byte_budget)

    return in_redis


def sized(n: int, tenant: str | None, body_bytes: int) -> JournalEntry:
    """An entry of ``n`` counted for exactly ``body_bytes`` plus a fixed 300 bytes."""
    path, query = f"/a/{n:04d}", f"n={n:04d}"  # 7 and 6 characters
    padding = 300 - ENTRY_OVERHEAD - len(path) - len(query)
    return JournalEntry(
        "2026-01-01T00:00:00.000Z",
        "a",
        "POST",
        path,
        query,
        200,
        1.5,
        tenant=tenant,
        request_body="x" * (padding + body_bytes),
    )


# --- the same answers as in memory --------------------------------------------------------------


def test_a_journal_keeps_each_tenants_newest_entries_up_to_its_capacity(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(3)
    for n in range(5):
        journal.record(entry("a", n, "t-1"))
    journal.record(entry("a", 9, "t-2"))
    assert [e.path for e in journal.entries()] == ["/a/9", "/a/4", "/a/3", "/a/2"]
    assert len(journal) == 4
    assert journal.capacity == 3


def test_a_journal_filters_by_tenant_api_method_path_and_status(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(10)
    for n in range(6):
        journal.record(entry("a" if n % 2 else "b", n, "t-1" if n < 4 else None, 200 + n))
    assert [e.path for e in journal.entries("a")] == ["/a/5", "/a/3", "/a/1"]
    assert [e.path for e in journal.entries(limit=2)] == ["/a/5", "/b/4"]
    assert [e.path for e in journal.entries(query=JournalQuery(tenant="t-1"))] == [
        "/a/3",
        "/b/2",
        "/a/1",
        "/b/0",
    ]
    assert [e.path for e in journal.entries() if e.tenant is None] == ["/a/5", "/b/4"]
    assert journal.count(JournalQuery(method="post")) == 2
    assert journal.count(JournalQuery(path="/a/*", status=203)) == 1
    assert journal.count(JournalQuery(api="b", tenant="t-1")) == 2


def test_a_journal_clears_one_tenant_or_all_and_forgets_a_removed_tenant(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(10)
    for n, tenant in enumerate(["t-1", "t-2", "t-3", None]):
        journal.record(entry("a", n, tenant))
    journal.clear("t-1")
    journal.forget_tenant("t-2")
    assert [e.tenant for e in journal.entries()] == [None, "t-3"]
    journal.clear("")  # the requests that reached no tenant
    assert [e.tenant for e in journal.entries()] == ["t-3"]
    journal.clear()
    assert journal.entries() == []
    assert len(journal) == 0


def test_a_journal_keeps_the_newest_within_its_capacity_and_refuses_no_room(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(2)
    for n in range(5):
        journal.record(entry("a", n, "t-1"))
    assert [e.path for e in journal.entries()] == ["/a/4", "/a/3"]
    with pytest.raises(ValueError, match="positive"):
        make_journal(0)


def test_a_journal_keeps_each_tenants_newest_entries_within_its_byte_budget(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(100, 1000)
    for n in range(6):
        journal.record(sized(n, "t-1", 100))  # 400 bytes each
    journal.record(sized(9, "t-2", 0))
    assert [e.path for e in journal.entries()] == ["/a/0009", "/a/0005", "/a/0004"]
    assert kept_bytes(journal, "t-1") == 800
    assert kept_bytes(journal, "t-2") == 300
    journal.record(sized(10, "t-1", 2000))  # alone over the budget: kept, and alone
    assert [e.path for e in journal.entries(query=JournalQuery(tenant="t-1"))] == ["/a/0010"]
    assert kept_bytes(journal, "t-1") == 2300
    journal.record(sized(11, "t-1", 100))
    assert [e.path for e in journal.entries(query=JournalQuery(tenant="t-1"))] == ["/a/0011"]
    assert journal.byte_budget == 1000
    journal.forget_tenant("t-1")
    assert kept_bytes(journal, "t-1") == 0
    journal.clear()
    assert kept_bytes(journal, "t-2") == 0


def test_a_tenants_unproven_entries_push_out_only_each_other_within_a_tenth_of_its_bounds(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(20)  # unproven: at most 2 a tenant
    for n in range(3):
        journal.record(entry("a", n, "t-1"))
    for n in range(10, 15):
        journal.record_unproven(entry("a", n, "t-1"))
    journal.record(entry("a", 3, "t-1"))
    journal.record_unproven(entry("a", 20, "t-2"))
    assert [e.path for e in journal.entries(query=JournalQuery(tenant="t-1"))] == [
        "/a/3",
        "/a/14",
        "/a/13",
        "/a/2",
        "/a/1",
        "/a/0",
    ]
    assert [e.path for e in journal.entries(limit=3)] == ["/a/20", "/a/3", "/a/14"]
    assert journal.count(JournalQuery(tenant="t-1")) == 6
    assert len(journal) == 7
    journal.clear("t-1")
    assert [e.path for e in journal.entries()] == ["/a/20"]
    journal.forget_tenant("t-2")
    assert len(journal) == 0


def test_a_tenants_unproven_entries_are_kept_within_a_tenth_of_its_byte_budget(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(100, 10_000)  # unproven: at most 1,000 bytes a tenant
    journal.record(sized(0, "t-1", 9_000))
    for n in range(1, 5):
        journal.record_unproven(sized(n, "t-1", 100))  # 400 bytes each
    assert [e.path for e in journal.entries()] == ["/a/0004", "/a/0003", "/a/0000"]
    assert kept_bytes(journal, "t-1") == 9_300 + 2 * 400


def test_a_journal_keeps_the_newest_entries_that_fit_its_byte_budget(
    make_journal: Callable[..., Journal],
) -> None:
    journal = make_journal(100, 2_500)
    for n in range(5):
        journal.record(sized(n, None, 700))  # 1,000 bytes each
    assert [e.path for e in journal.entries()] == ["/a/0004", "/a/0003"]
    assert kept_bytes(journal, None) == 2_000
    with pytest.raises(ValueError, match="positive"):
        make_journal(100, 0)


tenants = st.sampled_from([None, "default", "t-1", "t-2"])
recorded = st.lists(
    st.tuples(
        st.builds(
            lambda made, padding: dataclasses.replace(made, response_body="x" * padding),
            st.builds(
                entry,
                st.sampled_from(["atrius", "locus"]),
                st.integers(0, 40),
                tenants,
                st.sampled_from([200, 201, 401, 429]),
            ),
            st.integers(0, 900),
        ),
        st.booleans(),  # unproven (a refused request that only named its tenant)
    ),
    max_size=30,
)
queries = st.builds(
    JournalQuery,
    st.one_of(tenants.filter(lambda t: t is not None), st.just("")),
    st.sampled_from([None, "atrius", "locus"]),
    st.sampled_from([None, "get", "POST"]),
    st.sampled_from([None, "/atrius/*", "/locus/1?", "*"]),
    st.sampled_from([None, 200, 429]),
)


@given(
    entries=recorded,
    capacity=st.integers(1, 25),
    byte_budget=st.integers(250, 12_000),
    asked=st.lists(st.tuples(queries, st.one_of(st.none(), st.integers(1, 5))), max_size=6),
    page=st.integers(1, 4),
)
def test_the_redis_journal_answers_every_query_as_the_in_memory_one(
    redis_server: RedisServer,
    entries: list[tuple[JournalEntry, bool]],
    capacity: int,
    byte_budget: int,
    asked: list[tuple[JournalQuery, int | None]],
    page: int,
) -> None:
    """Also when a query with a limit reads the lists a ``page`` at a time, whichever of the
    two bounds (entries, bytes) drops an entry, and with a tenant's unproven entries kept apart
    within their own bounds."""
    connection = redis.Redis.from_url(redis_server.url)
    try:
        in_redis = RedisRequestJournal(
            connection,
            redis_server.url,
            capacity,
            byte_budget=byte_budget,
            prefix=f"t{next(PREFIXES)}:",
            page=page,
        )
        in_memory = RequestJournal(capacity, byte_budget)
        for item, unproven in entries:
            if unproven and item.tenant is not None:
                in_memory.record_unproven(item)
                in_redis.record_unproven(item)
            else:
                in_memory.record(item)
                in_redis.record(item)
        assert in_redis.entries() == in_memory.entries()
        assert len(in_redis) == len(in_memory)
        for query, limit in asked:
            assert in_redis.entries(limit=limit, query=query) == in_memory.entries(
                limit=limit, query=query
            )
            assert in_redis.count(query) == in_memory.count(query)
    finally:
        connection.close()


def test_a_query_for_the_newest_few_reads_a_list_page_by_page_until_enough_match(
    client: redis.Redis, redis_url: str
) -> None:
    journal = RedisRequestJournal(client, redis_url, capacity=100, page=2)
    for n in range(9):
        journal.record(entry("a" if n % 2 else "b", n, "t-1"))
    journal.record(entry("a", 99, "t-2"))
    assert [e.path for e in journal.entries("a", limit=3)] == ["/a/99", "/a/7", "/a/5"]
    assert [e.path for e in journal.entries("b", limit=4)] == ["/b/8", "/b/6", "/b/4", "/b/2"]
    assert [e.path for e in journal.entries("a", limit=9)] == [
        "/a/99",
        "/a/7",
        "/a/5",
        "/a/3",
        "/a/1",
    ]


# --- one journal for every replica --------------------------------------------------------------


def test_two_replicas_record_into_one_journal_bounded_per_tenant(redis_url: str) -> None:
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    try:
        a, b = (RedisRequestJournal(c, redis_url, capacity=4) for c in clients)
        for n in range(6):
            (a if n % 2 else b).record(entry("a", n, "t-1"))
        a.record(entry("a", 99, "t-2"))
        assert [e.path for e in b.entries(query=JournalQuery(tenant="t-1"))] == [
            "/a/5",
            "/a/4",
            "/a/3",
            "/a/2",
        ]
        assert b.entries() == a.entries()
        assert [e.path for e in b.entries(limit=1)] == ["/a/99"]
        b.clear()
        assert a.entries() == []
    finally:
        for c in clients:
            c.close()


@pytest.fixture
def two_replicas(
    clock: Clock, redis_url: str
) -> Iterator[tuple[Sandbox, httpx.Client, httpx.Client]]:
    """Two sandboxes recording into one journal in Redis, each with its app and client."""
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    sandboxes = [
        create_sandbox(["atmotube"], clock=clock, journal=RedisRequestJournal(c, redis_url))
        for c in clients
    ]
    with (
        bridged_client(build_app(sandboxes[0])) as client_a,
        bridged_client(build_app(sandboxes[1])) as client_b,
    ):
        yield sandboxes[0], client_a, client_b
    for c in clients:
        c.close()


def test_a_request_answered_by_one_replica_is_listed_by_the_other_masked(
    two_replicas: tuple[Sandbox, httpx.Client, httpx.Client], client: redis.Redis
) -> None:
    sandbox, a, b = two_replicas
    api_key = sandbox.credentials()["atmotube"]["api_key"]
    params = {"api_key": api_key, "mac": OFFICE, "limit": 1}
    assert a.get("/atmotube/api/v1/data", params=params).status_code == 200
    assert b.get("/atmotube/api/v1/nowhere", params=params).status_code == 404
    listed = b.get("/_sandbox/requests").json()["requests"]
    assert [(r["path"], r["status"], r["tenant"]) for r in listed] == [
        ("/api/v1/nowhere", 404, None),
        ("/api/v1/data", 200, "default"),
    ]
    assert listed[1]["query"] == f"api_key=%2A%2A%2A&mac={OFFICE.replace(':', '%3A')}&limit=1"
    # What Redis keeps is what the journal lists: the key never reaches it.
    kept = b"".join(b"".join(client.lrange(k, 0, -1)) for k in client.keys("standin:journal:e*"))
    assert api_key.encode() not in kept
    assert a.get("/_sandbox/requests/count", params={"status": "404"}).json() == {"count": 1}
    found = a.post("/_sandbox/requests/find", json={"tenant": "default"}).json()
    assert [r["path"] for r in found["requests"]] == ["/api/v1/data"]
    assert b.delete("/_sandbox/requests").status_code == 204
    assert a.get("/_sandbox/requests").json() == {"requests": []}


def test_a_removed_tenants_entries_are_gone_from_every_replica(
    two_replicas: tuple[Sandbox, httpx.Client, httpx.Client],
) -> None:
    sandbox, a, b = two_replicas
    tenant = sandbox.create_tenant()
    params = {"api_key": tenant.credentials["atmotube"]["api_key"], "mac": "x"}
    a.get("/atmotube/api/v1/data", params=params)
    assert b.get("/_sandbox/requests/count", params={"tenant": tenant.id}).json() == {"count": 1}
    assert sandbox.remove_tenant(tenant.id)
    assert b.get("/_sandbox/requests/count", params={"tenant": tenant.id}).json() == {"count": 0}


def test_refused_token_requests_naming_a_tenant_never_push_its_own_entries_out_of_redis(
    clock: Clock, client: redis.Redis, redis_url: str
) -> None:
    journal = RedisRequestJournal(client, redis_url)
    sandbox = create_sandbox(["atrius"], clock=clock, journal=journal)
    tenant = sandbox.create_tenant()
    creds = tenant.credentials["atrius"]
    with bridged_client(build_app(sandbox)) as http:
        for n in range(3):
            form = {**creds, "grant_type": "password"}
            assert http.post("/atrius/o/token/", params={"n": n}, data=form).status_code == 200
        wrong = {**creds, "client_secret": "not-the-secret", "grant_type": "password"}
        for n in range(1_100):
            assert http.post("/atrius/o/token/", params={"n": n}, data=wrong).status_code == 401
        entries = journal.entries(query=JournalQuery(tenant=tenant.id))
        assert [(e.tenant, e.path, e.query, e.status) for e in entries] == [
            (tenant.id, "/o/token/", f"n={n}", 401) for n in range(1_099, 999, -1)
        ] + [(tenant.id, "/o/token/", f"n={n}", 200) for n in (2, 1, 0)]
        assert sandbox.remove_tenant(tenant.id)
        assert journal.entries() == []
        assert client.keys("standin:journal:entries:*") == []


def test_a_token_request_in_the_redis_journal_is_its_tenants_and_leaves_with_it(
    clock: Clock, client: redis.Redis, redis_url: str
) -> None:
    journal = RedisRequestJournal(client, redis_url, byte_budget=4096)
    sandbox = create_sandbox(["atrius"], clock=clock, journal=journal)
    tenant = sandbox.create_tenant()
    creds = tenant.credentials["atrius"]
    with bridged_client(build_app(sandbox)) as http:
        for _ in range(20):  # each entry about 700 bytes: the newest few fit in 4 KiB
            token = http.post("/atrius/o/token/", data={**creds, "grant_type": "password"})
            assert token.status_code == 200
        nobody = {"client_id": "nobody", "client_secret": "x", "grant_type": "client_credentials"}
        assert http.post("/atrius/o/token/", data=nobody).status_code == 401
        entries = journal.entries(query=JournalQuery(tenant=tenant.id))
        assert 3 <= len(entries) < 20
        assert {(e.path, e.status) for e in entries} == {("/o/token/", 200)}
        assert all(
            "***" in e.response_body and creds["client_secret"] not in str(e) for e in entries
        )
        assert 2048 < kept_bytes(journal, tenant.id) <= 4096
        [anonymous] = [e for e in journal.entries() if e.tenant is None]
        assert (anonymous.tenant, anonymous.status) == (None, 401)
        assert sandbox.remove_tenant(tenant.id)
        assert journal.count(JournalQuery(tenant=tenant.id)) == 0
        assert kept_bytes(journal, tenant.id) == 0


# --- served by `standin serve --redis` replicas --------------------------------------------------


def test_replicas_journal_every_request_once_whichever_replica_answered_or_handed_it_on(
    redis_url: str,
) -> None:
    with (
        replica(redis_url, ["atmotube"]) as first,
        replica(redis_url, ["atmotube"]) as second,
        first.client() as a,
        second.client() as b,
    ):
        api_key = a.get("/_sandbox/credentials").json()["atmotube"]["api_key"]
        for n in range(6):
            params = {"api_key": api_key, "mac": OFFICE, "limit": n + 1}
            assert (a, b)[n % 2].get("/atmotube/api/v1/data", params=params).is_success
        for listing in (a, b):
            listed = listing.get("/_sandbox/requests", params={"tenant": "default"}).json()
            queries = [entry["query"] for entry in listed["requests"]]
            assert queries == [
                f"api_key=%2A%2A%2A&mac={OFFICE.replace(':', '%3A')}&limit={n}"
                for n in range(6, 0, -1)
            ]


def test_a_journal_whose_redis_is_unreachable_loses_entries_and_answers_reads_503(
    redis_url: str,
) -> None:
    gone = f"redis://127.0.0.1:{free_port()}/0"
    journal = RedisRequestJournal(connect(gone), gone)
    journal.record(entry("a", 1, "t-1"))  # the request was answered: its entry is lost
    with pytest.raises(StorageUnavailable, match=r"Redis at redis://127\.0\.0\.1:\d+/0 is unr"):
        journal.entries()
    with pytest.raises(StorageUnavailable):
        journal.clear()


# --- buffered: a request does not wait for its entry ---------------------------------------------


def test_a_buffered_journal_lists_its_own_entries_at_once_in_the_order_recorded(
    client: redis.Redis, redis_url: str
) -> None:
    journal = RedisRequestJournal(client, redis_url, capacity=50, buffered=True)
    try:
        for n in range(30):
            journal.record(entry("a", n, "t-1" if n % 2 else None))
        assert [e.path for e in journal.entries(limit=3)] == ["/a/29", "/a/28", "/a/27"]
        assert journal.count(JournalQuery(tenant="t-1")) == 15
        assert [e.sequence for e in journal.entries()] == list(range(30, 0, -1))
    finally:
        journal.close()


def test_a_buffered_journal_sends_what_was_queued_during_a_send_in_one_batch() -> None:
    sent: list[list[str]] = []
    in_flight = threading.Event()
    go_on = threading.Event()

    def send(batch: list[JournalEntry | Exchange]) -> None:
        sent.append([item.path for item in batch])
        if len(sent) == 1:
            in_flight.set()
            assert go_on.wait(timeout=30)

    queue = WriteQueue(send)
    queue.put(entry("a", 1))
    assert in_flight.wait(timeout=30)  # the writer is sending the first entry
    for n in range(2, 6):
        queue.put(entry("a", n))
    go_on.set()
    queue.flush()  # waits for the batch in flight, then sends what is left
    queue.close()
    assert sent == [["/a/1"], ["/a/2", "/a/3", "/a/4", "/a/5"]]


def test_a_closed_buffered_journal_has_sent_everything_and_keeps_what_comes_after_at_once(
    client: redis.Redis, redis_url: str
) -> None:
    journal = RedisRequestJournal(client, redis_url, capacity=50, buffered=True)
    for n in range(5):
        journal.record(entry("a", n, "t-1"))
    journal.close()
    reader = RedisRequestJournal(client, redis_url, capacity=50)
    assert [e.path for e in reader.entries()] == [f"/a/{n}" for n in range(4, -1, -1)]
    journal.record(entry("a", 9, "t-1"))
    assert reader.entries(limit=1)[0].path == "/a/9"
