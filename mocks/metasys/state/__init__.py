"""A tenant's Metasys state, pure Python (no HTTP)."""

from standin.metasys.state.site import MetasysState

__all__ = ["MetasysState"]
