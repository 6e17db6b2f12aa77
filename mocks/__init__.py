"""standin's fakes: stateful stand-ins for building-data APIs."""

from mocks._core.clock import Clock
from mocks._core.sandbox import Sandbox
from mocks.inprocess import standin
from mocks.registry import create_sandbox
from mocks.server import build_app

__all__ = ["Clock", "Sandbox", "build_app", "create_sandbox", "standin"]
