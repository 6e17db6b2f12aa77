"""The Metasys client's BACnet/SC certificates of network devices (PRIVATE operations; a part of
``MetasysClient``): signing requests (PEM, with their ETag), certificates, the ZIP import and the
network-devices batch."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from standin.clients._http import response_body
from standin.clients.metasys_errors import MetasysError
from standin.clients.metasys_results import _time
from standin.clients.metasys_transport import MetasysTransport
from standin.clients.metasys_transport import seg as _seg

PKCS10 = "application/pkcs10"


class MetasysPreconditionFailed(MetasysError):
    """412: ``If-Match`` no longer names the signing request (someone replaced it)."""


@dataclass(frozen=True)
class CertificateSubject:
    """What a signing request's subject says (the create and replace body)."""

    email_address: str
    org_name: str
    org_unit_name: str
    city: str
    state_province: str
    country: str
    domain_name: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "emailAddress": self.email_address,
            "orgName": self.org_name,
            "orgUnitName": self.org_unit_name,
            "city": self.city,
            "stateProvince": self.state_province,
            "country": self.country,
            "domainName": self.domain_name,
        }


@dataclass(frozen=True)
class SigningRequest:
    """A device's certificate signing request: its PEM text and the ETag that names it (for
    replacing or deleting it)."""

    pem: str
    etag: str | None


@dataclass(frozen=True)
class BacnetCertificate:
    raw: str
    """The certificate as PEM."""
    role: str
    """``operational`` (the device's own) or ``issuer``."""
    subject: str
    issuer: str
    serial_number: str
    not_before: dt.datetime
    not_after: dt.datetime
    thumbprint: str
    issued: tuple[BacnetCertificate, ...] = ()
    """Nested reads only: the certificates this one issued."""

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> BacnetCertificate:
        return cls(
            raw=raw["raw"],
            role=raw["role"],
            subject=raw["subject"],
            issuer=raw["issuer"],
            serial_number=raw["serialNumber"],
            not_before=_time(raw["notBefore"]),
            not_after=_time(raw["notAfter"]),
            thumbprint=raw["thumbprint"],
            issued=tuple(cls.of(child) for child in raw.get("items") or ()),
        )


@dataclass(frozen=True)
class CertificateImport:
    """What became of one operational certificate of an import."""

    file_name: str
    subject: str
    network_device_id: str | None
    status: int
    message: str | None

    @property
    def written(self) -> bool:
        return 200 <= self.status < 300

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> CertificateImport:
        return cls(
            file_name=raw["fileName"],
            subject=raw["subject"],
            network_device_id=raw.get("networkDeviceId"),
            status=raw["status"],
            message=raw.get("message"),
        )


@dataclass(frozen=True)
class DeviceAnswer:
    """One device's answer in a network-devices batch (its request id is the device id)."""

    device_id: str
    status: int
    body: Any
    pem: str | None = None
    """A signing request's PEM text (the batch sends it base64-encoded)."""
    certificates: tuple[BacnetCertificate, ...] | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str | None:
        if isinstance(self.body, Mapping):
            found = self.body.get("Message")
            return None if found is None else str(found)
        return None


