"""The Metasys client's calls added by part 3 (certificates, administration, controls,
enumerations, schemas and subscriptions), joined to ``metasys.TABLE`` at its end."""

from __future__ import annotations

import base64
import datetime as dt
import string
import textwrap
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
from hypothesis import strategies as st

from standin.clients.metasys import MetasysError, MetasysForbidden, MetasysValidationError
from standin.clients.metasys_admin import (
    INTERVALS,
    AuditCount,
    BulkResult,
    ObjectTree,
    ObjectTreeInfo,
    SystemSettings,
    TimeSeries,
    UserAccount,
)
from standin.clients.metasys_certificates import (
    BacnetCertificate,
    CertificateImport,
    CertificateSubject,
    DeviceAnswer,
    MetasysPreconditionFailed,
    SigningRequest,
    archive_of,
)
from standin.clients.metasys_controls import (
    BlockDefinition,
    Diagram,
    DiagramSubscription,
    MetasysDiagramForbidden,
    MetasysDiagramInvalid,
    Palette,
)
from standin.clients.metasys_enumerations import Enumeration, EnumerationSummary
from standin.clients.metasys_results import ObjectSummary
from standin.clients.metasys_site import WELL_KNOWN_QUERIES
from standin.clients.metasys_transport import seg
from tools.conformance.table import Row
from tools.conformance.tables.metasys import (
    TABLE,
    V4,
    assert_equal,
    body_of,
    by_id,
    each,
    field,
    param,
    plain,
)

PRIVATE = "/api/private-api/v4"
ORIGIN = "https://metasys.standin.example"
SIGNING = f"{V4}/networkDevices/{{networkDeviceId}}/signingRequests/bacnet"
CERTIFICATES = f"{V4}/networkDevices/{{networkDeviceId}}/certificates/bacnet"
DIAGRAM = f"{V4}/controls/{{controlId}}/diagram"
OBJECT_TYPE = f"GET {V4}/schemas/objectTypes/{{objectType}}"
NOT_MODIFIED = "304 answers only a request with If-None-Match, which this call never sends"

devices = param(f"GET {SIGNING}", "networkDeviceId")
object_ids = param(f"GET {V4}/objects/{{objectId}}", "objectId")
subjects = body_of(f"POST {SIGNING}").map(
    lambda b: CertificateSubject(
        email_address=b["emailAddress"],
        org_name=b["orgName"],
        org_unit_name=b["orgUnitName"],
        city=b["city"],
        state_province=b["stateProvince"],
        country=b["country"],
        domain_name=b.get("domainName"),
    )
)
pem_texts = st.binary(min_size=1, max_size=120).map(
    lambda der: (
        "-----BEGIN CERTIFICATE REQUEST-----\n"
        + "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
        + "\n-----END CERTIFICATE REQUEST-----\n"
    )
) | st.text(string.printable, min_size=1, max_size=80)
"""A PEM answer (its text kept to the last newline), or any text: the contract says only
``type: string``."""
moments = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 1, 1), timezones=st.just(dt.UTC))
file_names = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=12)
certificate_files = st.dictionaries(
    file_names, st.binary(max_size=64) | st.text(max_size=64), min_size=1, max_size=3
)


def pem_answers(request: httpx.Request) -> st.SearchStrategy[Any]:
    return pem_texts


def diagram_refusals(status: int, body: Any) -> type[BaseException] | None:
    """A refused diagram with the reference's error hierarchy (a ``statusName``) is typed as
    such; any other refusal is the status's error."""
    typed = isinstance(body, dict) and isinstance(body.get("statusName"), str)
    if status == 400:
        return MetasysDiagramInvalid if typed else MetasysValidationError
    if status == 403:
        return MetasysDiagramForbidden if typed else MetasysForbidden
    return TABLE.errors.get(status, MetasysError)


def private(method: str, path: str, call: Any, **expected: Any) -> Row[Any]:
    """A system operation, under ``/api/private-api/v4`` (beside ``/api/v4``)."""
    return Row(method, f"{path.split()[0]} {PRIVATE}{path.split()[1]}", call, **expected)


