"""Queued records that fall due are replayed a slice at a time: a read, or a control-plane
trigger (complete a batch, fail a record), that finds thousands of them due lets other requests
in between slices, and ends where replaying at once would. A batch list sums its batches up the
same way, a slice of records at a time."""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.clock import Clock, isoformat
from standin.buildingminds import routes as buildingminds_routes
from standin.buildingminds import state as buildingminds_state
from standin.buildingminds.routes import batch_json, inbound_json
from standin.buildingminds.state import BatchQuery, BuildingMindsState, InboundQuery, Timing
from tests.buildingminds.conftest import record, token_form
from tests.conftest import NOW, bearer

API = "/buildingminds/api/digitaltwinintegration"
T = TypeVar("T")


def queued(state: BuildingMindsState, records: int) -> None:
    """``records`` addresses and as many sites waiting for them, in requests of 1,000."""
    for first in range(0, records, 1000):
        ids = range(first, min(first + 1000, records))
        state.submit("address", [record("address", f"A{n}") for n in ids])
        state.submit("site", [record("site", f"S{n}", addressIds=[f"A{n}"]) for n in ids])


def outcome(state: BuildingMindsState) -> list[Any]:
    _, batches = state.list_batches(BatchQuery(limit=1000))
    return [
        (s.batch.entity, s.status, s.counts, [(m.status, m.updated_at) for m in messages])
        for s in batches
        for messages in [state.inbound(s.batch, InboundQuery(limit=1000))[1]]
    ]


async def batch_list_beside_cheap(
    sandbox: Sandbox,
    begun: anyio.Event,
    params: dict[str, Any],
    meanwhile: Callable[[], bool] = lambda: True,
) -> tuple[httpx.Response, httpx.Response, bool]:
    """``GET /batch`` with ``params``, and a cheap request once ``begun`` is set: the list's
    answer, the cheap one's, and whether the list was still unanswered (and ``meanwhile()``
    held) when the cheap one was answered."""
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        creds = sandbox.credentials()["buildingminds"]
        token_path = f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token"
        token = (await http.post(token_path, data=token_form(creds))).json()["access_token"]
        answers: list[httpx.Response] = []

        async def read_batches() -> None:
            answers.append(await http.get(f"{API}/batch", params=params, headers=bearer(token)))

        async with anyio.create_task_group() as group:
            group.start_soon(read_batches)
            await begun.wait()
            cheap = await http.get("/_sandbox/clock")
            pending = not answers and meanwhile()
    [answer] = answers
    return answer, cheap, pending


def test_replaying_in_slices_ends_where_replaying_at_once_does() -> None:
    states = []
    for _ in range(2):
        clock = Clock()
        clock.freeze(NOW)
        state = BuildingMindsState(clock, Timing(), seed=5)
        queued(state, 300)
        clock.advance(12)
        states.append(state)
    at_once, in_slices = states
    assert at_once.advance() is False
    slices = 1
    while in_slices.advance(7):
        slices += 1
    assert slices > 10
    assert outcome(in_slices) == outcome(at_once)
    assert {m.status for m in at_once.messages.values()} != {"New"}


