"""The BuildingMinds Digital Twin Integration API fake, with its Azure AD token endpoint."""

from standin.buildingminds.api import BuildingMindsApi

__all__ = ["BuildingMindsApi"]
