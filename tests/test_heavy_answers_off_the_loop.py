"""Answers whose making grows with what they hold are made on a worker thread, encoding
included: while one is held there, a cheap request of the same sandbox is answered. Atrius'
long series has its own test (tests/atrius/test_data_off_the_loop.py); these are Locus' data
rows, Atmotube's readings, Metasys certificate parsing and every API's contract."""

from __future__ import annotations

import threading

import anyio
import httpx
import pytest

from standin import Sandbox, build_app
from standin._core import contracts
from standin.atmotube import routes as atmotube_routes
from standin.locus import routes as locus_routes
from standin.metasys.handlers import certificates as metasys_certificates
from tests.conftest import bridged_client
from tests.locus.conftest import INVERTER_E1
from tests.metasys.test_certificates import OCTETS
from tests.metasys.test_certificates import PARAMETERS as CERTIFICATE_REQUEST
from tests.offloop_support import heavy_and_cheap, holding
from tests.vendor_calls import METASYS, metasys_id, metasys_token


def locus_token(sandbox: Sandbox) -> dict[str, str]:
    creds = sandbox.credentials()["locus"]
    form = {
        "grant_type": "password",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "username": creds["username"],
        "password": creds["password"],
    }
    with bridged_client(build_app(sandbox)) as client:
        token = client.post("/locus/oauth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.anyio
async def test_locus_data_rows_are_made_and_encoded_while_the_loop_answers_others(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = await anyio.to_thread.run_sync(locus_token, sandbox)
    params = {"fields": "W_avg,Wh_sum", "gran": "hourly", "tz": "UTC"}
    params |= {"start": "2023-06-01T00:00:00", "end": "2023-06-03T00:00:00"}
    with holding(monkeypatch, locus_routes, "encoded_data") as held:
        answer, cheap, while_held = await heavy_and_cheap(
            sandbox,
            held,
            lambda http: http.get(
                f"/locus/v3/components/{INVERTER_E1}/data", params=params, headers=auth
            ),
        )
    assert (cheap.status_code, while_held, held.waited) == (200, True, [True])
    assert held.ran_on != [threading.main_thread().name]
    assert answer.status_code == 200
    body = answer.json()
    assert (body["statusCode"], len(body["data"])) == (200, 48)
    assert body["data"][0]["ts"] == "2023-06-01T00:00:00+00:00"


@pytest.mark.anyio
async def test_a_locus_refusal_found_on_the_worker_is_still_the_vendors_error(
    sandbox: Sandbox,
) -> None:
    auth = await anyio.to_thread.run_sync(locus_token, sandbox)
    params = {"fields": "NoSuchField", "gran": "hourly", "tz": "UTC"}
    params |= {"start": "2023-06-01T00:00:00", "end": "2023-06-03T00:00:00"}
    transport = httpx.ASGITransport(app=build_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
        answer = await http.get(
            f"/locus/v3/components/{INVERTER_E1}/data", params=params, headers=auth
        )
    assert answer.status_code == 400
    assert answer.json() == {"message": "Invalid field: NoSuchField", "statusCode": 400}


@pytest.mark.anyio
async def test_atmotube_readings_are_made_and_encoded_while_the_loop_answers_others(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = sandbox.credentials()["atmotube"]
    params = {"api_key": creds["api_key"], "mac": creds["macs"][0], "date": "2022-06-13"}
    with holding(monkeypatch, atmotube_routes, "render_json") as held:
        answer, cheap, while_held = await heavy_and_cheap(
            sandbox, held, lambda http: http.get("/atmotube/api/v1/data", params=params)
        )
    assert (cheap.status_code, while_held, held.waited) == (200, True, [True])
    assert held.ran_on != [threading.main_thread().name]
    assert answer.status_code == 200
    assert answer.json()["status"] == 0


@pytest.mark.anyio
@pytest.mark.parametrize("api", ["atrius", "buildingminds", "locus", "metasys", "atmotube"])
async def test_a_contract_is_rendered_while_the_loop_answers_others(
    api: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with holding(monkeypatch, contracts, "encoded") as held:
        answer, cheap, while_held = await heavy_and_cheap(
            sandbox, held, lambda http: http.get(f"/{api}/openapi.json")
        )
    assert (cheap.status_code, while_held, held.waited) == (200, True, [True])
    assert held.ran_on != [threading.main_thread().name]
    assert answer.status_code == 200
    assert answer.json()["servers"][0] == {
        "url": f"http://standin.test/{api}",
        "description": "this standin sandbox",
    }


def metasys_engine_with_a_signing_request(sandbox: Sandbox) -> tuple[dict[str, str], str]:
    """A Metasys bearer token, and an engine that has a signing request to answer."""
    with bridged_client(build_app(sandbox)) as client:
        auth = {
            "Authorization": f"Bearer {metasys_token(client, sandbox.credentials()['metasys'])}"
        }
        device = metasys_id(client, auth, "ADS1:NAE-1")
        made = client.post(
            f"{METASYS}/networkDevices/{device}/signingRequests/bacnet",
            json=CERTIFICATE_REQUEST,
            headers=auth,
        )
        assert made.status_code in (200, 201), made.text
    return auth, device


@pytest.mark.anyio
async def test_a_metasys_certificate_is_parsed_while_the_loop_answers_others(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth, device = await anyio.to_thread.run_sync(metasys_engine_with_a_signing_request, sandbox)
    with holding(monkeypatch, metasys_certificates, "parse_certificates") as held:
        answer, cheap, while_held = await heavy_and_cheap(
            sandbox,
            held,
            lambda http: http.put(
                f"{METASYS}/networkDevices/{device}/certificates/bacnet",
                content=b"hello",
                headers={**auth, **OCTETS},
            ),
        )
    assert (cheap.status_code, while_held, held.waited) == (200, True, [True])
    assert held.ran_on != [threading.main_thread().name]
    assert answer.status_code == 400
    assert answer.json() == {
        "Message": "The body is not a certificate in PEM, DER or PKCS #7 form."
    }
