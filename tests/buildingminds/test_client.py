"""The BuildingMinds client: against the fake in-process (the vendors' host names routed to it),
and against any schema-valid answer (respx serves them, hypothesis writes them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from standin import Sandbox, standin
from standin.buildingminds import BuildingMindsApi
from standin.clients.buildingminds import (
    DEFAULT_BASE_URL,
    BuildingMindsAuthError,
    BuildingMindsClient,
    BuildingMindsForbidden,
    BuildingMindsNotFound,
    BuildingMindsRateLimited,
    BuildingMindsValidationError,
)
from tests.buildingminds.conftest import portfolio, record
from tests.support import SandboxSleep

TOKEN_URL = "https://login.microsoftonline.com/buildingminds.onmicrosoft.com/oauth2/v2.0/token"


@pytest.fixture
def fake(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The sandbox behind the real host names: the client runs unchanged."""
    with standin(sandbox):
        yield sandbox


@pytest.fixture
def sleep(sandbox: Sandbox) -> SandboxSleep:
    return SandboxSleep(sandbox)


def client_for(
    sandbox: Sandbox, sleep: SandboxSleep | None = None, **options: Any
) -> BuildingMindsClient:
    creds = sandbox.credentials()["buildingminds"]
    options = {"clock": sandbox.clock.now, "sleep": sleep or SandboxSleep(sandbox), **options}
    return BuildingMindsClient(
        str(creds["client_id"]), str(creds["client_secret"]), str(creds["scope"]), **options
    )


# --- against the fake --------------------------------------------------------------------------


def test_a_portfolio_sent_children_first_is_onboarded_whole(
    fake: Sandbox, sleep: SandboxSleep
) -> None:
    children_first = dict(reversed(portfolio().items()))
    with client_for(fake, sleep) as client:
        onboarding = client.onboard(children_first)
    assert onboarding.failures == ()
    outcome = onboarding.outcome
    assert outcome.settled
    assert (outcome.held, outcome.failed, outcome.pending) == ((), (), ())
    finals = {m.entity_type: m.status for m in outcome.onboarded}
    assert finals == {
        "Meter": "Completed",
        "RentalUnit": "Completed",
        "Space": "Completed",
        "Floor": "Completed",
        "Building": "Published",
        "Site": "Published",
        "Address": "Completed",
    }
    # Each level waits for its parent: about 25 s per level, 10 more for geocoding.
    assert sum(sleep.waits) >= 5 * 25 + 35
    assert sleep.waits[:3] == [2.0, 4.0, 8.0]


def test_step_2_lists_the_batches(fake: Sandbox) -> None:
    with client_for(fake) as client:
        page = client.batches(limit=2)
    assert page.total_count == 7
    assert [b.entity_type for b in page.items] == ["Meter", "RentalUnit"]
    assert page.items[0].status_counts == {"Completed": 2}


def test_submit_splits_records_and_reports_refused_ones_by_index(fake: Sandbox) -> None:
    records = [record("address", f"A{i}") for i in range(7)]
    records[5] = {**records[5], "country": "Germany"}
    with client_for(fake, records_per_request=3) as client:
        submission = client.submit("address", records)
        assert len(submission.batch_ids) == 3
        assert submission.accepted == 6
        (failure,) = submission.failures
        assert (failure.index, failure.record) == (5, records[5])
        assert failure.message == "'country' must be one of the values the data model lists"
        sent = [m.entity_id for b in submission.batch_ids for m in client.all_inbound(b)]
    assert sent == ["A0", "A1", "A2", "A3", "A4", "A6"]


