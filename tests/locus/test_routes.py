"""Locus routes: tokens, the hierarchy and its 403/404, data available, data, bulk data,
alerts, the one-at-a-time limit and gzip."""

from __future__ import annotations

import asyncio
import base64
import gzip
from typing import Any

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.ratelimit import ConcurrencyLimiter
from standin.locus import LocusApi
from tests.locus.conftest import (
    ADELAIDE,
    CAMELBACK,
    HUDSON,
    INVERTER_E1,
    KAKAAKO,
    MISSION,
    NET_METER,
    OTHER_PARTNER,
    PARTNER,
    PV_METER,
    THEIR_COMPONENT,
    THEIR_SITE,
    WEATHER_STATION,
    password_token,
)

TOKEN = "/locus/oauth/token"


def form(creds: dict[str, Any], **fields: str) -> dict[str, str]:
    return {"client_id": creds["client_id"], "client_secret": creds["client_secret"], **fields}


# --- tokens ----------------------------------------------------------------------------------


def test_password_grant_answers_the_documented_token_object(
    client: httpx.Client, creds: dict[str, Any], sandbox: Sandbox
) -> None:
    body = password_token(client, creds)
    assert list(body) == ["access_token", "issued_at", "token_type", "refresh_token", "expires_in"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["issued_at"] == int(sandbox.clock.time())


def test_a_refresh_token_refreshes_again_and_again_while_it_lives(
    client: httpx.Client, creds: dict[str, Any], sandbox: Sandbox
) -> None:
    refresh = password_token(client, creds)["refresh_token"]
    for _ in range(3):
        sandbox.clock.advance(3600)
        answer = client.post(
            TOKEN, data=form(creds, grant_type="refresh_token", refresh_token=refresh)
        )
        assert answer.status_code == 200
        assert list(answer.json()) == ["access_token", "issued_at", "token_type", "expires_in"]
        site = client.get(
            f"/locus/v3/sites/{MISSION}",
            headers={"Authorization": f"Bearer {answer.json()['access_token']}"},
        )
        assert site.status_code == 200


def test_a_refresh_token_is_refused_after_its_30_days(
    client: httpx.Client, creds: dict[str, Any], sandbox: Sandbox
) -> None:
    refresh = password_token(client, creds)["refresh_token"]
    sandbox.clock.advance(30 * 86400)
    late = client.post(TOKEN, data=form(creds, grant_type="refresh_token", refresh_token=refresh))
    assert late.status_code == 400
    assert late.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.mark.parametrize("grant_type", ["password", "client_credentials"])
def test_the_client_may_authenticate_by_http_basic(
    client: httpx.Client, creds: dict[str, Any], grant_type: str
) -> None:
    fields = {"grant_type": grant_type}
    if grant_type == "password":
        fields |= {"username": creds["username"], "password": creds["password"]}
    response = client.post(
        TOKEN, data=fields, headers=basic(creds["client_id"], creds["client_secret"])
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "access_token" in response.json()


def test_a_refresh_by_http_basic_uses_the_token_of_the_same_client(
    client: httpx.Client, creds: dict[str, Any]
) -> None:
    refresh = password_token(client, creds)["refresh_token"]
    response = client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        headers=basic(creds["client_id"], creds["client_secret"]),
    )
    assert response.status_code == 200
    assert list(response.json()) == ["access_token", "issued_at", "token_type", "expires_in"]


def test_a_wrong_basic_secret_answers_401_with_the_basic_challenge(
    client: httpx.Client, creds: dict[str, Any]
) -> None:
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers=basic(creds["client_id"], "wrong"),
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }
    assert response.headers["www-authenticate"] == 'Basic realm="locusenergy"'
    assert response.headers["cache-control"] == "no-store"


def test_a_wrong_body_secret_answers_401_without_a_challenge(
    client: httpx.Client, creds: dict[str, Any]
) -> None:
    response = client.post(
        TOKEN, data=form(creds, grant_type="client_credentials", client_secret="wrong")
    )
    assert response.status_code == 401
    assert "www-authenticate" not in response.headers


def test_client_credentials_grant_answers_token_issued_at_and_expiry(
    client: httpx.Client, creds: dict[str, Any]
) -> None:
    response = client.post(TOKEN, data=form(creds, grant_type="client_credentials"))
    assert response.status_code == 200
    assert list(response.json()) == ["access_token", "issued_at", "expires_in"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"grant_type": "client_credentials", "client_secret": "wrong"}, 401, "invalid_client"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({}, 400, "invalid_request"),
        ({"grant_type": "password", "username": "solarnoc-demo"}, 400, "invalid_request"),
        ({"grant_type": "password", "username": "x", "password": "y"}, 400, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "never-issued"}, 400, "invalid_grant"),
    ],
)
def test_refused_token_requests_answer_rfc_6749_errors(
    client: httpx.Client, creds: dict[str, Any], fields: dict[str, str], status: int, error: str
) -> None:
    response = client.post(TOKEN, data={**form(creds), **fields})
    assert response.status_code == status
    assert response.json()["error"] == error


