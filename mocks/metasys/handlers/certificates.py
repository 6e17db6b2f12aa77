"""BACnet/SC certificates of network devices (PRIVATE): signing requests (PEM, served as
``application/pkcs10`` as the reference notes, with an ETag), certificates, the ZIP import and
the network-devices batch."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from standin._core.bodies import read_capped
from standin._core.errors import VendorError
from standin._core.seam import Caller
from standin.metasys import errors, query
from standin.metasys.deps import Deps
from standin.metasys.http import json_body, respond
from standin.metasys.state.certificate_batch import NOT_PERMITTED, run_batch
from standin.metasys.state.certificate_import import (
    MAX_ARCHIVE_BYTES,
    import_files,
    read_archive,
)
from standin.metasys.state.certificates import (
    MAX_CERTIFICATE_BYTES,
    SigningRequest,
    bacnet_device,
    certificate_items,
    etag_matches,
    parse_certificates,
)
from standin.metasys.state.model import MetasysObject
from standin.metasys.state.site import MetasysState

PKCS10 = "application/pkcs10"
CERTIFICATE_TYPES = ("application/octet-stream", "application/x-pem-file")
ARCHIVE_TYPES = ("application/zip", "application/x-zip-compressed")


class CertificateHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _device(
        self, request: Request, caller: Caller[MetasysState], *, writes: bool
    ) -> MetasysObject:
        device = bacnet_device(caller.state, request.path_params["networkDeviceId"])
        if writes and not self.deps.user(caller).can_write:
            raise errors.forbidden(NOT_PERMITTED)
        return device

    # --- signing requests ------------------------------------------------------------------

    async def read_request(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = self._device(request, caller, writes=False)
        found = caller.state.certificates.signing_request(device)
        unchanged = request.headers.get("if-none-match")
        if unchanged is not None and etag_matches(unchanged, found.etag):
            return Response(status_code=304, headers={"ETag": found.etag})
        return _pem(found, 200)

    async def create_request(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = self._device(request, caller, writes=True)
        body = await json_body(request)
        return _pem(caller.state.certificates.create_request(device, body), 201)

    async def replace_request(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = self._device(request, caller, writes=True)
        if_match = _if_match(request)
        body = await json_body(request)
        return _pem(caller.state.certificates.replace_request(device, body, if_match), 200)

    async def delete_request(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = self._device(request, caller, writes=True)
        caller.state.certificates.delete_request(device, _if_match(request))
        return Response(status_code=204)

    # --- certificates ----------------------------------------------------------------------

    async def read_certificates(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = self._device(request, caller, writes=False)
        flatten = query.boolean(request.query_params, "flatten", True)
        items = certificate_items(caller.state.certificates.certificates(device), flatten)
        return respond({"items": items})

    async def write_certificate(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = self._device(request, caller, writes=True)
        data = await _binary(request, CERTIFICATE_TYPES, MAX_CERTIFICATE_BYTES)
        # Parsing (up to a megabyte of PEM or PKCS #7) touches no state: off the event loop.
        certificates = await anyio.to_thread.run_sync(parse_certificates, data)
        caller.state.certificates.install(device, certificates)
        return Response(status_code=204)

    async def delete_certificates(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = self._device(request, caller, writes=True)
        if not query.boolean(request.query_params, "loose", True):
            raise errors.bad_request("Only loose=true is supported.")
        caller.state.certificates.delete_certificates(device)
        return Response(status_code=204)

    async def import_certificates(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        if not user.can_write:
            raise errors.forbidden(NOT_PERMITTED)
        data = await _binary(request, ARCHIVE_TYPES, MAX_ARCHIVE_BYTES)
        # Unpacking and parsing the archive (up to 4 MiB) touches no state: off the event loop.
        files = await anyio.to_thread.run_sync(read_archive, data)
        return respond(import_files(caller.state, files))

    async def batch(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        body = await json_body(request)
        return respond({"responses": run_batch(caller.state, user, body)})


def _pem(found: SigningRequest, status: int) -> Response:
    return Response(found.pem, status, {"ETag": found.etag}, PKCS10)


def _if_match(request: Request) -> str:
    value = request.headers.get("if-match")
    if value is None or not value.strip():
        raise errors.bad_request("The If-Match header is required.")
    return value


async def _binary(request: Request, accepted: tuple[str, ...], limit: int) -> bytes:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in accepted:
        raise errors.bad_request(f"Unsupported Content-Type: {media_type or 'none'}.")
    return await read_capped(request, limit, _too_large)


def _too_large(limit: int) -> VendorError:
    return errors.bad_request("The request body is too large.")
