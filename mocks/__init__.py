"""standin: stateful stand-ins for building-data APIs (Atrius, BuildingMinds, Locus, Metasys,
Atmotube).

The public API: :func:`standin` routes the vendors' real host names to an in-process sandbox
(a context manager), :func:`create_sandbox` and :func:`build_app` make a sandbox and its ASGI app,
:class:`Sandbox` and :class:`Clock` are what they hand back, and ``standin.pytest_plugin`` is the
pytest plugin (registered by entry point). The fakes are ``standin.<api>``, the reference clients
``standin.clients.<api>``, the contracts ``standin.contracts``, the fixtures ``standin.fixtures``.

Names are imported on first use, so ``import standin`` (and ``standin --help``) loads no fake.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str
    from standin._core.clock import Clock
    from standin._core.sandbox import Sandbox
    from standin.inprocess import UnroutedHost, standin
    from standin.registry import create_sandbox
    from standin.server import build_app

_PUBLIC = {
    "Clock": "standin._core.clock",
    "Sandbox": "standin._core.sandbox",
    "UnroutedHost": "standin.inprocess",
    "build_app": "standin.server",
    "create_sandbox": "standin.registry",
    "standin": "standin.inprocess",
}

__all__ = [
    "Clock",
    "Sandbox",
    "UnroutedHost",
    "__version__",
    "build_app",
    "create_sandbox",
    "standin",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("standin")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'standin' has no attribute {name!r}")
    return getattr(import_module(module), name)