def test_token_expires_after_3600_seconds_of_sandbox_time(
    client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    sandbox.clock.advance(3599)
    assert client.get(f"/locus/v3/sites/{MISSION}", headers=auth).status_code == 200
    sandbox.clock.advance(1)
    expired = client.get(f"/locus/v3/sites/{MISSION}", headers=auth)
    assert expired.status_code == 401
    assert expired.json() == {"message": "Unauthorized", "statusCode": 401}
    assert expired.headers["www-authenticate"] == 'Bearer realm="locusenergy"'


def test_no_token_is_401(client: httpx.Client) -> None:
    response = client.get(f"/locus/v3/sites/{MISSION}")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized", "statusCode": 401}


@pytest.mark.anyio
@pytest.mark.parametrize("header", ["Basic c29tZTpvbmU=", "Bearer", "Bearer never-issued"])
async def test_a_credential_that_is_not_a_known_bearer_token_is_401_gzipped_when_accepted(
    sandbox: Sandbox, header: str
) -> None:
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        response = await http.get(
            f"/locus/v3/sites/{MISSION}",
            headers={"Authorization": header, "Accept-Encoding": "gzip"},
        )
    assert response.status_code == 401
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["www-authenticate"] == 'Bearer realm="locusenergy"'
    assert response.json() == {"message": "Unauthorized", "statusCode": 401}


def journal(client: httpx.Client, limit: int) -> list[tuple[str, int, str | None]]:
    """The newest Locus journal entries: path, status and the tenant they were attributed to."""
    entries = client.get("/_sandbox/requests", params={"api": "locus", "limit": limit})
    return [(e["path"], e["status"], e["tenant"]) for e in entries.json()["requests"]]


def test_an_authenticated_request_is_journalled_with_its_tenant(
    client: httpx.Client, auth: dict[str, str]
) -> None:
    client.get(f"/locus/v3/sites/{MISSION}", headers=auth)
    client.get(f"/locus/v3/sites/{THEIR_SITE}", headers=auth)
    client.get(f"/locus/v3/sites/{MISSION}")
    assert journal(client, 4) == [
        (f"/v3/sites/{MISSION}", 401, None),
        (f"/v3/sites/{THEIR_SITE}", 403, "default"),
        (f"/v3/sites/{MISSION}", 200, "default"),
        ("/oauth/token", 200, "default"),  # the tenant's whose client id it sent
    ]


def test_a_request_of_another_tenant_is_journalled_with_that_tenant(
    client: httpx.Client,
) -> None:
    created = client.post("/_sandbox/tenants").json()
    tenant, creds = created["tenant"], created["locus"]
    auth = {"Authorization": f"Bearer {password_token(client, creds)['access_token']}"}
    partner = creds["partner_id"]
    assert client.get(f"/locus/v3/partners/{partner}/sites", headers=auth).status_code == 200
    assert client.get(f"/locus/v3/partners/{PARTNER}/sites", headers=auth).status_code == 404
    assert journal(client, 2) == [
        (f"/v3/partners/{PARTNER}/sites", 404, tenant),
        (f"/v3/partners/{partner}/sites", 200, tenant),
    ]


# --- hierarchy --------------------------------------------------------------------------------


def test_partner_clients_sites_and_components_carry_status_code(api: Any) -> None:
    clients = api.get(f"/partners/{PARTNER}/clients").json()
    assert clients["statusCode"] == 200
    assert [c["id"] for c in clients["clients"]] == [419010, 456, 123]
    assert clients["clients"][0] == {
        "id": 419010,
        "partnerId": PARTNER,
        "tz": "US/Pacific",
        "firstName": "Mission",
        "lastName": "Solar",
        "email": "ops@missionsolar.example",
    }
    sites = api.get("/clients/419010/sites").json()
    assert [s["id"] for s in sites["sites"]] == [MISSION, HUDSON]
    assert all(s["statusCode"] == 200 for s in sites["sites"])
    assert len(api.get(f"/partners/{PARTNER}/sites").json()["sites"]) == 5
    site = api.get(f"/sites/{MISSION}").json()
    assert list(site)[:2] == ["statusCode", "id"]
    assert site["locationTimezone"] == "America/Los_Angeles"


def test_components_nest_under_sites_and_components(api: Any) -> None:
    components = api.get(f"/sites/{MISSION}/components").json()["components"]
    by_id = {c["id"]: c for c in components}
    assert by_id[PV_METER]["parentType"] == "SITE"
    assert by_id[PV_METER]["parentId"] == MISSION
    assert by_id[INVERTER_E1]["parentType"] == "COMPONENT"
    assert by_id[INVERTER_E1]["parentId"] == PV_METER
    assert by_id[PV_METER]["serialNumber"] == "LG120-0001"
    assert "serialNumber" not in by_id[INVERTER_E1]
    client_ids = {c["id"] for c in api.get("/clients/456/components").json()["components"]}
    assert client_ids == {61010, 61011, 61020}
    one = api.get(f"/components/{INVERTER_E1}").json()
    assert one["statusCode"] == 200
    assert one["nodeId"] == "OB.TESTNODE.44"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"nodeId": "OB.TESTNODE.44"}, [INVERTER_E1]),
        ({"nodeId": "OB.TESTNODE.%"}, [INVERTER_E1, 90]),
        ({"nodeId": "%DC9.1"}, [PV_METER]),
        ({"nodeId": "OB.TESTNODE"}, []),
        ({"notes": "%array"}, [INVERTER_E1, 90]),
        ({"notes": "%serial%"}, [61002]),
    ],
)
def test_partner_components_filter_by_node_id_and_notes_with_wildcards(
    api: Any, params: dict[str, str], expected: list[int]
) -> None:
    found = api.get(f"/partners/{PARTNER}/components", **params).json()["components"]
    assert [c["id"] for c in found] == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (f"/partners/{OTHER_PARTNER}/sites", f"partner {OTHER_PARTNER}"),
        ("/clients/500001", "client 500001"),
        (f"/sites/{THEIR_SITE}/components", f"site {THEIR_SITE}"),
        (f"/components/{THEIR_COMPONENT}/dataavailable", f"component {THEIR_COMPONENT}"),
        (f"/components/{THEIR_COMPONENT}/alerts?tz=UTC", f"component {THEIR_COMPONENT}"),
    ],
)
def test_another_partners_ids_are_forbidden(api: Any, path: str, message: str) -> None:
    response = api.get(path)
    assert response.status_code == 403
    assert response.json() == {
        "message": f"You do not have permission to access {message}",
        "statusCode": 403,
    }