def test_held_and_failed_records_are_reported(fake: Sandbox) -> None:
    floors = [
        record("floor", "F1", buildingId="NO-SUCH-BUILDING"),
        record("floor", "F2", buildingId="BLD-BER-A"),
        record("floor", "F2", buildingId="BLD-BER-A"),
    ]
    with client_for(fake) as client:
        submission = client.submit("floor", floors)
        outcome = client.wait(submission.batch_ids)
    assert outcome.settled
    (held,) = outcome.held
    assert held.entity_id == "F1"
    assert [(d.entity_type, d.entity_id) for d in held.missing_dependencies] == [
        ("Building", "NO-SUCH-BUILDING")
    ]
    assert [(m.entity_id, m.status) for m in outcome.failed] == [
        ("F2", "FailedValidation"),
        ("F2", "FailedValidation"),
    ]


def test_wait_gives_up_after_its_timeout(fake: Sandbox) -> None:
    fake.vendor(BuildingMindsApi).timing.configure({"processing_seconds": 3600})
    with client_for(fake) as client:
        submission = client.submit("address", [record("address", "A1")])
        outcome = client.wait(submission.batch_ids, timeout=30)
    assert not outcome.settled
    assert [m.status for m in outcome.pending] == ["InProgress"]


def test_an_expired_token_is_renewed_on_401(fake: Sandbox) -> None:
    # The client's own clock stands still, so only the API's 401 can tell it the token is old.
    still = fake.clock.now()
    with client_for(fake, clock=lambda: still) as client:
        first = client.token()
        fake.clock.advance(3600)
        assert client.batches().total_count == 7
        assert client.token() != first


def test_a_429_is_waited_out_and_then_raised(fake: Sandbox) -> None:
    fake.limits.configure({"buildingminds": {"requests": {"limit": 1}}})
    sleep = SandboxSleep(fake)
    with client_for(fake, sleep) as client:
        client.batches()
        client.batches()
    assert sleep.waits == [60.0]
    stuck = SandboxSleep(fake, moves_clock=False)
    with (
        client_for(fake, stuck, max_retries=2) as client,
        pytest.raises(BuildingMindsRateLimited) as raised,
    ):
        client.batches()  # the previous client's last request is still in the window
    assert raised.value.retry_after == 60.0
    assert stuck.waits == [60.0, 60.0]


def test_a_wrong_secret_is_an_auth_error_with_its_aadsts_code(fake: Sandbox) -> None:
    creds = fake.credentials()["buildingminds"]
    client = BuildingMindsClient(str(creds["client_id"]), "wrong", str(creds["scope"]))
    with client, pytest.raises(BuildingMindsAuthError) as raised:
        client.batches()
    assert (raised.value.status, raised.value.error, raised.value.aadsts) == (
        401,
        "invalid_client",
        7000215,
    )


def test_the_other_environments_key_is_forbidden(fake: Sandbox) -> None:
    creds = fake.credentials()["buildingminds"]
    client = BuildingMindsClient(
        str(creds["forbidden_client_id"]),
        str(creds["forbidden_client_secret"]),
        str(creds["forbidden_scope"]),
    )
    with client, pytest.raises(BuildingMindsForbidden):
        client.batches()


def test_an_unknown_batch_and_a_bad_query_raise(fake: Sandbox) -> None:
    with client_for(fake) as client:
        with pytest.raises(BuildingMindsNotFound):
            client.inbound("00000000-0000-4000-8000-000000000000")
        with pytest.raises(BuildingMindsValidationError):
            client.batches(limit=5000)
        with pytest.raises(ValueError, match="unknown entity 'castle'"):
            client.submit("castle", [])


# --- an answer outside the contract (any answer inside it: tests/conformance) ---------------


TOKEN = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "t"}


def offline_client(http: httpx.Client) -> BuildingMindsClient:
    return BuildingMindsClient("id", "secret", "api://x", http=http, sleep=lambda _: None)


def test_an_answer_outside_the_contract_is_a_clear_error() -> None:
    with respx.mock() as router, httpx.Client() as http:
        router.post(TOKEN_URL).respond(200, json=TOKEN)
        router.get(f"{DEFAULT_BASE_URL}/batch").respond(200, json={"data": "nope"})
        with pytest.raises(Exception, match="outside the contract: data is not a list"):
            offline_client(http).batches()
