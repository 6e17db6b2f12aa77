"""The target profiles, one module per API; a new API adds its module and one line below."""

from __future__ import annotations

from standin.check.profiles.atmotube import AtmotubeProfile
from standin.check.profiles.atrius import AtriusProfile
from standin.check.profiles.base import (
    Connection,
    Credentials,
    CredentialsRefused,
    Target,
    TargetProfile,
)
from standin.check.profiles.buildingminds import BuildingMindsProfile
from standin.check.profiles.locus import LocusProfile
from standin.check.profiles.metasys import MetasysProfile

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
