"""The Locus client's calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from hypothesis import strategies as st

from standin.clients._http import Clock, Sleeper
from standin.clients.locus import (
    Alert,
    BaseField,
    Client,
    Component,
    DataRow,
    LocusAuthError,
    LocusBadRequest,
    LocusClient,
    LocusError,
    LocusForbidden,
    LocusNotFound,
    LocusRateLimited,
    LocusUnauthorized,
    Site,
    Token,
)
from tools.conformance.table import ClientTable, Row
from tools.conformance.values import local_times

TOKEN = "POST /oauth/token"
TIMESTAMP = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
)
GRANULARITIES = ("1min", "5min", "15min", "hourly", "daily", "monthly", "yearly")


def connect(http: httpx.Client, clock: Clock, sleep: Sleeper) -> LocusClient:
    return LocusClient("any-id", "any-secret", http=http, clock=clock, sleep=sleep)


def token_answer() -> httpx.Response:
    body = {"access_token": "t", "issued_at": 0, "token_type": "bearer", "expires_in": 3600}
    return httpx.Response(200, json=body)


def ids() -> st.SearchStrategy[int]:
    return st.integers(1, 2**53 - 1)


def param(operation: str, name: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.parameter(operation, name))


def tz() -> st.SearchStrategy[Any]:
    return param("GET /v3/sites/{siteId}/alerts", "tz")


moments = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0)
)
fields = st.lists(st.from_regex("[A-Za-z0-9_]{1,10}", fullmatch=True), min_size=1, max_size=3)
ALERT_FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "updated_since": moments,
        "alert_types": st.lists(
            st.sampled_from(["Device Fault", "Performance Index", "Zero Generation"]), max_size=2
        ),
        "status": st.sampled_from(["open", "closed"]),
        "priorities": st.lists(st.sampled_from(["high", "medium", "low"]), max_size=2),
    },
)


def one(method: str, operation: str, returns: type[Any], path_name: str) -> Row[LocusClient]:
    return Row(
        method,
        operation,
        lambda c, a: getattr(c, method)(a["id"]),
        returns=returns,
        arguments={"id": ids()},
        note=f"{path_name} from its schema's range",
    )


def many(method: str, operation: str, items: type[Any]) -> Row[LocusClient]:
    return Row(
        method,
        operation,
        lambda c, a: getattr(c, method)(a["id"]),
        items=items,
        arguments={"id": ids()},
    )


def _data(method: str) -> Any:
    def call(c: LocusClient, a: dict[str, Any]) -> object:
        end = a["start"] + a["span"]
        return getattr(c, method)(a["id"], a["fields"], a["start"], end, gran=a["gran"], tz=a["tz"])

    return call


def _alerts(method: str) -> Any:
    def call(c: LocusClient, a: dict[str, Any]) -> object:
        return getattr(c, method)(a["id"], tz=a["tz"], **a["filters"])

    return call


DATA_ARGUMENTS = {
    "id": ids(),
    "fields": fields,
    "start": moments,
    "span": st.integers(0, 20 * 24).map(lambda h: dt.timedelta(hours=h)),
    "gran": st.sampled_from(GRANULARITIES),
    "tz": tz(),
}
COMPONENTS = "GET /v3/partners/{partnerId}/components"

TABLE: ClientTable[LocusClient] = ClientTable(
    api="locus",
    client_class=LocusClient,
    connect=connect,
    origins=("https://api.locusenergy.com",),
    errors={400: LocusBadRequest, 401: LocusUnauthorized, 403: LocusForbidden, 404: LocusNotFound},
    base_error=LocusError,
    rate_limited=LocusRateLimited,
    renews_on_401=True,
    max_retries=5,
    tokens={TOKEN: token_answer},
    overrides={TIMESTAMP: local_times},
    rows=(
        Row(
            "token",
            TOKEN,
            lambda c, a: c.token(),
            returns=Token,
            errors={400: LocusAuthError, 401: LocusAuthError},
        ),
        one("client", "GET /v3/clients/{clientId}", Client, "clientId"),
        many("partner_clients", "GET /v3/partners/{partnerId}/clients", Client),
        one("site", "GET /v3/sites/{siteId}", Site, "siteId"),
        many("client_sites", "GET /v3/clients/{clientId}/sites", Site),
        many("partner_sites", "GET /v3/partners/{partnerId}/sites", Site),
        one("install_info", "GET /v3/sites/{siteId}/installinfo", dict, "siteId"),
        one("model_settings", "GET /v3/sites/{siteId}/modelsettings", dict, "siteId"),
        one("component", "GET /v3/components/{componentId}", Component, "componentId"),
        many("site_components", "GET /v3/sites/{siteId}/components", Component),
        many("client_components", "GET /v3/clients/{clientId}/components", Component),
        Row(
            "partner_components",
            COMPONENTS,
            lambda c, a: c.partner_components(a["id"], node_id=a["node"], notes=a["notes"]),
            items=Component,
            arguments={
                "id": ids(),
                "node": st.none() | param(COMPONENTS, "nodeId"),
                "notes": st.none() | param(COMPONENTS, "notes"),
            },
        ),
        many(
            "component_data_available", "GET /v3/components/{componentId}/dataavailable", BaseField
        ),
        many("site_data_available", "GET /v3/sites/{siteId}/dataavailable", BaseField),
        many("bulk_data_available", "GET /v3/partners/{partnerId}/sites/dataavailable", BaseField),
        Row(
            "component_data",
            "GET /v3/components/{componentId}/data",
            _data("component_data"),
            items=DataRow,
            arguments=DATA_ARGUMENTS,
        ),
        Row(
            "site_data",
            "GET /v3/sites/{siteId}/data",
            _data("site_data"),
            items=DataRow,
            arguments=DATA_ARGUMENTS,
        ),
        Row(
            "latest",
            "GET /v3/components/{componentId}/data",
            lambda c, a: c.latest(a["id"], a["fields"], tz=a["tz"]),
            returns=(DataRow, type(None)),
            arguments={"id": ids(), "fields": fields, "tz": tz()},
        ),
        Row(
            "bulk_data",
            "GET /v3/partners/{partnerId}/sites/data",
            lambda c, a: c.bulk_data(
                a["id"], a["fields"], a["start"], a["start"] + a["span"], tz=a["tz"]
            ),
            items=DataRow,
            arguments={
                "id": ids(),
                "fields": fields,
                "start": moments,
                "span": st.integers(0, 800).map(lambda d: dt.timedelta(days=d)),
                "tz": tz(),
            },
        ),
        *(
            Row(
                method,
                f"GET /v3/{kind}/{{{name}}}/alerts",
                _alerts(method),
                items=Alert,
                arguments={"id": ids(), "tz": tz(), "filters": ALERT_FILTERS},
            )
            for method, kind, name in (
                ("partner_alerts", "partners", "partnerId"),
                ("site_alerts", "sites", "siteId"),
                ("component_alerts", "components", "componentId"),
            )
        ),
        Row(
            "component_data_by_node_id",
            COMPONENTS,
            lambda c, a: c.component_data_by_node_id(
                a["id"], "N%", a["fields"], a["start"], a["start"], gran=a["gran"], tz=a["tz"]
            ),
            returns=tuple,
            arguments=DATA_ARGUMENTS,
            also=(
                "GET /v3/components/{componentId}/dataavailable",
                "GET /v3/components/{componentId}/data",
            ),
            may_raise=(LookupError,),
            note="LookupError when the answers name no single component with those fields",
        ),
        Row(
            "lifetime_energy",
            "GET /v3/components/{componentId}/data",
            lambda c, a: c.lifetime_energy(a["id"], tz=a["tz"]),
            returns=float,
            arguments={"id": ids(), "tz": tz()},
        ),
        Row(
            "walk",
            "GET /v3/partners/{partnerId}/sites",
            lambda c, a: c.walk(a["id"]),
            items=tuple,
            arguments={"id": ids()},
            also=(
                "GET /v3/sites/{siteId}/components",
                "GET /v3/components/{componentId}/dataavailable",
            ),
        ),
    ),
)
