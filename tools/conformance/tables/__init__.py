"""One table of client calls per API."""

from __future__ import annotations

from typing import Any

from tools.conformance.table import ClientTable
from tools.conformance.tables import atmotube, atrius, buildingminds, locus, metasys

TABLES: dict[str, ClientTable[Any]] = {
    "atmotube": atmotube.TABLE,
    "atrius": atrius.TABLE,
    "buildingminds": buildingminds.TABLE,
    "locus": locus.TABLE,
    "metasys": metasys.TABLE,
}
