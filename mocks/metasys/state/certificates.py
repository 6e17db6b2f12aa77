"""BACnet/SC certificates of network devices (PRIVATE): each engine's signing request (a real
PKCS#10 request for a key pair the engine keeps), the certificates written to it, and the
sandbox's own test authority that signs requests for integrators.

Engines (SNE, SNC, NAE: classification ``device``) are the BACnet/SC nodes of a Metasys site;
the site director, trunks and MS/TP field controllers (not on IP) hold no BACnet/SC certificate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from standin._core.clock import Clock
from standin.metasys import errors
from standin.metasys.state.model import MetasysObject

if TYPE_CHECKING:
    from standin.metasys.state.site import MetasysState

BACNET_SC_CLASSES = ("device",)
"""Engines: the BACnet/SC nodes (see the module docstring)."""
HOST_NAME_LENGTH = 15
"""An engine's host name is a NetBIOS name (the reference's ``MAC0242AC151706`` is 15 long), so
with a 47-character domain the common name stays within 63 characters."""
TEXT_FIELDS = ("emailAddress", "orgName", "orgUnitName", "city", "stateProvince")
MAX_TEXT = 63
MAX_DOMAIN = 47
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MAX_CERTIFICATE_BYTES = 1024 * 1024
MAX_CERTIFICATES = 100
"""Per body or file: a chain is a handful of certificates; more is refused before it costs."""
MAX_HELD = 100
"""**Sandbox choice:** an engine holds at most 100 certificates (its operational one, and the
authorities written with it or kept from before); a write that would leave it more is refused
with 400 and changes nothing. Deleting its certificates makes room."""
AUTHORITY_DAYS = 3650


@dataclass(frozen=True)
class SigningParameters:
    email_address: str
    org_name: str
    org_unit_name: str
    city: str
    state_province: str
    country: str
    domain_name: str | None


@dataclass
class SigningRequest:
    pem: str
    key: ec.EllipticCurvePrivateKey
    parameters: SigningParameters
    etag: str


@dataclass
class DeviceCredentials:
    """What one engine holds: a pending request, and the certificates written to it (the
    operational one first) with the key of the operational one."""

    request: SigningRequest | None = None
    key: ec.EllipticCurvePrivateKey | None = None
    certificates: list[x509.Certificate] = field(default_factory=list)


@dataclass
class Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


class CertificateBook:
    """A tenant's BACnet/SC credentials, by device id, and its test authority."""

    def __init__(self, clock: Clock, site: str) -> None:
        self.clock = clock
        self.site = site
        self.devices: dict[str, DeviceCredentials] = {}
        self._authority: Authority | None = None

    def of(self, device: MetasysObject) -> DeviceCredentials:
        return self.devices.setdefault(device.id, DeviceCredentials())

    # --- signing requests ------------------------------------------------------------------

    def signing_request(self, device: MetasysObject) -> SigningRequest:
        found = self.of(device).request
        if found is None:
            raise errors.not_found(f"Network device {device.id} has no signing request.")
        return found

    def create_request(self, device: MetasysObject, body: Any) -> SigningRequest:
        held = self.of(device)
        if held.request is not None:
            raise errors.conflict(
                f"Network device {device.id} already has a signing request; replace it instead."
            )
        held.request = new_request(device, signing_parameters(body))
        return held.request

    def replace_request(
        self, device: MetasysObject, body: Any, if_match: str | None
    ) -> SigningRequest:
        self._precondition(device, if_match)
        request = new_request(device, signing_parameters(body))
        self.of(device).request = request
        return request

    def delete_request(self, device: MetasysObject, if_match: str | None) -> None:
        self._precondition(device, if_match)
        self.of(device).request = None

    def _precondition(self, device: MetasysObject, if_match: str | None) -> None:
        """404 without a pending request; 412 when ``If-Match`` does not name it."""
        current = self.signing_request(device)
        if if_match is not None and not etag_matches(if_match, current.etag):
            raise errors.message(
                412, "The signing request has changed: If-Match does not match its ETag."
            )

    # --- certificates ----------------------------------------------------------------------

    def write(self, device: MetasysObject, data: bytes) -> None:
        certificates = parse_certificates(data)
        self.install(device, certificates)

    def install(self, device: MetasysObject, certificates: list[x509.Certificate]) -> None:
        held = self.of(device)
        operational = operational_certificate(certificates)
        public = operational.public_key()
        pending = held.request
        if pending is not None and _same_key(public, pending.key):
            key = pending.key
        elif held.key is not None and _same_key(public, held.key):
            key = held.key
        else:
            raise errors.bad_request(
                "The certificate's public key does not match the device's signing request."
            )
        self._check_validity(operational)
        issuers = [c for c in certificates if c is not operational]
        kept = [c for c in held.certificates[1:] if not _listed(c, issuers)]
        if 1 + len(issuers) + len(kept) > MAX_HELD:
            raise errors.bad_request(
                f"Sandbox quota: an engine holds at most {MAX_HELD:,} certificates; this write "
                f"would leave it {1 + len(issuers) + len(kept):,}. Delete its certificates "
                "(DELETE /networkDevices/{networkDeviceId}/certificates/bacnet) to make room."
            )
        _check_chain(operational, [*issuers, *kept])
        held.certificates = [operational, *issuers, *kept]
        held.key = key
        if pending is not None and key is pending.key:
            held.request = None

    def _check_validity(self, certificate: x509.Certificate) -> None:
        now = self.clock.now()
        if certificate.not_valid_after_utc <= now:
            raise errors.bad_request("The certificate has expired.")
        if certificate.not_valid_before_utc > now:
            raise errors.bad_request("The certificate is not valid yet.")

    def certificates(self, device: MetasysObject) -> list[x509.Certificate]:
        return list(self.of(device).certificates)

    def delete_certificates(self, device: MetasysObject) -> None:
        held = self.of(device)
        if not held.certificates:
            raise errors.not_found(f"Network device {device.id} has no BACnet/SC certificate.")
        held.certificates = []
        held.key = None

    def holder_of(self, state: MetasysState, certificate: x509.Certificate) -> MetasysObject:
        """The engine whose pending signing request the certificate answers (404 otherwise)."""
        public = certificate.public_key()
        for device in state.network_devices():
            pending = self.devices.get(device.id, DeviceCredentials()).request
            if pending is not None and _same_key(public, pending.key):
                return device
        raise errors.not_found("No network device has a signing request for this certificate.")

    # --- the sandbox's test authority ------------------------------------------------------

    def authority(self) -> Authority:
        if self._authority is None:
            key = ec.generate_private_key(ec.SECP384R1())
            name = x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "standin sandbox"),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"{self.site} BACnet/SC Test CA"),
                ]
            )
            now = self.clock.now()
            certificate = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=AUTHORITY_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .sign(key, hashes.SHA256())
            )
            self._authority = Authority(key, certificate)
        return self._authority

    def sign(self, device: MetasysObject, days: int) -> str:
        """The device's pending request signed by the test authority: the operational
        certificate and the authority's, as PEM."""
        request = x509.load_pem_x509_csr(self.signing_request(device).pem.encode())
        return issue(request, self.authority(), self.clock.now(), days)