def test_the_default_credential_reads_the_references_three_partners(
    api: Any, creds: dict[str, Any]
) -> None:
    assert creds["partner_id"] == PARTNER
    assert creds["partner_ids"] == [PARTNER, 456, 111]
    for partner in creds["partner_ids"]:
        clients = api.get(f"/partners/{partner}/clients").json()["clients"]
        assert clients
        assert {c["partnerId"] for c in clients} == {partner}
    assert api.get("/partners/456/sites").json()["sites"][0]["id"] == 3394001
    assert api.get("/sites/3395001/components").status_code == 200
    assert api.get("/components/61210").json()["siteId"] == 3395002


def test_a_new_tenant_reads_partners_of_its_own(client: httpx.Client) -> None:
    creds = client.post("/_sandbox/tenants").json()["locus"]
    partners = creds["partner_ids"]
    assert creds["partner_id"] == partners[0]
    assert len(set(partners)) == 3
    assert not set(partners) & {PARTNER, 456, 111, OTHER_PARTNER}
    token = client.post(TOKEN, data=form(creds, grant_type="client_credentials")).json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    for partner in partners:
        clients = client.get(f"/locus/v3/partners/{partner}/clients", headers=auth)
        assert clients.status_code == 200
        assert {c["partnerId"] for c in clients.json()["clients"]} == {partner}
    # The default tenant's partners are nobody's here; the fixture's other partner stays 403.
    for partner, status in [(PARTNER, 404), (456, 404), (111, 404), (OTHER_PARTNER, 403)]:
        response = client.get(f"/locus/v3/partners/{partner}/sites", headers=auth)
        assert (response.status_code, response.json()["statusCode"]) == (status, status)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/sites/999", "Site 999 not found"),
        ("/clients/1", "Client 1 not found"),
        ("/components/2/data", "Component 2 not found"),
        ("/partners/77/clients", "Partner 77 not found"),
        ("/nowhere", "Not found"),
    ],
)
def test_unknown_ids_are_404(api: Any, path: str, message: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"message": message, "statusCode": 404}


@pytest.mark.parametrize(
    "path",
    [
        "/sites/" + "9" * 5000,
        "/components/" + "1" + "0" * 5000 + "/data",
        "/partners/" + "9" * 5000 + "/alerts",
        "/sites/-5",
        "/clients/abc",
        "/sites/%C2%B2",
    ],
)
def test_an_id_not_of_ascii_digits_or_past_4300_digits_is_the_routing_404(
    api: Any, path: str
) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"message": "Not found", "statusCode": 404}


def test_an_id_of_4300_digits_is_still_an_unknown_site(api: Any) -> None:
    response = api.get("/sites/" + "9" * 4300)
    assert response.status_code == 404
    assert response.json() == {"message": f"Site {'9' * 4300} not found", "statusCode": 404}


def test_installinfo_and_modelsettings(api: Any) -> None:
    assert api.get(f"/sites/{MISSION}/installinfo").json() == {
        "statusCode": 200,
        "installer": "ABC Solar",
        "installCrew": "Crew 7",
        "installDate": "2019-04-02",
        "ptoDate": "2019-04-12",
        "startupDate": "2019-04-15",
    }
    assert api.get(f"/sites/{KAKAAKO}/installinfo").json() == {"statusCode": 200}
    settings = api.get(f"/sites/{MISSION}/modelsettings").json()
    assert settings["size"] == 108.0
    assert settings["tmy3Id"] == 724940
    assert "tmy3Id" not in api.get(f"/sites/{HUDSON}/modelsettings").json()
    assert "size" not in api.get(f"/sites/{KAKAAKO}/modelsettings").json()


