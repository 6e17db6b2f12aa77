"""BACnet/SC certificates of network devices (PRIVATE): signing requests (PEM, served as
``application/pkcs10`` as the reference notes, with an ETag), certificates, the ZIP import and
the network-devices batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from standin.metasys import errors, query
from standin.metasys.http import Caller, caller, json_body, respond
from standin.metasys.state.certificate_batch import NOT_PERMITTED, run_batch
from standin.metasys.state.certificate_import import MAX_ARCHIVE_BYTES, import_archive
from standin.metasys.state.certificates import (
    MAX_CERTIFICATE_BYTES,
    SigningRequest,
    bacnet_device,
    certificate_items,
    etag_matches,
)
from standin.metasys.state.model import MetasysObject

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi

PKCS10 = "application/pkcs10"
CERTIFICATE_TYPES = ("application/octet-stream", "application/x-pem-file")
ARCHIVE_TYPES = ("application/zip", "application/x-zip-compressed")


class CertificateHandlers:
    def __init__(self, api: MetasysApi) -> None:
        self.api = api

    def _device(self, request: Request, *, writes: bool) -> tuple[Caller, MetasysObject]:
        who = caller(self.api, request)
        device = bacnet_device(who.state, request.path_params["networkDeviceId"])
        if writes and not who.user.can_write:
            raise errors.forbidden(NOT_PERMITTED)
        return who, device

    # --- signing requests ------------------------------------------------------------------

    async def read_request(self, request: Request) -> Response:
        who, device = self._device(request, writes=False)
        found = who.state.certificates.signing_request(device)
        unchanged = request.headers.get("if-none-match")
        if unchanged is not None and etag_matches(unchanged, found.etag):
            return Response(status_code=304, headers={"ETag": found.etag})
        return _pem(found, 200)

    async def create_request(self, request: Request) -> Response:
        who, device = self._device(request, writes=True)
        body = await json_body(request)
        return _pem(who.state.certificates.create_request(device, body), 201)

    async def replace_request(self, request: Request) -> Response:
        who, device = self._device(request, writes=True)
        if_match = _if_match(request)
        body = await json_body(request)
        return _pem(who.state.certificates.replace_request(device, body, if_match), 200)

    async def delete_request(self, request: Request) -> Response:
        who, device = self._device(request, writes=True)
        who.state.certificates.delete_request(device, _if_match(request))
        return Response(status_code=204)

    # --- certificates ----------------------------------------------------------------------

    async def read_certificates(self, request: Request) -> Response:
        who, device = self._device(request, writes=False)
        flatten = query.boolean(request.query_params, "flatten", True)
        items = certificate_items(who.state.certificates.certificates(device), flatten)
        return respond({"items": items})

    async def write_certificate(self, request: Request) -> Response:
        who, device = self._device(request, writes=True)
        data = await _binary(request, CERTIFICATE_TYPES, MAX_CERTIFICATE_BYTES)
        who.state.certificates.write(device, data)
        return Response(status_code=204)

    async def delete_certificates(self, request: Request) -> Response:
        who, device = self._device(request, writes=True)
        if not query.boolean(request.query_params, "loose", True):
            raise errors.bad_request("Only loose=true is supported.")
        who.state.certificates.delete_certificates(device)
        return Response(status_code=204)

    async def import_certificates(self, request: Request) -> Response:
        who = caller(self.api, request)
        if not who.user.can_write:
            raise errors.forbidden(NOT_PERMITTED)
        data = await _binary(request, ARCHIVE_TYPES, MAX_ARCHIVE_BYTES)
        return respond(import_archive(who.state, data))

    async def batch(self, request: Request) -> Response:
        who = caller(self.api, request)
        body = await json_body(request)
        return respond({"responses": run_batch(who.state, who.user, body)})


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
    data = await request.body()
    if len(data) > limit:
        raise errors.bad_request("The request body is too large.")
    return data
