"""Johnson Controls Metasys REST API v4."""

from standin.metasys.api import MetasysApi

__all__ = ["MetasysApi"]