def unsubscribe(method: str, kind: str) -> Row[Any]:
    operation = f"DELETE {V4}/{kind}/streams/{{streamId}}/subscriptions/{{subscriptionId}}"
    return Row(
        method,
        operation,
        lambda c, a: getattr(c, method)(a["stream"], a["subscription"]),
        arguments={
            "stream": param(operation, "streamId"),
            "subscription": param(operation, "subscriptionId"),
        },
    )


def well_known(query: str) -> Row[Any]:
    """The objects a supervisory device's well-known query selects, every page."""
    operation = f"GET /objects/{{objectId}}/objects/wellKnownQuery/{query}"
    return plain(
        "well_known_objects",
        operation,
        lambda c, a: c.well_known_objects(a["id"], query),
        items=ObjectSummary,
        arguments={"id": param(f"GET {V4}{operation.split()[1]}", "objectId")},
        label=query,
    )


def location_of(stream: str, subscription: str) -> str:
    """A diagram subscription's URL, as METASYS-SUBSCRIPTION-LOCATION gives it."""
    return f"{ORIGIN}{V4}/controls/streams/{seg(stream)}/subscriptions/{seg(subscription)}"


UNSUBSCRIBE_DIAGRAM = f"DELETE {V4}/controls/streams/{{streamId}}/subscriptions/{{subscriptionId}}"