def test_other_methods_are_405_with_allow(client: httpx.Client) -> None:
    response = client.post(f"/locus/v3/sites/{MISSION}")
    assert response.status_code == 405
    assert response.json() == {"message": "Method not allowed", "statusCode": 405}
    assert response.headers["allow"] == "GET, HEAD"


# --- data available ----------------------------------------------------------------------------


def bases(api: Any, path: str) -> list[str]:
    return [field["baseField"] for field in api.get(path).json()["baseFields"]]


def test_data_available_follows_what_each_device_measures(api: Any) -> None:
    assert bases(api, f"/components/{INVERTER_E1}/dataavailable") == [
        "A", "Hz", "PF", "PI_m", "PPV", "PhV", "VA", "VAR", "W", "W_m", "Wh", "Wh_m",
        "WphA", "WphB", "WphC",
    ]  # fmt: skip
    assert bases(api, f"/components/{WEATHER_STATION}/dataavailable") == ["GHI", "GHIh", "TmpAmb"]
    assert bases(api, f"/components/{NET_METER}/dataavailable") == ["W", "Wh"]
    assert "Wh_e" in bases(api, f"/sites/{MISSION}/dataavailable")
    assert "Wh_e" not in bases(api, f"/sites/{HUDSON}/dataavailable")
    assert bases(api, f"/sites/{KAKAAKO}/dataavailable") == []


def test_modeled_fields_list_their_field_parameters(api: Any) -> None:
    fields = api.get(f"/sites/{MISSION}/dataavailable").json()["baseFields"]
    modeled = next(f for f in fields if f["baseField"] == "W_m")
    assert modeled == {
        "baseField": "W_m",
        "longName": "AC Power",
        "source": "Modeled",
        "unit": "W",
        "aggregations": [{"shortName": "W_m_avg", "aggregation": "avg"}],
        "fieldParameters": [
            {"param": "modelType", "values": ["simple", "singleDiode"]},
            {"param": "irradianceSource", "values": ["TMY3", "weatherStation"]},
            {"param": "inverterClipping", "values": ["true", "false"]},
        ],
        "granularities": ["1min", "5min", "15min", "hourly", "daily", "monthly", "yearly"],
    }
    hudson = api.get(f"/sites/{HUDSON}/dataavailable").json()["baseFields"]
    parameters = next(f for f in hudson if f["baseField"] == "W_m")["fieldParameters"]
    assert parameters[1] == {"param": "irradianceSource", "values": ["TMY3"]}


def test_bulk_data_available_is_monthly_only(api: Any) -> None:
    fields = api.get(f"/partners/{PARTNER}/sites/dataavailable").json()["baseFields"]
    assert [f["baseField"] for f in fields] == [
        "Wh", "Whp", "Wh_e", "GHIh_m", "GHIhp_m", "GHIh_t", "EER", "GEER",
    ]  # fmt: skip
    assert all(f["granularities"] == ["monthly"] for f in fields)


# --- data --------------------------------------------------------------------------------------


def data(api: Any, path: str, **params: str) -> httpx.Response:
    return api.get(path, **params)


