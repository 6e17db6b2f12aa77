"""The Atrius (BuildingOS) API fake."""

from standin.atrius.api import AtriusApi

__all__ = ["AtriusApi"]