ROWS: tuple[Row[Any], ...] = (
    # --- certificates -----------------------------------------------------------------------
    Row(
        "signing_request",
        f"GET {SIGNING}",
        lambda c, a: c.signing_request(a["device"]),
        returns=SigningRequest,
        arguments={"device": devices},
        statuses=(200, 400, 401, 403, 404, 503),
        body=pem_answers,
        note=NOT_MODIFIED,
    ),
    Row(
        "signing_request_if_changed",
        f"GET {SIGNING}",
        lambda c, a: c.signing_request_if_changed(a["device"], a["etag"]),
        returns=SigningRequest,
        arguments={"device": devices, "etag": param(f"GET {SIGNING}", "If-None-Match")},
        statuses=(200, 400, 401, 403, 404, 503),
        body=pem_answers,
        note="the 304 in its own row",
        label="changed",
    ),
    Row(
        "signing_request_if_changed",
        f"GET {SIGNING}",
        lambda c, a: c.signing_request_if_changed(a["device"], a["etag"]),
        arguments={"device": devices, "etag": param(f"GET {SIGNING}", "If-None-Match")},
        statuses=(304,),
        expect=lambda status, body: None,
        note="304 (not modified) answers None; the other statuses in the row above",
        label="unchanged",
    ),
    Row(
        "create_signing_request",
        f"POST {SIGNING}",
        lambda c, a: c.create_signing_request(a["device"], a["subject"]),
        returns=SigningRequest,
        arguments={"device": devices, "subject": subjects},
        body=pem_answers,
    ),
    Row(
        "replace_signing_request",
        f"PUT {SIGNING}",
        lambda c, a: c.replace_signing_request(a["device"], a["subject"], etag=a["etag"]),
        returns=SigningRequest,
        arguments={
            "device": devices,
            "subject": subjects,
            "etag": param(f"PUT {SIGNING}", "If-Match"),
        },
        body=pem_answers,
        errors={412: MetasysPreconditionFailed},
    ),
    Row(
        "delete_signing_request",
        f"DELETE {SIGNING}",
        lambda c, a: c.delete_signing_request(a["device"], etag=a["etag"]),
        arguments={"device": devices, "etag": param(f"DELETE {SIGNING}", "If-Match")},
        errors={412: MetasysPreconditionFailed},
    ),
    Row(
        "bacnet_certificates",
        f"GET {CERTIFICATES}",
        lambda c, a: c.bacnet_certificates(a["device"], flatten=a["flatten"]),
        items=BacnetCertificate,
        arguments={"device": devices, "flatten": st.booleans()},
    ),
    Row(
        "write_bacnet_certificate",
        f"PUT {CERTIFICATES}",
        lambda c, a: c.write_bacnet_certificate(a["device"], a["certificate"]),
        arguments={
            "device": devices,
            "certificate": pem_texts | st.binary(min_size=1, max_size=64),
        },
    ),
    Row(
        "delete_bacnet_certificates",
        f"DELETE {CERTIFICATES}",
        lambda c, a: c.delete_bacnet_certificates(a["device"]),
        arguments={"device": devices},
    ),
    plain(
        "import_bacnet_certificates",
        "POST /networkDevices/certificates/bacnet",
        lambda c, a: c.import_bacnet_certificates(a["archive"]),
        items=CertificateImport,
        arguments={"archive": certificate_files | certificate_files.map(archive_of)},
    ),
    plain(
        "batch_signing_requests",
        "POST /networkDevices/batch",
        lambda c, a: c.batch_signing_requests(a["method"], a["devices"], a["subject"]),
        items=DeviceAnswer,
        arguments={
            "method": st.sampled_from(("GET", "POST", "PUT", "DELETE")),
            "devices": st.lists(devices, min_size=1, max_size=3),
            "subject": st.none() | subjects,
        },
    ),
    plain(
        "batch_bacnet_certificates",
        "POST /networkDevices/batch",
        lambda c, a: c.batch_bacnet_certificates(a["method"], a["devices"], a["certificate"]),
        items=DeviceAnswer,
        arguments={
            "method": st.sampled_from(("GET", "PUT", "DELETE")),
            "devices": st.lists(devices, min_size=1, max_size=3),
            "certificate": st.none() | pem_texts,
        },
    ),
    # --- system, users, time series, trees, bulk, audits ------------------------------------
    private(
        "system_capabilities",
        "GET /system/capabilities",
        lambda c, a: c.system_capabilities(),
        returns=dict,
    ),
    private(
        "system_settings",
        "GET /system/settings",
        lambda c, a: c.system_settings(include_schema=a["schema"]),
        returns=SystemSettings,
        arguments={"schema": st.booleans()},
    ),
    private(
        "update_system_setting",
        "PATCH /system/settings/{settingId}",
        lambda c, a: c.update_system_setting(a["id"], a["body"]["item"]),
        arguments={
            "id": param(f"PATCH {PRIVATE}/system/settings/{{settingId}}", "settingId"),
            "body": body_of(f"PATCH {PRIVATE}/system/settings/{{settingId}}"),
        },
    ),
    by_id("user_account", "GET /users/{userId}", "userId", returns=UserAccount),
    plain(
        "edit_user",
        "PATCH /users/{userId}",
        lambda c, a: c.edit_user(
            a["id"],
            full_name=a["body"].get("profile", {}).get("fullName"),
            email=a["body"].get("profile", {}).get("primaryEmail"),
            session_timeout_minutes=a["body"].get("profile", {}).get("sessionTimeoutMinutes"),
        ),
        returns=UserAccount,
        arguments={
            "id": param(f"PATCH {V4}/users/{{userId}}", "userId"),
            "body": body_of(f"PATCH {V4}/users/{{userId}}"),
        },
    ),
    plain(
        "time_series",
        "GET /timeSeries",
        lambda c, a: c.time_series(a["search"]),
        items=TimeSeries,
        arguments={"search": st.none() | param(f"GET {V4}/timeSeries", "searchString")},
    ),
    plain(
        "object_trees", "GET /objects/trees", lambda c, a: c.object_trees(), items=ObjectTreeInfo
    ),
    plain(
        "object_tree",
        "GET /objects/trees/{treeId}",
        lambda c, a: c.object_tree(
            a["id"], permissions=a["permissions"], conditions=a["conditions"]
        ),
        returns=ObjectTree,
        arguments={
            "id": param(f"GET {V4}/objects/trees/{{treeId}}", "treeId"),
            "permissions": st.booleans(),
            "conditions": st.booleans(),
        },
    ),
    by_id("public_view", "GET /objects/{objectId}/publicView", "objectId", returns=dict),
    plain(
        "create_objects",
        "POST /objects/bulk",
        lambda c, a: c.create_objects(a["body"]),
        items=BulkResult,
        arguments={"body": body_of(f"POST {V4}/objects/bulk")},
    ),
    plain(
        "audit_counts",
        "GET /audits/counts",
        lambda c, a: c.audit_counts(
            a["start"], a["end"], interval=a["interval"], audit_actions=a["actions"]
        ),
        items=AuditCount,
        arguments={
            "start": moments,
            "end": moments,
            "interval": st.sampled_from(INTERVALS),
            "actions": st.none() | st.lists(st.integers(0, 2**31 - 1), max_size=3),
        },
    ),
    plain(
        "annotate_alarm",
        "POST /alarms/{alarmId}/annotations",
        lambda c, a: c.annotate_alarm(a["id"], a["body"]["text"]),
        arguments={
            "id": param(f"POST {V4}/alarms/{{alarmId}}/annotations", "alarmId"),
            "body": body_of(f"POST {V4}/alarms/{{alarmId}}/annotations"),
        },
    ),
    by_id(
        "network_device_alarms",
        "GET /networkDevices/{networkDeviceId}/alarms",
        "networkDeviceId",
        items=dict,
    ),
    by_id("audit", "GET /audits/{auditId}", "auditId", returns=dict),
    plain("audit_users", "GET /audits/users", lambda c, a: c.audit_users(), items=str),
    unsubscribe("unsubscribe_activities", "activities"),
    # --- objects' attributes and schemas ----------------------------------------------------
    by_id("attributes", "GET /objects/{objectId}/attributes", "objectId", returns=dict),
    by_id("enumeration_schema", "GET /schemas/enums/{enumId}", "enumId", returns=dict),
    plain(
        "object_type_schema",
        "GET /schemas/objectTypes/{objectType}",
        lambda c, a: c.object_type_schema(a["type"], a["parent"]),
        returns=dict,
        arguments={
            "type": param(OBJECT_TYPE, "objectType"),
            "parent": param(OBJECT_TYPE, "parentId"),
        },
    ),
    unsubscribe("unsubscribe_objects", "objects"),
    *(well_known(query) for query in WELL_KNOWN_QUERIES),
    # --- controls ---------------------------------------------------------------------------
    by_id("diagram", "GET /controls/{controlId}/diagram", "controlId", returns=Diagram),
    Row(
        "subscribe_diagram",
        f"GET {DIAGRAM}",
        lambda c, a: c.subscribe_diagram(a["id"], a["stream"]),
        returns=DiagramSubscription,
        arguments={
            "id": param(f"GET {DIAGRAM}", "controlId"),
            "stream": param(f"GET {DIAGRAM}", "METASYS-SUBSCRIBE"),
        },
    ),
    Row(
        "unsubscribe_diagram",
        UNSUBSCRIBE_DIAGRAM,
        lambda c, a: c.unsubscribe_diagram(location_of(a["stream"], a["subscription"])),
        arguments={
            "stream": param(UNSUBSCRIBE_DIAGRAM, "streamId"),
            "subscription": param(UNSUBSCRIBE_DIAGRAM, "subscriptionId"),
        },
    ),
    Row(
        "replace_diagram",
        f"PUT {DIAGRAM}",
        lambda c, a: c.replace_diagram(a["id"], a["body"]["item"]),
        returns=Diagram,
        arguments={
            "id": param(f"PUT {DIAGRAM}", "controlId"),
            "body": body_of(f"PUT {DIAGRAM}"),
        },
        expect=diagram_refusals,
    ),
    by_id("palette", "GET /controls/palettes/{paletteId}", "paletteId", returns=Palette),
    plain(
        "palette_block",
        "GET /controls/palettes/{paletteId}/{blockDefinitionId}",
        lambda c, a: c.palette_block(a["palette"], a["block"]),
        returns=BlockDefinition,
        arguments={
            "palette": param(f"GET {V4}/controls/palettes/{{paletteId}}", "paletteId"),
            "block": param(
                f"GET {V4}/controls/palettes/{{paletteId}}/{{blockDefinitionId}}",
                "blockDefinitionId",
            ),
        },
    ),
    # --- enumerations -----------------------------------------------------------------------
    plain(
        "enumerations",
        "GET /enumerations",
        lambda c, a: c.enumerations(a["type"], a["min"]),
        items=EnumerationSummary,
        arguments={
            "type": param(f"GET {V4}/enumerations", "enumType"),
            "min": st.none() | param(f"GET {V4}/enumerations", "minNumberOfStates"),
        },
    ),
    by_id("get_enumeration", "GET /enumerations/{id}", "id", returns=Enumeration),
    plain(
        "create_enumeration",
        "POST /enumerations",
        lambda c, a: c.create_enumeration(
            a["body"]["item"]["title"], [m["title"] for m in a["body"]["item"]["members"]]
        ),
        returns=Enumeration,
        arguments={"body": body_of(f"POST {V4}/enumerations")},
    ),
    plain(
        "edit_enumeration",
        "PATCH /enumerations/{id}",
        lambda c, a: c.edit_enumeration(
            a["id"],
            title=a["body"]["item"].get("title"),
            members=(
                None
                if "members" not in a["body"]["item"]
                else {m["memberId"]: m["title"] for m in a["body"]["item"]["members"]}
            ),
        ),
        returns=Enumeration,
        arguments={
            "id": param(f"PATCH {V4}/enumerations/{{id}}", "id"),
            "body": body_of(f"PATCH {V4}/enumerations/{{id}}"),
        },
    ),
    plain(
        "replace_enumeration",
        "PUT /enumerations/{id}",
        lambda c, a: c.replace_enumeration(
            a["id"],
            a["body"]["item"]["title"],
            [m["title"] for m in a["body"]["item"]["members"]],
        ),
        returns=Enumeration,
        arguments={
            "id": param(f"PUT {V4}/enumerations/{{id}}", "id"),
            "body": body_of(f"PUT {V4}/enumerations/{{id}}"),
        },
    ),
    by_id("delete_enumeration", "DELETE /enumerations/{id}", "id"),
)


