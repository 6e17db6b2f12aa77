"""BACnet/SC certificates of network devices (PRIVATE): signing requests, certificates, the ZIP
import and the network-devices batch, with their errors."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from standin import Sandbox
from standin.metasys.api import MetasysApi
from standin.metasys.state.certificates import etag_of
from tests.conftest import NOW
from tests.metasys.conftest import BASE, login, object_id, state_of

PARAMETERS = {
    "city": "Milwaukee",
    "country": "US",
    "emailAddress": "noreply@jci.com",
    "orgName": "Johnson Controls",
    "orgUnitName": "BAS",
    "stateProvince": "WI",
    "domainName": "jci.com",
}
MEDIA = "application/vnd.metasysapi.v4+json"
OCTETS = {"Content-Type": "application/octet-stream"}


def engine(sandbox: Sandbox, name: str = "NAE-1") -> str:
    return object_id(sandbox, f"ADS1:{name}")


def create(api: Any, device: str, **changes: Any) -> httpx.Response:
    return api.post(
        f"/networkDevices/{device}/signingRequests/bacnet", json={**PARAMETERS, **changes}
    )


def error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA
    assert response.json() == {"Message": message}


class Authority:
    """A test CA outside the sandbox, as an integrator's would be."""

    def __init__(self, name: str = "Test Root CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = (
            self._builder(self.name, self.key.public_key(), NOW, 3650)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def _builder(
        self, subject: x509.Name, public: Any, start: dt.datetime, days: int
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start - dt.timedelta(days=1))
            .not_valid_after(start + dt.timedelta(days=days))
        )

    def sign(self, csr_pem: str, *, start: dt.datetime = NOW, days: int = 365) -> x509.Certificate:
        request = x509.load_pem_x509_csr(csr_pem.encode())
        return (
            self._builder(request.subject, request.public_key(), start, days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def chain(self, csr_pem: str, **kw: Any) -> bytes:
        return pem(self.sign(csr_pem, **kw)) + pem(self.certificate)


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


# --- signing requests ------------------------------------------------------------------------


def test_a_created_signing_request_is_a_pkcs10_request_naming_the_engine(
    api: Any, sandbox: Sandbox
) -> None:
    device = engine(sandbox)
    response = create(api, device)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/pkcs10"
    assert response.headers["etag"] == etag_of(response.text)
    assert response.text.startswith("-----BEGIN CERTIFICATE REQUEST-----\n")
    request = x509.load_pem_x509_csr(response.content)
    assert request.is_signature_valid
    assert request.subject.rfc4514_string() == (
        "1.2.840.113549.1.9.1=noreply@jci.com,CN=NAE-1.jci.com,OU=BAS,O=Johnson Controls,"
        "L=Milwaukee,ST=WI,C=US"
    )
    key = request.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp384r1"
    assert isinstance(request.signature_hash_algorithm, hashes.SHA256)


def test_without_a_domain_the_common_name_is_the_host_name(api: Any, sandbox: Sandbox) -> None:
    response = create(api, engine(sandbox, "NAE-2"), domainName=None)
    request = x509.load_pem_x509_csr(response.content)
    [common] = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common.value == "NAE-2"


def test_the_signing_request_is_kept_and_read_back_with_its_etag(
    api: Any, sandbox: Sandbox
) -> None:
    device = engine(sandbox)
    created = create(api, device)
    read = api.get(f"/networkDevices/{device}/signingRequests/bacnet")
    assert read.status_code == 200
    assert read.text == created.text
    assert read.headers["etag"] == created.headers["etag"]
    unchanged = api.get(
        f"/networkDevices/{device}/signingRequests/bacnet",
        headers={"If-None-Match": created.headers["etag"]},
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == created.headers["etag"]
    assert (
        api.get(
            f"/networkDevices/{device}/signingRequests/bacnet", headers={"If-None-Match": "other"}
        ).status_code
        == 200
    )


def test_a_second_create_is_a_conflict(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    create(api, device)
    error(
        create(api, device),
        409,
        f"Network device {device} already has a signing request; replace it instead.",
    )


def test_a_replace_needs_the_current_etag_and_makes_a_new_key(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    created = create(api, device)
    error(
        api.put(f"/networkDevices/{device}/signingRequests/bacnet", json=PARAMETERS),
        400,
        "The If-Match header is required.",
    )
    error(
        api.put(
            f"/networkDevices/{device}/signingRequests/bacnet",
            json=PARAMETERS,
            headers={"If-Match": "stale"},
        ),
        412,
        "The signing request has changed: If-Match does not match its ETag.",
    )
    replaced = api.put(
        f"/networkDevices/{device}/signingRequests/bacnet",
        json={**PARAMETERS, "orgUnitName": "Controls"},
        headers={"If-Match": created.headers["etag"]},
    )
    assert replaced.status_code == 200
    assert replaced.headers["content-type"] == "application/pkcs10"
    old = x509.load_pem_x509_csr(created.content).public_key()
    new = x509.load_pem_x509_csr(replaced.content)
    assert new.public_key() != old
    [unit] = new.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert unit.value == "Controls"
    assert api.get(f"/networkDevices/{device}/signingRequests/bacnet").text == replaced.text


def test_a_delete_removes_the_request(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    created = create(api, device)
    error(
        api.delete(
            f"/networkDevices/{device}/signingRequests/bacnet", headers={"If-Match": "stale"}
        ),
        412,
        "The signing request has changed: If-Match does not match its ETag.",
    )
    deleted = api.delete(
        f"/networkDevices/{device}/signingRequests/bacnet",
        headers={"If-Match": created.headers["etag"]},
    )
    assert deleted.status_code == 204
    assert deleted.content == b""
    missing = f"Network device {device} has no signing request."
    error(api.get(f"/networkDevices/{device}/signingRequests/bacnet"), 404, missing)
    error(
        api.delete(f"/networkDevices/{device}/signingRequests/bacnet", headers={"If-Match": "*"}),
        404,
        missing,
    )
    error(
        api.put(
            f"/networkDevices/{device}/signingRequests/bacnet",
            json=PARAMETERS,
            headers={"If-Match": "*"},
        ),
        404,
        missing,
    )


SIGNING_PARAMETER_ERRORS = [
    ({"city": None}, "The city field is required."),
    ({"orgName": ""}, "The orgName field must be 1 to 63 characters long."),
    ({"orgUnitName": "x" * 64}, "The orgUnitName field must be 1 to 63 characters long."),
    ({"stateProvince": 7}, "The stateProvince field must be a string."),
    ({"emailAddress": "nobody"}, "The emailAddress field is not a valid e-mail address."),
    ({"country": "USA"}, "The country field must be a two-letter country code."),
    ({"country": "U1"}, "The country field must be a two-letter country code."),
    ({"domainName": "d" * 48}, "The domainName field must be 1 to 47 characters long."),
]


def test_signing_parameters_follow_the_references_schema(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    for changes, message in SIGNING_PARAMETER_ERRORS:
        body = {k: v for k, v in {**PARAMETERS, **changes}.items() if v is not None or k != "city"}
        error(api.post(f"/networkDevices/{device}/signingRequests/bacnet", json=body), 400, message)


def test_a_body_that_is_not_json_is_refused(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    response = api.post(
        f"/networkDevices/{device}/signingRequests/bacnet", content=b"city=x", headers=OCTETS
    )
    error(response, 400, "Unsupported Content-Type: application/octet-stream.")


def test_only_engines_hold_bacnet_sc_certificates(api: Any, sandbox: Sandbox) -> None:
    for reference in ("ADS1:ADS1", "ADS1:NAE-1/FC-1", "ADS1:NAE-1/FC-1.AHU-1"):
        device = object_id(sandbox, reference)
        message = f"Network device {device} does not support BACnet/SC certificates."
        error(create(api, device), 400, message)
        error(api.get(f"/networkDevices/{device}/certificates/bacnet"), 400, message)
    point = object_id(sandbox, "ADS1:NAE-1/FC-1.VAV-101.ZN-SP")
    error(
        api.get(f"/networkDevices/{point}/signingRequests/bacnet"),
        404,
        f"Network device {point} was not found.",
    )


def test_an_offline_engine_answers_503(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox, "NAE-2")
    state_of(sandbox).offline.add(device)
    error(create(api, device), 503, "The device is offline: ADS1:NAE-2.")
    error(
        api.get(f"/networkDevices/{device}/certificates/bacnet"),
        503,
        "The device is offline: ADS1:NAE-2.",
    )


def test_a_user_without_write_access_may_read_but_not_change(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    creds = sandbox.credentials()["metasys"]
    token = login(client, creds["viewer_username"], creds["viewer_password"]).json()["accessToken"]
    auth = {"Authorization": f"Bearer {token}"}
    device = engine(sandbox)
    response = client.post(
        f"{BASE}/networkDevices/{device}/signingRequests/bacnet", json=PARAMETERS, headers=auth
    )
    error(response, 403, "The user does not have the Manage Devices & Sites privilege.")
    response = client.get(f"{BASE}/networkDevices/{device}/certificates/bacnet", headers=auth)
    assert response.status_code == 200
    assert response.json() == {"items": []}


def test_every_operation_needs_a_token(client: httpx.Client, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    response = client.get(f"{BASE}/networkDevices/{device}/signingRequests/bacnet")
    error(response, 401, "Authorization has been denied for this request.")


def test_requests_are_kept_per_tenant(client: httpx.Client, api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    created = create(api, device)
    other = client.post("/_sandbox/tenants").json()
    token = login(client, other["metasys"]["username"], other["metasys"]["password"])
    auth = {"Authorization": f"Bearer {token.json()['accessToken']}"}
    tenant = sandbox.tenants.get(other["tenant"])
    assert tenant is not None
    found = sandbox.vendor(MetasysApi).state(tenant).tree.find("ADS1:NAE-1")
    assert found is not None
    theirs = found.id
    path = "/networkDevices/{}/signingRequests/bacnet"
    response = client.get(BASE + path.format(theirs), headers=auth)
    error(response, 404, f"Network device {theirs} has no signing request.")
    # Their engine's ids are not ours: ours is unknown to them.
    response = client.get(BASE + path.format(device), headers=auth)
    error(response, 404, f"Network device {device} was not found.")
    assert api.get(path.format(device)).text == created.text


# --- certificates ----------------------------------------------------------------------------


def test_a_signed_certificate_is_written_and_read_back(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    authority = Authority()
    chain = authority.chain(create(api, device).text)
    written = api.put(
        f"/networkDevices/{device}/certificates/bacnet", content=chain, headers=OCTETS
    )
    assert written.status_code == 204, written.text
    assert written.content == b""
    # The request is fulfilled: the engine now uses that key pair.
    assert api.get(f"/networkDevices/{device}/signingRequests/bacnet").status_code == 404
    body = api.get(f"/networkDevices/{device}/certificates/bacnet").json()
    operational, issuer = body["items"]
    leaf = x509.load_pem_x509_certificate(operational["raw"].encode())
    assert operational == {
        "raw": pem(leaf).decode(),
        "role": "operational",
        "subject": leaf.subject.rfc4514_string(),
        "issuer": "CN=Test Root CA",
        "serialNumber": format(leaf.serial_number, "X"),
        "notBefore": "2026-11-19T12:00:30Z",
        "notAfter": "2027-11-20T12:00:30Z",
        "thumbprint": leaf.fingerprint(hashes.SHA256()).hex().upper(),
    }
    assert issuer["role"] == "issuer"
    assert issuer["raw"] == pem(authority.certificate).decode()
    nested = api.get(
        f"/networkDevices/{device}/certificates/bacnet", params={"flatten": "false"}
    ).json()["items"]
    assert [node["subject"] for node in nested] == ["CN=Test Root CA"]
    assert [child["raw"] for child in nested[0]["items"]] == [operational["raw"]]
    assert nested[0]["items"][0]["items"] == []


def test_a_body_that_is_not_a_certificate_is_400(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    create(api, device)
    message = "The body is not a certificate in PEM, DER or PKCS #7 form."
    error(
        api.put(f"/networkDevices/{device}/certificates/bacnet", content=b"hello", headers=OCTETS),
        400,
        message,
    )
    error(
        api.put(f"/networkDevices/{device}/certificates/bacnet", content=b"", headers=OCTETS),
        400,
        "A certificate is required.",
    )
    response = api.put(
        f"/networkDevices/{device}/certificates/bacnet",
        content=b"x",
        headers={"Content-Type": "text/plain"},
    )
    error(response, 400, "Unsupported Content-Type: text/plain.")


def test_der_and_pkcs7_certificates_are_read_too(api: Any, sandbox: Sandbox) -> None:
    first, second = engine(sandbox), engine(sandbox, "NAE-2")
    authority = Authority()
    leaf = authority.sign(create(api, first).text)
    der = leaf.public_bytes(serialization.Encoding.DER)
    written = api.put(f"/networkDevices/{first}/certificates/bacnet", content=der, headers=OCTETS)
    assert written.status_code == 204
    bundle = pkcs7.serialize_certificates(
        [authority.sign(create(api, second).text), authority.certificate],
        serialization.Encoding.DER,
    )
    response = api.post(
        "/networkDevices/certificates/bacnet",
        content=archive({"NAE-2.p7b": bundle}),
        headers={"Content-Type": "application/x-zip-compressed"},
    )
    assert [(r["networkDeviceId"], r["status"]) for r in response.json()] == [(second, 204)]
    items = api.get(f"/networkDevices/{second}/certificates/bacnet").json()["items"]
    assert [i["role"] for i in items] == ["operational", "issuer"]


def test_a_certificate_that_breaks_rfc_5280_is_refused(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    request = x509.load_pem_x509_csr(create(api, device).content)
    authority = Authority()
    negative_serial = (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(authority.name)
        .public_key(request.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(authority.key, hashes.SHA256())
    )
    der = bytearray(negative_serial.public_bytes(serialization.Encoding.DER))
    # The serial number's one content byte (INTEGER 1, tag 02 01 01 after the version): -1.
    at = der.index(b"\x02\x01\x01", 4)
    der[at + 2] = 0xFF
    response = api.put(
        f"/networkDevices/{device}/certificates/bacnet", content=bytes(der), headers=OCTETS
    )
    error(response, 400, "The body is not a certificate in PEM, DER or PKCS #7 form.")


def test_more_than_100_certificates_at_once_are_refused(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    authority = Authority()
    too_many = pem(authority.sign(create(api, device).text)) * 101
    response = api.put(
        f"/networkDevices/{device}/certificates/bacnet", content=too_many, headers=OCTETS
    )
    error(response, 400, "The data holds more than 100 certificates.")


def test_a_certificate_for_another_key_is_refused(api: Any, sandbox: Sandbox) -> None:
    device, other = engine(sandbox), engine(sandbox, "NAE-2")
    create(api, device)
    authority = Authority()
    for_other = authority.chain(create(api, other).text)
    error(
        api.put(f"/networkDevices/{device}/certificates/bacnet", content=for_other, headers=OCTETS),
        400,
        "The certificate's public key does not match the device's signing request.",
    )
    assert api.get(f"/networkDevices/{device}/certificates/bacnet").json() == {"items": []}


def test_an_expired_certificate_or_a_lone_issuer_is_refused(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    authority = Authority()
    csr = create(api, device).text
    expired = authority.chain(csr, start=NOW - dt.timedelta(days=30), days=10)
    error(
        api.put(f"/networkDevices/{device}/certificates/bacnet", content=expired, headers=OCTETS),
        400,
        "The certificate has expired.",
    )
    error(
        api.put(
            f"/networkDevices/{device}/certificates/bacnet",
            content=pem(authority.certificate),
            headers=OCTETS,
        ),
        400,
        "The data holds no operational certificate.",
    )


def test_a_chain_with_the_wrong_issuer_is_refused(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    authority, impostor = Authority(), Authority()
    leaf = authority.sign(create(api, device).text)
    response = api.put(
        f"/networkDevices/{device}/certificates/bacnet",
        content=pem(leaf) + pem(impostor.certificate),
        headers=OCTETS,
    )
    error(
        response,
        400,
        f"The certificate {leaf.subject.rfc4514_string()} is not signed by its issuer's "
        "certificate.",
    )


def test_delete_removes_every_certificate(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    api.put(
        f"/networkDevices/{device}/certificates/bacnet",
        content=Authority().chain(create(api, device).text),
        headers=OCTETS,
    )
    error(
        api.delete(f"/networkDevices/{device}/certificates/bacnet", params={"loose": "false"}),
        400,
        "Only loose=true is supported.",
    )
    deleted = api.delete(f"/networkDevices/{device}/certificates/bacnet", params={"loose": "true"})
    assert deleted.status_code == 204
    assert api.get(f"/networkDevices/{device}/certificates/bacnet").json() == {"items": []}
    error(
        api.delete(f"/networkDevices/{device}/certificates/bacnet"),
        404,
        f"Network device {device} has no BACnet/SC certificate.",
    )


def test_the_sandbox_authority_signs_a_pending_request(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    device = engine(sandbox)
    refused = client.post(f"/_sandbox/metasys/devices/{device}/certificate", json={})
    assert refused.status_code == 409
    assert refused.json() == {"error": "the device has no pending signing request"}
    create(api, device)
    signed = client.post(f"/_sandbox/metasys/devices/{device}/certificate", json={"days": 30})
    assert signed.status_code == 200
    chain = x509.load_pem_x509_certificates(signed.json()["certificate"].encode())
    assert [c.subject.rfc4514_string() for c in chain] == [
        "1.2.840.113549.1.9.1=noreply@jci.com,CN=NAE-1.jci.com,OU=BAS,O=Johnson Controls,"
        "L=Milwaukee,ST=WI,C=US",
        "CN=ADS1 BACnet/SC Test CA,O=standin sandbox",
    ]
    assert chain[0].not_valid_after_utc == NOW + dt.timedelta(days=30)
    written = api.put(
        f"/networkDevices/{device}/certificates/bacnet",
        content=signed.json()["certificate"],
        headers=OCTETS,
    )
    assert written.status_code == 204
    triggers = client.get("/_sandbox/").json()["triggers"]["metasys"]
    assert "POST /_sandbox/metasys/devices/{deviceId}/certificate" in triggers


def test_the_sandbox_authority_refuses_bad_input(client: httpx.Client, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    point = object_id(sandbox, "ADS1:NAE-1/FC-1.VAV-101.ZN-SP")
    unknown = client.post(f"/_sandbox/metasys/devices/{point}/certificate", json={})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "unknown network device"})
    for days in (0, 3651, "30", True):
        bad = client.post(f"/_sandbox/metasys/devices/{device}/certificate", json={"days": days})
        assert (bad.status_code, bad.json()) == (
            400,
            {"error": "days must be an integer from 1 to 3650"},
        )


# --- import ----------------------------------------------------------------------------------


def test_an_import_writes_each_certificate_to_the_engine_that_asked(
    api: Any, sandbox: Sandbox
) -> None:
    first, second = engine(sandbox), engine(sandbox, "NAE-2")
    authority = Authority()
    one = authority.sign(create(api, first).text)
    two = authority.sign(create(api, second).text)
    stranger = authority.sign(
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "elsewhere")]))
        .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    data = archive(
        {
            "NAE-1.pem": pem(one),
            "NAE-2.crt": two.public_bytes(serialization.Encoding.DER),
            "ca/root.pem": pem(authority.certificate),
            "other.pem": pem(stranger),
        }
    )
    response = api.post(
        "/networkDevices/certificates/bacnet",
        content=data,
        headers={"Content-Type": "application/zip"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "fileName": "NAE-1.pem",
            "subject": one.subject.rfc4514_string(),
            "networkDeviceId": first,
            "status": 204,
        },
        {
            "fileName": "NAE-2.crt",
            "subject": two.subject.rfc4514_string(),
            "networkDeviceId": second,
            "status": 204,
        },
        {
            "fileName": "other.pem",
            "subject": "CN=elsewhere",
            "networkDeviceId": None,
            "status": 404,
            "message": "No network device has a signing request for this certificate.",
        },
    ]
    for device, leaf in ((first, one), (second, two)):
        items = api.get(f"/networkDevices/{device}/certificates/bacnet").json()["items"]
        assert [i["raw"] for i in items] == [
            pem(leaf).decode(),
            pem(authority.certificate).decode(),
        ]


def test_an_import_that_is_not_a_zip_of_certificates_is_400(api: Any) -> None:
    for data, message in [
        (b"not a zip", "The request body is not a ZIP file."),
        (archive({}), "The ZIP file holds no certificate."),
        (archive({"readme.txt": b"hello"}), "The file readme.txt holds no certificate."),
    ]:
        response = api.post(
            "/networkDevices/certificates/bacnet",
            content=data,
            headers={"Content-Type": "application/zip"},
        )
        error(response, 400, message)


def test_an_import_of_issuers_only_is_400(api: Any) -> None:
    data = archive({"root.pem": pem(Authority().certificate)})
    response = api.post(
        "/networkDevices/certificates/bacnet",
        content=data,
        headers={"Content-Type": "application/zip"},
    )
    error(response, 400, "The ZIP file holds no operational certificate.")


# --- batch -----------------------------------------------------------------------------------


def batch(api: Any, requests: list[dict[str, Any]], **shared: Any) -> httpx.Response:
    return api.post("/networkDevices/batch", json={**shared, "requests": requests})


def test_a_batch_creates_requests_for_many_engines_with_base64_pem(
    api: Any, sandbox: Sandbox
) -> None:
    first, second = engine(sandbox), engine(sandbox, "NAE-2")
    director = object_id(sandbox, "ADS1:ADS1")
    response = batch(
        api,
        [
            {"id": "1", "method": "POST", "relativeUrl": f"{first}/signingRequests/bacnet"},
            {"id": "2", "method": "POST", "relativeUrl": f"{second}/signingRequests/bacnet"},
            {"id": "3", "method": "POST", "relativeUrl": f"{director}/signingRequests/bacnet"},
        ],
        body=PARAMETERS,
    )
    assert response.status_code == 200, response.text
    answers = response.json()["responses"]
    assert [(a["id"], a["status"]) for a in answers] == [("1", 201), ("2", 201), ("3", 400)]
    assert answers[2]["body"] == {
        "Message": f"Network device {director} does not support BACnet/SC certificates."
    }
    for answer, device in zip(answers[:2], (first, second), strict=True):
        text = base64.b64decode(answer["body"]).decode()
        assert text == api.get(f"/networkDevices/{device}/signingRequests/bacnet").text
    again = batch(
        api,
        [{"id": "a", "method": "GET", "relativeUrl": f"{first}/signingRequests/bacnet"}],
    )
    assert again.json()["responses"][0]["body"] == answers[0]["body"]


def test_a_batch_writes_reads_and_deletes_certificates(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    chain = Authority().chain(create(api, device).text).decode()
    url = f"{device}/certificates/bacnet"
    written = batch(api, [{"id": "w", "method": "PUT", "relativeUrl": url, "body": chain}])
    assert written.json() == {"responses": [{"id": "w", "status": 204}]}
    read = batch(api, [{"id": "r", "method": "GET", "relativeUrl": url}])
    [answer] = read.json()["responses"]
    assert answer["status"] == 200
    assert answer["body"] == api.get(f"/networkDevices/{device}/certificates/bacnet").json()
    deleted = batch(
        api,
        [
            {"id": "d1", "method": "DELETE", "relativeUrl": url},
            {"id": "d2", "method": "DELETE", "relativeUrl": f"/{device}/signingRequests/bacnet/"},
        ],
    )
    assert deleted.status_code == 400
    deleted = batch(api, [{"id": "d1", "method": "DELETE", "relativeUrl": url}])
    assert deleted.json() == {"responses": [{"id": "d1", "status": 204}]}


def test_a_batch_answers_unknown_urls_and_methods_per_request(api: Any, sandbox: Sandbox) -> None:
    device = engine(sandbox)
    response = batch(
        api,
        [
            {"id": "1", "method": "POST", "relativeUrl": f"{device}/certificates/bacnet"},
            {"id": "2", "method": "POST", "relativeUrl": "nothing/here"},
        ],
    )
    assert response.json() == {
        "responses": [
            {
                "id": "1",
                "status": 405,
                "body": {"Message": "The requested resource does not support http method 'POST'."},
            },
            {
                "id": "2",
                "status": 404,
                "body": {"Message": "No resource matches the relative URL 'nothing/here'."},
            },
        ]
    }


MALFORMED_BATCHES: list[tuple[dict[str, Any], str]] = [
    ({"requests": []}, "The requests field must be a non-empty array."),
    ({"body": None, "requests": [{}]}, "The shared body must be an object or a string."),
    (
        {"requests": [{"id": "1", "method": "PATCH", "relativeUrl": "x"}]},
        "The method must be one of GET, POST, PUT, DELETE.",
    ),
    ({"requests": [{"id": "1", "relativeUrl": "x"}]}, "Each request needs a string method."),
    (
        {"requests": [{"id": "1", "method": "GET", "relativeUrl": "x"}] * 2},
        "The request ids must be unique.",
    ),
    (
        {
            "requests": [
                {"id": "1", "method": "GET", "relativeUrl": "x"},
                {"id": "2", "method": "DELETE", "relativeUrl": "x"},
            ]
        },
        "All requests of a batch must use the same method.",
    ),
    (
        {"requests": [{"id": str(i), "method": "GET", "relativeUrl": "x"} for i in range(1001)]},
        "A batch takes at most 1000 requests.",
    ),
]


def test_a_malformed_batch_is_400(api: Any) -> None:
    for body, message in MALFORMED_BATCHES:
        error(api.post("/networkDevices/batch", json=body), 400, message)


def test_a_reset_forgets_requests_and_certificates(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    device = engine(sandbox)
    create(api, device)
    client.post("/_sandbox/reset")
    assert api.get(f"/networkDevices/{device}/signingRequests/bacnet").status_code == 404
