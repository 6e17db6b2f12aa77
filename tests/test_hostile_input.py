"""No request can make a later request fail: what a write accepts can always be answered back.

Every write operation of every contract gets bodies built from its own schema with values mixed
in that JSON can carry but the encoder cannot answer (lone surrogates, integers beyond 64 bits,
numbers beyond a double, nesting deeper than the encoder goes); then everything is read back.
Nothing answers 5xx, ever.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin import Sandbox, contracts
from tests.atrius.conftest import LIB_ELECTRICITY, LIBRARY, SCI_WATER
from tests.atrius.conftest import token_for as atrius_token
from tests.buildingminds.conftest import record
from tests.buildingminds.conftest import token_for as buildingminds_token
from tests.metasys import certificate_cases
from tests.metasys.conftest import ZONE_SETPOINT, login, object_id, state_of
from tests.support import ContractReader

HUGE = "\x00huge\x00"
"""Stands for the literal ``1e400`` in a body: no float can be it, so it is spliced in as text."""
TINY = "\x00tiny\x00"
"""Stands for ``-1e400``."""
LITERALS = {json.dumps(HUGE): "1e400", json.dumps(TINY): "-1e400"}

HOSTILE_STRINGS = ["x\ud800", "\udc00", "\ud83d tail", "ok\udfff"]
HOSTILE_INTEGERS = [2**64, 2**63, -(2**63) - 1, 10**30, 2**64 - 1, -(2**200)]
HOSTILE_NUMBERS = [HUGE, TINY, 1.7976931348623157e308, 5e-324]


def deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


HOSTILE_ANYWHERE = [deep(70), deep(300), {"k": deep(260)}]

JSON_WRITES = ("post", "put", "patch")
UNREADABLE = re.compile(r"/stream(/keepalive)?$|openapi|/\.well-known/|/discovery/")
"""GETs that are not reads of state: event streams (they never end), discovery documents."""


def encoded(value: Any) -> bytes:
    """``value`` as JSON text, lone surrogates escaped (``\\ud800``) and the stand-ins replaced
    by the literals they stand for."""
    text = json.dumps(value)
    for stand_in, literal in LITERALS.items():
        text = text.replace(stand_in, literal)
    return text.encode("ascii")


# --- each vendor refuses at the write what it could not answer back -----------------------------

METER = {
    "building": LIBRARY,
    "gateway": 48213,
    "displayName": "Boiler Room Temperature",
    "resourceType": "temperature",
    "readingType": "instantaneous",
    "storageUnit": "degf",
    "displayUnit": "degf",
    "sourceUnit": "degc",
    "scope": "submeter",
}


def test_a_lone_surrogate_in_a_meter_name_is_refused_with_400_and_the_list_still_answers(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    atrius = atrius_target(client, sandbox)
    before = atrius.read("/atrius/meters/").json()
    refused = atrius.send("post", "/meters/", encoded({**METER, "displayName": "Boiler\ud800"}))
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "JSON parse error - no low surrogate in string: line 1 column 64 (char 63)"
    }
    after = atrius.read("/atrius/meters/")
    assert after.status_code == 200
    assert after.json() == before


def test_a_meter_with_a_valid_surrogate_pair_in_its_name_is_kept_and_read_back(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    atrius = atrius_target(client, sandbox)
    created = atrius.send(
        "post", "/meters/", encoded({**METER, "displayName": "Boiler \U0001f525"})
    )
    assert created.status_code == 201, created.text
    read = atrius.read(f"/atrius/meters/{created.json()['uuid']}")
    assert read.status_code == 200
    assert read.json()["data"]["displayName"] == "Boiler \U0001f525"


def test_a_reading_of_an_integer_beyond_64_bits_is_kept_as_a_double_and_read_back(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    atrius = atrius_target(client, sandbox)
    body = b'{"data": {"%s": [["2026-11-20T11:00:00Z", %d]]}}' % (LIB_ELECTRICITY.encode(), 2**70)
    pushed = atrius.send("post", "/gateways/48213/data/", body)
    assert pushed.status_code == 200, pushed.text
    read = atrius.read(
        f"/atrius/meters/{LIB_ELECTRICITY}/data/?start=2026-11-20&end=2026-11-20&resolution=live"
    )
    assert read.status_code == 200
    assert [point for point in read.json()["data"] if point["value"] == float(2**70)]


def test_a_lone_surrogate_in_a_record_is_refused_with_400_and_the_batches_still_answer(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    buildingminds = buildingminds_target(client, sandbox)
    batches = "/buildingminds/api/digitaltwinintegration/batch"
    before = buildingminds.read(batches).json()
    site = record("site", "SITE-\udc00")
    refused = buildingminds.send("post", "/api/digitaltwinintegration/site", encoded([site]))
    assert refused.status_code == 400
    assert refused.json() == {"error": "Request validation failed"}
    after = buildingminds.read(batches)
    assert after.status_code == 200
    assert after.json() == before


def test_records_nested_deeper_than_64_levels_are_refused_with_400(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    buildingminds = buildingminds_target(client, sandbox)
    site = record("site", "SITE-DEEP", name=deep(64))
    refused = buildingminds.send("post", "/api/digitaltwinintegration/site", encoded([site]))
    assert refused.status_code == 400
    assert refused.json() == {"error": "Request validation failed"}


def test_a_lone_surrogate_in_an_object_description_is_refused_with_400_and_the_object_still_answers(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    metasys = metasys_target(client, sandbox)
    point = object_id(sandbox, ZONE_SETPOINT)
    url = f"/metasys/api/v4/objects/{point}"
    before = metasys.read(url).json()
    body = encoded({"item": {"description": "Zone \ud800 setpoint"}})
    refused = metasys.send("patch", f"/api/v4/objects/{point}", body)
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/vnd.metasysapi.v4+json"
    assert refused.json() == {"Message": "The request body is not valid JSON."}
    after = metasys.read(url)
    assert after.status_code == 200
    assert after.json() == before


def test_a_control_plane_trigger_with_a_lone_surrogate_is_refused_with_400(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    body = encoded({"type": "alarmValueEnumSet.avHiAlarm", "message": "hot \ud800"})
    refused = client.post(
        f"/_sandbox/metasys/objects/{point}/alarms",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 400
    assert refused.json() == {"error": "body must be JSON"}


# --- parameters: decoded as text they can hold, read as numbers they can be ----------------------


def test_a_percent_encoded_lone_surrogate_in_a_path_is_a_meter_not_found(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    """Paths and query strings are decoded from UTF-8 with replacement characters, so no
    parameter can carry a lone surrogate into state."""
    atrius = atrius_target(client, sandbox)
    response = atrius.read("/atrius/meters/%ED%A0%80")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_number_of_5000_digits_is_an_invalid_page(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    atrius = atrius_target(client, sandbox)
    response = atrius.read(f"/atrius/meters/?page={'9' * 5000}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_page_size_of_5000_digits_is_the_largest_page(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    atrius = atrius_target(client, sandbox)
    response = atrius.read(f"/atrius/meters/?per_page={'9' * 5000}")
    assert response.status_code == 200
    assert (response.json()["count"], len(response.json()["results"])) == (6, 6)


def test_audit_actions_of_5000_digits_are_refused_with_400(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    metasys = metasys_target(client, sandbox)
    response = metasys.read(f"/metasys/api/v4/audits/counts?auditActions={'4' * 5000}")
    assert response.status_code == 400
    assert response.json() == {"Message": "The parameter auditActions must list integers."}


TOKEN_ENDPOINTS = {
    "atrius": (lambda creds: "/atrius/o/token/", 401, {"error": "invalid_client"}),
    "locus": (
        lambda creds: "/locus/oauth/token",
        401,
        {"error": "invalid_client", "error_description": "Client authentication failed"},
    ),
    "buildingminds": (
        lambda creds: f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token",
        400,
        {"error": "invalid_request", "error_codes": [900144]},
    ),
}


@pytest.mark.parametrize("api", sorted(TOKEN_ENDPOINTS))
def test_a_basic_header_with_bytes_beyond_ascii_is_a_malformed_one_not_a_500(
    api: str, client: httpx.Client, sandbox: Sandbox
) -> None:
    path_of, status, expected = TOKEN_ENDPOINTS[api]
    path = path_of(sandbox.credentials()[api])
    form = {"grant_type": "client_credentials"}
    answers = [
        client.post(path, headers={"Authorization": header}, data=form)
        for header in (b"Basic \xff\xfe", b"Basic !!!")
    ]
    for answer in answers:
        assert answer.status_code == status, answer.text
        assert {key: answer.json()[key] for key in expected} == expected


def _chunks_of_1_kib(count: int) -> Iterator[bytes]:
    for _ in range(count):
        yield b"x" * 1024


TOO_LARGE_TOKEN_REQUEST = {
    "error": "invalid_request",
    "error_description": "The request body is larger than 65536 bytes.",
}


@pytest.mark.parametrize("api", sorted(TOKEN_ENDPOINTS))
def test_a_token_request_body_over_64_kib_is_refused_413_as_it_streams_in(
    api: str, client: httpx.Client, sandbox: Sandbox
) -> None:
    path = TOKEN_ENDPOINTS[api][0](sandbox.credentials()[api])
    # Streamed without a Content-Length (chunked), so only the running count can stop it.
    response = client.post(
        path,
        content=_chunks_of_1_kib(80),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE_TOKEN_REQUEST
    assert response.headers["cache-control"] == "no-store"


def test_a_metasys_login_body_over_64_kib_is_refused_with_its_400_as_it_streams_in(
    client: httpx.Client,
) -> None:
    response = client.post(
        "/metasys/api/v4/login",
        content=_chunks_of_1_kib(80),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"Message": "The request body is too large."}


# --- bodies from a schema, hostile values mixed in ----------------------------------------------


class Bodies:
    """Strategies for a contract's request bodies: what its schema describes, with any value
    now and then replaced by one the encoder cannot answer."""

    def __init__(self, reader: ContractReader) -> None:
        self.reader = reader

    def of(self, schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
        schema = self.reader.resolved(schema)
        normal = self._normal(schema, depth)
        hostile = st.sampled_from(self._hostile(schema))
        # One value in six is hostile, so most bodies are valid but for one or two values.
        return st.integers(0, 5).flatmap(lambda n: hostile if n == 0 else normal)

    def around(self, example: Any) -> st.SearchStrategy[Any]:
        """``example`` (a body the contract documents, so valid) with one or two of its values
        replaced: by a hostile value of the same kind, or a string by a longer one (so that
        records with unique names can be written again)."""
        leaves = list(_leaves(example, ()))
        if not leaves:
            return st.just(example)

        def replaced(chosen: list[int]) -> st.SearchStrategy[Any]:
            paths = [leaves[index][0] for index in chosen]
            new = st.tuples(*(self._instead_of(leaves[index][1]) for index in chosen))
            return new.map(lambda values: _with(example, dict(zip(paths, values, strict=True))))

        indexes = st.lists(st.integers(0, len(leaves) - 1), min_size=1, max_size=2, unique=True)
        return indexes.flatmap(replaced)

    def _instead_of(self, value: Any) -> st.SearchStrategy[Any]:
        if isinstance(value, bool) or value is None:
            kind: list[str] = []
        elif isinstance(value, int):
            kind = ["integer"]
        elif isinstance(value, float):
            kind = ["number"]
        else:
            kind = ["string"]
        hostile = st.sampled_from(self._hostile({"type": kind} if kind else {}))
        if isinstance(value, str):
            return st.one_of(hostile, st.text(min_size=1, max_size=6).map(value.__add__))
        return hostile

    def _hostile(self, schema: dict[str, Any]) -> list[Any]:
        types = self._types(schema)
        found: list[Any] = list(HOSTILE_ANYWHERE)
        if "string" in types or not types:
            found += HOSTILE_STRINGS
        if "integer" in types or "number" in types or not types:
            found += HOSTILE_INTEGERS
        if "number" in types or not types:
            found += HOSTILE_NUMBERS
        return found

    @staticmethod
    def _types(schema: dict[str, Any]) -> set[str]:
        kind = schema.get("type")
        if isinstance(kind, list):
            return set(kind)
        if isinstance(kind, str):
            return {kind}
        if "properties" in schema:
            return {"object"}
        return set()

    def _normal(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                return st.one_of([self.of(option, depth) for option in schema[combinator]])
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                part = self.reader.resolved(part)
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return self._normal(merged, depth)
        types = self._types(schema)
        if not types:
            return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
        return st.one_of([self._typed(kind, schema, depth) for kind in sorted(types)])

    def _typed(self, kind: str, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        if kind == "object":
            properties = schema.get("properties", {})
            if not properties or depth > 4:
                return st.dictionaries(st.text(max_size=6), self._leaf(), max_size=2)
            required = set(schema.get("required", []))
            return st.fixed_dictionaries(
                {
                    name: self.of(sub, depth + 1)
                    for name, sub in properties.items()
                    if name in required
                },
                optional={
                    name: self.of(sub, depth + 1)
                    for name, sub in properties.items()
                    if name not in required
                },
            )
        if kind == "array":
            low = min(int(schema.get("minItems", 0)), 3)
            return st.lists(self.of(schema.get("items", {}), depth + 1), min_size=low, max_size=3)
        if kind == "string":
            if schema.get("format") == "date-time":
                return st.sampled_from(["2026-11-20T12:00:00Z", "2026-11-19T08:30:00.000Z"])
            if schema.get("format") == "date":
                return st.sampled_from(["2026-11-20", "2026-01-01"])
            return st.text(max_size=12)
        if kind == "integer":
            return st.integers(schema.get("minimum"), schema.get("maximum"))
        if kind == "number":
            return st.floats(
                schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
            )
        if kind == "boolean":
            return st.booleans()
        return st.none()

    def _leaf(self) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.text(max_size=6),
            st.integers(),
            st.sampled_from(HOSTILE_STRINGS + HOSTILE_INTEGERS + HOSTILE_NUMBERS),
        )


def _leaves(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _with(value: Any, changes: dict[tuple[Any, ...], Any], path: tuple[Any, ...] = ()) -> Any:
    if path in changes:
        return changes[path]
    if isinstance(value, dict):
        return {key: _with(item, changes, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_with(item, changes, (*path, index)) for index, item in enumerate(value)]
    return value


# --- each API: who to be, and which records to write to -----------------------------------------


class Target:
    """One API of the combined app: its contract, a bearer token, and values for each path
    parameter (records that exist, so writes reach state)."""

    def __init__(
        self, api: str, client: httpx.Client, token: str, values: dict[str, list[str]]
    ) -> None:
        self.api = api
        self.client = client
        # Thousands of requests on a frozen clock: the rate limit would answer most of them.
        unlimited = client.patch("/_sandbox/limits", json={api: {"requests": {"enabled": False}}})
        assert unlimited.status_code == 200, unlimited.text
        self.headers = {"Authorization": f"Bearer {token}"}
        self.values = values
        self.reader = ContractReader(contracts.load(api))
        self.bodies = Bodies(self.reader)

    def bodies_for(self, method: str, template: str) -> st.SearchStrategy[Any]:
        """Bodies for a write: from its schema, and around its documented examples."""
        media = self.reader.contract["paths"][template][method]["requestBody"]["content"][
            "application/json"
        ]
        schema = self.reader.resolved(media.get("schema", {}))
        examples = [media["example"]] if "example" in media else []
        examples += [
            self.reader.resolved(e).get("value") for e in media.get("examples", {}).values()
        ]
        if "example" in schema:
            examples.append(schema["example"])
        return st.one_of(self.bodies.of(schema), *(self.bodies.around(e) for e in examples))

    def reads(self) -> Iterator[str]:
        """A concrete path for every GET of the contract that reads state."""
        for method, path, _ in self.reader.operations():
            if method != "get" or UNREADABLE.search(path):
                continue
            names = re.findall(r"\{(\w+)\}", path)
            if any(not self.values.get(name) for name in names):
                continue
            for index in range(max((len(self.values[name]) for name in names), default=1)):
                concrete = path
                for name in names:
                    choices = self.values[name]
                    concrete = concrete.replace(f"{{{name}}}", choices[index % len(choices)])
                yield concrete

    def url(self, path: str) -> str:
        return f"/{self.api}{path}"

    def send(self, method: str, path: str, body: bytes) -> httpx.Response:
        headers = {**self.headers, "Content-Type": "application/json"}
        return self.client.request(method.upper(), self.url(path), content=body, headers=headers)

    def read(self, url: str) -> httpx.Response:
        return self.client.get(url, headers=self.headers)


def atrius_target(client: httpx.Client, sandbox: Sandbox) -> Target:
    creds = sandbox.credentials()["atrius"]
    values = {
        "number": [creds["gateway"]],
        "uuid": [LIB_ELECTRICITY, SCI_WATER],
        "id": [LIBRARY, creds["organization"]],
    }
    return Target("atrius", client, atrius_token(client, creds), values)


def buildingminds_target(client: httpx.Client, sandbox: Sandbox) -> Target:
    creds = sandbox.credentials()["buildingminds"]
    return Target("buildingminds", client, buildingminds_token(client, creds), {"batchId": []})


def metasys_target(client: httpx.Client, sandbox: Sandbox) -> Target:
    creds = sandbox.credentials()["metasys"]
    answer = login(client, str(creds["username"]), str(creds["password"]))
    assert answer.status_code == 200, answer.text
    state = state_of(sandbox)
    point = object_id(sandbox, ZONE_SETPOINT)
    target = Target("metasys", client, answer.json()["accessToken"], {})
    adjusted = target.send(
        "put", f"/api/v4/objects/{point}/commands/adjustCommand", b'{"parameters": [71.5]}'
    )
    assert adjusted.status_code == 200, adjusted.text
    alarm = client.post(
        f"/_sandbox/metasys/objects/{point}/alarms", json={"type": "alarmValueEnumSet.avHiAlarm"}
    )
    assert alarm.status_code == 201, alarm.text
    enumeration = target.send(
        "post",
        "/api/v4/enumerations",
        b'{"item": {"title": "Modes", "members": [{"title": "A"}, {"title": "B"}]}}',
    )
    assert enumeration.status_code == 201, enumeration.text
    audits = target.read(target.url("/api/v4/audits")).json()["items"]
    target.values = {
        "objectId": [point],
        "commandId": ["adjustCommand"],
        "alarmId": [alarm.json()["id"]],
        "auditId": [audits[0]["id"]],
        "controlId": [object_id(sandbox, "ADS1:ADS1/Programming.SA-RESET")],
        "id": [enumeration.json()["item"]["id"]],
        "networkDeviceId": [certificate_cases.engines(state)[0].id],
        "settingId": sorted(target.read(target.url("/api/v4/system/settings")).json()["item"]),
        "userId": sorted(user.id for user in state.users.values()),
    }
    return target


TARGETS = {
    "atrius": atrius_target,
    "buildingminds": buildingminds_target,
    "metasys": metasys_target,
}


APIS = ("atmotube", "atrius", "buildingminds", "locus", "metasys")


def json_writes(api: str) -> list[tuple[str, str]]:
    """(method, path template) of every write of ``api``'s contract that takes a JSON body."""
    return sorted(
        (method, path)
        for method, path, spec in ContractReader(dict(contracts.parsed(api))).operations()
        if method in JSON_WRITES
        and "application/json" in spec.get("requestBody", {}).get("content", {})
    )


