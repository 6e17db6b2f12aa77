"""Data available and data for components, sites and (in bulk) a partner's sites.

Everything a site measures comes from its sky (``sky.py``) through the signals of
``signals.py``; a meter measures the inverters beneath it, and a site the sum of its generating
components, so the numbers agree with each other however they are asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from standin._core.timeseries import series_key
from standin.locus import catalogue, errors
from standin.locus.catalogue import BaseField
from standin.locus.models import Component, Site
from standin.locus.query import DataQuery, one_year_after
from standin.locus.series import FINE, Interval, Measure, aggregate, intervals, prefill
from standin.locus.signals import (
    AmbientTemperature,
    Electrical,
    Formula,
    Insolation,
    InverterEnergy,
    Irradiance,
    LoadEnergy,
    ModeledEnergy,
    Power,
    Signal,
    Total,
    apparent_power,
    current,
    frequency,
    line_volts,
    phase_share,
    phase_volts,
    power_factor,
    reactive_power,
)
from standin.locus.state import LocusState

ELECTRICAL: dict[str, Formula] = {
    "A": current,
    "Hz": frequency,
    "PF": power_factor,
    "PPV": line_volts,
    "PhV": phase_volts,
    "VA": apparent_power,
    "VAR": reactive_power,
    "WphA": phase_share(0),
    "WphB": phase_share(1),
    "WphC": phase_share(2),
}


def component_fields(state: LocusState, component: Component) -> tuple[BaseField, ...]:
    site = state.sites.get(component.site_id)
    if site is None or not site.geolocated:
        return ()
    if component.is_inverter:
        return catalogue.INVERTER_FIELDS
    if component.is_net_meter:
        return catalogue.NET_METER_FIELDS
    if component.generates:
        return catalogue.GENERATION_METER_FIELDS
    if component.is_weather_station:
        return catalogue.WEATHER_STATION_FIELDS
    return ()


def site_fields(state: LocusState, site: Site) -> tuple[BaseField, ...]:
    if not site.geolocated or not state.top_generators(site.id):
        return ()
    if "tmy3Id" in site.model:
        return catalogue.SITE_FIELDS
    return catalogue.SITE_FIELDS_WITHOUT_EXPECTATIONS


def irradiance_sources(state: LocusState, site: Site) -> tuple[str, ...]:
    if state.has_weather_station(site.id):
        return catalogue.IRRADIANCE_SOURCES
    return ("TMY3",)


def available(state: LocusState, site: Site, fields: tuple[BaseField, ...]) -> list[Any]:
    sources = irradiance_sources(state, site)
    return [field.as_json(sources) for field in fields]


class Signals:
    """The signals of one request, built once each so shared ones are computed once."""

    def __init__(self, state: LocusState, site: Site) -> None:
        self.state = state
        self.site = site
        self.sky = state.sky(site)
        self._cache: dict[tuple[Any, ...], Signal] = {}

    def _once(self, key: tuple[Any, ...], build: Callable[[], Signal]) -> Signal:
        found = self._cache.get(key)
        if found is None:
            found = build()
            self._cache[key] = found
        return found

    def _key(self, component: Component) -> int:
        return series_key(f"locus:{component.id}")

    def energy(self, component: Component) -> Signal:
        def build() -> Signal:
            if component.is_inverter:
                return InverterEnergy(
                    self.sky,
                    self.state.seed,
                    self._key(component),
                    component.dc_kw * 1000,
                    component.ac_kw * 1000,
                )
            if component.is_net_meter:
                assert self.site.longitude is not None
                load = LoadEnergy(
                    self.state.seed,
                    self._key(component),
                    component.load_kw * 1000,
                    self.site.longitude,
                )
                return Total([load], negate=[self.site_energy()])
            parts = [self.energy(c) for c in self.state.children(component) if c.generates]
            return Total(parts)

        return self._once(("energy", component.id), build)

    def site_energy(self) -> Signal:
        return self._once(
            ("site",),
            lambda: Total([self.energy(c) for c in self.state.top_generators(self.site.id)]),
        )

    def modeled(self, arrays: list[Component], parameters: dict[str, str]) -> Signal:
        key = (
            "modeled",
            tuple(c.id for c in arrays),
            parameters.get("irradianceSource"),
            parameters.get("modelType"),
            parameters.get("inverterClipping"),
        )
        return self._once(
            key,
            lambda: ModeledEnergy(
                self.sky,
                [(c.dc_kw * 1000, c.ac_kw * 1000) for c in arrays],
                measured_weather=parameters.get("irradianceSource") == "weatherStation",
                single_diode=parameters.get("modelType") == "singleDiode",
                clipping=parameters.get("inverterClipping") == "true",
            ),
        )

    def irradiance(self, typical: bool = False, sensor: int = 0) -> Signal:
        return self._once(
            ("ghi", typical, sensor),
            lambda: Irradiance(self.sky, typical=typical, sensor_key=sensor),
        )

    def component_signal(
        self, component: Component, base: str, parameters: dict[str, str]
    ) -> tuple[Signal, Signal | None]:
        key = self._key(component)
        if base == "GHI":
            return self.irradiance(sensor=key), None
        if base == "GHIh":
            return self._once(("ghih", key), lambda: Insolation(self.irradiance(sensor=key))), None
        if base == "TmpAmb":
            assert self.site.latitude is not None
            assert self.site.longitude is not None
            lat, lon = self.site.latitude, self.site.longitude
            return self._once(
                ("tmp", key), lambda: AmbientTemperature(self.state.seed, key, lat, lon)
            ), None
        energy = self.energy(component)
        power = self._once(("power", component.id), lambda: Power(energy))
        if base == "Wh":
            return energy, None
        if base == "W":
            return power, None
        if base in ELECTRICAL:
            # The phases share one noise key so that they always add up to W.
            noise = key if base.startswith("Wph") else key ^ series_key(base)
            formula = ELECTRICAL[base]
            return self._once(
                ("elec", component.id, base),
                lambda: Electrical(power, self.state.seed, noise, formula),
            ), None
        modeled = self.modeled(self.state.inverters_under(component), parameters)
        if base == "Wh_m":
            return modeled, None
        if base == "W_m":
            return self._once(("power", id(modeled)), lambda: Power(modeled)), None
        assert base == "PI_m"
        return energy, modeled

    def site_signal(self, base: str, parameters: dict[str, str]) -> Signal:
        energy = self.site_energy()
        if base == "Wh":
            return energy
        if base == "W":
            return self._once(("power", "site"), lambda: Power(energy))
        if base == "GHI_m":
            return self.irradiance()
        if base == "GHIh_m":
            return self._once(("ghih", "site"), lambda: Insolation(self.irradiance()))
        inverters = self.state.site_inverters(self.site.id)
        if base == "Wh_e":
            return self.expected(inverters)
        modeled = self.modeled(inverters, parameters)
        if base == "Wh_m":
            return modeled
        assert base == "W_m"
        return self._once(("power", id(modeled)), lambda: Power(modeled))

    def expected(self, inverters: list[Component]) -> Signal:
        """Expected energy: the simple model under typical (TMY3) weather, unclipped."""
        return self.modeled(inverters, {"irradianceSource": "TMY3", "modelType": "simple"})

    def typical_insolation(self) -> Signal:
        return self._once(("ghih_t",), lambda: Insolation(self.irradiance(typical=True)))


def _resolve(
    query: DataQuery, fields: tuple[BaseField, ...], irradiance: tuple[str, ...]
) -> list[tuple[str, BaseField, Any]]:
    """Each asked shortName's base field and aggregation; 400 for anything not available."""
    by_short_name = {
        name: (field, aggregation)
        for field in fields
        for name, aggregation in field.short_names().items()
    }
    resolved = []
    for name in query.fields:
        found = by_short_name.get(name)
        if found is None:
            raise errors.bad_request(f"Invalid field: {name}")
        field, aggregation = found
        if query.gran not in field.granularities:
            raise errors.bad_request(f"Field {name} is not available at {query.gran} granularity")
        if field.modeled:
            _check_parameters(query.parameters, irradiance)
        resolved.append((name, field, aggregation))
    return resolved