# --- requests -------------------------------------------------------------------------------


def signing_parameters(body: Any) -> SigningParameters:
    """The CSR parameters of a create or replace body (400 for anything the reference's schema
    refuses, or that a certificate cannot hold)."""
    if not isinstance(body, Mapping):
        raise errors.bad_request("The request body must be a JSON object.")
    values: dict[str, str] = {}
    for name in (*TEXT_FIELDS, "country"):
        value = body.get(name)
        if value is None:
            raise errors.bad_request(f"The {name} field is required.")
        values[name] = _text(name, value, MAX_TEXT)
    if "@" not in values["emailAddress"]:
        raise errors.bad_request("The emailAddress field is not a valid e-mail address.")
    if not COUNTRY.match(values["country"]):
        raise errors.bad_request("The country field must be a two-letter country code.")
    domain = body.get("domainName")
    return SigningParameters(
        email_address=values["emailAddress"],
        org_name=values["orgName"],
        org_unit_name=values["orgUnitName"],
        city=values["city"],
        state_province=values["stateProvince"],
        country=values["country"].upper(),
        domain_name=None if domain is None else _text("domainName", domain, MAX_DOMAIN),
    )


def _text(name: str, value: Any, longest: int) -> str:
    if not isinstance(value, str):
        raise errors.bad_request(f"The {name} field must be a string.")
    if not 1 <= len(value) <= longest:
        raise errors.bad_request(f"The {name} field must be 1 to {longest} characters long.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise errors.bad_request(f"The {name} field is not valid text.") from None
    return value


def common_name(device: MetasysObject, domain: str | None) -> str:
    host = device.name[:HOST_NAME_LENGTH]
    return host if domain is None else f"{host}.{domain}"


def new_request(device: MetasysObject, parameters: SigningParameters) -> SigningRequest:
    """A fresh key pair on the device and a PKCS#10 request for it, as the reference's example
    (P-384, ECDSA with SHA-256; subject C, ST, L, O, OU, CN, emailAddress)."""
    key = ec.generate_private_key(ec.SECP384R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, parameters.country),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, parameters.state_province),
            x509.NameAttribute(NameOID.LOCALITY_NAME, parameters.city),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, parameters.org_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, parameters.org_unit_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name(device, parameters.domain_name)),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, parameters.email_address),
        ]
    )
    request = (
        x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    )
    pem = request.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return SigningRequest(pem, key, parameters, etag_of(pem))


