"""A tenant's Metasys state, pure Python (no HTTP)."""

from mocks.metasys.state.site import MetasysState

__all__ = ["MetasysState"]