def _check_parameters(parameters: dict[str, str], irradiance: tuple[str, ...]) -> None:
    allowed = {
        "modelType": catalogue.MODEL_TYPES,
        "irradianceSource": irradiance,
        "inverterClipping": catalogue.INVERTER_CLIPPING,
    }
    for name, values in allowed.items():
        value = parameters.get(name)
        if value is None:
            raise errors.bad_request(f"{name} is required for modeled fields")
        if value not in values:
            raise errors.bad_request(f"Invalid {name}: {value}. Valid values: {', '.join(values)}")


def component_data(state: LocusState, component: Component, query: DataQuery) -> list[Any]:
    site = state.sites.get(component.site_id)
    assert site is not None
    resolved = _resolve(query, component_fields(state, component), irradiance_sources(state, site))
    signals = Signals(state, site)
    measures = []
    for name, field, aggregation in resolved:
        signal, ratio_of = signals.component_signal(component, field.base, query.parameters)
        measures.append(Measure(name, aggregation, signal, ratio_of))
    return _rows(state, site, component.id, measures, query)


def site_data(state: LocusState, site: Site, query: DataQuery) -> list[Any]:
    resolved = _resolve(query, site_fields(state, site), irradiance_sources(state, site))
    signals = Signals(state, site)
    measures = [
        Measure(name, aggregation, signals.site_signal(field.base, query.parameters))
        for name, field, aggregation in resolved
    ]
    return _rows(state, site, site.id, measures, query)


