"""Server subprocesses, for the benches and the tests alike: start one (pinned to a core or
not), wait until it listens or answers its health check, SIGKILL it or stop it gracefully, and
start it again on its port. ``standin_serve`` is the ``standin serve`` command as a deployment
runs it (the venv's ``standin`` script)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import httpx

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.05
HEALTH_PATH = "/_sandbox/health"
QUIET_SHARE = 0.05
"""A server counts as settled below this share of a core (:meth:`Server.settle`)."""
QUIET_WINDOW_S = 0.5
QUIET_TIMEOUT_S = 10.0


class ServerFailed(RuntimeError):
    """A server did not start, or did not answer as the bench expects."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def standin_serve(port: int, *options: str, log_level: str = "warning") -> list[str]:
    """``standin serve`` on 127.0.0.1:``port`` with ``options``: the venv's ``standin`` script
    (``python -m standin.cli`` where there is none)."""
    script = Path(sys.executable).with_name("standin")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "standin.cli"]
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level]
    return [*head, *serve, *options]


class Server:
    """One server process on 127.0.0.1:``port``, leading its own session; its output goes to
    ``log_path`` (written afresh by the first start, appended to by a start again)."""

    def __init__(
        self, name: str, command: Sequence[str], port: int, cpu: int | None, log_path: Path
    ) -> None:
        self.name = name
        self.command = list(command) if cpu is None else ["taskset", "-c", str(cpu), *command]
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._started = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, cwd: Path | None = None) -> None:
        """Start the process and wait until its port takes connections."""
        self.spawn(cwd)
        self.wait_listening()

    def spawn(self, cwd: Path | None = None) -> None:
        """Start the process; :meth:`wait_listening` or :meth:`wait_healthy` waits for it."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab" if self._started else "wb")
        self._started = True
        self._process = subprocess.Popen(
            self.command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_listening(self, timeout: float = START_TIMEOUT_S) -> None:
        """Until the port takes a connection."""

        def listening() -> bool:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            return False

        self._wait(listening, "listen", timeout)

    def wait_healthy(self, timeout: float = START_TIMEOUT_S, path: str = HEALTH_PATH) -> None:
        """Until ``GET path`` (a standin's health check) answers 200."""
        with httpx.Client(timeout=2.0, trust_env=False) as client:

            def healthy() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return client.get(self.base_url + path).status_code == 200
                return False

            self._wait(healthy, f"answer {path}", timeout)

    def _wait(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise ServerFailed(f"{self.name} exited during start-up\n{self.log_tail()}")
            if ready():
                return
            if time.monotonic() > deadline:
                raise ServerFailed(
                    f"{self.name} did not {what} on {self.port} in {timeout:g} s\n{self.log_tail()}"
                )
            time.sleep(POLL_INTERVAL_S)

    def cpu_seconds(self) -> float | None:
        """CPU time (user and system, every thread) the server process has used so far; None
        once it is gone or where /proc cannot tell."""
        if self._process is None:
            return None
        try:
            stat = Path(f"/proc/{self._process.pid}/stat").read_text()
        except OSError:
            return None
        # Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
        fields = stat.rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        """The resident set of the server process (taskset execs it in place), 0 once gone."""
        if self._process is None:
            return 0
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def pause(self) -> None:
        """SIGSTOP: the process (every thread of it) gets no CPU until :meth:`resume`; its
        connections stay open."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause` (nothing for a process that runs)."""
        self._signal(signal.SIGCONT)

    def _signal(self, number: signal.Signals) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, number)

    def settle(
        self,
        quiet_share: float = QUIET_SHARE,
        window_s: float = QUIET_WINDOW_S,
        timeout_s: float = QUIET_TIMEOUT_S,
    ) -> float:
        """Wait until the process uses under ``quiet_share`` of a core over ``window_s``
        (compiling, collecting or catching up after its last load is over), at most
        ``timeout_s``; the seconds waited."""
        began = time.monotonic()
        before = self.cpu_seconds()
        while before is not None and time.monotonic() - began < timeout_s:
            time.sleep(window_s)
            after = self.cpu_seconds()
            if after is None or after - before < quiet_share * window_s:
                break
            before = after
        return time.monotonic() - began

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye, as an out-of-memory kill or a lost node does."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``; safe to call more than once."""
        self.resume()  # a paused process would not act on SIGTERM
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # The process leads its own session (taskset execs the server in place).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
