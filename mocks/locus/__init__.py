"""The Locus Energy v3 API (SolarNOC) fake."""

from standin.locus.api import LocusApi

__all__ = ["LocusApi"]
