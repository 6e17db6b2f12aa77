"""The bench's server processes: one paused gets no CPU and answers nothing until resumed, and
settling waits for a server's own work to die down, at most as long as it is told."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.servers import Server, free_port


def test_a_paused_server_answers_nothing_until_it_is_resumed(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = Server("files", command, port, None, tmp_path / "files.log")
    server.start(tmp_path)
    try:
        assert httpx.get(server.base_url + "/", timeout=5).status_code == 200
        server.pause()
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(server.base_url + "/", timeout=0.5)
        server.resume()
        assert httpx.get(server.base_url + "/", timeout=5).status_code == 200
    finally:
        server.pause()  # stopping a paused server still ends it
        server.stop()
    assert not server.alive()


def test_settling_returns_once_a_server_is_idle_and_waits_out_a_busy_one(tmp_path: Path) -> None:
    spinning = Server(
        "spinning", [sys.executable, "-c", "while True: pass"], 0, None, tmp_path / "spin.log"
    )
    idle = Server(
        "idle", [sys.executable, "-c", "import time; time.sleep(60)"], 0, None, tmp_path / "i.log"
    )
    spinning.spawn(tmp_path)
    idle.spawn(tmp_path)
    try:
        time.sleep(0.3)
        # Any CPU at all in a window counts as busy here: on a loaded machine the spinner gets
        # only its share of a core, but some of it in every half second.
        assert spinning.settle(quiet_share=0.001, window_s=0.5, timeout_s=1.5) >= 1.5
        assert idle.settle(window_s=0.2, timeout_s=5.0) < 1.0
        spinning.pause()
        assert spinning.settle(window_s=0.2, timeout_s=5.0) < 1.0
    finally:
        spinning.stop()
        idle.stop()
