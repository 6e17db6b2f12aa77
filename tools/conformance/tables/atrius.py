"""The Atrius client's calls; a success must parse into what the body says, field by field
(written here independently of the client)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from hypothesis import strategies as st

from standin.clients._http import Clock, Sleeper
from standin.clients.atrius import (
    METER_FIELDS,
    AtriusAuthError,
    AtriusClient,
    AtriusError,
    AtriusNotFound,
    AtriusPayloadTooLarge,
    AtriusRateLimited,
    AtriusValidationError,
    Building,
    DataPoint,
    Gateway,
    Meter,
    Organization,
    PushReport,
    Token,
)
from tools.conformance.table import ClientTable, Row
from tools.conformance.values import local_times

TOKEN = "POST /o/token/"
GOOD_TOKEN = {
    "access_token": "generated-token",
    "expires_in": 36000,
    "token_type": "Bearer",
    "scope": "read write",
}
LOCALTIME = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
)
API_NAMES = {api: name for name, api in METER_FIELDS.items()}


def connect(http: httpx.Client, clock: Clock, sleep: Sleeper) -> AtriusClient:
    return AtriusClient("any-id", "any-secret", http=http, clock=clock, sleep=sleep)


def token_answer() -> httpx.Response:
    return httpx.Response(200, json=GOOD_TOKEN)


def param(operation: str, name: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.parameter(operation, name))


def body_of(operation: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.request_body(operation))


# --- what a body must parse into ---------------------------------------------------------------


def typed_building(data: dict[str, Any]) -> Building:
    return Building(
        id=data["id"],
        name=data["name"],
        organization=data["organization"],
        uuid=data.get("uuid"),
        enabled=data.get("enabled"),
        postal_code=data.get("postalCode"),
        time_zone=data.get("timeZone"),
        url=data.get("url"),
    )


def typed_meter(data: dict[str, Any]) -> Meter:
    return Meter(
        uuid=data["uuid"],
        id=data["id"],
        display_name=data["displayName"],
        resource_type=data["resourceType"],
        url=data.get("url"),
        building=data.get("building"),
        gateway=data.get("gateway"),
        reading_type=data.get("readingType"),
        storage_unit=data.get("storageUnit"),
        display_unit=data.get("displayUnit"),
        source_unit=data.get("sourceUnit"),
        scope=data.get("scope"),
        status=data.get("status"),
        vendor_meter_id=data.get("vendorMeterId"),
        default_timescale=data.get("defaultTimescale"),
    )


def equals(expected: Any) -> Any:
    """A row check: the result is ``expected(last body)``."""

    def check(result: Any, bodies: list[Any]) -> None:
        assert result == expected(bodies[-1]), (result, bodies[-1])

    return check


def all_pages(parse: Any) -> Any:
    def check(result: Any, bodies: list[Any]) -> None:
        assert result == [parse(item) for body in bodies for item in body["results"]]

    return check


def typed_data(body: dict[str, Any]) -> list[DataPoint]:
    return [
        DataPoint(
            dt.datetime.fromisoformat(row["localtime"]),
            None if row["value"] is None else float(row["value"]),
        )
        for row in body["data"]
    ]


def same_token(result: Token, bodies: list[Any]) -> None:
    body = bodies[-1]
    assert (result.access_token, result.token_type, result.expires_in, result.scope) == (
        body["access_token"],
        body["token_type"],
        body["expires_in"],
        body.get("scope"),
    ), (result, body)
    assert result.refresh_token == body.get("refresh_token")


def bearer_tokens(request: httpx.Request) -> st.SearchStrategy[Any]:
    """Token answers with ``access_token`` narrowed to RFC 6750's b64token: the contract allows
    any non-empty string, but the token goes into an HTTP header as it is, so a space or a
    non-ASCII character cannot be sent (the client refuses such a token)."""
    response = TABLE.reader.operation(TOKEN).responses()["200"]
    schema = TABLE.values.merged(response["content"]["application/json"]["schema"])
    access_token = {"type": "string", "pattern": "^[A-Za-z0-9._~+/-]+=*$"}
    properties = {**schema["properties"], "access_token": access_token}
    return TABLE.values.valid({**schema, "properties": properties})


# --- calls -------------------------------------------------------------------------------------

GATEWAY = "GET /gateways/{number}"
METER = "GET /meters/{uuid}"


def _create_meter(client: AtriusClient, a: dict[str, Any]) -> object:
    fields = {API_NAMES[k]: v for k, v in a["meter"].items() if k in API_NAMES and v is not None}
    return client.create_meter(**fields)


def _push(client: AtriusClient, a: dict[str, Any]) -> object:
    return client.push(a["gateway"], {a["meter"]: a["points"]}, naive_timestamp_utc=a["naive"])


def _data(client: AtriusClient, a: dict[str, Any]) -> object:
    start = dt.date.fromisoformat(a["start"])
    return client.data(a["meter"], start, start + a["span"], a["resolution"], a["order"])


points = st.lists(
    st.tuples(
        st.datetimes(timezones=st.just(dt.UTC)).map(lambda t: t.isoformat()),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=5,
)

TABLE: ClientTable[AtriusClient] = ClientTable(
    api="atrius",
    client_class=AtriusClient,
    connect=connect,
    origins=("https://api.buildingos.com",),
    errors={
        400: AtriusValidationError,
        401: AtriusAuthError,
        404: AtriusNotFound,
        413: AtriusPayloadTooLarge,
    },
    base_error=AtriusError,
    rate_limited=AtriusRateLimited,
    renews_on_401=True,
    max_retries=3,
    tokens={TOKEN: token_answer},
    overrides={LOCALTIME: local_times},
    rows=(
        Row(
            "token",
            TOKEN,
            lambda c, a: c.token(),
            returns=Token,
            errors={400: AtriusAuthError, 401: AtriusAuthError},
            body=bearer_tokens,
            check=same_token,
        ),
        Row(
            "gateway",
            GATEWAY,
            lambda c, a: c.gateway(a["number"]),
            returns=Gateway,
            arguments={"number": param(GATEWAY, "number")},
            check=equals(
                lambda body: Gateway(
                    id=body["data"]["id"],
                    organization=body["data"]["organization"],
                    object=body["data"]["object"],
                )
            ),
        ),
        Row(
            "organization",
            "GET /organizations/{id}",
            lambda c, a: c.organization(a["id"]),
            returns=Organization,
            arguments={"id": param("GET /organizations/{id}", "id")},
            check=equals(
                lambda body: Organization(
                    id=body["data"]["id"],
                    name=body["data"]["name"],
                    url=body["data"]["url"],
                    object=body["data"]["object"],
                )
            ),
        ),
        Row(
            "buildings",
            "GET /buildings/",
            lambda c, a: c.buildings(per_page=a["per_page"]),
            items=Building,
            arguments={"per_page": st.none() | param("GET /buildings/", "per_page")},
            check=all_pages(typed_building),
        ),
        Row(
            "building",
            "GET /buildings/{id}",
            lambda c, a: c.building(a["id"]),
            returns=Building,
            arguments={"id": param("GET /buildings/{id}", "id")},
            check=equals(lambda body: typed_building(body["data"])),
        ),
        Row(
            "create_building",
            "POST /buildings/",
            lambda c, a: c.create_building(
                a["body"]["organization"],
                a["body"]["name"],
                a["body"]["postalCode"],
                a["body"].get("timeZone"),
            ),
            returns=Building,
            arguments={"body": body_of("POST /buildings/")},
            check=equals(typed_building),
        ),
        Row(
            "meters",
            "GET /meters/",
            lambda c, a: c.meters(a["building"], per_page=a["per_page"]),
            items=Meter,
            arguments={
                "building": st.none() | st.from_regex("[0-9]{1,8}", fullmatch=True),
                "per_page": st.none() | param("GET /meters/", "per_page"),
            },
            check=all_pages(typed_meter),
        ),
        Row(
            "meter",
            METER,
            lambda c, a: c.meter(a["uuid"]),
            returns=Meter,
            arguments={"uuid": param(METER, "uuid")},
            check=equals(lambda body: typed_meter(body["data"])),
        ),
        Row(
            "create_meter",
            "POST /meters/",
            _create_meter,
            returns=Meter,
            arguments={"meter": body_of("POST /meters/")},
            check=equals(typed_meter),
        ),
        Row(
            "update_meter",
            "PATCH /meters/{uuid}",
            lambda c, a: c.update_meter(a["uuid"], partial=True, **a["fields"]),
            returns=Meter,
            arguments={"uuid": param(METER, "uuid"), "fields": body_of("PATCH /meters/{uuid}")},
            check=equals(typed_meter),
            label="PATCH",
        ),
        Row(
            "update_meter",
            "PUT /meters/{uuid}",
            lambda c, a: c.update_meter(a["uuid"], partial=False, **a["fields"]),
            returns=Meter,
            arguments={"uuid": param(METER, "uuid"), "fields": body_of("PUT /meters/{uuid}")},
            check=equals(typed_meter),
            label="PUT",
        ),
        Row(
            "push",
            "POST /gateways/{number}/data",
            _push,
            items=PushReport,
            arguments={
                "gateway": param(GATEWAY, "number"),
                "meter": param(METER, "uuid"),
                "points": points,
                "naive": st.booleans(),
            },
        ),
        Row(
            "data",
            "GET /meters/{uuid}/data/",
            _data,
            items=DataPoint,
            arguments={
                "meter": param(METER, "uuid"),
                "start": param("GET /meters/{uuid}/data/", "start"),
                "span": st.integers(0, 365).map(lambda n: dt.timedelta(days=n)),
                "resolution": param("GET /meters/{uuid}/data/", "resolution"),
                "order": param("GET /meters/{uuid}/data/", "order"),
            },
            check=equals(typed_data),
        ),
    ),
)
