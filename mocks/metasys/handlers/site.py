"""Network devices, spaces, equipment and their relations; trended attributes and samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from standin._core.paging import with_query
from standin.metasys import errors, query, views
from standin.metasys.enums import resolve
from standin.metasys.handlers.objects import point_key
from standin.metasys.http import Caller, caller, paged, respond, sort_text
from standin.metasys.state.model import Equipment, MetasysObject, Space
from standin.metasys.state.samples import SampleWindow
from standin.metasys.types import NETWORK_CLASSIFICATIONS, TYPE_NAME

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi

EARLIEST = -62135510400.0
"""0001-01-02T00:00:00Z: no sample is older (a timestamp must stay a four-digit year)."""
DEFAULT_SAMPLE_WINDOW = 24 * 3600.0
"""**Sandbox choice:** without startTime the samples of the last day are returned."""


def device_key(sort: str) -> Any:
    def key(device: MetasysObject) -> Any:
        values = {
            "categoryId": device.attributes.get("objectCategory"),
            "firmwareVersion": device.attributes.get("firmwareVersion"),
            "itemReference": device.item_reference,
            "name": device.name,
            "typeId": device.type.enum_id,
        }
        return (sort_text(values[sort]), device.id)

    return key


def space_key(sort: str) -> Any:
    def key(space: Space) -> Any:
        values = {"itemReference": space.item_reference, "name": space.name, "typeId": space.type}
        return (sort_text(values[sort]), space.id)

    return key


def equipment_key(sort: str) -> Any:
    def key(found: Equipment) -> Any:
        values = {"itemReference": found.item_reference, "name": found.name, "type": found.type}
        return (sort_text(values[sort]), found.id)

    return key


class SiteHandlers:
    def __init__(self, api: MetasysApi) -> None:
        self.api = api

    # --- network devices -------------------------------------------------------------------

    def _devices(
        self, request: Request, who: Caller, devices: list[MetasysObject]
    ) -> dict[str, Any]:
        paging = query.paging(request.query_params, query.DEVICE_SORTS, "name")
        body = paged(
            request,
            devices,
            paging,
            lambda d: views.network_device(d, who.state, who.base),
            device_key(paging.sort),
        )
        body["effectivePermissions"] = {
            "canDelete": [d.id for d in devices if who.state.can_delete(d, who.user)],
            "canView": [d.id for d in devices],
            "canModify": [d.id for d in devices if who.state.can_modify(d, who.user)],
        }
        return body

    async def network_devices(self, request: Request) -> Response:
        who = caller(self.api, request)
        params = request.query_params
        devices = who.state.network_devices()
        kind_filter = params.get("objectType")
        if kind_filter is not None:
            if not TYPE_NAME.match(kind_filter):
                raise errors.bad_request(f"{kind_filter} is not a member of objectTypeEnumSet.")
            short = kind_filter.removeprefix("objectTypeEnumSet.")
            devices = [d for d in devices if d.type.short == short]
        classes = query.repeated(
            params.getlist("classification"), NETWORK_CLASSIFICATIONS, "classification"
        )
        if classes:
            devices = [d for d in devices if d.type.classification in classes]
        return respond(self._devices(request, who, devices))

    async def network_device(self, request: Request) -> Response:
        who = caller(self.api, request)
        device = who.state.network_device(request.path_params["networkDeviceId"])
        return respond(views.network_device(device, who.state, who.base))

    async def delete_network_device(self, request: Request) -> Response:
        who = caller(self.api, request)
        device = who.state.network_device(request.path_params["networkDeviceId"])
        who.state.delete_network_device(device, who.user)
        return Response(status_code=204)

    async def device_children(self, request: Request) -> Response:
        who = caller(self.api, request)
        device = who.state.network_device(request.path_params["networkDeviceId"])
        children = [d for d in who.state.network_devices() if who.state.network_parent(d) is device]
        return respond(self._devices(request, who, children))

    async def device_spaces(self, request: Request) -> Response:
        who = caller(self.api, request)
        device = who.state.network_device(request.path_params["networkDeviceId"])
        return self._spaces(request, who, who.state.device_spaces(device))

    async def device_equipment(self, request: Request) -> Response:
        who = caller(self.api, request)
        device = who.state.network_device(request.path_params["networkDeviceId"])
        return self._equipment(request, who, who.state.device_equipment(device))

    # --- spaces ----------------------------------------------------------------------------

    def _spaces(self, request: Request, who: Caller, spaces: list[Space]) -> Response:
        paging = query.paging(request.query_params, query.SPACE_SORTS, "name")
        return respond(
            paged(
                request, spaces, paging, lambda s: views.space(s, who.base), space_key(paging.sort)
            )
        )

    async def spaces(self, request: Request) -> Response:
        who = caller(self.api, request)
        found = list(who.state.spaces.values())
        wanted = request.query_params.get("type")
        if wanted is not None:
            full = resolve("spaceTypesEnumSet", wanted)
            if full is None:
                raise errors.bad_request(f"{wanted} is not a member of spaceTypesEnumSet.")
            found = [s for s in found if s.type == full]
        return self._spaces(request, who, found)

    async def space(self, request: Request) -> Response:
        who = caller(self.api, request)
        return respond(views.space(who.state.space(request.path_params["spaceId"]), who.base))

    async def space_children(self, request: Request) -> Response:
        who = caller(self.api, request)
        space = who.state.space(request.path_params["spaceId"])
        return self._spaces(request, who, [who.state.space(c) for c in space.children])

    async def space_equipment(self, request: Request) -> Response:
        who = caller(self.api, request)
        space = who.state.space(request.path_params["spaceId"])
        return self._equipment(request, who, who.state.equipment_serving_space(space))

    async def space_devices(self, request: Request) -> Response:
        who = caller(self.api, request)
        space = who.state.space(request.path_params["spaceId"])
        return respond(self._devices(request, who, who.state.space_devices(space)))

    # --- equipment -------------------------------------------------------------------------

    def _equipment(self, request: Request, who: Caller, found: list[Equipment]) -> Response:
        paging = query.paging(request.query_params, query.EQUIPMENT_SORTS, "name")
        return respond(
            paged(
                request,
                found,
                paging,
                lambda e: views.equipment(e, who.base),
                equipment_key(paging.sort),
            )
        )

    async def equipment_list(self, request: Request) -> Response:
        who = caller(self.api, request)
        return self._equipment(request, who, list(who.state.equipment.values()))

    async def equipment(self, request: Request) -> Response:
        who = caller(self.api, request)
        found = who.state.equipment_instance(request.path_params["equipmentId"])
        return respond(views.equipment(found, who.base))

    async def served_equipment(self, request: Request) -> Response:
        who = caller(self.api, request)
        found = who.state.equipment_instance(request.path_params["equipmentId"])
        return self._equipment(request, who, who.state.served_equipment(found))

    async def upstream_equipment(self, request: Request) -> Response:
        who = caller(self.api, request)
        found = who.state.equipment_instance(request.path_params["equipmentId"])
        return self._equipment(request, who, who.state.upstream_equipment(found))

    async def equipment_spaces(self, request: Request) -> Response:
        who = caller(self.api, request)
        found = who.state.equipment_instance(request.path_params["equipmentId"])
        return self._spaces(request, who, who.state.equipment_spaces(found))

    async def equipment_devices(self, request: Request) -> Response:
        who = caller(self.api, request)
        found = who.state.equipment_instance(request.path_params["equipmentId"])
        return respond(self._devices(request, who, who.state.equipment_devices(found)))

    async def equipment_points(self, request: Request) -> Response:
        who = caller(self.api, request)
        found = who.state.equipment_instance(request.path_params["equipmentId"])
        paging = query.paging(request.query_params, query.POINT_SORTS, "shortName")
        return respond(
            paged(
                request,
                found.points,
                paging,
                lambda p: views.point(found, p, who.base),
                lambda p: point_key(found.name, p, paging.sort),
            )
        )

    # --- trended attributes and samples ----------------------------------------------------

    def _trended(self, request: Request, who: Caller, obj: MetasysObject, prefix: str) -> Response:
        now = who.state.clock.time()
        start = views.timestamp(now - DEFAULT_SAMPLE_WINDOW)
        end = views.timestamp(now)
        items = [
            {
                "samplesUrl": f"{prefix}/trendedAttributes/{name}/samples?startTime={start}"
                f"&endTime={end}&page=1&pageSize=1000&sort=timestamp",
                "attribute": f"attributeEnumSet.{name}",
            }
            for name in obj.trended
        ]
        return respond({"total": len(items), "items": items, "self": str(request.url)})

    async def object_trended(self, request: Request) -> Response:
        who = caller(self.api, request)
        obj = who.state.object(request.path_params["objectId"])
        return self._trended(request, who, obj, f"{who.base}/objects/{obj.id}")

    async def device_trended(self, request: Request) -> Response:
        who = caller(self.api, request)
        device = who.state.network_device(request.path_params["id"])
        return self._trended(request, who, device, f"{who.base}/networkDevices/{device.id}")

    def _samples(self, request: Request, who: Caller, obj: MetasysObject) -> dict[str, Any]:
        raw = request.path_params["attributeId"]
        full = resolve("attributeEnumSet", raw)
        if full is None:
            raise errors.bad_request(f"{raw} is not a member of attributeEnumSet.")
        name = full.removeprefix("attributeEnumSet.")
        params = request.query_params
        start = query.moment(params, "startTime")
        end = query.moment(params, "endTime")
        paging = query.paging(params, ("timestamp",), "timestamp", 1000, 10000)
        if name not in obj.trended:
            raise errors.not_found(f"The attribute {name} of this object is not trended.")
        now = who.state.clock.time()
        end = now if end is None else min(end, now)
        start = end - DEFAULT_SAMPLE_WINDOW if start is None else start
        start = max(start, EARLIEST)
        who.state.expire(obj)
        window = SampleWindow(obj, name, start, end, who.state.trend_interval, who.state.values)
        samples = window.page(paging.page, paging.page_size, paging.descending)
        page_count = max(1, -(-window.total // paging.page_size))
        url = str(request.url)
        return {
            "total": window.total,
            "items": [views.sample(obj, name, s) for s in samples],
            "next": with_query(url, page=paging.page + 1)
            if paging.page * paging.page_size < window.total
            else None,
            "previous": with_query(url, page=min(paging.page - 1, page_count))
            if paging.page > 1
            else None,
            "self": url,
            "attribute": full,
        }

    async def object_samples(self, request: Request) -> Response:
        who = caller(self.api, request)
        obj = who.state.object(request.path_params["objectId"])
        body = self._samples(request, who, obj)
        body["objectUrl"] = f"{who.base}/objects/{obj.id}"
        return respond(body)

    async def device_samples(self, request: Request) -> Response:
        who = caller(self.api, request)
        device = who.state.network_device(request.path_params["id"])
        body = self._samples(request, who, device)
        body["networkDeviceUrl"] = f"{who.base}/networkDevices/{device.id}"
        return respond(body)


__all__ = ["SiteHandlers"]
