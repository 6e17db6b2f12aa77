"""Johnson Controls Metasys REST API v4."""

from mocks.metasys.api import MetasysApi

__all__ = ["MetasysApi"]
