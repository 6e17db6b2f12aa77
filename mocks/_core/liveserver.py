"""A real server on an ephemeral loopback port, in a background thread.

What streaming needs: httpx's ASGI transport (and so in-process mode) buffers whole responses,
so Server-Sent Events can only be consumed from a real socket.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp


@contextmanager
def live_server(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 10.0,
    **config: Any,
) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on ``port`` of ``host`` (a free one by default);
    yields the base URL.

    ``config`` goes to ``uvicorn.Config`` (e.g. ``timeout_graceful_shutdown``). On exit the
    server shuts down gracefully, which waits for open responses: end endless ones first (an
    ``SseHub``'s ``close_all()``) or pass ``timeout_graceful_shutdown``.
    """
    listening = socket.socket()
    listening.bind((host, port))
    port = listening.getsockname()[1]
    options: dict[str, Any] = {
        "log_level": "warning",
        "lifespan": "off",
        "loop": "asyncio",
        "ws": "none",
    }
    server = uvicorn.Server(uvicorn.Config(app, **{**options, **config}))
    failures: list[BaseException] = []

    def run() -> None:
        # uvicorn exits (SystemExit) when startup fails; report it here, not as a thread crash.
        try:
            server.run(sockets=[listening])
        except BaseException as failure:
            failures.append(failure)

    thread = threading.Thread(target=run, name=f"standin-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                cause = failures[0] if failures else None
                raise RuntimeError(f"the server on {host}:{port} did not start") from cause
            time.sleep(0.01)
        scheme = "https" if "ssl_certfile" in config else "http"
        yield f"{scheme}://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(startup_timeout)
        listening.close()
