"""The Atrius (BuildingOS) API fake."""

from mocks.atrius.api import AtriusApi

__all__ = ["AtriusApi"]
