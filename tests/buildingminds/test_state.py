"""Inbound messages as a state machine on the sandbox clock, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standin._core.clock import Clock
from standin.buildingminds import BuildingMindsApi
from standin.buildingminds import state as buildingminds_state
from standin.buildingminds.entities import ENTITIES, problems
from standin.buildingminds.state import (
    MAX_BATCHES,
    MAX_ENTITIES,
    MAX_MESSAGES,
    BatchQuery,
    BuildingMindsState,
    InboundQuery,
    Timing,
)
from standin.registry import create_sandbox
from tests.buildingminds.conftest import budget, portfolio, record
from tests.conftest import NOW


def statuses(state: BuildingMindsState, batch_id: str | None) -> list[str]:
    assert batch_id is not None
    batch = state.batch(batch_id)
    assert batch is not None
    _, messages = state.inbound(batch, InboundQuery())
    return [m.status for m in messages]


def messages(state: BuildingMindsState, batch_id: str | None) -> list[Any]:
    assert batch_id is not None
    batch = state.batch(batch_id)
    assert batch is not None
    return state.inbound(batch, InboundQuery())[1]


def test_a_building_is_new_then_in_progress_then_published(
    state: BuildingMindsState, clock: Clock
) -> None:
    batch = state.submit("building", [record("building", "B1", siteId="SITE-BER")]).batch_id
    seen = []
    for seconds in (0, 4.9, 0.1, 19.9, 0.1):
        clock.advance(seconds)
        seen.extend(statuses(state, batch))
    assert seen == ["New", "New", "InProgress", "InProgress", "Published"]
    assert state.entity("building", "B1") == record("building", "B1", siteId="SITE-BER")


def test_an_address_is_geocoded_then_completed(state: BuildingMindsState, clock: Clock) -> None:
    batch = state.submit("address", [record("address", "A1")]).batch_id
    seen = []
    for seconds in (5, 20, 10):
        clock.advance(seconds)
        seen.extend(statuses(state, batch))
    assert seen == ["InProgress", "GeoCodingSuccessful", "Completed"]


def test_an_address_with_only_a_city_fails_geocoding_and_its_site_waits(
    state: BuildingMindsState, clock: Clock
) -> None:
    vague = record("address", "A1", streetName=None, postalCode=None)
    addresses = state.submit("address", [vague]).batch_id
    sites = state.submit("site", [record("site", "S1", addressIds=["A1"])]).batch_id
    clock.advance(600)
    assert statuses(state, addresses) == ["FailedGeoCoding"]
    (site,) = messages(state, sites)
    assert (site.status, site.missing) == ("New", (("address", "A1"),))
    assert state.entity("address", "A1") is None


def test_a_child_sent_before_its_parent_waits_then_proceeds_by_itself(
    state: BuildingMindsState, clock: Clock
) -> None:
    floors = state.submit("floor", [record("floor", "F1", buildingId="B1")]).batch_id
    clock.advance(5)
    (floor,) = messages(state, floors)
    assert (floor.status, floor.missing) == ("New", (("building", "B1"),))
    clock.advance(3600)
    assert statuses(state, floors) == ["New"]
    buildings = state.submit("building", [record("building", "B1", siteId="SITE-BER")]).batch_id
    clock.advance(25)
    assert statuses(state, buildings) == ["Published"]
    (floor,) = messages(state, floors)
    assert (floor.status, floor.missing) == ("New", ())
    clock.advance(5)
    assert statuses(state, floors) == ["InProgress"]
    clock.advance(20)
    assert statuses(state, floors) == ["Completed"]


def test_a_portfolio_sent_children_first_is_onboarded_whole(
    state: BuildingMindsState, clock: Clock
) -> None:
    batches = [
        (entity, state.submit(entity, records).batch_id)
        for entity, records in reversed(portfolio().items())
    ]
    clock.advance(10)
    held = [entity for entity, b in batches if messages(state, b)[0].held]
    assert held == ["meter", "rentalUnit", "space", "floor", "building", "site"]
    clock.advance(600)
    for entity, batch in batches:
        assert statuses(state, batch) == [ENTITIES[entity].terminal], entity
    assert state.entity("meter", "MTR-HAM-ELEC") is not None


def test_missing_dependencies_name_every_parent_not_yet_onboarded(
    state: BuildingMindsState, clock: Clock
) -> None:
    site = record("site", "S1", addressIds=["ADDR-BER-001", "A-NEW-1", "A-NEW-2"])
    batch = state.submit("site", [site]).batch_id
    clock.advance(5)
    (message,) = messages(state, batch)
    assert message.missing == (("address", "A-NEW-1"), ("address", "A-NEW-2"))
    state.submit("address", [record("address", "A-NEW-1")])
    clock.advance(35)
    (message,) = messages(state, batch)
    assert message.missing == (("address", "A-NEW-2"),)


def test_resending_an_id_updates_the_record_and_says_so(
    state: BuildingMindsState, clock: Clock
) -> None:
    first = state.submit("meter", [record("meter", "M1", buildingId="BLD-BER-A")]).batch_id
    clock.advance(25)
    again = record("meter", "M1", buildingId="BLD-BER-A", name="Renamed")
    second = state.submit("meter", [again]).batch_id
    clock.advance(25)
    assert [m.event_type for m in messages(state, first)] == ["MeterAdded"]
    assert [m.event_type for m in messages(state, second)] == ["MeterUpdated"]
    assert state.entity("meter", "M1") == again
    meters = [key for key in state.entities if key[0] == "meter"]
    assert meters.count(("meter", "M1")) == 1


def test_deleted_removes_the_record(state: BuildingMindsState, clock: Clock) -> None:
    batch = state.submit("meter", [{"meterId": "MTR-BER-A-WATER", "eventType": "MeterDeleted"}])
    clock.advance(25)
    (message,) = messages(state, batch.batch_id)
    assert (message.status, message.event_type) == ("Completed", "MeterDeleted")
    assert state.entity("meter", "MTR-BER-A-WATER") is None


def test_deleting_a_parent_with_children_or_an_unknown_record_fails_validation(
    state: BuildingMindsState, clock: Clock
) -> None:
    batch = state.submit(
        "floor",
        [
            {"floorId": "FLR-BER-A-00", "eventType": "FloorDeleted"},
            {"floorId": "FLR-NOWHERE", "eventType": "FloorDeleted"},
        ],
    ).batch_id
    clock.advance(25)
    found = [(m.status, m.message) for m in messages(state, batch)]
    assert found == [
        ("FailedValidation", "Floor 'FLR-BER-A-00' has children: Space 'SPC-BER-A-00-LOBBY'"),
        ("FailedValidation", "Floor 'FLR-NOWHERE' does not exist"),
    ]
    assert state.entity("floor", "FLR-BER-A-00") is not None


def test_addresses_cannot_be_deleted() -> None:
    refused = problems(ENTITIES["address"], {"addressId": "A", "eventType": "AddressDeleted"})
    assert refused[0] == "'eventType' must be one of: AddressAdded, AddressUpdated"


def test_the_same_id_twice_in_one_request_fails_every_occurrence(
    state: BuildingMindsState, clock: Clock
) -> None:
    twice = [record("floor", "F1", buildingId="BLD-BER-A", name=n) for n in ("a", "b")]
    batch = state.submit("floor", [*twice, record("floor", "F2", buildingId="BLD-BER-A")])
    clock.advance(25)
    found = [(m.status, m.message) for m in messages(state, batch.batch_id)]
    duplicate = "Duplicate floorId 'F1' in the same request"
    assert found == [
        ("FailedValidation", duplicate),
        ("FailedValidation", duplicate),
        ("Completed", None),
    ]
    assert state.entity("floor", "F1") is None


def test_valid_until_before_valid_from_fails_while_processing(
    state: BuildingMindsState, clock: Clock
) -> None:
    backwards = record(
        "rentalUnit", "R1", buildingId="BLD-BER-A", validUntil="2023-01-01T00:00:00Z"
    )
    batch = state.submit("rentalUnit", [backwards]).batch_id
    clock.advance(5)
    assert statuses(state, batch) == ["InProgress"]
    clock.advance(20)
    (message,) = messages(state, batch)
    assert (message.status, message.message) == (
        "FailedValidation",
        "'validUntil' is before 'validFrom'",
    )


def test_invalid_records_are_refused_and_the_valid_ones_queued(
    state: BuildingMindsState,
) -> None:
    bad = record("floor", "F2", floorNumber=2.5, name="")
    submission = state.submit("floor", [record("floor", "F1"), bad, "not a record"])
    assert submission.failures == [
        (
            bad,
            "'name' is mandatory; "
            "'floorNumber' must be a whole number from -2147483648 to 2147483647",
        ),
        ("not a record", "Record must be a JSON object"),
    ]
    assert submission.batch_id is not None
    assert [m.entity_id for m in messages(state, submission.batch_id)] == ["F1"]


def test_a_request_with_no_valid_record_queues_nothing(state: BuildingMindsState) -> None:
    before = len(state.batches)
    submission = state.submit("site", [{"siteId": "S"}])
    assert submission.batch_id is None
    assert len(state.batches) == before


@pytest.mark.parametrize(
    ("entity", "changes", "problem"),
    [
        ("site", {"name": "x" * 51}, "'name' must be at most 50 characters"),
        ("site", {"addressIds": []}, "'addressIds' must be a list of 1 to 100 ids"),
        (
            "site",
            {"type": "Castle"},
            "'type' must be one of: Education, Health Care, Hotel, "
            "Industrial, Lodging, Leisure & Recreation, Mixed Use, Office, Residential, Retail, "
            "Technology/Science, Other",
        ),
        (
            "building",
            {"primaryTypeOfBuilding": "Castle"},
            "'primaryTypeOfBuilding' must be one of the values the data model lists",
        ),
        (
            "building",
            {"validFrom": "2024-02-30T00:00:00Z"},
            "'validFrom' must be a date and time as yyyy-mm-ddThh:mm:ssZ",
        ),
        (
            "building",
            {"validFrom": "2024-01-01T00:00:00+01:00"},
            "'validFrom' must be a date and time as yyyy-mm-ddThh:mm:ssZ",
        ),
        ("building", {"airConditioning": "yes"}, "'airConditioning' must be true or false"),
        (
            "building",
            {"parkingSpaces": 2**31},
            "'parkingSpaces' must be a whole number from -2147483648 to 2147483647",
        ),
        (
            "space",
            {"buildingId": "BLD-HAM"},
            "Exactly one of 'floorId' or 'buildingId' is mandatory",
        ),
        ("space", {"floorId": None}, "'floorId' must not be null"),
        (
            "space",
            {"spaceHeight": 1e13},
            "'spaceHeight' must be a number of fewer than 14 digits before the decimal point",
        ),
        (
            "address",
            {"country": "Germany"},
            "'country' must be one of the values the data model lists",
        ),
        ("meter", {"unit": "MWh"}, "'unit' must be one of: kWh, cubm, kg"),
        (
            "floor",
            {"eventType": None},
            "'eventType' must be one of: FloorAdded, FloorUpdated, FloorDeleted",
        ),
    ],
)
def test_the_field_tables_refuse(entity: str, changes: dict[str, Any], problem: str) -> None:
    assert problems(ENTITIES[entity], record(entity, "X-1", **changes)) == [problem]


def test_optional_fields_may_be_null_and_a_deletion_needs_only_the_id() -> None:
    assert problems(ENTITIES["building"], record("building", "B", buildingCode=None)) == []
    assert problems(ENTITIES["site"], {"siteId": "S", "eventType": "SiteDeleted"}) == []
    assert problems(ENTITIES["site"], {"eventType": "SiteDeleted"}) == ["'siteId' is mandatory"]


def test_a_trigger_completes_a_batch_at_once_but_held_records_stay_held(
    state: BuildingMindsState,
) -> None:
    batch = state.submit(
        "floor",
        [record("floor", "F1", buildingId="BLD-BER-A"), record("floor", "F2", buildingId="NOPE")],
    ).batch_id
    assert batch is not None
    state.complete_batch(batch)
    found = [(m.status, m.missing) for m in messages(state, batch)]
    assert found == [("Completed", ()), ("New", (("building", "NOPE"),))]


def test_a_trigger_completes_parents_and_children_of_one_batch_in_any_order(
    state: BuildingMindsState,
) -> None:
    reverse = [record("space", "S1", floorId="F1"), record("space", "S0", floorId="FLR-BER-A-00")]
    spaces = state.submit("space", reverse).batch_id
    floors = state.submit("floor", [record("floor", "F1", buildingId="BLD-BER-A")]).batch_id
    assert spaces is not None
    assert floors is not None
    state.complete_batch(spaces)
    assert statuses(state, spaces) == ["New", "Completed"]
    state.complete_batch(floors)
    assert statuses(state, floors) == ["Completed"]
    # The released space goes on at the normal pace of its own (expedited) batch: at once.
    assert statuses(state, spaces) == ["Completed", "Completed"]


def test_processing_times_are_configurable(clock: Clock) -> None:
    timing = Timing()
    timing.configure({"pickup_seconds": 0, "processing_seconds": 60})
    state = BuildingMindsState(clock, timing, seed=1)
    batch = state.submit("address", [record("address", "A1")]).batch_id
    assert statuses(state, batch) == ["InProgress"]
    clock.advance(59)
    assert statuses(state, batch) == ["InProgress"]
    clock.advance(1)
    assert statuses(state, batch) == ["GeoCodingSuccessful"]
    with pytest.raises(ValueError, match="pickup_seconds must be a number of seconds, 0 or more"):
        timing.configure({"processing_seconds": 1, "pickup_seconds": -1})
    assert timing.processing_seconds == 60
    with pytest.raises(ValueError, match="unknown setting 'speed'"):
        timing.configure({"speed": 2})


def test_batches_are_listed_newest_first_with_filters(
    state: BuildingMindsState, clock: Clock
) -> None:
    total, fixture = state.list_batches(BatchQuery())
    assert total == 7
    assert [s.batch.entity for s in fixture] == [
        "meter",
        "rentalUnit",
        "space",
        "floor",
        "building",
        "site",
        "address",
    ]
    new = state.submit("floor", [record("floor", "F1", buildingId="BLD-BER-A")]).batch_id
    total, page = state.list_batches(BatchQuery(skip=0, limit=2))
    assert (total, page[0].batch.id) == (8, new)
    assert page[0].status == "New"
    today = clock.now().date()
    assert state.list_batches(BatchQuery(created_at=today))[0] == 1
    assert state.list_batches(BatchQuery(created_to=today.replace(day=2)))[0] == 7
    assert state.list_batches(BatchQuery(created_from=today, created_to=today))[0] == 1
    assert state.list_batches(BatchQuery(batch_id=new))[1][0].batch.id == new
    clock.advance(25)
    summary = state.list_batches(BatchQuery(batch_id=new))[1][0]
    assert (summary.status, summary.counts) == ("Completed", {"Completed": 1})


@settings(max_examples=budget(30), deadline=None)
@given(
    order=st.permutations(list(portfolio())),
    pauses=st.lists(st.floats(min_value=0, max_value=40), min_size=7, max_size=7),
)
def test_any_order_and_any_pace_onboards_the_whole_portfolio(
    order: list[str], pauses: list[float]
) -> None:
    """Order never matters: sent in any order, with any pauses between requests, every record
    ends final and onboarded."""
    clock = Clock()
    clock.freeze(NOW)
    state = BuildingMindsState(clock, Timing(), seed=7)
    records = portfolio()
    batches = []
    for entity, pause in zip(order, pauses, strict=True):
        batches.append((entity, state.submit(entity, records[entity]).batch_id))
        clock.advance(pause)
    clock.advance(7 * 35)
    for entity, batch in batches:
        assert statuses(state, batch) == [ENTITIES[entity].terminal], entity
        assert state.entity(entity, str(records[entity][0][ENTITIES[entity].id_field])) is not None


def test_the_oldest_batches_are_forgotten_past_10000_batches_and_the_newest_are_kept(
    state: BuildingMindsState, clock: Clock
) -> None:
    assert MAX_BATCHES == 10_000
    first = state.submit("building", [record("building", "B0", siteId="SITE-BER")]).batch_id
    held = state.submit("floor", [record("floor", "F0", buildingId="NOPE")]).batch_id
    ids = []
    for n in range(1, MAX_BATCHES + 1):
        clock.advance(1)
        ids.append(
            state.submit("building", [record("building", f"B{n}", siteId="SITE-BER")]).batch_id
        )
    assert (state.batch(first or ""), state.batch(held or "")) == (None, None)
    total, page = state.list_batches(BatchQuery(limit=1))
    assert total == MAX_BATCHES
    assert page[0].batch.id == ids[-1]
    assert state.batch(ids[0]) is not None
    assert len(state.messages) == MAX_BATCHES


def test_inbound_messages_are_bounded_at_50000_by_forgetting_the_oldest_batches(
    state: BuildingMindsState, clock: Clock
) -> None:
    assert MAX_MESSAGES == 50_000
    clock.freeze()
    batches = [
        state.submit(
            # Ten sets of buildings sent again and again: messages pile up, entities stay
            # within their own quota.
            "building",
            [record("building", f"B{n % 10}-{i}", siteId="SITE-BER") for i in range(1000)],
        ).batch_id
        for n in range(51)
    ]
    assert len(state.messages) == 50_000
    assert state.batch(batches[0] or "") is None
    assert state.batch(batches[1] or "") is not None


def test_the_entity_quota_counts_queued_records_and_frees_room_when_one_fails(
    state: BuildingMindsState, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MAX_ENTITIES == 20_000
    monkeypatch.setattr(buildingminds_state, "MAX_ENTITIES", len(state.entities) + 2)
    vague = record("address", "A9", streetName=None, postalCode=None)
    queued = state.submit("address", [vague, record("address", "A10")])
    assert queued.failures == []
    refused = state.submit("address", [record("address", "A11")])
    assert [reason for _, reason in refused.failures] == [buildingminds_state.quota_reason()]
    update = state.submit("address", [record("address", "A10", city="Berlin")])
    assert update.failures == []
    clock.advance(600)
    assert statuses(state, queued.batch_id) == ["FailedGeoCoding", "Completed"]
    again = state.submit("address", [record("address", "A11")])
    assert again.failures == []
    assert state.submit("address", [record("address", "A12")]).failures != []


def test_deleting_an_entity_makes_room_under_the_quota(
    state: BuildingMindsState, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(buildingminds_state, "MAX_ENTITIES", len(state.entities))
    assert state.submit("address", [record("address", "A1")]).failures != []
    gone = {"meterId": "MTR-BER-A-WATER", "eventType": "MeterDeleted"}
    assert state.submit("meter", [gone]).failures == []
    clock.advance(600)
    assert state.entity("meter", "MTR-BER-A-WATER") is None
    assert state.submit("address", [record("address", "A1")]).failures == []


def test_a_batch_after_a_fresh_start_gets_an_id_never_given_before() -> None:
    """Batch ids come from uuid4, not the seed: two sandboxes with the same seed (a restart
    without a data directory) never hand out the same batch id."""
    made = []
    for _ in range(2):
        sandbox = create_sandbox(["buildingminds"], seed=0)
        fresh = sandbox.vendor(BuildingMindsApi).state(sandbox.tenants.default())
        made.append(fresh.submit("building", [record("building", "B1", siteId="SITE-BER")]))
    assert [m.failures for m in made] == [[], []]
    assert made[0].batch_id is not None
    assert made[0].batch_id != made[1].batch_id