def etag_of(text: str) -> str:
    """The reference's ETag example is a base64 SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode("ascii")


def etag_matches(header: str, etag: str) -> bool:
    """``If-Match`` / ``If-None-Match``: ``*``, or a list of tags, quoted or not, weak or not."""
    for candidate in header.split(","):
        tag = candidate.strip().removeprefix("W/").strip('"')
        if tag in ("*", etag):
            return True
    return False


# --- certificates ---------------------------------------------------------------------------


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """The certificates of a PEM bundle, a DER certificate or a PKCS#7 file (400 otherwise)."""
    if not data.strip():
        raise errors.bad_request("A certificate is required.")
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise errors.bad_request("The request body is too large.")
    readers = (
        x509.load_pem_x509_certificates,
        lambda raw: [x509.load_der_x509_certificate(raw)],
        pkcs7.load_pem_pkcs7_certificates,
        pkcs7.load_der_pkcs7_certificates,
    )
    for read in readers:
        with warnings.catch_warnings():
            # cryptography warns of what RFC 5280 forbids (a serial number that is not
            # positive, a country code of another length): a device refuses those too.
            warnings.simplefilter("error")
            try:
                found = read(data)
            except (ValueError, x509.InvalidVersion, Warning):
                continue
            if len(found) > MAX_CERTIFICATES:
                raise errors.bad_request(
                    f"The data holds more than {MAX_CERTIFICATES} certificates."
                )
            if found:
                for certificate in found:
                    _readable(certificate)
                return list(found)
    raise errors.bad_request("The body is not a certificate in PEM, DER or PKCS #7 form.")


def _readable(certificate: x509.Certificate) -> None:
    """Parsing is lazy: a certificate whose names, extensions or key cannot be read is 400
    here rather than a failure later."""
    try:
        certificate.subject.rfc4514_string()
        certificate.issuer.rfc4514_string()
        _ = certificate.extensions
        certificate.public_key()
        _ = certificate.not_valid_after_utc, certificate.not_valid_before_utc
        if certificate.serial_number < 0:
            raise ValueError("negative serial number")
    except (ValueError, TypeError, UnsupportedAlgorithm, Warning):
        raise errors.bad_request("The certificate cannot be read.") from None