def test_component_data_answers_like_the_references_example(api: Any) -> None:
    response = data(
        api,
        f"/components/{INVERTER_E1}/data",
        fields="W_avg,Wh_sum",
        start="2024-04-01T12:00:00",
        end="2024-04-01T14:00:00",
        tz="US/Pacific",
        gran="hourly",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["statusCode"] == 200
    assert [row["ts"] for row in body["data"]] == [
        "2024-04-01T12:00:00-07:00",
        "2024-04-01T13:00:00-07:00",
    ]
    for row in body["data"]:
        assert list(row) == ["id", "ts", "W_avg", "Wh_sum"]
        assert row["id"] == INVERTER_E1
        assert row["W_avg"] == pytest.approx(row["Wh_sum"], abs=0.01)  # one hour
        assert row["W_avg"] > 1000


def test_rows_before_any_data_carry_only_id_and_ts(api: Any) -> None:
    rows = data(
        api,
        f"/components/{PV_METER}/data",
        fields="Wh_sum",
        start="2017-01-01T00:00:00",
        end="2021-01-01T00:00:00",
        tz="UTC",
        gran="yearly",
    ).json()["data"]
    assert rows[0] == {"id": PV_METER, "ts": "2017-01-01T00:00:00+00:00"}
    assert rows[1] == {"id": PV_METER, "ts": "2018-01-01T00:00:00+00:00"}
    assert rows[2]["Wh_sum"] > 0  # 2019: installed in April
    assert rows[3]["Wh_sum"] > rows[2]["Wh_sum"]


def test_timestamps_are_in_the_asked_zone_with_its_offset(api: Any) -> None:
    for tz, first in [
        ("US/Eastern", "2024-07-01T00:00:00-04:00"),
        ("Australia/Adelaide", "2024-07-01T00:00:00+09:30"),
        ("UTC", "2024-07-01T00:00:00+00:00"),
    ]:
        rows = data(
            api,
            f"/sites/{ADELAIDE}/data",
            fields="Wh_sum",
            start="2024-07-01T00:00:00",
            end="2024-07-01T03:00:00",
            tz=tz,
            gran="hourly",
        ).json()["data"]
        assert rows[0]["ts"] == first
        assert len(rows) == 3


@pytest.mark.parametrize(
    ("gran", "end", "status"),
    [
        ("1min", "2024-06-05T23:59:59", 200),
        ("1min", "2024-06-06T00:00:00", 400),
        ("5min", "2024-07-01T23:59:59", 200),
        ("5min", "2024-07-02T00:00:00", 400),
        ("15min", "2024-07-02T00:00:00", 400),
        ("hourly", "2024-07-02T00:00:00", 400),
        ("daily", "2025-05-31T23:59:59", 200),
        ("daily", "2025-06-01T00:00:00", 400),
        ("monthly", "2034-06-01T00:00:00", 200),
    ],
)
def test_time_period_limits_per_granularity(api: Any, gran: str, end: str, status: int) -> None:
    response = data(
        api,
        f"/components/{INVERTER_E1}/data",
        fields="Wh_sum",
        start="2024-06-01T00:00:00",
        end=end,
        tz="UTC",
        gran=gran,
    )
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["statusCode"] == 400


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fields": "Nope_avg"}, "Invalid field: Nope_avg"),
        ({"fields": "GHI_avg"}, "Invalid field: GHI_avg"),
        ({"tz": "Mars/Olympus_Mons"}, "Invalid tz: Mars/Olympus_Mons"),
        ({"tz": "../../etc/passwd"}, "Invalid tz: ../../etc/passwd"),
        ({"gran": "weekly"}, "Invalid gran: weekly"),
        ({"start": "2024-06-01"}, "start must be formatted YYYY-MM-DDThh:mm:ss"),
        ({"end": "2024-05-01T00:00:00"}, "end must be after start"),
        ({"fields": "W_m_avg"}, "modelType is required for modeled fields"),
        ({"fields": "W_avg", "gran": "latest", "tz": ""}, "tz is required"),
    ],
)
def test_bad_data_parameters_are_400(api: Any, params: dict[str, str], message: str) -> None:
    query = {
        "fields": "W_avg",
        "start": "2024-06-01T00:00:00",
        "end": "2024-06-02T00:00:00",
        "tz": "UTC",
        "gran": "hourly",
        **params,
    }
    response = data(api, f"/components/{INVERTER_E1}/data", **query)
    assert response.status_code == 400
    assert response.json() == {"message": message, "statusCode": 400}


def test_modeled_fields_need_listed_parameter_values(api: Any) -> None:
    query = {
        "fields": "W_m_avg",
        "start": "2024-06-01T00:00:00",
        "end": "2024-06-02T00:00:00",
        "tz": "UTC",
        "gran": "hourly",
        "modelType": "simple",
        "inverterClipping": "true",
    }
    hudson = data(api, f"/sites/{HUDSON}/data", irradianceSource="weatherStation", **query)
    assert hudson.status_code == 400
    assert (
        hudson.json()["message"] == "Invalid irradianceSource: weatherStation. Valid values: TMY3"
    )
    mission = data(api, f"/sites/{MISSION}/data", irradianceSource="weatherStation", **query)
    assert mission.status_code == 200
    clipped = [row.get("W_m_avg", 0) for row in mission.json()["data"]]
    assert max(clipped) <= 100000  # two 50 kW inverters
    assert max(clipped) > 0


def test_latest_ignores_start_and_end_and_is_for_components_only(
    api: Any, sandbox: Sandbox
) -> None:
    latest = data(
        api,
        f"/components/{INVERTER_E1}/data",
        fields="W_avg,Wh_sum",
        tz="UTC",
        gran="latest",
        start="nonsense",
    ).json()["data"]
    assert latest == [
        {
            "id": INVERTER_E1,
            "ts": "2026-11-20T11:59:00+00:00",
            **{k: latest[0][k] for k in ("W_avg", "Wh_sum")},
        }
    ]
    site = data(api, f"/sites/{MISSION}/data", fields="W_avg", tz="UTC", gran="latest")
    assert site.status_code == 400
    assert site.json()["message"] == "Invalid gran: latest"


