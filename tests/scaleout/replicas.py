"""Replicas of one sandbox for the scale-out tests: in this process (each its own sandbox and
uvicorn thread on a free port) or as ``standin serve --redis`` child processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bench.servers import free_port
from standin._core.liveserver import live_server
from standin._core.sandbox import Sandbox
from standin.registry import create_sandbox
from standin.server import build_app


@dataclass
class Replica:
    sandbox: Sandbox
    base: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10, trust_env=False)


@contextmanager
def replica(redis_url: str, apis: list[str] | None = None, **options: Any) -> Iterator[Replica]:
    """A replica in this process, serving the sandbox kept at ``redis_url``; ``options`` go
    to the sandbox."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sandbox = create_sandbox(apis, redis_url=redis_url, advertise_url=base, **options)
    try:
        with live_server(build_app(sandbox), port=port, timeout_graceful_shutdown=1):
            yield Replica(sandbox, base)
    finally:
        sandbox.close()


@contextmanager
def replica_process(redis_url: str, *options: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``standin serve --redis`` in a child process on a free port, until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "standin.cli",
            "serve",
            "--port",
            str(port),
            "--redis",
            redis_url,
            "--log-level",
            "warning",
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/_sandbox/health", timeout=1, trust_env=False).is_success:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"standin serve --redis did not start on port {port}")
        time.sleep(0.1)
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
