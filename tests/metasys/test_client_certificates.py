"""The Metasys client's BACnet/SC certificate methods against the fake in-process (answers
generated from the contract: tests/conformance)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
import respx
from cryptography import x509

from standin import Sandbox
from standin.clients.metasys import (
    MetasysClient,
    MetasysConflict,
    MetasysDeviceOffline,
    MetasysNotFound,
    MetasysValidationError,
)
from standin.clients.metasys_certificates import (
    CertificateSubject,
    MetasysPreconditionFailed,
)
from standin.inprocess import standin
from tests.metasys.conftest import object_id, state_of
from tests.support import SandboxSleep

BASE_URL = "https://metasys.standin.example/api/v4"
SUBJECT = CertificateSubject(
    email_address="noreply@jci.com",
    org_name="Johnson Controls",
    org_unit_name="BAS",
    city="Milwaukee",
    state_province="WI",
    country="US",
    domain_name="jci.com",
)


@pytest.fixture
def metasys(sandbox: Sandbox) -> Iterator[MetasysClient]:
    creds = sandbox.credentials()["metasys"]
    with standin(sandbox), httpx.Client() as http:
        yield MetasysClient(
            str(creds["username"]),
            str(creds["password"]),
            http=http,
            clock=sandbox.clock.now,
            sleep=SandboxSleep(sandbox),
        )


def sign(sandbox: Sandbox, device: str) -> str:
    """The device's pending request signed by the tenant's sandbox test authority."""
    state = state_of(sandbox)
    return state.certificates.sign(state.network_device(device), 365)


# --- against the fake --------------------------------------------------------------------------


def test_a_signing_request_is_created_read_replaced_and_deleted(
    metasys: MetasysClient, sandbox: Sandbox
) -> None:
    device = object_id(sandbox, "ADS1:NAE-1")
    created = metasys.create_signing_request(device, SUBJECT)
    assert created.pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert (
        x509.load_pem_x509_csr(created.pem.encode())
        .subject.rfc4514_string()
        .startswith("1.2.840.113549.1.9.1=noreply@jci.com,CN=NAE-1.jci.com,")
    )
    assert metasys.signing_request(device) == created
    assert created.etag is not None
    assert metasys.signing_request_if_changed(device, created.etag) is None
    with pytest.raises(MetasysConflict):
        metasys.create_signing_request(device, SUBJECT)
    with pytest.raises(MetasysPreconditionFailed) as stale:
        metasys.replace_signing_request(device, SUBJECT, etag="stale")
    assert stale.value.status == 412
    replaced = metasys.replace_signing_request(device, SUBJECT, etag=created.etag)
    assert replaced.pem != created.pem
    assert metasys.signing_request_if_changed(device, created.etag) == replaced
    metasys.delete_signing_request(device)
    with pytest.raises(MetasysNotFound) as missing:
        metasys.signing_request(device)
    assert missing.value.message == f"Network device {device} has no signing request."


def test_a_certificate_is_written_read_and_deleted(
    metasys: MetasysClient, sandbox: Sandbox
) -> None:
    device = object_id(sandbox, "ADS1:NAE-1")
    metasys.create_signing_request(device, SUBJECT)
    chain = sign(sandbox, device)
    metasys.write_bacnet_certificate(device, chain)
    operational, issuer = metasys.bacnet_certificates(device)
    assert operational.role == "operational"
    assert operational.raw + issuer.raw == chain
    assert operational.not_after == dt.datetime(2027, 11, 20, 12, 0, 30, tzinfo=dt.UTC)
    [root] = metasys.bacnet_certificates(device, flatten=False)
    assert root.subject == "CN=ADS1 BACnet/SC Test CA,O=standin sandbox"
    assert [child.raw for child in root.issued] == [operational.raw]
    metasys.delete_bacnet_certificates(device)
    assert metasys.bacnet_certificates(device) == []
    with pytest.raises(MetasysValidationError) as refused:
        metasys.write_bacnet_certificate(device, "not a certificate")
    assert refused.value.message == "The body is not a certificate in PEM, DER or PKCS #7 form."


def test_an_import_writes_each_engines_certificate(
    metasys: MetasysClient, sandbox: Sandbox
) -> None:
    first, second = object_id(sandbox, "ADS1:NAE-1"), object_id(sandbox, "ADS1:NAE-2")
    for device in (first, second):
        metasys.create_signing_request(device, SUBJECT)
    results = metasys.import_bacnet_certificates(
        {"NAE-1.pem": sign(sandbox, first), "NAE-2.pem": sign(sandbox, second).encode()}
    )
    assert [(r.file_name, r.network_device_id, r.status, r.written) for r in results] == [
        ("NAE-1.pem", first, 204, True),
        ("NAE-2.pem", second, 204, True),
    ]
    assert len(metasys.bacnet_certificates(second)) == 2
    with pytest.raises(MetasysValidationError):
        metasys.import_bacnet_certificates(b"not a zip")


def test_a_batch_makes_requests_for_many_engines(metasys: MetasysClient, sandbox: Sandbox) -> None:
    first, second = object_id(sandbox, "ADS1:NAE-1"), object_id(sandbox, "ADS1:NAE-2")
    director = object_id(sandbox, "ADS1:ADS1")
    answers = metasys.batch_signing_requests("POST", [first, second, director], SUBJECT)
    assert [(a.device_id, a.status, a.ok) for a in answers] == [
        (first, 201, True),
        (second, 201, True),
        (director, 400, False),
    ]
    assert answers[0].pem == metasys.signing_request(first).pem
    assert answers[2].pem is None
    assert answers[2].message == (
        f"Network device {director} does not support BACnet/SC certificates."
    )
    metasys.write_bacnet_certificate(first, sign(sandbox, first))
    [read, empty] = metasys.batch_bacnet_certificates("GET", [first, second])
    assert read.certificates == tuple(metasys.bacnet_certificates(first))
    assert empty.certificates == ()
    [deleted] = metasys.batch_bacnet_certificates("DELETE", [first])
    assert (deleted.status, deleted.body) == (204, None)


def test_an_offline_engine_raises_device_offline(metasys: MetasysClient, sandbox: Sandbox) -> None:
    device = object_id(sandbox, "ADS1:NAE-2")
    state_of(sandbox).offline.add(device)
    with pytest.raises(MetasysDeviceOffline):
        metasys.signing_request(device)
    with pytest.raises(MetasysDeviceOffline):
        metasys.bacnet_certificates(device)


def test_too_many_requests_are_waited_out_for_pem_too(
    metasys: MetasysClient, sandbox: Sandbox
) -> None:
    device = object_id(sandbox, "ADS1:NAE-1")
    metasys.create_signing_request(device, SUBJECT)
    sandbox.limits.configure({"metasys": {"requests": {"limit": 2}}})
    assert metasys.signing_request(device).pem.startswith("-----BEGIN")
    assert metasys.signing_request(device).pem.startswith("-----BEGIN")
    assert metasys._sleep.waits  # type: ignore[attr-defined]


# --- against a fixed answer (generated answers: tests/conformance) --------------------------------

TOKEN = {"accessToken": "t", "expires": "2099-01-01T00:00:00Z"}
DEVICE = "d9bf66bd-22f8-425b-82a4-44ba153d79c7"


def test_a_batch_signing_request_is_decoded_from_base64() -> None:
    text = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"
    encoded = base64.b64encode(text.encode()).decode()
    body = {"responses": [{"id": DEVICE, "status": 200, "body": encoded}]}
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{BASE_URL}/login").respond(200, json=TOKEN)
        router.post(f"{BASE_URL}/networkDevices/batch").respond(200, json=body)
        client = MetasysClient(
            "u", "p", http=httpx.Client(), clock=lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        )
        [found] = client.batch_signing_requests("GET", [DEVICE])
    assert found.pem == text
