"""The target profiles, one module per API; a new API adds its module and one line below."""

from __future__ import annotations

from mocks.check.profiles.atmotube import AtmotubeProfile
from mocks.check.profiles.atrius import AtriusProfile
from mocks.check.profiles.base import (
    Connection,
    Credentials,
    CredentialsRefused,
    Target,
    TargetProfile,
)
from mocks.check.profiles.buildingminds import BuildingMindsProfile
from mocks.check.profiles.locus import LocusProfile
from mocks.check.profiles.metasys import MetasysProfile

PROFILES: dict[str, TargetProfile] = {
    "atmotube": AtmotubeProfile(),
    "atrius": AtriusProfile(),
    "buildingminds": BuildingMindsProfile(),
    "locus": LocusProfile(),
    "metasys": MetasysProfile(),
}

__all__ = [
    "PROFILES",
    "Connection",
    "Credentials",
    "CredentialsRefused",
    "Target",
    "TargetProfile",
]