@pytest.mark.anyio
async def test_a_read_finding_thousands_of_steps_due_lets_another_request_in_between(
    sandbox: Sandbox, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(buildingminds_routes, "STEPS_PER_TURN", 10)
    state = sandbox.apis["buildingminds"].state(sandbox.tenants.default())
    assert isinstance(state, BuildingMindsState)
    queued(state, 2000)
    clock.advance(3600)
    replaying = anyio.Event()
    advance = state.advance

    def watched(budget: int | None = None) -> bool:
        if budget is not None:
            replaying.set()
        return advance(budget)

    monkeypatch.setattr(state, "advance", watched)
    answer, cheap, still_replaying = await batch_list_beside_cheap(
        sandbox, replaying, {}, lambda: bool(state._due) and state._due[0][0] <= clock.time()
    )
    assert (cheap.status_code, still_replaying) == (200, True)
    assert answer.status_code == 200
    body = answer.json()
    assert body["totalCount"] == 7 + 4
    assert {b["status"] for b in body["data"][:4]} == {"Completed"}


@pytest.mark.anyio
async def test_a_batch_list_summing_up_thousands_of_records_lets_another_request_in_between(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(buildingminds_routes, "RECORDS_PER_TURN", 100)
    state = sandbox.apis["buildingminds"].state(sandbox.tenants.default())
    assert isinstance(state, BuildingMindsState)
    queued(state, 2000)
    expected = [
        (s.batch.id, s.status, s.counts) for s in state.list_batches(BatchQuery(limit=1000))[1]
    ]
    summing = anyio.Event()
    summary = state.summary

    def watched(batch: Any) -> Any:
        summing.set()
        return summary(batch)

    monkeypatch.setattr(state, "summary", watched)
    answer, cheap, still_summing = await batch_list_beside_cheap(sandbox, summing, {"limit": 1000})
    assert (cheap.status_code, still_summing) == (200, True)
    assert answer.status_code == 200
    body = answer.json()
    assert body["totalCount"] == len(expected)
    assert [(b["batchId"], b["status"], b["statusCounts"]) for b in body["data"]] == expected


@pytest.mark.anyio
async def test_a_batch_list_skips_batches_forgotten_by_a_submission_made_while_it_summed_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(buildingminds_state, "MAX_BATCHES", 50)
    monkeypatch.setattr(buildingminds_routes, "RECORDS_PER_TURN", 100)
    clock = Clock()
    clock.freeze(NOW)
    state = BuildingMindsState(clock, Timing(), seed=3)
    for n in range(50):
        clock.advance(1)
        state.submit("address", [record("address", f"A{n}-{k}") for k in range(61)])
    newest = [s.batch.id for s in state.list_batches(BatchQuery(limit=1000))[1]]
    caller = SimpleNamespace(state=state)
    request = SimpleNamespace(query_params={"limit": "1000"})

    async def submit_meanwhile() -> None:
        for n in range(5):
            state.submit("address", [record("address", f"C{n}")])

    async with anyio.create_task_group() as group:
        group.start_soon(submit_meanwhile)
        answer = await buildingminds_routes.batches(request, caller)  # type: ignore[arg-type]
    assert answer.status_code == 200
    listed = [item["batchId"] for item in json.loads(answer.body)["data"]]
    # The five oldest went to make room while the list was summed up: the rest, newest first.
    assert listed == newest[:-5]


# --- the control plane's triggers ------------------------------------------------------------


def waiting_on_thousands(sandbox: Sandbox, clock: Clock) -> tuple[BuildingMindsState, str]:
    """The default tenant's state with 2,000 addresses and 2,000 sites waiting for them, every
    record's pickup due (4,000 steps; completing an address batch adds 4,000 more), and the
    newest address batch."""
    state = sandbox.apis["buildingminds"].state(sandbox.tenants.default())
    assert isinstance(state, BuildingMindsState)
    queued(state, 2000)
    _, batches = state.list_batches(BatchQuery(limit=1000))
    batch_id = next(s.batch.id for s in batches if s.batch.entity == "address")
    clock.advance(6)
    return state, batch_id


def replays_in_slices(monkeypatch: pytest.MonkeyPatch, state: BuildingMindsState) -> list[int]:
    """Slices of 10 steps, ``state.advance`` watched: the budgets it is called with."""
    monkeypatch.setattr(buildingminds_routes, "STEPS_PER_TURN", 10)
    budgets: list[int] = []
    advance = state.advance

    def watched(budget: int | None = None) -> bool:
        if budget is not None:
            budgets.append(budget)
        return advance(budget)

    monkeypatch.setattr(state, "advance", watched)
    return budgets


def first_record(state: BuildingMindsState, batch_id: str) -> str:
    """The id of the batch's first record (a look that replays nothing)."""
    batch = state.batches.get(batch_id)
    assert batch is not None
    return batch.message_ids[0]


TRIGGERS: dict[str, Callable[[BuildingMindsState, str], tuple[str, dict[str, Any]]]] = {
    "complete": lambda state, batch_id: (f"batches/{batch_id}/complete", {}),
    "fail": lambda state, batch_id: (
        f"messages/{first_record(state, batch_id)}/fail",
        {"status": "TransformationFailed", "message": "Bad mapping"},
    ),
}


@dataclass
class BetweenSlices:
    """The routes' ``anyio``, its ``sleep`` (letting the loop go between slices) held the first
    time ``when()`` holds until the test lets it go on."""

    reached: anyio.Event = field(default_factory=anyio.Event)
    release: anyio.Event = field(default_factory=anyio.Event)
    when: Callable[[], bool] = lambda: True

    async def sleep(self, seconds: float) -> None:
        if not self.reached.is_set() and self.when():
            self.reached.set()
            await self.release.wait()
        await anyio.sleep(seconds)


async def trigger_while_held(
    sandbox: Sandbox,
    held: BetweenSlices,
    path: str,
    body: dict[str, Any] | None,
    meanwhile: Callable[[httpx.AsyncClient], Awaitable[T]],
) -> tuple[httpx.Response, T, bool]:
    """``POST /_sandbox/buildingminds/{path}`` with ``body`` and, once its replay is held
    between slices, ``meanwhile`` with the same client; then the replay goes on. The trigger's
    answer, what ``meanwhile`` gave, and whether the trigger was still unanswered after it."""
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        answers: list[httpx.Response] = []

        async def ask_trigger() -> None:
            answers.append(await http.post(f"/_sandbox/buildingminds/{path}", json=body))

        async with anyio.create_task_group() as group:
            group.start_soon(ask_trigger)
            with anyio.fail_after(10):  # a bound, not a measure: were the replay not let go
                await held.reached.wait()
            seen = await meanwhile(http)
            pending = not answers
            held.release.set()
    [answer] = answers
    return answer, seen, pending


@pytest.mark.anyio
@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
async def test_a_trigger_finding_thousands_of_steps_due_lets_another_tenants_request_in(
    sandbox: Sandbox, clock: Clock, monkeypatch: pytest.MonkeyPatch, trigger: str
) -> None:
    state, batch_id = waiting_on_thousands(sandbox, clock)
    path, body = TRIGGERS[trigger](state, batch_id)
    other, _ = sandbox.tenants.create()
    other.clock.freeze(NOW)
    budgets = replays_in_slices(monkeypatch, state)
    held = BetweenSlices()
    monkeypatch.setattr(buildingminds_routes, "anyio", held)

    async def cheap_request(http: httpx.AsyncClient) -> tuple[httpx.Response, bool]:
        answered = await http.get("/_sandbox/clock", params={"tenant": other.id})
        return answered, budgets == [10] and state._due[0][0] <= clock.time()

    answer, (cheap, steps_due), pending = await trigger_while_held(
        sandbox, held, path, body, cheap_request
    )
    assert (cheap.status_code, cheap.json(), steps_due, pending) == (
        200,
        {"now": isoformat(NOW), "mode": "frozen"},
        True,
        True,
    )
    assert (answer.status_code, answer.json()["tenant"]) == (200, sandbox.tenants.default().id)
    assert len(budgets) > 300  # 4,000 steps due, replayed 10 at a time
    assert not state._due or state._due[0][0] > clock.time()


@pytest.mark.anyio
async def test_a_batch_forgotten_while_its_completion_was_replayed_answers_unknown_batch(
    sandbox: Sandbox, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, batch_id = waiting_on_thousands(sandbox, clock)
    replays_in_slices(monkeypatch, state)
    monkeypatch.setattr(buildingminds_state, "MAX_BATCHES", len(state.batches))
    batch = state.batches.get(batch_id)
    assert batch is not None
    held = BetweenSlices(when=lambda: batch.expedited)
    monkeypatch.setattr(buildingminds_routes, "anyio", held)

    async def forget_it(http: httpx.AsyncClient) -> bool:
        # Submissions let in while the completed batch's records are replayed make room by
        # forgetting the oldest batches, that one among them.
        for n in range(len(state.batches)):
            state.submit("address", [record("address", f"C{n}")])
        return batch_id not in state.batches

    answer, forgotten, _ = await trigger_while_held(
        sandbox, held, f"batches/{batch_id}/complete", None, forget_it
    )
    assert forgotten
    assert (answer.status_code, answer.json()) == (404, {"error": f"unknown batch {batch_id!r}"})


@pytest.mark.anyio
@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
async def test_a_trigger_whose_tenant_is_removed_while_it_replays_answers_unknown(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, trigger: str
) -> None:
    tenant, _ = sandbox.tenants.create()
    tenant.clock.freeze(NOW)
    state = sandbox.apis["buildingminds"].state(tenant)
    assert isinstance(state, BuildingMindsState)
    queued(state, 2000)
    _, batches = state.list_batches(BatchQuery(limit=1000))
    batch_id = next(s.batch.id for s in batches if s.batch.entity == "address")
    tenant.clock.advance(6)
    path, body = TRIGGERS[trigger](state, batch_id)
    replays_in_slices(monkeypatch, state)
    held = BetweenSlices()
    monkeypatch.setattr(buildingminds_routes, "anyio", held)

    async def remove_tenant(http: httpx.AsyncClient) -> httpx.Response:
        return await http.delete(f"/_sandbox/tenants/{tenant.id}")

    answer, removed, _ = await trigger_while_held(sandbox, held, path, body, remove_tenant)
    assert (removed.status_code, removed.content) == (204, b"")
    unknown = "unknown batch" if trigger == "complete" else "unknown inbound message"
    assert (answer.status_code, answer.json()) == (
        404,
        {"error": f"{unknown} {path.split('/')[1]!r}"},
    )


@pytest.mark.anyio
async def test_completing_a_batch_in_slices_ends_where_completing_it_at_once_does(
    sandbox: Sandbox, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, batch_id = waiting_on_thousands(sandbox, clock)
    at_once = copy.deepcopy(state)
    budgets = replays_in_slices(monkeypatch, state)
    completed = at_once.complete_batch(batch_id)
    assert completed is not None
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        answer = await http.post(f"/_sandbox/buildingminds/batches/{batch_id}/complete")
    assert (answer.status_code, answer.json()) == (
        200,
        {"tenant": "default", **batch_json(at_once.summary(completed))},
    )
    assert answer.json()["statusCounts"] == {"Completed": 1000}
    assert len(budgets) > 500  # 4,000 steps due, then the batch's 2,000 (processed, onboarded)
    assert outcome(state) == outcome(at_once)
    assert list(state.entities.keys()) == list(at_once.entities.keys())


@pytest.mark.anyio
async def test_failing_a_record_after_a_sliced_catch_up_ends_where_doing_it_at_once_does(
    sandbox: Sandbox, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, batch_id = waiting_on_thousands(sandbox, clock)
    message_id = first_record(state, batch_id)
    path, body = TRIGGERS["fail"](state, batch_id)
    at_once = copy.deepcopy(state)
    budgets = replays_in_slices(monkeypatch, state)
    failed = at_once.fail_message(message_id, "TransformationFailed", "Bad mapping")
    assert failed is not None
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        answer = await http.post(f"/_sandbox/buildingminds/{path}", json=body)
    assert (answer.status_code, answer.json()) == (
        200,
        {"tenant": "default", **inbound_json(failed)},
    )
    assert answer.json()["status"] == "TransformationFailed"
    assert len(budgets) > 300  # 4,000 steps due
    assert outcome(state) == outcome(at_once)
