"""Importing BACnet/SC certificates for many engines at once (PRIVATE): a ZIP file of operational
certificates and their issuers, each operational certificate written to the engine whose pending
signing request it answers."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

from cryptography import x509

from standin._core.errors import VendorError
from standin.metasys import errors
from standin.metasys.state.certificates import (
    MAX_CERTIFICATE_BYTES,
    bacnet_device,
    chain_of,
    is_authority,
    parse_certificates,
)

if TYPE_CHECKING:
    from standin.metasys.state.site import MetasysState

MAX_ARCHIVE_BYTES = 4 * 1024 * 1024
MAX_FILES = 1000
MAX_UNPACKED_BYTES = 16 * 1024 * 1024
"""What the files may add up to once unpacked (a ZIP's sizes can lie; reads are capped)."""


def read_archive(data: bytes) -> list[tuple[str, list[x509.Certificate]]]:
    """Each file of the ZIP with its certificates (400: not a ZIP, too large, or a file that
    holds no certificate)."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise errors.bad_request("The request body is too large.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise errors.bad_request("The request body is not a ZIP file.") from None
    if not entries:
        raise errors.bad_request("The ZIP file holds no certificate.")
    if len(entries) > MAX_FILES:
        raise errors.bad_request(f"The ZIP file holds more than {MAX_FILES} files.")
    files: list[tuple[str, list[x509.Certificate]]] = []
    unpacked = 0
    for info in entries:
        if info.file_size > MAX_CERTIFICATE_BYTES:
            raise errors.bad_request(f"The file {info.filename} is too large.")
        try:
            with archive.open(info) as handle:
                raw = handle.read(MAX_CERTIFICATE_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError):
            raise errors.bad_request(f"The file {info.filename} cannot be read.") from None
        unpacked += len(raw)
        if unpacked > MAX_UNPACKED_BYTES:
            raise errors.bad_request("The ZIP file's contents are too large.")
        try:
            found = parse_certificates(raw)
        except VendorError:
            raise errors.bad_request(f"The file {info.filename} holds no certificate.") from None
        files.append((info.filename, found))
    return files


def import_archive(state: MetasysState, data: bytes) -> list[dict[str, Any]]:
    """One answer per operational certificate in the archive: the engine it went to and the
    status writing it alone would have answered."""
    return import_files(state, read_archive(data))


def import_files(
    state: MetasysState, files: list[tuple[str, list[x509.Certificate]]]
) -> list[dict[str, Any]]:
    """:func:`import_archive` of an archive already read (:func:`read_archive`, which touches
    no state, so it can run off the event loop)."""
    pool = [c for _, found in files for c in found if is_authority(c)]
    answers: list[dict[str, Any]] = []
    for file_name, found in files:
        for certificate in found:
            if is_authority(certificate):
                continue
            answers.append(_import_one(state, file_name, certificate, pool))
    if not answers:
        raise errors.bad_request("The ZIP file holds no operational certificate.")
    return answers


def _import_one(
    state: MetasysState,
    file_name: str,
    certificate: x509.Certificate,
    pool: list[x509.Certificate],
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "fileName": file_name,
        "subject": certificate.subject.rfc4514_string(),
        "networkDeviceId": None,
    }
    book = state.certificates
    try:
        device = book.holder_of(state, certificate)
        answer["networkDeviceId"] = device.id
        bacnet_device(state, device.id)
        book.install(device, [certificate, *chain_of(certificate, pool)])
    except VendorError as refused:
        body = refused.body if isinstance(refused.body, dict) else {}
        return {**answer, "status": refused.status, "message": str(body.get("Message", ""))}
    return {**answer, "status": 204}
