"""The Metasys REST API v4 route table (everything under ``/api/v4``) and its routing errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mocks._core.contracts import contract_response
from mocks._core.errors import VendorError
from mocks.metasys import errors
from mocks.metasys.handlers.objects import ObjectHandlers
from mocks.metasys.handlers.site import SiteHandlers
from mocks.metasys.handlers.system import SystemHandlers

if TYPE_CHECKING:
    from mocks.metasys.api import MetasysApi


def routes(api: MetasysApi) -> list[BaseRoute]:
    objects = ObjectHandlers(api)
    site = SiteHandlers(api)
    system = SystemHandlers(api)
    v4 = "/api/v4"

    def get(path: str, endpoint: object) -> Route:
        return Route(v4 + path, endpoint, methods=["GET"])  # type: ignore[arg-type]

    def other(method: str, path: str, endpoint: object) -> Route:
        return Route(v4 + path, endpoint, methods=[method])  # type: ignore[arg-type]

    return [
        other("POST", "/login", system.login),
        get("/refreshToken", system.refresh),
        # objects
        other("POST", "/objects/batch", objects.batch),
        get("/objects", objects.list_root),
        other("POST", "/objects", objects.create),
        get("/objectIdentifiers", objects.identifier),
        get("/objects/{objectId}", objects.get),
        other("PATCH", "/objects/{objectId}", objects.patch),
        other("DELETE", "/objects/{objectId}", objects.delete),
        get("/objects/{objectId}/objects", objects.list_children),
        get("/objects/{objectId}/views", objects.views),
        get("/objects/{objectId}/attributes", objects.attributes),
        get("/objects/{objectId}/attributes/{attributeId}", objects.attribute),
        get("/objects/{objectId}/commands", objects.commands),
        other("PUT", "/objects/{objectId}/commands/{commandId}", objects.command),
        get("/objects/{objectId}/supportedChildTypes", objects.child_types),
        get("/objects/{objectId}/points", objects.points),
        get("/objects/{objectId}/trendedAttributes", site.object_trended),
        get("/objects/{objectId}/trendedAttributes/{attributeId}/samples", site.object_samples),
        # schemas and enumerations
        get("/schemas/enums/{enumId}", system.enum_schema),
        get("/schemas/objectTypes/{objectType}", system.object_type_schema),
        get("/schemas/objectTypes/{objectType}/identification", system.identification),
        get("/enumerations", system.enumerations),
        get("/enumerations/{id}", system.enumeration),
        # network devices
        get("/networkDevices", site.network_devices),
        get("/networkDevices/{networkDeviceId}", site.network_device),
        other("DELETE", "/networkDevices/{networkDeviceId}", site.delete_network_device),
        get("/networkDevices/{networkDeviceId}/networkDevices", site.device_children),
        get("/networkDevices/{networkDeviceId}/spaces", site.device_spaces),
        get("/networkDevices/{networkDeviceId}/equipment", site.device_equipment),
        get("/networkDevices/{id}/trendedAttributes", site.device_trended),
        get("/networkDevices/{id}/trendedAttributes/{attributeId}/samples", site.device_samples),
        # equipment
        get("/equipment", site.equipment_list),
        get("/equipment/{equipmentId}", site.equipment),
        get("/equipment/{equipmentId}/equipment", site.served_equipment),
        get("/equipment/{equipmentId}/upstreamEquipment", site.upstream_equipment),
        get("/equipment/{equipmentId}/spaces", site.equipment_spaces),
        get("/equipment/{equipmentId}/networkDevices", site.equipment_devices),
        get("/equipment/{equipmentId}/points", site.equipment_points),
        # spaces
        get("/spaces", site.spaces),
        get("/spaces/{spaceId}", site.space),
        get("/spaces/{spaceId}/spaces", site.space_children),
        get("/spaces/{spaceId}/equipment", site.space_equipment),
        get("/spaces/{spaceId}/networkDevices", site.space_devices),
        # users
        get("/userinfo", system.userinfo),
        get("/users", system.users),
        Route("/openapi.json", contract, methods=["GET"]),
    ]


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
