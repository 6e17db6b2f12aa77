"""Network devices, spaces, equipment and their relations; trended attributes and samples."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from standin._core.memo import BoundedMemo
from standin._core.paging import with_query
from standin._core.rendering import dumps
from standin._core.seam import Caller
from standin.metasys import errors, query, views
from standin.metasys.deps import Deps
from standin.metasys.enums import ENUM_SETS, resolve
from standin.metasys.handlers.objects import point_key
from standin.metasys.http import paged, respond, sort_text
from standin.metasys.query import Paging
from standin.metasys.state.model import Equipment, MetasysObject, Space
from standin.metasys.state.samples import SampleWindow
from standin.metasys.state.site import MetasysState
from standin.metasys.types import NETWORK_CLASSIFICATIONS, TYPE_NAME

EARLIEST = -62135510400.0
"""0001-01-02T00:00:00Z: no sample is older (a timestamp must stay a four-digit year)."""
DEFAULT_SAMPLE_WINDOW = 24 * 3600.0
"""**Sandbox choice:** without startTime the samples of the last day are returned."""
SAMPLE_ATTRIBUTES = (
    "units",
    "displayPrecision",
    "minPresValue",
    "maxPresValue",
    "relinquishDefault",
)
"""The attributes of an object that a sample's value, reliability and units read."""


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


def sample_page(
    state: MetasysState, obj: MetasysObject, name: str, start: float, end: float, paging: Paging
) -> tuple[int, orjson.Fragment]:
    """(total, the page's items encoded): the same page of the same history is encoded once.

    The items are a function of the key below alone: the window, the page, the object's series
    (its reference), its commanded history (appended to, and cut to its newest entries past its
    bound: its length, first and last entries tell a change), and the attributes a sample reads
    (units, precision, the limits that make a value unreliable, the default a relinquished point
    falls back to). Anything else a tenant changes makes a new state, and with it a new memo
    (kept by its value model)."""
    history = obj.history.get(name) or ()
    attributes = obj.attributes
    key = (
        obj.id,
        obj.item_reference,
        name,
        start,
        end,
        paging.page,
        paging.page_size,
        paging.descending,
        state.trend_interval,
        len(history),
        repr(history[0]) if history else None,
        repr(history[-1]) if history else None,
        *(repr(attributes.get(attribute)) for attribute in SAMPLE_ATTRIBUTES),
    )
    found = state.values.pages.get(key)
    if found is None:
        window = SampleWindow(obj, name, start, end, state.trend_interval, state.values)
        samples = window.page(paging.page, paging.page_size, paging.descending)
        items = orjson.Fragment(dumps(views.samples(obj, name, samples)))
        found = state.values.pages.put(key, (window.total, items))
    return found


class SiteHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.links: BoundedMemo[tuple[str, bool, int | None], tuple[str | None, str | None]] = (
            BoundedMemo(256)
        )
        """A samples page's next and previous links by its URL (re-encoding a query string
        costs more than the rest of a remembered page)."""

    # --- network devices -------------------------------------------------------------------

    def _devices(
        self, request: Request, caller: Caller[MetasysState], devices: list[MetasysObject]
    ) -> dict[str, Any]:
        state, user, base = caller.state, self.deps.user(caller), self.deps.base(request)
        paging = query.paging(request.query_params, query.DEVICE_SORTS, "name")
        body = paged(
            request,
            devices,
            paging,
            lambda d: views.network_device(d, state, base),
            device_key(paging.sort),
        )
        body["effectivePermissions"] = {
            "canDelete": [d.id for d in devices if state.can_delete(d, user)],
            "canView": [d.id for d in devices],
            "canModify": [d.id for d in devices if state.can_modify(d, user)],
        }
        return body

    async def network_devices(self, request: Request, caller: Caller[MetasysState]) -> Response:
        params = request.query_params
        devices = caller.state.network_devices()
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
        return respond(self._devices(request, caller, devices))

    async def network_device(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        device = caller.state.network_device(request.path_params["networkDeviceId"])
        return respond(views.network_device(device, caller.state, base))

    async def delete_network_device(
        self, request: Request, caller: Caller[MetasysState]
    ) -> Response:
        user = self.deps.user(caller)
        device = caller.state.network_device(request.path_params["networkDeviceId"])
        caller.state.delete_network_device(device, user)
        return Response(status_code=204)

    async def device_children(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = caller.state.network_device(request.path_params["networkDeviceId"])
        children = [
            d for d in caller.state.network_devices() if caller.state.network_parent(d) is device
        ]
        return respond(self._devices(request, caller, children))

    async def device_spaces(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = caller.state.network_device(request.path_params["networkDeviceId"])
        return self._spaces(request, caller.state.device_spaces(device))

    async def device_equipment(self, request: Request, caller: Caller[MetasysState]) -> Response:
        device = caller.state.network_device(request.path_params["networkDeviceId"])
        return self._equipment(request, caller.state.device_equipment(device))

    # --- spaces ----------------------------------------------------------------------------

    def _spaces(self, request: Request, spaces: list[Space]) -> Response:
        base = self.deps.base(request)
        paging = query.paging(request.query_params, query.SPACE_SORTS, "name")
        return respond(
            paged(request, spaces, paging, lambda s: views.space(s, base), space_key(paging.sort))
        )

    async def spaces(self, request: Request, caller: Caller[MetasysState]) -> Response:
        found = list(caller.state.spaces.values())
        wanted = request.query_params.get("type")
        if wanted is not None:
            # The guide accepts the long name only (spaceTypesEnumSet.building, never building).
            if wanted not in ENUM_SETS["spaceTypesEnumSet"]:
                raise errors.bad_request(f"{wanted} is not a member of spaceTypesEnumSet.")
            found = [s for s in found if s.type == wanted]
        return self._spaces(request, found)

    async def space(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        return respond(views.space(caller.state.space(request.path_params["spaceId"]), base))

    async def space_children(self, request: Request, caller: Caller[MetasysState]) -> Response:
        space = caller.state.space(request.path_params["spaceId"])
        return self._spaces(request, [caller.state.space(c) for c in space.children])

    async def space_equipment(self, request: Request, caller: Caller[MetasysState]) -> Response:
        space = caller.state.space(request.path_params["spaceId"])
        return self._equipment(request, caller.state.equipment_serving_space(space))

    async def space_devices(self, request: Request, caller: Caller[MetasysState]) -> Response:
        space = caller.state.space(request.path_params["spaceId"])
        return respond(self._devices(request, caller, caller.state.space_devices(space)))

    # --- equipment -------------------------------------------------------------------------

    def _equipment(self, request: Request, found: list[Equipment]) -> Response:
        base = self.deps.base(request)
        paging = query.paging(request.query_params, query.EQUIPMENT_SORTS, "name")
        return respond(
            paged(
                request,
                found,
                paging,
                lambda e: views.equipment(e, base),
                equipment_key(paging.sort),
            )
        )

    async def equipment_list(self, request: Request, caller: Caller[MetasysState]) -> Response:
        return self._equipment(request, list(caller.state.equipment.values()))

    async def equipment(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        found = caller.state.equipment_instance(request.path_params["equipmentId"])
        return respond(views.equipment(found, base))

    async def served_equipment(self, request: Request, caller: Caller[MetasysState]) -> Response:
        found = caller.state.equipment_instance(request.path_params["equipmentId"])
        return self._equipment(request, caller.state.served_equipment(found))

    async def upstream_equipment(self, request: Request, caller: Caller[MetasysState]) -> Response:
        found = caller.state.equipment_instance(request.path_params["equipmentId"])
        return self._equipment(request, caller.state.upstream_equipment(found))

    async def equipment_spaces(self, request: Request, caller: Caller[MetasysState]) -> Response:
        found = caller.state.equipment_instance(request.path_params["equipmentId"])
        return self._spaces(request, caller.state.equipment_spaces(found))

    async def equipment_devices(self, request: Request, caller: Caller[MetasysState]) -> Response:
        found = caller.state.equipment_instance(request.path_params["equipmentId"])
        return respond(self._devices(request, caller, caller.state.equipment_devices(found)))

    async def equipment_points(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        found = caller.state.equipment_instance(request.path_params["equipmentId"])
        paging = query.paging(request.query_params, query.POINT_SORTS, "shortName")
        return respond(
            paged(
                request,
                found.points,
                paging,
                lambda p: views.point(found, p, base),
                lambda p: point_key(found.name, p, paging.sort),
            )
        )

    # --- trended attributes and samples ----------------------------------------------------

    def _trended(
        self, request: Request, state: MetasysState, obj: MetasysObject, prefix: str
    ) -> Response:
        now = state.clock.time()
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

    async def object_trended(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        return self._trended(request, caller.state, obj, f"{base}/objects/{obj.id}")

    async def device_trended(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        device = caller.state.network_device(request.path_params["id"])
        return self._trended(request, caller.state, device, f"{base}/networkDevices/{device.id}")

    def _samples(self, request: Request, state: MetasysState, obj: MetasysObject) -> dict[str, Any]:
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
        now = state.clock.time()
        end = now if end is None else min(end, now)
        start = end - DEFAULT_SAMPLE_WINDOW if start is None else start
        start = max(start, EARLIEST)
        state.expire(obj)
        total, items = sample_page(state, obj, name, start, end, paging)
        page_count = max(1, -(-total // paging.page_size))
        url = str(request.url)
        has_next = paging.page * paging.page_size < total
        previous_page = min(paging.page - 1, page_count) if paging.page > 1 else None
        links = self.links.get((url, has_next, previous_page))
        if links is None:
            links = self.links.put(
                (url, has_next, previous_page),
                (
                    with_query(url, page=paging.page + 1) if has_next else None,
                    None if previous_page is None else with_query(url, page=previous_page),
                ),
            )
        return {
            "total": total,
            "items": items,
            "next": links[0],
            "previous": links[1],
            "self": url,
            "attribute": full,
        }

    async def object_samples(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        body = self._samples(request, caller.state, obj)
        body["objectUrl"] = f"{base}/objects/{obj.id}"
        return respond(body)

    async def device_samples(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        device = caller.state.network_device(request.path_params["id"])
        body = self._samples(request, caller.state, device)
        body["networkDeviceUrl"] = f"{base}/networkDevices/{device.id}"
        return respond(body)


__all__ = ["SiteHandlers"]