def test_fields_not_available_at_a_granularity_are_400(api: Any) -> None:
    response = data(
        api,
        f"/sites/{MISSION}/data",
        fields="Wh_e_sum",
        start="2024-06-01T00:00:00",
        end="2024-06-02T00:00:00",
        tz="UTC",
        gran="hourly",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Field Wh_e_sum is not available at hourly granularity"


def test_only_completed_minutes_have_values(api: Any, sandbox: Sandbox) -> None:
    query = {
        "fields": "Wh_sum",
        "start": "2026-11-20T11:00:00",
        "end": "2026-11-20T14:00:00",
        "tz": "UTC",
        "gran": "hourly",
    }
    rows = data(api, f"/components/{INVERTER_E1}/data", **query).json()["data"]
    assert [list(row) for row in rows] == [["id", "ts", "Wh_sum"], ["id", "ts"], ["id", "ts"]]
    sandbox.clock.advance(30)  # 12:01:00: the first minute of 12:00 is complete
    rows = data(api, f"/components/{INVERTER_E1}/data", **query).json()["data"]
    assert [list(row) for row in rows] == [
        ["id", "ts", "Wh_sum"],
        ["id", "ts", "Wh_sum"],
        ["id", "ts"],
    ]


# --- bulk data ---------------------------------------------------------------------------------

BULK_FIELDS = "Wh_sum,Whp_sum,Wh_e_sum,GHIh_m_sum,GHIhp_m_sum,GHIh_t_sum,EER_avg,GEER_avg"


def bulk(api: Any, **params: str) -> httpx.Response:
    query = {"fields": "Wh_sum", "tz": "UTC", "gran": "monthly", **params}
    return api.get(f"/partners/{PARTNER}/sites/data", **query)


def test_bulk_data_goes_site_by_site_and_skips_sites_without_components(api: Any) -> None:
    rows = bulk(api, start="2024-03-15T00:00:00", end="2024-05-02T00:00:00").json()["data"]
    assert [(r["id"], r["ts"]) for r in rows] == [
        (site, ts)
        for site in (MISSION, HUDSON, CAMELBACK, ADELAIDE)
        for ts in ("2024-04-01T00:00:00+00:00", "2024-05-01T00:00:00+00:00")
    ]


def test_bulk_data_nulls_the_fields_a_site_cannot_have(api: Any) -> None:
    rows = bulk(
        api, fields=BULK_FIELDS, start="2024-04-01T00:00:00", end="2024-05-01T00:00:00"
    ).json()["data"]
    hudson = next(r for r in rows if r["id"] == HUDSON)
    for name in ("Wh_e_sum", "GHIh_t_sum", "EER_avg", "GEER_avg"):
        assert hudson[name] is None
    assert hudson["Wh_sum"] > 0
    mission = next(r for r in rows if r["id"] == MISSION)
    assert mission["EER_avg"] == pytest.approx(mission["Whp_sum"] / mission["Wh_e_sum"], abs=1e-3)


def test_bulk_prorates_from_the_startup_date(api: Any) -> None:
    rows = bulk(
        api, fields="Wh_sum,Whp_sum,GHIh_m_sum,GHIhp_m_sum", start="2019-03-01T00:00:00",
        end="2019-06-01T00:00:00", tz="America/Los_Angeles",
    ).json()["data"]  # fmt: skip
    mission = [r for r in rows if r["id"] == MISSION]
    assert list(mission[0]) == ["id", "ts"]  # before installation
    april, may = mission[1], mission[2]
    assert 0 < april["Whp_sum"] < april["Wh_sum"]  # installed 2 April, started up 15 April
    assert 0 < april["GHIhp_m_sum"] < april["GHIh_m_sum"]
    assert may["Whp_sum"] == may["Wh_sum"]


def test_bulk_without_startup_date_counts_whole_months_from_first_energy(api: Any) -> None:
    rows = bulk(
        api, fields="Wh_sum,Whp_sum,GHIh_m_sum", start="2021-05-01T00:00:00",
        end="2021-08-01T00:00:00", tz="America/New_York",
    ).json()["data"]  # fmt: skip
    hudson = [r for r in rows if r["id"] == HUDSON]
    assert list(hudson[0]) == ["id", "ts"]
    june = hudson[1]
    assert june["Whp_sum"] == june["Wh_sum"]  # installed 10 June: the whole month counts
    assert june["GHIh_m_sum"] > 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"gran": "daily"}, "Only monthly granularity is supported for bulk data"),
        ({"end": "2025-01-01T00:00:01"}, "end can be at most 1 year after start"),
        ({"fields": "W_avg"}, "Invalid field: W_avg"),
    ],
)
def test_bulk_limits_are_400(api: Any, params: dict[str, str], message: str) -> None:
    query = {"start": "2024-01-01T00:00:00", "end": "2025-01-01T00:00:00", **params}
    response = bulk(api, **query)
    assert response.status_code == 400
    assert response.json() == {"message": message, "statusCode": 400}


def test_bulk_allows_exactly_one_year(api: Any) -> None:
    response = bulk(api, start="2024-01-01T00:00:00", end="2025-01-01T00:00:00")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 4 * 12


# --- alerts ------------------------------------------------------------------------------------


def alert_ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [alert["id"] for alert in response.json()["alerts"]]


def test_partner_alerts_need_updated_since_or_an_open_during_window(api: Any) -> None:
    path = f"/partners/{PARTNER}/alerts"
    missing = api.get(path, tz="UTC")
    assert missing.status_code == 400
    assert missing.json()["message"] == (
        "Either updatedSince or both openDuringMin and openDuringMax are required"
    )
    old = api.get(path, tz="UTC", updatedSince="2026-11-13T11:00:00")
    assert old.json() == {
        "message": "updatedSince is limited to up to 7 days ago",
        "statusCode": 400,
    }
    assert alert_ids(api.get(path, tz="UTC", updatedSince="2026-11-13T13:00:00")) == [
        1006, 999, 78, 1001, 1003, 1004,
    ]  # fmt: skip
    assert alert_ids(api.get(path, tz="UTC", updatedSince="2026-11-17T08:00:00")) == [
        999, 1001, 1003, 1004,
    ]  # fmt: skip
    wide = api.get(
        path, tz="UTC", openDuringMin="2026-10-01T00:00:00", openDuringMax="2026-11-01T00:00:01"
    )
    assert wide.json()["message"] == "Open during time period is limited to 31 days"
    window = api.get(
        path, tz="UTC", openDuringMin="2026-11-17T05:00:00", openDuringMax="2026-11-17T06:00:00"
    )
    assert alert_ids(window) == [999, 78]


