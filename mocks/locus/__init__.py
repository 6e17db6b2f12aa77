"""The Locus Energy v3 API (SolarNOC) fake."""

from mocks.locus.api import LocusApi

__all__ = ["LocusApi"]