WRITES = [
    pytest.param(api, method, path, id=f"{api} {method.upper()} {path}")
    for api in sorted(TARGETS)
    for method, path in json_writes(api)
]


def test_every_write_with_a_json_body_is_covered() -> None:
    """The property below reaches every contract's JSON writes (Locus and Atmotube take none)."""
    assert [api for api in APIS if json_writes(api)] == sorted(TARGETS)


@pytest.mark.parametrize(("api", "method", "template"), WRITES)
def test_no_write_with_hostile_values_makes_any_later_read_fail(
    api: str, method: str, template: str, client: httpx.Client, sandbox: Sandbox
) -> None:
    target = TARGETS[api](client, sandbox)
    bodies = target.bodies_for(method, template)

    @given(data=st.data())
    def write_then_read_back(data: st.DataObject) -> None:
        path = template
        for name in re.findall(r"\{(\w+)\}", template):
            choices = target.values.get(name) or ["unknown"]
            path = path.replace(f"{{{name}}}", data.draw(st.sampled_from(choices), label=name))
        body = encoded(data.draw(bodies, label="body"))
        written = target.send(method, path, body)
        assert written.status_code < 500, (method, path, body, written.text)
        urls = follow_ups(target, template, path, written)
        if api == "buildingminds" and written.status_code == 200:
            batch = written.json()["batchId"]
            target.values["batchId"].append(batch)
            urls.append(target.url(f"/api/digitaltwinintegration/batch/{batch}/inbound"))
        for url in urls:
            read = target.read(url)
            assert read.status_code < 500, (method, path, body, url, read.text)

    write_then_read_back()
    for path in target.reads():
        read = target.read(target.url(path))
        assert read.status_code < 500, (path, read.text)


def follow_ups(target: Target, template: str, path: str, written: httpx.Response) -> list[str]:
    """Where a write's record is read back: its Location, the same path if it can be read, and
    the collection it belongs to."""
    urls = []
    location = written.headers.get("location")
    if location:
        urls.append(location.removeprefix(str(target.client.base_url)))
    readable = {p for m, p, _ in target.reader.operations() if m == "get"}
    if template in readable:
        urls.append(target.url(path))
    parent_template, _, _ = template.rstrip("/").rpartition("/")
    parent, _, _ = path.rstrip("/").rpartition("/")
    for suffix in ("", "/"):
        if parent_template + suffix in readable:
            urls.append(target.url(parent + suffix))
    return urls
