"""The BuildingMinds route table: Azure AD's token endpoint and discovery documents, the entity
endpoints, the batch and inbound-message reads, and the contract."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standin._core.bodies import read_json
from standin._core.clock import isoformat
from standin._core.contracts import contract_response
from standin._core.errors import VendorError
from standin._core.handlers import RoutingErrors
from standin._core.middleware import vendor_path
from standin._core.oauth import client_from_basic, token_form
from standin._core.rendering import JSONBody
from standin._core.seam import Caller, Seam, attribute_credential
from standin._core.tenants import TenantRegistry
from standin.buildingminds import errors
from standin.buildingminds.aad import API_KEY, AzureAd, Directory
from standin.buildingminds.entities import ENTITIES
from standin.buildingminds.state import (
    STATUSES,
    BatchQuery,
    BatchSummary,
    BuildingMindsState,
    InboundMessage,
    InboundQuery,
)

BASE = "/api/digitaltwinintegration"
MAX_RECORDS = 1000
"""Records per request at most (**sandbox choice**; the guide asks for fewer, larger requests)."""
MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", re.ASCII)
_DIGITS = re.compile(r"^[0-9]{1,9}$", re.ASCII)
TOKEN_PATH = "/{tenant}/oauth2/v2.0/token"


def routes(seam: Seam[BuildingMindsState], aad: AzureAd) -> list[BaseRoute]:
    """Azure AD's endpoints answer anyone; the API's only a caller the seam admits (token 401,
    rate limit 429, then audience and role 403)."""
    azure_ad = AzureAdEndpoints(aad, seam.sandbox.tenants)
    entity_routes = [
        Route(f"{BASE}/{path}", seam.guard(submit), methods=["POST"], name=path)
        for path in ENTITIES
    ]
    return [
        Route(TOKEN_PATH, azure_ad.token, methods=["POST"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", azure_ad.openid, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", azure_ad.keys, methods=["GET"]),
        Route("/{tenant}/.well-known/openid-configuration", azure_ad.openid_v1, methods=["GET"]),
        Route("/{tenant}/discovery/keys", azure_ad.keys, methods=["GET"]),
        *entity_routes,
        Route(f"{BASE}/batch", seam.guard(batches), methods=["GET"]),
        Route(f"{BASE}/batch/{{batch_id}}/inbound", seam.guard(inbound), methods=["GET"]),
        Route("/openapi.json", contract, methods=["GET"]),
    ]


def routing_errors(aad: AzureAd) -> RoutingErrors:
    """The gateway's words for unknown paths and methods, except that a wrong method on the
    token endpoint is Azure AD's to answer."""

    def method_not_allowed(request: Request) -> VendorError:
        if vendor_path(request.scope).endswith("/oauth2/v2.0/token"):
            return aad.wrong_method(request.method)
        return errors.method_not_allowed()

    return RoutingErrors(
        not_found=lambda request: errors.not_found(),
        method_not_allowed=method_not_allowed,
        other=lambda status: errors.gateway(status, "Request failed"),
    )


# --- Azure AD ----------------------------------------------------------------------------------


class AzureAdEndpoints:
    def __init__(self, aad: AzureAd, tenants: TenantRegistry) -> None:
        self.aad = aad
        self.tenants = tenants

    async def token(self, request: Request) -> Response:
        form = await token_form(request)
        basic = client_from_basic(request.headers.get("authorization"))
        segment = request.path_params["tenant"]
        client_id = form.get("client_id") if basic is None else basic.client_id
        # The client's tenant, or else the directory's the URL names (both are its credentials).
        attribute_credential(request.scope, self.tenants, API_KEY, client_id, segment)
        body = self.aad.token(segment, form, basic)
        return JSONBody(body, headers=errors.NO_STORE)

    async def openid(self, request: Request) -> Response:
        segment = request.path_params["tenant"]
        directory = self._directory(segment)
        document = self.aad.openid_configuration(directory, segment, base_url(request))
        return JSONBody(document)

    async def openid_v1(self, request: Request) -> Response:
        """The v1.0 document: its issuer is the one the (v1.0) access tokens carry."""
        segment = request.path_params["tenant"]
        directory = self._directory(segment)
        base = base_url(request)
        document = self.aad.openid_configuration(directory, segment, base, v2=False)
        return JSONBody(document)

    async def keys(self, request: Request) -> Response:
        self._directory(request.path_params["tenant"])
        return JSONBody(self.aad.jwks())

    def _directory(self, segment: str) -> Directory:
        directory = self.aad.directory(segment)
        if directory is None:
            raise self.aad.error(
                400,
                "invalid_request",
                90002,
                f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )
        return directory


# --- the API -----------------------------------------------------------------------------------


STEPS_PER_TURN = 200
"""Queued-record steps replayed before other requests get their turn (a few ms of them)."""
RECORDS_PER_TURN = 2_000
"""Records a batch list sums up (in its batches' summaries) before other requests get their
turn (a few ms of them)."""


async def caught_up(state: BuildingMindsState) -> BuildingMindsState:
    """``state`` with every step that fell due replayed, a slice at a time with the event loop
    let go in between: a tenant's 20,000 queued records falling due at once took about half a
    second to replay, and every other request of the sandbox waited behind it."""
    while state.advance(STEPS_PER_TURN):
        await anyio.sleep(0)
    return state


