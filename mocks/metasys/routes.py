"""The Metasys REST API v4 route table (everything under ``/api/v4``, the system operations also
under ``/api/private-api/v4``) and its routing errors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from standin._core.contracts import contract_response
from standin._core.handlers import RoutingErrors
from standin._core.seam import IdentifyCaller, Seam
from standin.metasys import errors
from standin.metasys.deps import Deps
from standin.metasys.handlers.activities import ActivityHandlers
from standin.metasys.handlers.admin import AdminHandlers
from standin.metasys.handlers.alarms import AlarmHandlers
from standin.metasys.handlers.audits import AuditHandlers
from standin.metasys.handlers.certificates import CertificateHandlers
from standin.metasys.handlers.controls import ControlHandlers
from standin.metasys.handlers.enumerations import EnumerationHandlers
from standin.metasys.handlers.objects import ObjectHandlers
from standin.metasys.handlers.site import SiteHandlers
from standin.metasys.handlers.streams import StreamHandlers
from standin.metasys.handlers.system import SystemHandlers
from standin.metasys.handlers.trees import TreeHandlers
from standin.metasys.handlers.wellknown import WellKnownHandlers
from standin.metasys.http import API_ROOT, PRIVATE_API_ROOT
from standin.metasys.state import MetasysState
from standin.metasys.state.wellknown import QUERIES

SIGNING_REQUEST = "/networkDevices/{networkDeviceId}/signingRequests/bacnet"
CERTIFICATE = "/networkDevices/{networkDeviceId}/certificates/bacnet"


def routes(
    seam: Seam[MetasysState],
    deps: Deps,
    *,
    stream_identify: IdentifyCaller,
    reader_identify: IdentifyCaller,
) -> list[BaseRoute]:
    """Every operation but login is guarded by the seam (the bearer token's user, then the
    per-user limit); ``GET /stream`` also takes its token from ``access_token``; the two
    enumeration reads, which the reference documents without authorization, take a token or
    none."""
    guard = seam.guard
    objects = ObjectHandlers(deps)
    site = SiteHandlers(deps)
    system = SystemHandlers(deps, seam)
    streams = StreamHandlers(deps)
    alarms = AlarmHandlers(deps)
    activities = ActivityHandlers(deps)
    audits = AuditHandlers(deps)
    well_known = WellKnownHandlers(deps)
    certificates = CertificateHandlers(deps)
    trees = TreeHandlers(deps)
    admin = AdminHandlers(deps)
    # The reference notes that v4 served the system operations under /api/private-api/v4 only,
    # not at the /api/v4 paths its samples show: both are served.
    system_rows: list[tuple[str, str, ASGIApp]] = [
        ("GET", "/system/capabilities", guard(admin.capabilities)),
        ("GET", "/system/settings", guard(admin.settings)),
        ("PATCH", "/system/settings/{settingId}", guard(admin.edit_setting)),
    ]
    controls = ControlHandlers(deps)
    enumerations = EnumerationHandlers(deps)
    table: list[tuple[str, str, ASGIApp]] = [
        ("POST", "/login", request_response(system.login)),
        ("GET", "/refreshToken", guard(system.refresh)),
        # misc: part 3's remaining INTERNAL and PRIVATE operations. First, because the literal
        # paths (/objects/trees, /objects/bulk, /audits/counts) must win over the {id} ones.
        ("GET", "/objects/trees", guard(trees.trees)),
        ("GET", "/objects/trees/{treeId}", guard(trees.tree)),
        ("POST", "/objects/bulk", guard(trees.bulk)),
        ("GET", "/objects/{objectId}/publicView", guard(trees.public_view)),
        *system_rows,
        ("GET", "/timeSeries", guard(admin.time_series)),
        ("GET", "/users/{userId}", guard(admin.user)),
        ("PATCH", "/users/{userId}", guard(admin.edit_user)),
        ("GET", "/audits/counts", guard(admin.audit_counts)),
        ("POST", "/alarms/{alarmId}/annotations", guard(admin.annotate_alarm)),
        # objects
        ("POST", "/objects/batch", guard(objects.batch)),
        ("GET", "/objects", guard(objects.list_root)),
        ("POST", "/objects", guard(objects.create)),
        ("GET", "/objectIdentifiers", guard(objects.identifier)),
        ("GET", "/objects/{objectId}", guard(objects.get)),
        ("PATCH", "/objects/{objectId}", guard(objects.patch)),
        ("DELETE", "/objects/{objectId}", guard(objects.delete)),
        ("GET", "/objects/{objectId}/objects", guard(objects.list_children)),
        ("GET", "/objects/{objectId}/views", guard(objects.views)),
        ("GET", "/objects/{objectId}/attributes", guard(objects.attributes)),
        ("GET", "/objects/{objectId}/attributes/{attributeId}", guard(objects.attribute)),
        ("GET", "/objects/{objectId}/commands", guard(objects.commands)),
        ("PUT", "/objects/{objectId}/commands/{commandId}", guard(objects.command)),
        ("GET", "/objects/{objectId}/supportedChildTypes", guard(objects.child_types)),
        ("GET", "/objects/{objectId}/points", guard(objects.points)),
        *(
            (
                "GET",
                f"/objects/{{objectId}}/objects/wellKnownQuery/{name}",
                guard(well_known.endpoint(name)),
            )
            for name in QUERIES
        ),
        ("GET", "/objects/{objectId}/trendedAttributes", guard(site.object_trended)),
        (
            "GET",
            "/objects/{objectId}/trendedAttributes/{attributeId}/samples",
            guard(site.object_samples),
        ),
        # schemas and enumerations
        ("GET", "/schemas/enums/{enumId}", guard(system.enum_schema)),
        ("GET", "/schemas/objectTypes/{objectType}", guard(system.object_type_schema)),
        ("GET", "/schemas/objectTypes/{objectType}/identification", guard(system.identification)),
        ("GET", "/enumerations", guard(system.enumerations, identify=reader_identify)),
        ("GET", "/enumerations/{id}", guard(system.enumeration, identify=reader_identify)),
        # certificates
        ("POST", "/networkDevices/batch", guard(certificates.batch)),
        ("POST", "/networkDevices/certificates/bacnet", guard(certificates.import_certificates)),
        ("GET", SIGNING_REQUEST, guard(certificates.read_request)),
        ("POST", SIGNING_REQUEST, guard(certificates.create_request)),
        ("PUT", SIGNING_REQUEST, guard(certificates.replace_request)),
        ("DELETE", SIGNING_REQUEST, guard(certificates.delete_request)),
        ("GET", CERTIFICATE, guard(certificates.read_certificates)),
        ("PUT", CERTIFICATE, guard(certificates.write_certificate)),
        ("DELETE", CERTIFICATE, guard(certificates.delete_certificates)),
        # network devices
        ("GET", "/networkDevices", guard(site.network_devices)),
        ("GET", "/networkDevices/{networkDeviceId}", guard(site.network_device)),
        ("DELETE", "/networkDevices/{networkDeviceId}", guard(site.delete_network_device)),
        ("GET", "/networkDevices/{networkDeviceId}/networkDevices", guard(site.device_children)),
        ("GET", "/networkDevices/{networkDeviceId}/spaces", guard(site.device_spaces)),
        ("GET", "/networkDevices/{networkDeviceId}/equipment", guard(site.device_equipment)),
        ("GET", "/networkDevices/{id}/trendedAttributes", guard(site.device_trended)),
        (
            "GET",
            "/networkDevices/{id}/trendedAttributes/{attributeId}/samples",
            guard(site.device_samples),
        ),
        # equipment
        ("GET", "/equipment", guard(site.equipment_list)),
        ("GET", "/equipment/{equipmentId}", guard(site.equipment)),
        ("GET", "/equipment/{equipmentId}/equipment", guard(site.served_equipment)),
        ("GET", "/equipment/{equipmentId}/upstreamEquipment", guard(site.upstream_equipment)),
        ("GET", "/equipment/{equipmentId}/spaces", guard(site.equipment_spaces)),
        ("GET", "/equipment/{equipmentId}/networkDevices", guard(site.equipment_devices)),
        ("GET", "/equipment/{equipmentId}/points", guard(site.equipment_points)),
        # spaces
        ("GET", "/spaces", guard(site.spaces)),
        ("GET", "/spaces/{spaceId}", guard(site.space)),
        ("GET", "/spaces/{spaceId}/spaces", guard(site.space_children)),
        ("GET", "/spaces/{spaceId}/equipment", guard(site.space_equipment)),
        ("GET", "/spaces/{spaceId}/networkDevices", guard(site.space_devices)),
        # activities
        ("GET", "/activities", guard(activities.activities)),
        ("POST", "/activities/batch", guard(activities.batch)),
        (
            "DELETE",
            "/activities/streams/{streamId}/subscriptions/{subscriptionId}",
            guard(activities.delete_subscription),
        ),
        # alarms
        ("GET", "/alarms", guard(alarms.alarms)),
        ("GET", "/alarms/{alarmId}", guard(alarms.alarm)),
        ("PATCH", "/alarms/{alarmId}", guard(alarms.patch)),
        ("GET", "/alarms/{alarmId}/annotations", guard(alarms.annotations)),
        ("GET", "/objects/{objectId}/alarms", guard(alarms.object_alarms)),
        ("GET", "/networkDevices/{networkDeviceId}/alarms", guard(alarms.device_alarms)),
        # audits
        ("GET", "/audits", guard(audits.audits)),
        ("GET", "/audits/users", guard(audits.users)),
        ("GET", "/audits/{auditId}", guard(audits.audit)),
        ("PATCH", "/audits/{auditId}", guard(audits.patch)),
        ("GET", "/audits/{auditId}/annotations", guard(audits.annotations)),
        ("POST", "/audits/{auditId}/annotations", guard(audits.annotate)),
        ("GET", "/objects/{objectId}/audits", guard(audits.object_audits)),
        # streaming
        ("GET", "/stream", guard(streams.stream, identify=stream_identify)),
        ("GET", "/stream/keepalive", guard(streams.keepalive)),
        (
            "DELETE",
            "/objects/streams/{streamId}/subscriptions/{subscriptionId}",
            guard(streams.delete_object_subscription),
        ),
        # users
        ("GET", "/userinfo", guard(system.userinfo)),
        ("GET", "/users", guard(system.users)),
        # controls (+ enumerations): diagrams, their subscriptions, palettes; custom enumerations
        ("GET", "/controls/{controlId}/diagram", guard(controls.diagram)),
        ("PUT", "/controls/{controlId}/diagram", guard(controls.replace_diagram)),
        (
            "DELETE",
            "/controls/streams/{streamId}/subscriptions/{subscriptionId}",
            guard(controls.delete_subscription),
        ),
        ("GET", "/controls/palettes/{paletteId}", guard(controls.palette)),
        ("GET", "/controls/palettes/{paletteId}/{blockDefinitionId}", guard(controls.block)),
        ("POST", "/enumerations", guard(enumerations.create)),
        ("PATCH", "/enumerations/{id}", guard(enumerations.edit)),
        ("PUT", "/enumerations/{id}", guard(enumerations.replace)),
        ("DELETE", "/enumerations/{id}", guard(enumerations.delete)),
    ]
    by_path: dict[str, dict[str, ASGIApp]] = {}
    rooted = [(API_ROOT, row) for row in table] + [(PRIVATE_API_ROOT, row) for row in system_rows]
    for root, (method, path, endpoint) in rooted:
        by_path.setdefault(root + path, {})[method] = endpoint
    served: list[BaseRoute] = [
        Route(path, ByMethod(endpoints), methods=list(endpoints))
        for path, endpoints in by_path.items()
    ]
    return [*served, Route("/openapi.json", contract, methods=["GET"])]


class ByMethod:
    """One route per path, so that a wrong method's 405 lists every method of the path."""

    def __init__(self, endpoints: dict[str, ASGIApp]) -> None:
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        await self.endpoints[method](scope, receive, send)


async def contract(request: Request) -> Response:
    return contract_response(request, "metasys")


ROUTING_ERRORS = RoutingErrors(
    # ASP.NET Web API's words for an unknown path or a method the path does not take.
    not_found=lambda request: errors.not_found(
        f"No HTTP resource was found that matches the request URI '{request.url}'."
    ),
    method_not_allowed=lambda request: errors.message(
        405, f"The requested resource does not support http method '{request.method}'."
    ),
    other=lambda status: errors.message(status, "The request failed."),
)
