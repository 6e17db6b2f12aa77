"""How the coverage table learns which operations each reference client calls.

One probe per API, registered in ``PROBES``: it names a call (or a few) for every public
method of the client; the table runs them against the in-process fake and reads the request
journal. A test checks that every public method has its calls, so a new client method cannot be
left out of the table unnoticed.
"""

from __future__ import annotations

from typing import Any

from tools.coverage.probes import atmotube, atrius, buildingminds, locus, metasys
from tools.coverage.probes.probe import ClientProbe, public_methods

PROBES: dict[str, ClientProbe[Any]] = {
    "atmotube": atmotube.PROBE,
    "atrius": atrius.PROBE,
    "buildingminds": buildingminds.PROBE,
    "locus": locus.PROBE,
    "metasys": metasys.PROBE,
}
"""API key -> its client's probe. An API joins the coverage table here."""

__all__ = ["PROBES", "ClientProbe", "public_methods"]
