"""Locus state for one tenant: its partners' hierarchies, their alerts, and who may see what.

A credential reads a set of partners (the default one: the reference's 123, 456 and 111). Ids of
another partner answer 403 (the reference: "you do not have permission to access the
entity requested"); ids nobody has answer 404.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from standin._core.clock import Clock
from standin._core.store import MemoryStore, Store
from standin.locus import errors
from standin.locus.alerts import Alert
from standin.locus.models import Client, Component, Site
from standin.locus.series import BlockCache
from standin.locus.sky import Sky

ALERT_ANCHOR_SECONDS = 3600
"""Fixture alerts are placed relative to the state's creation, floored to this."""


class LocusState:
    def __init__(
        self, clock: Clock, partner_ids: Iterable[int], seed: int, store: Store | None = None
    ) -> None:
        store = store or MemoryStore()
        self.clock = clock
        self.partner_ids = frozenset(partner_ids)
        """The partners this tenant's credential may read."""
        self.seed = seed
        self.clients = store.collection("clients", int, Client)
        self.sites = store.collection("sites", int, Site)
        self.components = store.collection("components", int, Component)
        # Kept one row per alert (raised alerts are never changed in place).
        self.alerts = store.collection("alerts", int, Alert, rows=True)
        self.partners: set[int] = set()
        """Every partner known here, readable or not."""
        self._skies: dict[int, Sky] = {}
        self.block_cache = BlockCache()

    @classmethod
    def from_fixture(
        cls, fixture: dict[str, Any], clock: Clock, partner_ids: list[int], seed: int
    ) -> LocusState:
        """The fixture's readable partners become ``partner_ids``, in order; the others keep
        their ids (another tenant's partners, for the 403s)."""
        fixture_partners = [int(p) for p in fixture["partner_ids"]]
        if len(partner_ids) != len(fixture_partners):
            raise ValueError(f"a Locus credential reads {len(fixture_partners)} partners")
        state = cls(clock, partner_ids, seed)
        owners = dict(zip(fixture_partners, partner_ids, strict=True))
        for partner in fixture["partners"]:
            owner = owners.get(int(partner["id"]), int(partner["id"]))
            state.partners.add(owner)
            for raw_client in partner["clients"]:
                state._add_client(owner, raw_client)
        anchor = math.floor(clock.time() / ALERT_ANCHOR_SECONDS) * ALERT_ANCHOR_SECONDS
        for raw in fixture["alerts"]:
            end_hours = raw.get("endHours")
            state.alerts.put(
                int(raw["id"]),
                Alert(
                    id=int(raw["id"]),
                    component_id=int(raw["componentId"]),
                    alert_type=raw["alertType"],
                    priority=raw["priority"],
                    start=anchor + float(raw["startHours"]) * 3600,
                    end=None if end_hours is None else anchor + float(end_hours) * 3600,
                    description_short=raw.get("descriptionShort"),
                    description_long=raw.get("descriptionLong"),
                ),
            )
        return state

    def _add_client(self, partner_id: int, raw: dict[str, Any]) -> None:
        client = Client(
            id=int(raw["id"]),
            partner_id=partner_id,
            tz=raw["tz"],
            first_name=raw["firstName"],
            last_name=raw["lastName"],
            email=raw["email"],
        )
        self.clients.put(client.id, client)
        for raw_site in raw["sites"]:
            address_keys = ("address1", "address2", "locale3", "locale1", "localeCode1")
            address = {key: raw_site[key] for key in address_keys if key in raw_site}
            address["postalCode"] = str(raw_site["postalCode"])
            address["countryCode"] = raw_site["countryCode"]
            site = Site(
                id=int(raw_site["id"]),
                client_id=client.id,
                partner_id=partner_id,
                name=raw_site["name"],
                address=address,
                timezone=raw_site["locationTimezone"],
                latitude=raw_site.get("latitude"),
                longitude=raw_site.get("longitude"),
                install={k: str(v) for k, v in (raw_site.get("installinfo") or {}).items()},
                model=dict(raw_site["modelsettings"]),
            )
            self.sites.put(site.id, site)
            raw_components = raw_site.get("components") or []
            children: dict[int, list[int]] = {}
            for raw_component in raw_components:
                parent = raw_component["parent"]
                if parent != "site":
                    children.setdefault(int(parent), []).append(int(raw_component["id"]))
            for raw_component in raw_components:
                parent = raw_component["parent"]
                component = Component(
                    id=int(raw_component["id"]),
                    site_id=site.id,
                    client_id=client.id,
                    partner_id=partner_id,
                    parent_id=site.id if parent == "site" else int(parent),
                    parent_type="SITE" if parent == "site" else "COMPONENT",
                    node_id=raw_component["nodeId"],
                    name=raw_component["name"],
                    node_type=raw_component["nodeType"],
                    application=raw_component["application"],
                    generation_type=raw_component["generationType"],
                    oem=raw_component["oem"],
                    model=raw_component["model"],
                    serial_number=raw_component.get("serialNumber"),
                    description=raw_component.get("description"),
                    notes=raw_component.get("notes", ""),
                    dc_kw=float(raw_component.get("dcKw", 0.0)),
                    ac_kw=float(raw_component.get("acKw", 0.0)),
                    load_kw=float(raw_component.get("loadKw", 0.0)),
                    children=tuple(children.get(int(raw_component["id"]), ())),
                )
                self.components.put(component.id, component)

    # --- access ----------------------------------------------------------------------------

    def _check_partner(self, partner_id: int) -> None:
        if partner_id not in self.partner_ids:
            if partner_id in self.partners:
                raise errors.forbidden("partner", partner_id)
            raise errors.not_found("partner", partner_id)

    def client(self, client_id: int) -> Client:
        found = self.clients.get(client_id)
        if found is None:
            raise errors.not_found("client", client_id)
        if found.partner_id not in self.partner_ids:
            raise errors.forbidden("client", client_id)
        return found

    def site(self, site_id: int) -> Site:
        found = self.sites.get(site_id)
        if found is None:
            raise errors.not_found("site", site_id)
        if found.partner_id not in self.partner_ids:
            raise errors.forbidden("site", site_id)
        return found

    def component(self, component_id: int) -> Component:
        found = self.components.get(component_id)
        if found is None:
            raise errors.not_found("component", component_id)
        if found.partner_id not in self.partner_ids:
            raise errors.forbidden("component", component_id)
        return found

    # --- hierarchy -------------------------------------------------------------------------

    def partner_clients(self, partner_id: int) -> list[Client]:
        self._check_partner(partner_id)
        return [c for c in self.clients.values() if c.partner_id == partner_id]

    def partner_sites(self, partner_id: int) -> list[Site]:
        self._check_partner(partner_id)
        return [s for s in self.sites.values() if s.partner_id == partner_id]

    def client_sites(self, client_id: int) -> list[Site]:
        self.client(client_id)
        return [s for s in self.sites.values() if s.client_id == client_id]

    def site_components(self, site_id: int) -> list[Component]:
        self.site(site_id)
        return [c for c in self.components.values() if c.site_id == site_id]

    def client_components(self, client_id: int) -> list[Component]:
        self.client(client_id)
        return [c for c in self.components.values() if c.client_id == client_id]

    def partner_components(
        self, partner_id: int, node_id: str | None = None, notes: str | None = None
    ) -> list[Component]:
        self._check_partner(partner_id)
        node_match = None if node_id is None else _like(node_id)
        notes_match = None if notes is None else _like(notes)
        return [
            c
            for c in self.components.values()
            if c.partner_id == partner_id
            and (node_match is None or node_match.match(c.node_id))
            and (notes_match is None or notes_match.match(c.notes))
        ]

    def children(self, component: Component) -> list[Component]:
        found = (self.components.get(child) for child in component.children)
        return [c for c in found if c is not None]

    def top_generators(self, site_id: int) -> list[Component]:
        """The site's generating components not already measured by a generating parent."""
        result = []
        for component in self.components.values():
            if component.site_id != site_id or not component.generates:
                continue
            parent = self.components.get(component.parent_id)
            if component.parent_type == "COMPONENT" and parent is not None and parent.generates:
                continue
            result.append(component)
        return result

    def inverters_under(self, component: Component) -> list[Component]:
        if component.is_inverter:
            return [component]
        return [i for child in self.children(component) for i in self.inverters_under(child)]

    def site_inverters(self, site_id: int) -> list[Component]:
        return [c for c in self.components.values() if c.site_id == site_id and c.is_inverter]

    def has_weather_station(self, site_id: int) -> bool:
        return any(c.site_id == site_id and c.is_weather_station for c in self.components.values())

    def sky(self, site: Site) -> Sky:
        found = self._skies.get(site.id)
        if found is None:
            assert site.latitude is not None
            assert site.longitude is not None
            found = Sky(self.seed, site.id, site.latitude, site.longitude)
            self._skies[site.id] = found
        return found

    def data_since(self, site: Site) -> int | None:
        """When the site's measured data begins: local midnight of its first day."""
        day = site.data_since
        if day is None or not site.geolocated:
            return None
        zone = ZoneInfo(site.timezone)
        return math.floor(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())

    def now(self) -> float:
        return self.clock.time()

    def data_until(self) -> int:
        """The end of the last completed minute: data exists only for the past."""
        return math.floor(self.clock.time() / 60) * 60

    # --- alerts ----------------------------------------------------------------------------

    def raised_alerts(self, components: Iterable[Component]) -> list[Alert]:
        ids = {c.id for c in components}
        now = self.now()
        return sorted(
            (a for a in self.alerts.values() if a.component_id in ids and a.raised(now)),
            key=lambda a: (a.start, a.id),
        )

    def raise_alert(
        self,
        component_id: int,
        alert_type: str,
        priority: str,
        duration_seconds: float | None,
        description_short: str | None,
        description_long: str | None,
    ) -> Alert:
        """A new alert on one of this tenant's components, opening now (a control trigger)."""
        component = self.components.get(component_id)
        if component is None or component.partner_id not in self.partner_ids:
            raise KeyError(component_id)
        now = self.now()
        alert = Alert(
            id=max(self.alerts.keys(), default=0) + 1,
            component_id=component_id,
            alert_type=alert_type,
            priority=priority,
            start=float(math.floor(now)),
            end=None if duration_seconds is None else math.floor(now) + duration_seconds,
            description_short=description_short,
            description_long=description_long,
        )
        self.alerts.put(alert.id, alert)
        return alert


def _like(pattern: str) -> re.Pattern[str]:
    """``%`` is a wildcard (the reference); all else matches itself, ignoring case (SQL LIKE)."""
    body = "".join(".*" if char == "%" else re.escape(char) for char in pattern)
    return re.compile(body + r"\Z", re.IGNORECASE | re.DOTALL)
