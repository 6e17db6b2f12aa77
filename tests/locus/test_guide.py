"""Every example request of the reference, sent to the fake, answers in the documented shape
(validated against the contract's 200 schema for its operation)."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from standin import Sandbox, contracts

CONTRACT = contracts.load("locus")

EXAMPLES = [
    ("/v3/sites/{siteId}/alerts", "/v3/sites/123/alerts?tz=UTC"),
    ("/v3/partners/{partnerId}/components", "/v3/partners/123/components?nodeId=OB.TESTNODE.44"),
    ("/v3/components/{componentId}/dataavailable", "/v3/components/54369/dataavailable"),
    (
        "/v3/components/{componentId}/data",
        "/v3/components/54369/data?start=2014-01-01T00:00:00&end=2014-03-01T00:00:00"
        "&tz=US/Pacific&gran=monthly&fields=W_avg,Wh_sum",
    ),
    (
        "/v3/components/{componentId}/data",
        "/v3/components/54369/data?start=2000-01-01T00:00:00&end=2030-01-01T00:00:00"
        "&tz=UTC&gran=yearly&fields=Wh_sum",
    ),
    ("/v3/partners/{partnerId}/sites", "/v3/partners/123/sites"),
    ("/v3/sites/{siteId}/components", "/v3/sites/789/components"),
    ("/v3/components/{componentId}", "/v3/components/54369"),
    ("/v3/sites/{siteId}/components", "/v3/sites/3393714/components"),
    ("/v3/clients/{clientId}/components", "/v3/clients/419010/components"),
    ("/v3/partners/{partnerId}/components", "/v3/partners/123/components"),
    ("/v3/sites/{siteId}", "/v3/sites/123"),
    ("/v3/clients/{clientId}/sites", "/v3/clients/456/sites"),
    ("/v3/sites/{siteId}/installinfo", "/v3/sites/123/installinfo"),
    ("/v3/sites/{siteId}/modelsettings", "/v3/sites/123/modelsettings"),
    ("/v3/clients/{clientId}", "/v3/clients/123"),
    ("/v3/components/{componentId}/dataavailable", "/v3/components/123/dataavailable"),
    ("/v3/sites/{siteId}/dataavailable", "/v3/sites/123/dataavailable"),
    (
        "/v3/components/{componentId}/data",
        "/v3/components/123/data?fields=W_avg,Wh_sum&start=2014-04-01T12:00:00"
        "&end=2014-04-01T13:00:00&tz=US/Pacific&gran=hourly",
    ),
    (
        "/v3/sites/{siteId}/data",
        "/v3/sites/123/data?fields=W_avg,Wh_sum&start=2014-04-01T12:00:00"
        "&end=2014-04-01T13:01:00&tz=US/Pacific&gran=hourly",
    ),
    (
        "/v3/partners/{partnerId}/alerts",
        "/v3/partners/123/alerts?openDuringMin=2015-09-01T00:00:00"
        "&openDuringMax=2015-10-01T00:00:00&tz=US/Pacific",
    ),
    ("/v3/sites/{siteId}/alerts", "/v3/sites/123/alerts?updatedSince=2014-11-20T00:00:00&tz=UTC"),
    (
        "/v3/sites/{siteId}/alerts",
        "/v3/sites/123/alerts?openDuringMin=2014-09-01T00:00:00"
        "&openDuringMax=2015-10-01T00:00:00&tz=US/Pacific",
    ),
    ("/v3/components/{componentId}/alerts", "/v3/components/123/alerts?tz=UTC"),
    (
        "/v3/components/{componentId}/alerts",
        "/v3/components/90/alerts?updatedSince=2014-11-20T00:00:00&tz=UTC",
    ),
    (
        "/v3/components/{componentId}/alerts",
        "/v3/components/123/alerts?openDuringMin=2014-09-01T00:00:00"
        "&openDuringMax=2015-10-01T00:00:00&tz=US/Pacific",
    ),
    ("/v3/partners/{partnerId}/sites", "/v3/partners/456/sites"),
    ("/v3/partners/{partnerId}/clients", "/v3/partners/456/clients"),
    ("/v3/partners/{partnerId}/sites/dataavailable", "/v3/partners/111/sites/dataavailable"),
    (
        "/v3/partners/{partnerId}/sites/data",
        "/v3/partners/111/sites/data?start=2014-04-01T00:00:00&end=2014-05-01T01:00:00"
        "&tz=US/Pacific&gran=monthly&fields=Wh_sum",
    ),
]
"""The 30 example requests of the reference, in its order but for the last four: those use
partners 456 and 111, which the default credential reads beside 123."""


def schema_of(operation: str) -> dict[str, Any]:
    response = CONTRACT["paths"][operation]["get"]["responses"]["200"]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return {**schema, "components": CONTRACT["components"]}


@pytest.mark.parametrize(("operation", "url"), EXAMPLES, ids=[url for _, url in EXAMPLES])
def test_the_references_example_requests_answer_in_the_documented_shape(
    client: httpx.Client, auth: dict[str, str], operation: str, url: str
) -> None:
    response = client.get(f"/locus{url}", headers={**auth, "Accept": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["statusCode"] == 200
    jsonschema.validate(body, schema_of(operation), cls=jsonschema.Draft202012Validator)


def test_the_partner_alerts_example_answers_at_its_assumed_time(
    client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    """ "Assume the current time is 2015-11-26T00:00:00": updatedSince is then 6 days back."""
    fresh = client.post("/_sandbox/tenants").json()
    tenant = fresh["tenant"]
    client.post(f"/_sandbox/clock?tenant={tenant}", json={"set": "2015-11-26T00:00:00Z"})
    # Reset on its own clock, the tenant has its alerts placed around 2015-11-26.
    assert client.post(f"/_sandbox/reset?tenant={tenant}").status_code == 200
    creds = fresh["locus"]
    token = client.post(
        "/locus/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    ).json()["access_token"]
    response = client.get(
        f"/locus/v3/partners/{creds['partner_id']}/alerts",
        params={"updatedSince": "2015-11-20T00:00:00", "tz": "UTC"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, schema_of("/v3/partners/{partnerId}/alerts"))
    assert [a["start"][:10] for a in body["alerts"]][:2] == ["2015-11-21", "2015-11-22"]


def test_there_are_thirty_example_requests() -> None:
    assert len(EXAMPLES) == 30
    assert len(set(EXAMPLES)) == 30


def test_the_partner_examples_answer_each_partners_own_entities(
    client: httpx.Client, auth: dict[str, str]
) -> None:
    def get(url: str) -> dict[str, Any]:
        response = client.get(f"/locus{url}", headers=auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    clients = get("/v3/partners/456/clients")["clients"]
    assert [(c["id"], c["partnerId"]) for c in clients] == [(789, 456), (419020, 456)]
    sites = get("/v3/partners/456/sites")["sites"]
    assert [(s["id"], s["clientId"]) for s in sites] == [
        (3394001, 789),
        (3394002, 789),
        (3394003, 419020),
    ]
    rows = get(
        "/v3/partners/111/sites/data?start=2014-04-01T00:00:00&end=2014-05-01T01:00:00"
        "&tz=US/Pacific&gran=monthly&fields=Wh_sum"
    )["data"]
    assert [(r["id"], r["ts"]) for r in rows] == [
        (3395001, "2014-04-01T00:00:00-07:00"),
        (3395001, "2014-05-01T00:00:00-07:00"),
        (3395002, "2014-04-01T00:00:00-07:00"),
        (3395002, "2014-05-01T00:00:00-07:00"),
    ]
    april = [r["Wh_sum"] for r in rows if r["ts"].startswith("2014-04")]
    assert all(value > 1_000_000 for value in april)


# --- the three token requests, verbatim but for their placeholders ---------------------------

PASSWORD_EXAMPLE = (
    "grant_type=password&client_id=CLIENT_ID&client_secret=CLIENT_SECRET"
    "&username=USERNAME&password=PASSWORD"
)
REFRESH_EXAMPLE = (
    "grant_type=refresh_token&client_id=CLIENT_ID&client_secret=CLIENT_SECRET"
    "&refresh_token=REFRESH_TOKEN"
)
CLIENT_CREDENTIALS_EXAMPLE = (
    "grant_type=client_credentials&client_id=YOUR_CLIENT_ID&client_secret=YOUR_CLIENT_SECRET"
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def filled(example: str, creds: dict[str, Any], **more: str) -> str:
    values = {
        "YOUR_CLIENT_ID": creds["client_id"],
        "YOUR_CLIENT_SECRET": creds["client_secret"],
        "CLIENT_ID": creds["client_id"],
        "CLIENT_SECRET": creds["client_secret"],
        "USERNAME": creds["username"],
        "PASSWORD": creds["password"],
        **more,
    }
    for placeholder, value in values.items():  # longest first: YOUR_CLIENT_ID before CLIENT_ID
        example = example.replace(placeholder, value)
    return example


def test_the_references_token_requests_answer_the_documented_objects(
    client: httpx.Client, creds: dict[str, Any], sandbox: Sandbox
) -> None:
    login = client.post("/locus/oauth/token", content=filled(PASSWORD_EXAMPLE, creds), headers=FORM)
    assert login.status_code == 200
    body = login.json()
    assert list(body) == ["access_token", "issued_at", "token_type", "refresh_token", "expires_in"]
    assert (body["token_type"], body["expires_in"]) == ("bearer", 3600)
    assert body["issued_at"] == int(sandbox.clock.time())

    refresh = filled(REFRESH_EXAMPLE, creds, REFRESH_TOKEN=body["refresh_token"])
    for _ in range(2):  # "Once the access_token expires, you can refresh it": each time
        sandbox.clock.advance(3600)
        refreshed = client.post("/locus/oauth/token", content=refresh, headers=FORM)
        assert refreshed.status_code == 200
        assert list(refreshed.json()) == ["access_token", "issued_at", "token_type", "expires_in"]

    backend = client.post(
        "/locus/oauth/token", content=filled(CLIENT_CREDENTIALS_EXAMPLE, creds), headers=FORM
    )
    assert backend.status_code == 200
    assert list(backend.json()) == ["access_token", "issued_at", "expires_in"]
    assert backend.json()["expires_in"] == 3600
