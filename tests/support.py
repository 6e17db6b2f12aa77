"""Helpers the API test suites share."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from schemathesis.checks import CHECKS
from schemathesis.specs.openapi import checks as _openapi_checks  # noqa: F401 - registers them

from bench.servers import free_port
from standin import Sandbox
from tools.conformance.contract import HTTP_METHODS, ContractReader


def all_checks() -> list[Any]:
    """Every schemathesis check, the OpenAPI ones included."""
    return list(CHECKS.get_all())


class SandboxSleep:
    """A sleep that records each wait and, if ``moves_clock``, moves the sandbox clock on."""

    def __init__(self, sandbox: Sandbox, *, moves_clock: bool = True) -> None:
        self.sandbox = sandbox
        self.moves_clock = moves_clock
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.moves_clock:
            self.sandbox.clock.advance(seconds)


@contextmanager
def serving(*options: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``standin serve`` with ``options`` in a child process on a free loopback port: the
    process (its standard error is a pipe) and the base URL, until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "standin.cli", "serve", "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_sandbox/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


__all__ = [
    "HTTP_METHODS",
    "ContractReader",
    "SandboxSleep",
    "all_checks",
    "free_port",
    "serving",
]
