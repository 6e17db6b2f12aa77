"""BuildingMinds: onboarding a portfolio and polling it to completion, with the reference client.

The guide's steps 1 and 2 (a token, then ``GET /batch``), then its "How ingestion works": a
small Hamburg portfolio is sent children first (order does not matter), the children are seen
held for their parents, and the batches are polled until every record is Completed or Published.
The client's sleeps move the sandbox's clock, so processing takes no real time. The sandbox
answers the first submission 429, so the client is seen waiting it out; an hour later, past the
token's lifetime, one building is re-sent and updated under a renewed token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from standin.buildingminds.errors import rate_limited
from standin.clients.buildingminds import (
    DEFAULT_BASE_URL,
    DEFAULT_LOGIN_URL,
    BuildingMindsClient,
    Outcome,
    Submission,
)
from standin.demo.workflow import DemoContext, Step, expect

API_PATH = "/api/digitaltwinintegration"
TOKEN_LIFETIME = 3599
VALIDITY = {"validFrom": "2024-01-01T00:00:00Z", "validUntil": "2099-12-31T23:59:59Z"}
PORTFOLIO: dict[str, list[dict[str, Any]]] = {
    "address": [
        {
            "addressId": "ADDR-HAM-001",
            "type": "Postal address",
            "streetName": "Jungfernstieg",
            "houseNumber": "7",
            "city": "Hamburg",
            "postalCode": "20354",
            "country": "DE",
        }
    ],
    "site": [
        {
            "siteId": "SITE-HAM",
            "name": "Hamburg Jungfernstieg",
            "type": "Office",
            "addressIds": ["ADDR-HAM-001"],
            **VALIDITY,
        }
    ],
    "building": [
        {
            "buildingId": "BLD-HAM-A",
            "siteId": "SITE-HAM",
            "name": "Jungfernstieg 7",
            "primaryTypeOfBuilding": "Office",
            "typeOfOwnership": "Owner",
            **VALIDITY,
        }
    ],
    "floor": [
        {
            "floorId": f"FLR-HAM-A-0{number}",
            "buildingId": "BLD-HAM-A",
            "name": name,
            "floorNumber": number,
            **VALIDITY,
        }
        for number, name in ((0, "Ground floor"), (1, "First floor"))
    ],
    "space": [
        {
            "spaceId": "SPC-HAM-A-00-LOBBY",
            "floorId": "FLR-HAM-A-00",
            "name": "Lobby",
            "type": "Circulation",
            **VALIDITY,
        }
    ],
    "rentalUnit": [
        {
            "rentalUnitId": "RU-HAM-A-01",
            "buildingId": "BLD-HAM-A",
            "name": "First floor offices",
            **VALIDITY,
        }
    ],
    "meter": [
        {
            "meterId": "MTR-HAM-A-ELEC",
            "buildingId": "BLD-HAM-A",
            "name": "Main electricity",
            "type": "Energy",
            "unit": "kWh",
            **VALIDITY,
        }
    ],
}
"""Parents first, chained by their external ids; the demo sends it the other way round."""
HELD_POLLS = 10
RECORDS = sum(len(records) for records in PORTFOLIO.values())


class BuildingMindsOnboarding:
    title = "BuildingMinds: onboarding a portfolio, polled to completion"
    token_path: str | None = "/oauth2/v2.0/token"

    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo
        credentials = {k: str(v) for k, v in demo.control.credentials("buildingminds").items()}
        self.client = BuildingMindsClient(
            credentials["client_id"],
            credentials["client_secret"],
            credentials["scope"],
            tenant=credentials["tenant"],
            http=demo.http,
            clock=demo.now,
            sleep=demo.sleep,
            # A running standin serves Azure AD and the API under one prefix.
            base_url=DEFAULT_BASE_URL if demo.base_url is None else demo.base_url + API_PATH,
            login_url=demo.base_url or DEFAULT_LOGIN_URL,
        )
        self.submissions: list[Submission] = []

    def close(self) -> None:
        self.client.close()

    def steps(self) -> Sequence[Step]:
        return [
            ("Step 1: get an access token", self.token),
            ("Step 2: validate the connection (GET /batch)", self.validate),
            ("Submit the portfolio, children first", self.submit),
            ("Children wait for their parents", self.held),
            ("Poll until every record is Completed or Published", self.poll),
            ("An hour later: re-send a building (an update)", self.resend),
        ]

    def token(self) -> str:
        token = self.client.token()
        expect(token.token_type == "Bearer", f"token type {token.token_type}")
        expect(token.expires_in == TOKEN_LIFETIME, f"expires_in {token.expires_in}")
        return f"{token.token_type} JWT, expires in {token.expires_in} s"

    def validate(self) -> str:
        page = self.client.batches()
        return f"200: {page.total_count} batches already there"

    def submit(self) -> str:
        error = rate_limited("2")
        self.demo.control.fail_next(
            "buildingminds", "POST", f"{API_PATH}/*", 429, error.body, error.headers
        )
        for entity, records in reversed(PORTFOLIO.items()):
            submission = self.client.submit(entity, records)
            expect(submission.failures == (), f"{entity} refused: {submission.failures}")
            expect(submission.accepted == len(records), f"{entity}: {submission.accepted} queued")
            self.submissions.append(submission)
        return f"{RECORDS} records in {len(self.batch_ids)} batches (a 429 waited out)"

    def held(self) -> str:
        # Dependencies are looked for when a record is picked up, a few seconds after it came.
        batch = self.submissions[0].batch_ids[0]
        (meter,) = self.client.all_inbound(batch)
        for _ in range(HELD_POLLS):
            if meter.held or meter.final:
                break
            self.demo.sleep(2)
            (meter,) = self.client.all_inbound(batch)
        expect(meter.entity_id == "MTR-HAM-A-ELEC", f"first batch holds {meter.entity_id}")
        expect(meter.held, f"the meter is {meter.status} before its building arrived")
        missing = ", ".join(f"{d.entity_type} {d.entity_id}" for d in meter.missing_dependencies)
        return f"meter {meter.entity_id} is {meter.status}, waiting for {missing}"

    def poll(self) -> str:
        before = self.demo.now()
        outcome = self.client.wait(self.batch_ids)
        self._expect_onboarded(outcome, RECORDS)
        took = (self.demo.now() - before).total_seconds()
        published = sum(m.status == "Published" for m in outcome.messages)
        return (
            f"{len(outcome.onboarded)} records onboarded ({published} Published) "
            f"in {took:.0f} s of sandbox time"
        )

    def resend(self) -> str:
        self.demo.control.advance(TOKEN_LIFETIME + 1)
        building = {**PORTFOLIO["building"][0], "name": "Jungfernstieg 7 (renovated)"}
        onboarding = self.client.onboard({"building": [building]})
        expect(onboarding.failures == (), f"refused: {onboarding.failures}")
        outcome = onboarding.outcome
        self._expect_onboarded(outcome, 1)
        (message,) = outcome.messages
        expect(message.event_type == "BuildingUpdated", f"event type {message.event_type}")
        return f"{message.entity_id} {message.event_type}, {message.status} (token renewed)"

    @property
    def batch_ids(self) -> list[str]:
        return [batch for s in self.submissions for batch in s.batch_ids]

    @staticmethod
    def _expect_onboarded(outcome: Outcome, records: int) -> None:
        expect(len(outcome.messages) == records, f"{len(outcome.messages)} of {records} records")
        stuck = [
            f"{m.entity_type} {m.entity_id}: {m.status}"
            for m in outcome.messages
            if m not in outcome.onboarded
        ]
        expect(stuck == [], f"not onboarded: {', '.join(stuck)}")