def test_alerts_need_a_time_zone_and_render_in_it(api: Any) -> None:
    assert api.get(f"/sites/{MISSION}/alerts").json() == {
        "message": "tz is required",
        "statusCode": 400,
    }
    utc = api.get("/components/90/alerts", tz="UTC").json()["alerts"]
    assert utc == [
        {
            "id": 78,
            "componentId": 90,
            "componentName": "AE Inverter W1",
            "siteId": MISSION,
            "siteName": "Mission St Rooftop",
            "alertType": "Device Fault",
            "priority": "Medium",
            "start": "2026-11-17T04:00:00-00:00",
            "end": "2026-11-17T07:00:00-00:00",
            "updated": "2026-11-17T07:00:00-00:00",
            "descriptionShort": "VDC high",
            "descriptionLong": (
                "A voltage higher than 2100 V is present on the DC bus. (Resettable)"
            ),
        }
    ]
    pacific = api.get("/components/90/alerts", tz="US/Pacific").json()["alerts"][0]
    assert pacific["start"] == "2026-11-16T20:00:00-08:00"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [1006, 999, 78, 1001]),
        ({"status": "open"}, [1001]),
        ({"status": "closed"}, [1006, 999, 78]),
        ({"alertType": "Device Fault,Zero Generation"}, [1006, 78, 1001]),
        ({"priority": "high"}, [999, 1001]),
        ({"priority": "low,medium"}, [1006, 78]),
        ({"updatedSince": "2026-11-18T00:00:00"}, [999, 1001]),
    ],
)
def test_site_alert_filters(api: Any, params: dict[str, str], expected: list[int]) -> None:
    assert alert_ids(api.get(f"/sites/{MISSION}/alerts", tz="UTC", **params)) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"priority": "High"}, "Invalid priority: High. Valid values: high, medium, low"),
        ({"status": "pending"}, "Invalid status: pending. Valid values: open, closed"),
        (
            {"openDuringMin": "2026-11-01T00:00:00"},
            "openDuringMin and openDuringMax must be given together",
        ),
        ({"updatedSince": "yesterday"}, "updatedSince must be formatted YYYY-MM-DDThh:mm:ss"),
    ],
)
def test_bad_alert_filters_are_400(api: Any, params: dict[str, str], message: str) -> None:
    response = api.get(f"/sites/{MISSION}/alerts", tz="UTC", **params)
    assert response.status_code == 400
    assert response.json() == {"message": message, "statusCode": 400}


def test_only_device_faults_carry_descriptions(api: Any) -> None:
    alerts = api.get(f"/partners/{PARTNER}/alerts", tz="UTC", updatedSince="2026-11-14T00:00:00")
    for alert in alerts.json()["alerts"]:
        if alert["alertType"] != "Device Fault":
            assert "descriptionShort" not in alert
            assert "descriptionLong" not in alert


def test_alerts_open_and_close_as_sandbox_time_passes(
    client: httpx.Client, creds: dict[str, Any], sandbox: Sandbox
) -> None:
    path = "/locus/v3/components/61020/alerts"

    def get(**params: str) -> httpx.Response:
        token = password_token(client, creds)["access_token"]  # hours pass: a fresh token
        return client.get(
            path, params={"tz": "UTC", **params}, headers={"Authorization": f"Bearer {token}"}
        )

    assert alert_ids(get()) == []
    sandbox.clock.advance(2 * 3600)
    opened = get().json()["alerts"]
    assert [(a["id"], "end" in a) for a in opened] == [(1005, False)]
    assert opened[0]["updated"] == "2026-11-20T14:00:00-00:00"
    sandbox.clock.advance(3 * 3600)
    closed = get(status="closed").json()["alerts"]
    assert [(a["id"], a["end"], a["updated"]) for a in closed] == [
        (1005, "2026-11-20T17:00:00-00:00", "2026-11-20T17:00:00-00:00")
    ]