def pem(result: Any, bodies: list[Any]) -> None:
    assert result.pem == bodies[-1], (result, bodies[-1])


CHECKS: dict[str, Callable[[Any, list[Any]], None]] = {
    "signing_request": pem,
    "signing_request_if_changed[changed]": pem,
    "create_signing_request": pem,
    "replace_signing_request": pem,
    "bacnet_certificates": lambda found, bodies: assert_equal(
        [c.raw for c in found], [item["raw"] for item in bodies[-1]["items"]]
    ),
    "import_bacnet_certificates": lambda found, bodies: assert_equal(
        found, [CertificateImport.of(item) for item in bodies[-1]]
    ),
    "batch_signing_requests": lambda found, bodies: assert_equal(
        [(a.device_id, a.status, a.body) for a in found],
        [(i["id"], i["status"], i.get("body")) for i in bodies[-1]["responses"]],
    ),
    "system_capabilities": lambda found, bodies: assert_equal(found, bodies[-1]["items"]),
    "system_settings": lambda found, bodies: assert_equal(found.values, bodies[-1]["item"]),
    "user_account": lambda found, bodies: assert_equal(
        (found.user_name, found.raw), (bodies[-1]["userName"], bodies[-1])
    ),
    "time_series": each("id", "id"),
    "object_trees": lambda found, bodies: assert_equal(
        [t.id for t in found], [t["id"] for t in bodies[-1]["items"]]
    ),
    "object_tree": field("id", "id"),
    "create_objects": lambda found, bodies: assert_equal(
        [r.status for r in found], [r["status"] for r in bodies[-1]]
    ),
    "audit_counts": lambda found, bodies: assert_equal(
        [c.count for c in found], [c["count"] for c in bodies[-1]]
    ),
    "diagram": lambda found, bodies: assert_equal(
        [c.id for c in found.connections],
        [c["id"] for c in bodies[-1]["item"].get("connections", [])],
    ),
    "palette": lambda found, bodies: assert_equal(
        [b.title for b in found.blocks], [b["title"] for b in bodies[-1]["items"]]
    ),
    "create_enumeration": lambda found, bodies: assert_equal(
        [m.member_id for m in found.members],
        [m["memberId"] for m in bodies[-1]["item"]["members"]],
    ),
    "enumerations": lambda found, bodies: assert_equal(
        [s.id for s in found], [s["id"] for s in bodies[-1]["items"]]
    ),
}
"""What a success must parse into, for the calls whose results say more than their type."""

ROWS = tuple(replace(row, check=CHECKS.get(row.id, row.check)) for row in ROWS)
