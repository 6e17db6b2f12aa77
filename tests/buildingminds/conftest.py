from typing import Any

import httpx
import pytest
from hypothesis import settings

from standin import Sandbox
from standin.buildingminds import BuildingMindsApi
from standin.buildingminds.state import BuildingMindsState
from tests.conftest import ApiCalls, bearer, json_of_ok

BASE = "/buildingminds/api/digitaltwinintegration"
VALIDITY = {"validFrom": "2024-01-01T00:00:00Z", "validUntil": "2099-12-31T23:59:59Z"}


def budget(quick: int) -> int:
    """``quick`` examples under the ci and dev profiles, the deep profile's own count there."""
    default: int = settings.default.max_examples
    return default if default > 100 else min(quick, default)


def record(entity: str, entity_id: str, **fields: Any) -> dict[str, Any]:
    """A valid record of ``entity``; ``fields`` add to or replace the defaults."""
    defaults: dict[str, dict[str, Any]] = {
        "address": {
            "addressId": entity_id,
            "type": "Postal address",
            "streetName": "Jungfernstieg",
            "city": "Hamburg",
            "postalCode": "20354",
            "country": "DE",
        },
        "site": {
            "siteId": entity_id,
            "name": "Hamburg",
            "type": "Office",
            "addressIds": ["ADDR-HAM"],
            **VALIDITY,
        },
        "building": {
            "buildingId": entity_id,
            "siteId": "SITE-HAM",
            "name": "Jungfernstieg 7",
            "primaryTypeOfBuilding": "Office",
            "typeOfOwnership": "Owner",
            **VALIDITY,
        },
        "floor": {
            "floorId": entity_id,
            "buildingId": "BLD-HAM",
            "name": "Ground floor",
            "floorNumber": 0,
            **VALIDITY,
        },
        "space": {
            "spaceId": entity_id,
            "floorId": "FLR-HAM-00",
            "name": "Lobby",
            "type": "Circulation",
            **VALIDITY,
        },
        "rentalUnit": {
            "rentalUnitId": entity_id,
            "buildingId": "BLD-HAM",
            "name": "Whole building",
            **VALIDITY,
        },
        "meter": {
            "meterId": entity_id,
            "buildingId": "BLD-HAM",
            "name": "Main electricity",
            "type": "Energy",
            "unit": "kWh",
            **VALIDITY,
        },
    }
    return {**defaults[entity], **fields}


def portfolio() -> dict[str, list[dict[str, Any]]]:
    """A new portfolio, parents first: one of every entity, chained by their ids."""
    return {
        "address": [record("address", "ADDR-HAM")],
        "site": [record("site", "SITE-HAM")],
        "building": [record("building", "BLD-HAM")],
        "floor": [record("floor", "FLR-HAM-00")],
        "space": [record("space", "SPC-HAM-00-LOBBY")],
        "rentalUnit": [record("rentalUnit", "RU-HAM")],
        "meter": [record("meter", "MTR-HAM-ELEC")],
    }


@pytest.fixture
def creds(sandbox: Sandbox) -> dict[str, str]:
    values: dict[str, str] = sandbox.credentials()["buildingminds"]
    return values


@pytest.fixture
def state(sandbox: Sandbox) -> BuildingMindsState:
    return sandbox.vendor(BuildingMindsApi).state(sandbox.tenants.default())


def token_form(creds: dict[str, str], **changes: str) -> dict[str, str]:
    form = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "scope": creds["scope"] + "/.default",
        "grant_type": "client_credentials",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def token_for(client: httpx.Client, creds: dict[str, str], **changes: str) -> str:
    response = client.post(
        f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token", data=token_form(creds, **changes)
    )
    token: str = json_of_ok(response)["access_token"]
    return token


@pytest.fixture
def auth(client: httpx.Client, creds: dict[str, str]) -> dict[str, str]:
    return bearer(token_for(client, creds))


class IngestionCalls(ApiCalls):
    def inbound(self, batch_id: str, **params: Any) -> list[dict[str, Any]]:
        answer = json_of_ok(self.get(f"/batch/{batch_id}/inbound", params=params))
        data: list[dict[str, Any]] = answer["data"]
        return data


@pytest.fixture
def api(client: httpx.Client, auth: dict[str, str]) -> IngestionCalls:
    """Call the ingestion API with the default tenant's read-write token."""
    return IngestionCalls(client, BASE, lambda: auth)