def is_authority(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def operational_certificate(certificates: list[x509.Certificate]) -> x509.Certificate:
    leaves = [c for c in certificates if not is_authority(c)]
    if not leaves:
        raise errors.bad_request("The data holds no operational certificate.")
    if len(leaves) > 1:
        raise errors.bad_request("The data holds more than one operational certificate.")
    return leaves[0]


def _same_key(public: Any, key: ec.EllipticCurvePrivateKey) -> bool:
    encoding, form = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    mine = key.public_key().public_bytes(encoding, form)
    try:
        theirs = public.public_bytes(encoding, form)
    except (AttributeError, TypeError, ValueError):
        return False
    return bool(mine == theirs)


def _listed(certificate: x509.Certificate, among: list[x509.Certificate]) -> bool:
    return any(certificate == other for other in among)


def _check_chain(operational: x509.Certificate, issuers: list[x509.Certificate]) -> None:
    """Each certificate whose issuer is present must be signed by it (400 otherwise)."""
    for certificate in [operational, *issuers]:
        if certificate.issuer == certificate.subject:
            continue
        named = [c for c in issuers if c.subject == certificate.issuer and c != certificate]
        if named and not any(_issued_by(certificate, issuer) for issuer in named):
            raise errors.bad_request(
                f"The certificate {certificate.subject.rfc4514_string()} is not signed by its "
                "issuer's certificate."
            )


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def chain_of(certificate: x509.Certificate, pool: list[x509.Certificate]) -> list[x509.Certificate]:
    """``certificate``'s issuers found in ``pool``, nearest first."""
    chain: list[x509.Certificate] = []
    current = certificate
    while current.issuer != current.subject:
        issuer = next(
            (c for c in pool if c.subject == current.issuer and c not in chain and c != current),
            None,
        )
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return chain


def issue(
    request: x509.CertificateSigningRequest,
    authority: Authority,
    now: dt.datetime,
    days: int,
) -> str:
    certificate = (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(authority.certificate.subject)
        .public_key(request.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )
    return "".join(
        c.public_bytes(serialization.Encoding.PEM).decode("ascii")
        for c in (certificate, authority.certificate)
    )


# --- views ----------------------------------------------------------------------------------


def certificate_view(certificate: x509.Certificate, operational: bool) -> dict[str, Any]:
    return {
        "raw": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "role": "operational" if operational else "issuer",
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serialNumber": format(certificate.serial_number, "X"),
        "notBefore": _iso(certificate.not_valid_before_utc),
        "notAfter": _iso(certificate.not_valid_after_utc),
        "thumbprint": certificate.fingerprint(hashes.SHA256()).hex().upper(),
    }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def certificate_items(certificates: list[x509.Certificate], flatten: bool) -> list[dict[str, Any]]:
    """A device's certificates as a flat list (operational first), or as trees: each root an
    issuer not itself issued by a listed certificate, its ``items`` the certificates it issued."""
    views = [certificate_view(c, index == 0) for index, c in enumerate(certificates)]
    if flatten:
        return views

    def parent(index: int) -> int | None:
        certificate = certificates[index]
        if certificate.issuer == certificate.subject:
            return None
        for other, candidate in enumerate(certificates):
            if other != index and candidate.subject == certificate.issuer:
                return other
        return None

    parents = [parent(index) for index in range(len(certificates))]

    reached: set[int] = set()

    def node(index: int) -> dict[str, Any]:
        reached.add(index)
        children = [
            node(child) for child, up in enumerate(parents) if up == index and child not in reached
        ]
        return {**views[index], "items": children}

    trees = [node(index) for index, up in enumerate(parents) if up is None]
    # Certificates that issue each other in a loop have no root: each heads its own tree.
    trees += [node(index) for index in range(len(certificates)) if index not in reached]
    return trees


def pem_base64(pem: str) -> str:
    """The batch operation's form of a signing request: the PEM text, base64-encoded."""
    return base64.b64encode(pem.encode("ascii")).decode("ascii")


# --- which devices ----------------------------------------------------------------------------


def bacnet_device(state: MetasysState, device_id: str) -> MetasysObject:
    """An online engine (404 unknown, 400 another kind of device, 503 offline)."""
    device = state.network_device(device_id)
    if device.type.classification not in BACNET_SC_CLASSES:
        raise errors.bad_request(
            f"Network device {device_id} does not support BACnet/SC certificates."
        )
    state.require_online(device)
    return device
