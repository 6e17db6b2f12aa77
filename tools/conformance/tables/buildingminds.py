"""The BuildingMinds client's calls."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import httpx
from hypothesis import strategies as st

from standin.clients._http import Clock, Sleeper
from standin.clients.buildingminds import (
    ENTITIES,
    BuildingMindsAuthError,
    BuildingMindsClient,
    BuildingMindsError,
    BuildingMindsForbidden,
    BuildingMindsNotFound,
    BuildingMindsRateLimited,
    BuildingMindsValidationError,
    InboundMessage,
    Onboarding,
    Outcome,
    Page,
    Submission,
    Token,
)
from tools.conformance.runner import PAGES
from tools.conformance.table import ClientTable, Row

API = "/api/digitaltwinintegration"
TOKEN = "POST /{tenant}/oauth2/v2.0/token"
BATCHES = f"GET {API}/batch"
INBOUND = f"GET {API}/batch/{{batchId}}/inbound"
GOOD_TOKEN = {
    "token_type": "Bearer",
    "expires_in": 3599,
    "ext_expires_in": 3599,
    "access_token": "t",
}


def connect(http: httpx.Client, clock: Clock, sleep: Sleeper) -> BuildingMindsClient:
    return BuildingMindsClient(
        "any-id", "any-secret", "api://x", http=http, clock=clock, sleep=sleep
    )


def token_answer() -> httpx.Response:
    return httpx.Response(200, json=GOOD_TOKEN)


def param(operation: str, name: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.parameter(operation, name))


def records(entity: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.request_body(f"POST {API}/{entity}"))


def ending(body: Any, request: httpx.Request, page: int) -> Any:
    """From the third page on, ``totalCount`` says no more follow (the API pages by
    skip/limit, so a drawn total could otherwise ask for pages without end)."""
    if not isinstance(body, dict) or "totalCount" not in body or page + 1 < PAGES:
        return body
    skip = int(dict(parse_qsl(request.url.query.decode())).get("skip", "0"))
    return {**body, "totalCount": skip + len(body.get("data", []))}


def refused_records(status: int, body: Any) -> type[BaseException] | None:
    """A 400 that lists the refused records is a submission (its valid ones are queued);
    any other 400 refuses the request."""
    if status == 400 and isinstance(body, dict) and "failedMessages" in body:
        return None
    return TABLE.errors.get(status, BuildingMindsError)


def _submit(entity: str) -> Any:
    def call(c: BuildingMindsClient, a: dict[str, Any]) -> object:
        return c.submit(entity, a["records"])

    return call


def same_batches(result: Page[Any], bodies: list[Any]) -> None:
    body = bodies[-1]
    assert result.total_count == body["totalCount"]
    assert [b.batch_id for b in result.items] == [b["batchId"] for b in body["data"]]
    assert [b.status_counts for b in result.items] == [b["statusCounts"] for b in body["data"]]


def same_messages(result: Page[InboundMessage], bodies: list[Any]) -> None:
    data = bodies[-1]["data"]
    assert [(m.entity_id, m.status, m.message) for m in result.items] == [
        (m["entityId"], m["status"], m["message"]) for m in data
    ]
    assert [len(m.missing_dependencies) for m in result.items] == [
        len(m["missingDependencies"]) for m in data
    ]


def same_token(result: Token, bodies: list[Any]) -> None:
    assert (result.access_token, result.expires_in) == (
        bodies[-1]["access_token"],
        bodies[-1]["expires_in"],
    )


def accepted_batches(result: Submission, bodies: list[Any]) -> None:
    assert result.batch_ids == tuple(body["batchId"] for body in bodies)
    assert result.failures == ()


BATCH_IDS = st.lists(st.uuids().map(str), min_size=1, max_size=2)

TABLE: ClientTable[BuildingMindsClient] = ClientTable(
    api="buildingminds",
    client_class=BuildingMindsClient,
    connect=connect,
    origins=("https://login.microsoftonline.com", "https://api.onbuildingminds.com"),
    errors={
        400: BuildingMindsValidationError,
        401: BuildingMindsAuthError,
        403: BuildingMindsForbidden,
        404: BuildingMindsNotFound,
    },
    base_error=BuildingMindsError,
    rate_limited=BuildingMindsRateLimited,
    renews_on_401=True,
    max_retries=3,
    tokens={TOKEN: token_answer},
    pages=ending,
    rows=(
        Row(
            "token",
            TOKEN,
            lambda c, a: c.token(),
            returns=Token,
            errors={400: BuildingMindsAuthError, 401: BuildingMindsAuthError},
            check=same_token,
        ),
        Row(
            "batches",
            BATCHES,
            lambda c, a: c.batches(**a["query"]),
            returns=Page,
            check=same_batches,
            arguments={
                "query": st.fixed_dictionaries(
                    {},
                    optional={
                        "batch_id": st.uuids().map(str),
                        "created_from": st.dates(),
                        "created_to": st.dates(),
                        "created_at": st.dates(),
                        "skip": param(BATCHES, "skip"),
                        "limit": param(BATCHES, "limit"),
                    },
                )
            },
        ),
        Row(
            "inbound",
            INBOUND,
            lambda c, a: c.inbound(a["batch"], **a["query"]),
            returns=Page,
            check=same_messages,
            arguments={
                "batch": param(INBOUND, "batchId"),
                "query": st.fixed_dictionaries(
                    {},
                    optional={
                        "status": param(INBOUND, "status"),
                        "missing_dependencies": st.booleans(),
                        "skip": param(INBOUND, "skip"),
                        "limit": param(INBOUND, "limit"),
                    },
                ),
            },
        ),
        Row(
            "all_inbound",
            INBOUND,
            lambda c, a: c.all_inbound(a["batch"]),
            items=InboundMessage,
            arguments={"batch": param(INBOUND, "batchId")},
        ),
        *(
            Row(
                "submit",
                f"POST {API}/{entity}",
                _submit(entity),
                returns=Submission,
                arguments={"records": records(entity)},
                check=accepted_batches,
                expect=refused_records,
                label=entity,
            )
            for entity in ENTITIES
        ),
        Row(
            "wait",
            INBOUND,
            lambda c, a: c.wait(a["batches"], timeout=60.0),
            returns=Outcome,
            arguments={"batches": BATCH_IDS},
        ),
        Row(
            "onboard",
            f"POST {API}/site",
            lambda c, a: c.onboard({"site": a["records"]}, timeout=60.0),
            returns=Onboarding,
            arguments={"records": records("site")},
            also=(INBOUND,),
            expect=refused_records,
        ),
    ),
)