async def submit(request: Request, caller: Caller[BuildingMindsState]) -> Response:
    entity = request.url.path.rstrip("/").rsplit("/", 1)[1]
    records = await records_of(request)
    await caught_up(caller.state)
    submission = caller.state.submit(entity, records)
    if submission.failures:
        raise errors.records_refused(submission.batch_id, submission.failures)
    return JSONBody({"message": "Records accepted and validated", "batchId": submission.batch_id})


async def batches(request: Request, caller: Caller[BuildingMindsState]) -> Response:
    query = batch_query(request.query_params)
    state = await caught_up(caller.state)
    total, page = state.batch_page(query)
    items: list[dict[str, Any]] = []
    counted = 0
    for batch in page:
        # Each batch is summed up over its records: a page of 1,000 batches may cover every
        # record the tenant keeps (80,000), tens of ms. The event loop is let go between
        # slices; each batch is summed up whole, as it stands when its turn comes.
        if counted >= RECORDS_PER_TURN:
            counted = 0
            await anyio.sleep(0)
            # A submission meanwhile may have made room by forgetting the oldest batches.
        if state.batches.get(batch.id) is not batch:
            continue
        items.append(batch_json(state.summary(batch)))
        counted += len(batch.message_ids)
    return JSONBody(envelope(total, items))


async def inbound(request: Request, caller: Caller[BuildingMindsState]) -> Response:
    batch_id = request.path_params["batch_id"]
    query = inbound_query(request.query_params)
    state = await caught_up(caller.state)
    batch = state.batch(batch_id.lower()) if _UUID.match(batch_id) else None
    if batch is None:
        raise errors.batch_not_found()
    total, page = state.inbound(batch, query)
    return JSONBody(envelope(total, [inbound_json(message) for message in page]))


async def contract(request: Request) -> Response:
    return contract_response(request, "buildingminds")


# --- requests --------------------------------------------------------------------------------


async def records_of(request: Request) -> list[Any]:
    """The records of a submission: a JSON array of 1 to ``MAX_RECORDS`` items, only what can
    be echoed back in ``failedMessages`` and ``payload`` (see :func:`read_json`)."""
    body = await read_json(request, MAX_BODY_BYTES, errors.too_large, _refused)
    if not isinstance(body, list) or not body or len(body) > MAX_RECORDS:
        raise errors.request_validation_failed()
    return body


def _refused(reason: str) -> VendorError:
    return errors.request_validation_failed()


def batch_query(params: Any) -> BatchQuery:
    batch_id = params.get("batchId")
    if batch_id is not None and not _UUID.match(batch_id):
        raise errors.request_validation_failed()
    skip, limit = _window(params)
    return BatchQuery(
        batch_id=None if batch_id is None else batch_id.lower(),
        created_from=_day(params.get("createdFrom")),
        created_to=_day(params.get("createdTo")),
        created_at=_day(params.get("createdAt")),
        skip=skip,
        limit=limit,
    )


def inbound_query(params: Any) -> InboundQuery:
    raw_missing = params.get("missingDependencies")
    missing: bool | None = None
    if raw_missing is not None:
        if raw_missing.lower() not in ("true", "false"):
            raise errors.request_validation_failed()
        missing = raw_missing.lower() == "true"
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise errors.request_validation_failed()
    skip, limit = _window(params)
    return InboundQuery(missing_dependencies=missing, status=status, skip=skip, limit=limit)


def _window(params: Any) -> tuple[int, int]:
    raw_skip, raw_limit = params.get("skip", "0"), params.get("limit", str(DEFAULT_LIMIT))
    if not _DIGITS.match(raw_skip) or not _DIGITS.match(raw_limit):
        raise errors.request_validation_failed()
    skip, limit = int(raw_skip), int(raw_limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.request_validation_failed()
    return skip, limit


def _day(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        if not _DAY.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise errors.request_validation_failed() from None


# --- representations -------------------------------------------------------------------------


def envelope(total: int, data: list[Any]) -> dict[str, Any]:
    return {"message": "Success", "totalCount": total, "data": data}


def _instant(seconds: float) -> str:
    return isoformat(datetime.fromtimestamp(seconds, tz=UTC))


def batch_json(summary: BatchSummary) -> dict[str, Any]:
    batch = summary.batch
    return {
        "batchId": batch.id,
        "entityType": ENTITIES[batch.entity].name,
        "status": summary.status,
        "totalRecords": len(batch.message_ids),
        "statusCounts": summary.counts,
        "createdAt": _instant(batch.created_at),
        "updatedAt": _instant(summary.updated_at),
    }


def inbound_json(message: InboundMessage) -> dict[str, Any]:
    return {
        "inboundId": message.id,
        "batchId": message.batch_id,
        "entityType": message.spec.name,
        "entityId": message.entity_id,
        "eventType": message.event_type,
        "status": message.status,
        "missingDependencies": [
            {"entityType": ENTITIES[entity].name, "entityId": entity_id}
            for entity, entity_id in message.missing
        ],
        "message": message.message,
        "payload": message.record,
        "createdAt": _instant(message.created_at),
        "updatedAt": _instant(message.updated_at),
    }


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
