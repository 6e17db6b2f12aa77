"""What the certificate operations need of a schemathesis case that no schema can say: an engine
to act on, a pending signing request and its current ETag, a certificate signed for the engine's
key pair, a ZIP of such certificates, and a batch of one method over one resource type."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from schemathesis.core.parameters import ParameterLocation

from standin.metasys.state import MetasysState
from standin.metasys.state.certificate_batch import RESOURCES
from standin.metasys.state.certificates import BACNET_SC_CLASSES
from standin.metasys.state.model import MetasysObject

PARAMETERS = {
    "city": "Milwaukee",
    "country": "US",
    "emailAddress": "noreply@jci.com",
    "orgName": "Johnson Controls",
    "orgUnitName": "BAS",
    "stateProvince": "WI",
    "domainName": "jci.com",
}
REFERENCE_ENGINE = "d9bf66bd-22f8-425b-82a4-44ba153d79c7"
IMPORT = "/api/v4/networkDevices/certificates/bacnet"
BATCH = "/api/v4/networkDevices/batch"


def is_device_path(path: str) -> bool:
    return path.endswith(("/signingRequests/bacnet", "/certificates/bacnet")) and path != IMPORT


def engines(state: MetasysState) -> list[MetasysObject]:
    found = [d for d in state.network_devices() if d.type.classification in BACNET_SC_CLASSES]
    return sorted(found, key=lambda d: d.id)


def pending(state: MetasysState, device: MetasysObject) -> str:
    """The device's pending request's ETag, making one if it has none."""
    book = state.certificates
    request = book.of(device).request or book.create_request(device, PARAMETERS)
    return request.etag


def signed(state: MetasysState, device: MetasysObject) -> bytes:
    pending(state, device)
    return state.certificates.sign(device, 365).encode()


def ascii_zip(name: str, data: bytes) -> str:
    """A ZIP of one file whose every byte is ASCII, so it can travel as a text body: schemathesis
    judges bytes that a hook puts in a body as breaking a string schema. The file's CRC and
    sizes decide that, so trailing new lines (which PEM ignores) are added until they do."""
    for padding in range(4096):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data + b"\n" * padding)
        raw = bytearray(buffer.getvalue())
        # zipfile always writes Unix permissions (0o600) into the central directory's external
        # attributes; nothing reads them.
        central = raw.index(b"PK\x01\x02")
        raw[central + 38 : central + 42] = bytes(4)
        if raw.isascii():
            return raw.decode("ascii")
    raise AssertionError("no ASCII ZIP found")


def prepare(case: Any, state: MetasysState, pick: Any) -> None:
    """Make a positive case of a certificate operation one the engine would accept."""
    path, method = case.operation.path, case.method.upper()
    meta = case.meta
    if meta is not None and meta.is_negative_at(ParameterLocation.BODY):
        # A body made to break the schema stays broken; so does a header.
        return
    if path == IMPORT:
        device = pick(repr(case.body), engines(state))
        case.body = ascii_zip(f"{device.name}.pem", signed(state, device))
    elif path == BATCH and isinstance(case.body, dict):
        _same_method_and_resource(case, state, pick)
    elif is_device_path(path):
        parameters = dict(case.path_parameters or {})
        if parameters.get("networkDeviceId") == REFERENCE_ENGINE:
            # The reference's example id is its engine: the sandbox's NAE-1.
            engine = state.tree.find("ADS1:NAE-1")
            assert engine is not None
            case.path_parameters = {**parameters, "networkDeviceId": engine.id}
        device = state.tree.get(str(case.path_parameters.get("networkDeviceId")))
        if device is None or device.type.classification not in BACNET_SC_CLASSES:
            return
        if path.endswith("/signingRequests/bacnet") and method != "POST":
            etag = pending(state, device)
            if method != "GET" and not (meta and meta.is_negative_at(ParameterLocation.HEADER)):
                case.headers = {**(case.headers or {}), "If-Match": etag}
        elif method == "PUT":
            case.body = signed(state, device).decode("ascii")
        elif method == "DELETE":
            state.certificates.write(device, signed(state, device))


def _same_method_and_resource(case: Any, state: MetasysState, pick: Any) -> None:
    requests = [r for r in case.body.get("requests", []) if isinstance(r, dict)]
    if not requests:
        return
    method = requests[0].get("method", "GET")
    resource = pick(repr(case.body), sorted(RESOURCES))
    devices = [d.id for d in engines(state)]
    case.body = {
        **case.body,
        "requests": [
            {
                **request,
                "id": f"{index}-{request.get('id', '')}",
                "method": method,
                "relativeUrl": f"{pick((index, repr(request)), devices)}/{resource}",
            }
            for index, request in enumerate(requests)
        ],
    }