def test_the_control_plane_raises_an_alert(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    raised = client.post(
        "/_sandbox/locus/alerts",
        json={"componentId": 123, "alertType": "Zero Generation", "priority": "Low",
              "durationSeconds": 600},
    )  # fmt: skip
    assert raised.status_code == 201
    alert = raised.json()
    assert alert["componentId"] == 123
    assert alert["start"] == "2026-11-20T12:00:30-00:00"
    found = api.get(f"/sites/{HUDSON}/alerts", tz="UTC", status="open").json()["alerts"]
    assert alert in found
    sandbox.clock.advance(600)
    assert alert["id"] not in alert_ids(api.get(f"/sites/{HUDSON}/alerts", tz="UTC", status="open"))
    assert (
        client.post("/_sandbox/locus/alerts", json={"componentId": THEIR_COMPONENT}).status_code
        == 404
    )
    bad = client.post("/_sandbox/locus/alerts", json={"componentId": 123, "priority": "urgent"})
    assert bad.status_code == 400


# --- one request at a time -----------------------------------------------------------------


def client_token(sandbox: Sandbox, creds: dict[str, Any]) -> str:
    """An access token of the default tenant's OAuth client, as the token endpoint issues it."""
    issuer = sandbox.vendor(LocusApi).issuer
    client_id = creds["client_id"]
    return issuer.issue(tenant_id="default", subject=client_id, client_id=client_id).value


def _site_request(token: str, accept_encoding: str = "identity") -> dict[str, Any]:
    """The ASGI scope of ``GET /locus/v3/sites/{MISSION}`` with ``token``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("standin.test", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
        "path": f"/locus/v3/sites/{MISSION}",
        "raw_path": f"/locus/v3/sites/{MISSION}".encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"standin.test"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"accept-encoding", accept_encoding.encode()),
        ],
    }


async def _hold_and_overlap(
    sandbox: Sandbox, token: str, overlap: int = 1, accept_encoding: str = "identity"
) -> list[int]:
    """Start a request whose response is held half-sent, send ``overlap`` more meanwhile,
    then let the first finish. Returns the statuses, first request's first."""
    app = build_app(sandbox)
    started = asyncio.Event()
    release = asyncio.Event()
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def held_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
            started.set()
            await release.wait()

    scope = _site_request(token, accept_encoding)
    first = asyncio.create_task(app(scope, receive, held_send))
    await asyncio.wait_for(started.wait(), 5)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as other:
        for _ in range(overlap):
            response = await other.get(
                f"/locus/v3/sites/{MISSION}", headers={"Authorization": f"Bearer {token}"}
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert response.json() == {"message": "Too many requests", "statusCode": 429}
                assert "retry-after" not in response.headers  # the reference shows none
    release.set()
    await first
    return statuses


@pytest.mark.anyio
async def test_two_overlapping_requests_of_one_credential_get_exactly_one_429(
    sandbox: Sandbox, creds: dict[str, Any]
) -> None:
    token = client_token(sandbox, creds)
    assert await _hold_and_overlap(sandbox, token) == [200, 429]
    # Once the first is done, the next is served.
    assert await _hold_and_overlap(sandbox, token, overlap=0) == [200]


@pytest.mark.anyio
async def test_a_request_while_a_gzipped_answer_is_still_being_sent_gets_429(
    sandbox: Sandbox, creds: dict[str, Any]
) -> None:
    """Compression holds an answer back until its body is complete: the place is held until
    the compressed bytes leave, not only until the handler is done."""
    token = client_token(sandbox, creds)
    assert await _hold_and_overlap(sandbox, token, accept_encoding="gzip") == [200, 429]
    assert await _hold_and_overlap(sandbox, token, overlap=0, accept_encoding="gzip") == [200]


@pytest.mark.anyio
@pytest.mark.parametrize("accept_encoding", ["identity", "gzip"])
async def test_an_answer_gives_its_place_back_before_its_last_byte_so_the_next_request_is_served(
    sandbox: Sandbox, creds: dict[str, Any], accept_encoding: str
) -> None:
    """A client that sends its next request the moment an answer is complete must never find
    its own finished request still holding the one place."""
    limiter = sandbox.limits.get("locus", "concurrency")
    assert isinstance(limiter, ConcurrencyLimiter)
    token = client_token(sandbox, creds)
    in_flight_at_the_end: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            in_flight_at_the_end.append(limiter.in_flight(creds["client_id"]))

    await build_app(sandbox)(_site_request(token, accept_encoding), receive, send)
    assert in_flight_at_the_end == [0]


@pytest.mark.anyio
async def test_the_account_manager_can_raise_the_concurrency(
    sandbox: Sandbox, creds: dict[str, Any]
) -> None:
    sandbox.limits.configure({"locus": {"concurrency": {"limit": 2}}})
    token = client_token(sandbox, creds)
    assert await _hold_and_overlap(sandbox, token) == [200, 200]


def test_the_limit_is_listed_and_changeable_on_the_control_plane(client: httpx.Client) -> None:
    limits = client.get("/_sandbox/limits").json()["locus"]["concurrency"]
    assert limits["kind"] == "concurrency"
    assert limits["limit"] == 1
    changed = client.patch("/_sandbox/limits", json={"locus": {"concurrency": {"limit": 3}}})
    assert changed.json()["locus"]["concurrency"]["limit"] == 3


# --- gzip --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_responses_are_gzipped_when_accepted(sandbox: Sandbox, creds: dict[str, Any]) -> None:
    token = client_token(sandbox, creds)
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        async with http.stream(
            "GET", f"/locus/v3/sites/{MISSION}/alerts?tz=UTC", headers=headers
        ) as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(raw).startswith(b'{"statusCode":200,"alerts":[')
        plain = await http.get(
            f"/locus/v3/sites/{MISSION}",
            headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
        )
        assert "content-encoding" not in plain.headers
