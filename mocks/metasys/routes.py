"""The Metasys REST API v4 route table (everything under ``/api/v4``, the system operations also
under ``/api/private-api/v4``) and its routing errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standin._core.contracts import contract_response
from standin._core.errors import VendorError
from standin.metasys import errors
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
from standin.metasys.state.wellknown import QUERIES

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi

Endpoint = Callable[[Request], Awaitable[Response]]
SIGNING_REQUEST = "/networkDevices/{networkDeviceId}/signingRequests/bacnet"
CERTIFICATE = "/networkDevices/{networkDeviceId}/certificates/bacnet"


def routes(api: MetasysApi) -> list[BaseRoute]:
    objects = ObjectHandlers(api)
    site = SiteHandlers(api)
    system = SystemHandlers(api)
    streams = StreamHandlers(api)
    alarms = AlarmHandlers(api)
    activities = ActivityHandlers(api)
    audits = AuditHandlers(api)
    well_known = WellKnownHandlers(api)
    certificates = CertificateHandlers(api)
    trees = TreeHandlers(api)
    admin = AdminHandlers(api)
    # The reference notes that v4 served the system operations under /api/private-api/v4 only,
    # not at the /api/v4 paths its samples show: both are served.
    system_rows: list[tuple[str, str, Endpoint]] = [
        ("GET", "/system/capabilities", admin.capabilities),
        ("GET", "/system/settings", admin.settings),
        ("PATCH", "/system/settings/{settingId}", admin.edit_setting),
    ]
    controls = ControlHandlers(api)
    enumerations = EnumerationHandlers(api)
    table: list[tuple[str, str, Endpoint]] = [
        ("POST", "/login", system.login),
        ("GET", "/refreshToken", system.refresh),
        # misc: part 3's remaining INTERNAL and PRIVATE operations. First, because the literal
        # paths (/objects/trees, /objects/bulk, /audits/counts) must win over the {id} ones.
        ("GET", "/objects/trees", trees.trees),
        ("GET", "/objects/trees/{treeId}", trees.tree),
        ("POST", "/objects/bulk", trees.bulk),
        ("GET", "/objects/{objectId}/publicView", trees.public_view),
        *system_rows,
        ("GET", "/timeSeries", admin.time_series),
        ("GET", "/users/{userId}", admin.user),
        ("PATCH", "/users/{userId}", admin.edit_user),
        ("GET", "/audits/counts", admin.audit_counts),
        ("POST", "/alarms/{alarmId}/annotations", admin.annotate_alarm),
        # objects
        ("POST", "/objects/batch", objects.batch),
        ("GET", "/objects", objects.list_root),
        ("POST", "/objects", objects.create),
        ("GET", "/objectIdentifiers", objects.identifier),
        ("GET", "/objects/{objectId}", objects.get),
        ("PATCH", "/objects/{objectId}", objects.patch),
        ("DELETE", "/objects/{objectId}", objects.delete),
        ("GET", "/objects/{objectId}/objects", objects.list_children),
        ("GET", "/objects/{objectId}/views", objects.views),
        ("GET", "/objects/{objectId}/attributes", objects.attributes),
        ("GET", "/objects/{objectId}/attributes/{attributeId}", objects.attribute),
        ("GET", "/objects/{objectId}/commands", objects.commands),
        ("PUT", "/objects/{objectId}/commands/{commandId}", objects.command),
        ("GET", "/objects/{objectId}/supportedChildTypes", objects.child_types),
        ("GET", "/objects/{objectId}/points", objects.points),
        *(
            (
                "GET",
                f"/objects/{{objectId}}/objects/wellKnownQuery/{name}",
                well_known.endpoint(name),
            )
            for name in QUERIES
        ),
        ("GET", "/objects/{objectId}/trendedAttributes", site.object_trended),
        ("GET", "/objects/{objectId}/trendedAttributes/{attributeId}/samples", site.object_samples),
        # schemas and enumerations
        ("GET", "/schemas/enums/{enumId}", system.enum_schema),
        ("GET", "/schemas/objectTypes/{objectType}", system.object_type_schema),
        ("GET", "/schemas/objectTypes/{objectType}/identification", system.identification),
        ("GET", "/enumerations", system.enumerations),
        ("GET", "/enumerations/{id}", system.enumeration),
        # certificates
        ("POST", "/networkDevices/batch", certificates.batch),
        ("POST", "/networkDevices/certificates/bacnet", certificates.import_certificates),
        ("GET", SIGNING_REQUEST, certificates.read_request),
        ("POST", SIGNING_REQUEST, certificates.create_request),
        ("PUT", SIGNING_REQUEST, certificates.replace_request),
        ("DELETE", SIGNING_REQUEST, certificates.delete_request),
        ("GET", CERTIFICATE, certificates.read_certificates),
        ("PUT", CERTIFICATE, certificates.write_certificate),
        ("DELETE", CERTIFICATE, certificates.delete_certificates),
        # network devices
        ("GET", "/networkDevices", site.network_devices),
        ("GET", "/networkDevices/{networkDeviceId}", site.network_device),
        ("DELETE", "/networkDevices/{networkDeviceId}", site.delete_network_device),
        ("GET", "/networkDevices/{networkDeviceId}/networkDevices", site.device_children),
        ("GET", "/networkDevices/{networkDeviceId}/spaces", site.device_spaces),
        ("GET", "/networkDevices/{networkDeviceId}/equipment", site.device_equipment),
        ("GET", "/networkDevices/{id}/trendedAttributes", site.device_trended),
        (
            "GET",
            "/networkDevices/{id}/trendedAttributes/{attributeId}/samples",
            site.device_samples,
        ),
        # equipment
        ("GET", "/equipment", site.equipment_list),
        ("GET", "/equipment/{equipmentId}", site.equipment),
        ("GET", "/equipment/{equipmentId}/equipment", site.served_equipment),
        ("GET", "/equipment/{equipmentId}/upstreamEquipment", site.upstream_equipment),
        ("GET", "/equipment/{equipmentId}/spaces", site.equipment_spaces),
        ("GET", "/equipment/{equipmentId}/networkDevices", site.equipment_devices),
        ("GET", "/equipment/{equipmentId}/points", site.equipment_points),
        # spaces
        ("GET", "/spaces", site.spaces),
        ("GET", "/spaces/{spaceId}", site.space),
        ("GET", "/spaces/{spaceId}/spaces", site.space_children),
        ("GET", "/spaces/{spaceId}/equipment", site.space_equipment),
        ("GET", "/spaces/{spaceId}/networkDevices", site.space_devices),
        # activities
        ("GET", "/activities", activities.activities),
        ("POST", "/activities/batch", activities.batch),
        (
            "DELETE",
            "/activities/streams/{streamId}/subscriptions/{subscriptionId}",
            activities.delete_subscription,
        ),
        # alarms
        ("GET", "/alarms", alarms.alarms),
        ("GET", "/alarms/{alarmId}", alarms.alarm),
        ("PATCH", "/alarms/{alarmId}", alarms.patch),
        ("GET", "/alarms/{alarmId}/annotations", alarms.annotations),
        ("GET", "/objects/{objectId}/alarms", alarms.object_alarms),
        ("GET", "/networkDevices/{networkDeviceId}/alarms", alarms.device_alarms),
        # audits
        ("GET", "/audits", audits.audits),
        ("GET", "/audits/users", audits.users),
        ("GET", "/audits/{auditId}", audits.audit),
        ("PATCH", "/audits/{auditId}", audits.patch),
        ("GET", "/audits/{auditId}/annotations", audits.annotations),
        ("POST", "/audits/{auditId}/annotations", audits.annotate),
        ("GET", "/objects/{objectId}/audits", audits.object_audits),
        # streaming
        ("GET", "/stream", streams.stream),
        ("GET", "/stream/keepalive", streams.keepalive),
        (
            "DELETE",
            "/objects/streams/{streamId}/subscriptions/{subscriptionId}",
            streams.delete_object_subscription,
        ),
        # users
        ("GET", "/userinfo", system.userinfo),
        ("GET", "/users", system.users),
        # controls (+ enumerations): diagrams, their subscriptions, palettes; custom enumerations
        ("GET", "/controls/{controlId}/diagram", controls.diagram),
        ("PUT", "/controls/{controlId}/diagram", controls.replace_diagram),
        (
            "DELETE",
            "/controls/streams/{streamId}/subscriptions/{subscriptionId}",
            controls.delete_subscription,
        ),
        ("GET", "/controls/palettes/{paletteId}", controls.palette),
        ("GET", "/controls/palettes/{paletteId}/{blockDefinitionId}", controls.block),
        ("POST", "/enumerations", enumerations.create),
        ("PATCH", "/enumerations/{id}", enumerations.edit),
        ("PUT", "/enumerations/{id}", enumerations.replace),
        ("DELETE", "/enumerations/{id}", enumerations.delete),
    ]
    by_path: dict[str, dict[str, Endpoint]] = {}
    rooted = [(API_ROOT, row) for row in table] + [(PRIVATE_API_ROOT, row) for row in system_rows]
    for root, (method, path, endpoint) in rooted:
        by_path.setdefault(root + path, {})[method] = endpoint
    served: list[BaseRoute] = [
        Route(path, dispatcher(endpoints), methods=list(endpoints))
        for path, endpoints in by_path.items()
    ]
    return [*served, Route("/openapi.json", contract, methods=["GET"])]


def dispatcher(endpoints: dict[str, Endpoint]) -> Endpoint:
    """One route per path, so that a wrong method's 405 lists every method of the path."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


async def contract(request: Request) -> Response:
    return contract_response(request, "metasys")


def routing_error(request: Request, status: int) -> VendorError:
    """ASP.NET Web API's words for an unknown path or a method the path does not take."""
    if status == 405:
        return errors.message(
            405, f"The requested resource does not support http method '{request.method}'."
        )
    if status == 404:
        return errors.not_found(
            f"No HTTP resource was found that matches the request URI '{request.url}'."
        )
    return errors.message(status, "The request failed.")