def _rows(
    state: LocusState, site: Site, entity_id: int, measures: list[Measure], query: DataQuery
) -> list[Any]:
    since = state.data_since(site)
    until = state.data_until()
    if query.gran == "latest":
        if since is None or until - 60 < since:
            return []
        last = Interval(datetime.fromtimestamp(until - 60, tz=query.zone), until - 60, until)
        row: dict[str, Any] = {"id": entity_id, "ts": last.ts.isoformat()}
        row.update(aggregate(measures, last.start, last.end, fine=True))
        return [row]
    assert query.start is not None
    assert query.end is not None
    rows = []
    fine = query.gran in FINE
    spans = intervals(query.start, query.end, query.zone, query.gran)
    if not fine and since is not None:
        clipped = [(max(i.start, since), min(i.end, until)) for i in spans]
        prefill(measures, clipped, state.block_cache)
    for interval in spans:
        row = {"id": entity_id, "ts": interval.ts.isoformat()}
        if since is not None:
            row.update(
                aggregate(
                    measures,
                    max(interval.start, since),
                    min(interval.end, until),
                    fine,
                    state.block_cache,
                )
            )
        rows.append(row)
    return rows


# --- bulk --------------------------------------------------------------------------------------


def bulk_data(state: LocusState, partner_id: int, query: DataQuery) -> list[dict[str, Any]]:
    """Monthly rows for each of the partner's sites that has components, site by site."""
    for name in query.fields:
        if name not in catalogue.BULK_SHORT_NAMES:
            raise errors.bad_request(f"Invalid field: {name}")
    if query.gran != "monthly":
        raise errors.bad_request("Only monthly granularity is supported for bulk data")
    assert query.start is not None
    assert query.end is not None
    if query.end > one_year_after(query.start):
        raise errors.bad_request("end can be at most 1 year after start")
    rows: list[dict[str, Any]] = []
    months = intervals(query.start, query.end, query.zone, "monthly")
    for site in sorted(state.partner_sites(partner_id), key=lambda s: s.id):
        if not state.site_components(site.id):
            continue
        for month in months:
            row: dict[str, Any] = {"id": site.id, "ts": month.ts.isoformat()}
            row.update(_bulk_values(state, site, month, query.fields, query.zone))
            rows.append(row)
    return rows


def _bulk_values(
    state: LocusState, site: Site, month: Interval, fields: tuple[str, ...], zone: ZoneInfo
) -> dict[str, float | None]:
    """The prorating rules of the reference, field by field."""
    since = state.data_since(site)
    until = state.data_until()
    has_tmy = "tmy3Id" in site.model
    values: dict[str, float | None] = {}
    if since is None or not site.geolocated:
        return dict.fromkeys(fields)
    signals = Signals(state, site)
    startup = site.startup
    startup_at = None
    if startup is not None:
        site_zone = ZoneInfo(site.timezone)
        startup_at = int(
            datetime(startup.year, startup.month, startup.day, tzinfo=site_zone).timestamp()
        )
    # Without a startup date, other fields count whole months from the first measured energy.
    local_since = datetime.fromtimestamp(since, tz=zone)
    measured_from = int(datetime(local_since.year, local_since.month, 1, tzinfo=zone).timestamp())

    def total(signal: Signal, low: int, high: int, measured: bool = False) -> float | None:
        # Measured energy exists only from installation; models and the sky exist regardless.
        low, high = max(low, month.start, since if measured else low), min(high, month.end, until)
        if high <= low:
            return None
        row = aggregate([Measure("v", "sum", signal)], low, high, False, state.block_cache)
        return row.get("v")

    def prorated(signal: Signal, cap: int, measured: bool = False) -> float | None:
        if startup_at is not None:
            return total(signal, startup_at, cap, measured)
        if month.start < measured_from:
            return None
        return total(signal, month.start, cap, measured)

    energy = signals.site_energy()
    insolation = signals.site_signal("GHIh_m", {})
    expected = signals.expected(state.site_inverters(site.id))
    computed: dict[str, Callable[[], float | None]] = {}
    computed["Wh_sum"] = lambda: total(energy, since, month.end, measured=True)
    computed["Whp_sum"] = lambda: prorated(energy, month.end, measured=True)
    computed["Wh_e_sum"] = lambda: prorated(expected, month.end) if has_tmy else None
    computed["GHIh_t_sum"] = lambda: (
        prorated(signals.typical_insolation(), month.end) if has_tmy else None
    )
    computed["GHIh_m_sum"] = lambda: total(insolation, measured_from, month.end)
    computed["GHIhp_m_sum"] = lambda: prorated(insolation, month.end)

    def ratio(numerator: float | None, denominator: float | None) -> float | None:
        return None if numerator is None or not denominator else numerator / denominator

    def eer() -> float | None:
        found = ratio(computed["Whp_sum"](), computed["Wh_e_sum"]())
        return None if found is None else round(found, 3)

    def geer() -> float | None:
        ghi = ratio(computed["GHIhp_m_sum"](), computed["GHIh_t_sum"]())
        found = ratio(eer(), ghi)
        return None if found is None else round(found, 3)

    computed["EER_avg"] = eer
    computed["GEER_avg"] = geer
    lacking = set() if has_tmy else {"Wh_e_sum", "GHIh_t_sum", "EER_avg", "GEER_avg"}
    for name in fields:
        if name in lacking:
            values[name] = None
        else:
            value = computed[name]()
            if value is not None:
                values[name] = value
    return values
