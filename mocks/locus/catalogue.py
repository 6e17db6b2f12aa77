"""The base fields each kind of entity measures, as ``dataavailable`` lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from standin.locus.series import Aggregation, Granularity

ALL: tuple[Granularity, ...] = (
    "latest",
    "1min",
    "5min",
    "15min",
    "hourly",
    "daily",
    "monthly",
    "yearly",
)
NO_LATEST = ALL[1:]
HOURLY_UP = ALL[4:]
DAILY_UP = ALL[5:]
AVG_MAX_MIN: tuple[Aggregation, ...] = ("avg", "max", "min")
SUM: tuple[Aggregation, ...] = ("sum",)

MODEL_TYPES = ("simple", "singleDiode")
IRRADIANCE_SOURCES = ("TMY3", "weatherStation")
INVERTER_CLIPPING = ("true", "false")
FIELD_PARAMETERS = ("modelType", "irradianceSource", "inverterClipping")


@dataclass(frozen=True)
class BaseField:
    base: str
    long_name: str
    source: str
    unit: str
    aggregations: tuple[Aggregation, ...]
    granularities: tuple[Granularity, ...]
    modeled: bool = False
    """Needs the PV model's field parameters (modelType, irradianceSource, inverterClipping)."""

    def short_names(self) -> dict[str, Aggregation]:
        return {f"{self.base}_{aggregation}": aggregation for aggregation in self.aggregations}

    def as_json(self, irradiance_sources: tuple[str, ...]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "baseField": self.base,
            "longName": self.long_name,
            "source": self.source,
            "unit": self.unit,
            "aggregations": [
                {"shortName": name, "aggregation": aggregation}
                for name, aggregation in self.short_names().items()
            ],
        }
        if self.modeled:
            body["fieldParameters"] = [
                {"param": "modelType", "values": list(MODEL_TYPES)},
                {"param": "irradianceSource", "values": list(irradiance_sources)},
                {"param": "inverterClipping", "values": list(INVERTER_CLIPPING)},
            ]
        body["granularities"] = list(self.granularities)
        return body


def _measured(
    base: str, long_name: str, unit: str, aggregations: tuple[Aggregation, ...]
) -> BaseField:
    return BaseField(base, long_name, "Measured", unit, aggregations, ALL)


A = _measured("A", "AC Current", "A", AVG_MAX_MIN)
HZ = _measured("Hz", "AC Frequency", "Hz", AVG_MAX_MIN)
PF = _measured("PF", "AC Power Factor", "", AVG_MAX_MIN)
PPV = _measured("PPV", "AC Voltage L-L", "V", AVG_MAX_MIN)
PHV = _measured("PhV", "AC Voltage L-N", "V", AVG_MAX_MIN)
VA = _measured("VA", "AC Apparent Power", "VA", AVG_MAX_MIN)
VAR = _measured("VAR", "AC Reactive Power", "VAR", AVG_MAX_MIN)
W = _measured("W", "AC Power", "W", AVG_MAX_MIN)
WH = _measured("Wh", "AC Energy", "Wh", SUM)
WPHA = _measured("WphA", "AC Power A", "W", AVG_MAX_MIN)
WPHB = _measured("WphB", "AC Power B", "W", AVG_MAX_MIN)
WPHC = _measured("WphC", "AC Power C", "W", AVG_MAX_MIN)
W_M = BaseField("W_m", "AC Power", "Modeled", "W", ("avg",), NO_LATEST, modeled=True)
WH_M = BaseField("Wh_m", "AC Energy", "Modeled", "Wh", SUM, NO_LATEST, modeled=True)
PI_M = BaseField("PI_m", "Performance Index", "Modeled", "", ("avg",), NO_LATEST, modeled=True)
GHI = _measured("GHI", "Irradiance Global Horizontal", "W/m²", AVG_MAX_MIN)
GHIH = _measured("GHIh", "Insolation Global Horizontal", "Wh/m²", SUM)
TMP_AMB = _measured("TmpAmb", "Ambient Temperature", "°C", AVG_MAX_MIN)

SITE_W = BaseField("W", "AC Power", "Measured", "W", ("avg", "max"), NO_LATEST)
SITE_WH = BaseField("Wh", "AC Energy", "Measured", "Wh", SUM, NO_LATEST)
WH_E = BaseField("Wh_e", "AC Energy", "Expected", "Wh", SUM, DAILY_UP)
GHI_M = BaseField(
    "GHI_m", "VI - Irradiance Global Horizontal", "Modeled", "W/m²", AVG_MAX_MIN, HOURLY_UP
)
GHIH_M = BaseField(
    "GHIh_m", "VI - Insolation Global Horizontal", "Modeled", "Wh/m²", SUM, HOURLY_UP
)

INVERTER_FIELDS = (A, HZ, PF, PI_M, PPV, PHV, VA, VAR, W, W_M, WH, WH_M, WPHA, WPHB, WPHC)
GENERATION_METER_FIELDS = (A, HZ, PF, PPV, PHV, VA, VAR, W, W_M, WH, WH_M)
NET_METER_FIELDS = (W, WH)
WEATHER_STATION_FIELDS = (GHI, GHIH, TMP_AMB)
SITE_FIELDS = (GHI_M, GHIH_M, SITE_W, W_M, SITE_WH, WH_E, WH_M)
SITE_FIELDS_WITHOUT_EXPECTATIONS = (GHI_M, GHIH_M, SITE_W, W_M, SITE_WH, WH_M)


def _monthly(
    base: str, long_name: str, source: str, unit: str, aggregation: Aggregation
) -> BaseField:
    return BaseField(base, long_name, source, unit, (aggregation,), ("monthly",))


BULK_FIELDS = (
    _monthly("Wh", "AC Energy", "Measured", "Wh", "sum"),
    _monthly("Whp", "AC Energy (prorated)", "Measured", "Wh", "sum"),
    _monthly("Wh_e", "AC Energy", "Expected", "Wh", "sum"),
    _monthly("GHIh_m", "VI - Insolation Global Horizontal", "Modeled", "Wh/m²", "sum"),
    _monthly("GHIhp_m", "VI - Insolation Global Horizontal (prorated)", "Modeled", "Wh/m²", "sum"),
    _monthly("GHIh_t", "Insolation Global Horizontal", "Expected", "Wh/m²", "sum"),
    _monthly("EER", "Energy Expectations Ratio", "Modeled", "", "avg"),
    _monthly("GEER", "GHI-adjusted Energy Expectations Ratio", "Modeled", "", "avg"),
)
BULK_SHORT_NAMES = tuple(name for field in BULK_FIELDS for name in field.short_names())