def archive_of(files: Mapping[str, bytes | str]) -> bytes:
    """A ZIP file of certificate files, as the import takes them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


class CertificateMixin(MetasysTransport):
    # Provided by MetasysClient; signing requests are PEM, not JSON, so they need the answer
    # itself rather than the JSON request helpers.
    def check(self, response: httpx.Response) -> Any:
        raise NotImplementedError

    # --- signing requests ------------------------------------------------------------------

    def signing_request(self, device_id: str) -> SigningRequest:
        """The device's pending BACnet/SC signing request (404: it has none)."""
        response = self._pem("GET", _signing_path(device_id))
        return _request_of(response)

    def signing_request_if_changed(self, device_id: str, etag: str) -> SigningRequest | None:
        """The request, or None while its ETag is still ``etag`` (304)."""
        response = self._pem("GET", _signing_path(device_id), headers={"If-None-Match": etag})
        return None if response.status_code == 304 else _request_of(response)

    def create_signing_request(self, device_id: str, subject: CertificateSubject) -> SigningRequest:
        """A new key pair on the device and a request for it (409: one is pending)."""
        response = self._pem("POST", _signing_path(device_id), json=subject.body())
        return _request_of(response)

    def replace_signing_request(
        self, device_id: str, subject: CertificateSubject, *, etag: str = "*"
    ) -> SigningRequest:
        """A new request in place of the pending one; ``etag`` guards against replacing one
        that changed since it was read (``MetasysPreconditionFailed``)."""
        response = self._pem(
            "PUT", _signing_path(device_id), json=subject.body(), headers={"If-Match": etag}
        )
        return _request_of(response)

    def delete_signing_request(self, device_id: str, *, etag: str = "*") -> None:
        self._pem("DELETE", _signing_path(device_id), headers={"If-Match": etag})

    # --- certificates ----------------------------------------------------------------------

    def bacnet_certificates(
        self, device_id: str, *, flatten: bool = True
    ) -> list[BacnetCertificate]:
        """The device's certificates: operational first then issuers, or (``flatten=False``)
        trees of issuers with the certificates they issued."""
        body = self._request(
            "GET",
            _certificate_path(device_id),
            params={"flatten": "true" if flatten else "false"},
        )
        return [BacnetCertificate.of(item) for item in body["items"]]

    def write_bacnet_certificate(self, device_id: str, certificate: str | bytes) -> None:
        """Write an operational certificate (PEM, with its chain if wanted) for the key pair of
        the device's pending signing request."""
        data = certificate.encode() if isinstance(certificate, str) else certificate
        self._request(
            "PUT",
            _certificate_path(device_id),
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    def delete_bacnet_certificates(self, device_id: str) -> None:
        self._request("DELETE", _certificate_path(device_id), params={"loose": "true"})

    def import_bacnet_certificates(
        self, archive: bytes | Mapping[str, bytes | str]
    ) -> list[CertificateImport]:
        """Write many devices' certificates from a ZIP file (or from files, zipped here)."""
        data = archive if isinstance(archive, bytes) else archive_of(archive)
        body = self._request(
            "POST",
            "/networkDevices/certificates/bacnet",
            content=data,
            headers={"Content-Type": "application/zip"},
        )
        return [CertificateImport.of(item) for item in body]

    # --- the batch -------------------------------------------------------------------------

    def batch_signing_requests(
        self,
        method: str,
        device_ids: Sequence[str],
        subject: CertificateSubject | None = None,
    ) -> list[DeviceAnswer]:
        """One method (GET, POST, PUT, DELETE) over many devices' signing requests; POST and PUT
        share ``subject``."""
        body = None if subject is None else subject.body()
        return self._batch(method, "signingRequests/bacnet", device_ids, body)

    def batch_bacnet_certificates(
        self, method: str, device_ids: Sequence[str], certificate: str | None = None
    ) -> list[DeviceAnswer]:
        """One method (GET, PUT, DELETE) over many devices' certificates; PUT writes
        ``certificate`` (PEM) to each."""
        return self._batch(method, "certificates/bacnet", device_ids, certificate)

    def _batch(
        self, method: str, resource: str, device_ids: Sequence[str], shared: Any
    ) -> list[DeviceAnswer]:
        payload: dict[str, Any] = {
            "requests": [
                {"id": device, "method": method, "relativeUrl": f"{_seg(device)}/{resource}"}
                for device in device_ids
            ]
        }
        if shared is not None:
            payload["body"] = shared
        body = self._request("POST", "/networkDevices/batch", json=payload)
        return [_answer(item, resource) for item in body["responses"]]

    # --- PEM transport ---------------------------------------------------------------------

    def _pem(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request whose success is PEM text: the client's login, retry and error rules."""
        headers = {**kwargs.pop("headers", {}), "Accept": PKCS10}
        response = self._respond(method, path, headers=headers, **kwargs)
        if response.status_code == 412:
            raise MetasysPreconditionFailed(412, response_body(response), response.headers)
        if response.status_code >= 400:
            self.check(response)
        return response


def _signing_path(device_id: str) -> str:
    return f"/networkDevices/{_seg(device_id)}/signingRequests/bacnet"


def _certificate_path(device_id: str) -> str:
    return f"/networkDevices/{_seg(device_id)}/certificates/bacnet"


def _request_of(response: httpx.Response) -> SigningRequest:
    return SigningRequest(response.text, response.headers.get("etag"))


def _answer(raw: Mapping[str, Any], resource: str) -> DeviceAnswer:
    status, body = raw["status"], raw.get("body")
    pem = None
    certificates = None
    if 200 <= status < 300 and isinstance(body, str) and resource.startswith("signingRequests"):
        try:
            pem = base64.b64decode(body, validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            pem = None
    if 200 <= status < 300 and isinstance(body, Mapping) and isinstance(body.get("items"), list):
        certificates = tuple(BacnetCertificate.of(item) for item in body["items"])
    return DeviceAnswer(raw["id"], status, body, pem, certificates)
