"""The deployed shape of a shared sandbox, run as processes: a real ``redis-server``, two or three
``standin serve --redis URL`` replicas and Debian's HAProxy in front of them, round-robin, every
one on an ephemeral loopback port.

:class:`Replica` is one ``standin serve`` subprocess (the venv's ``standin`` script), ready once
``GET /_sandbox/health`` answers 200; it can be SIGKILLed and started again on its port.
:class:`Balancer` writes an HAProxy configuration into a temporary directory (the one
docs/deploy.md shows: round-robin, health checks on ``/_sandbox/health``, redispatch and
retries, timeouts that let an event stream live) and runs it in the foreground; its admin
socket says which replicas it sees up. :class:`Topology` holds the three together and shuts them
down in order.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import redis

from bench.haproxy import DEFAULT_SETTINGS, HEALTH_PATH, BalancerSettings, haproxy_config
from standin._core.cluster import keys
from tests.debian import ensure_debian_packages
from tests.redis_support import RedisServer, free_port

HAPROXY = Path("/usr/sbin/haproxy")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.05


def ensure_haproxy() -> None:
    ensure_debian_packages("the scale-out tests (replicas behind a balancer)", {HAPROXY: "haproxy"})


def standin_command() -> list[str]:
    """The venv's ``standin`` script, as a deployment runs it."""
    script = Path(sys.executable).with_name("standin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "standin.cli"]


class TopologyFailed(RuntimeError):
    """A process of the topology did not start or did not become ready."""


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


class Replica:
    """One ``standin serve`` process on 127.0.0.1:``port``; its output goes to ``log``."""

    def __init__(
        self,
        name: str,
        directory: Path,
        redis_url: str | None,
        port: int | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.port = port or free_port()
        self.redis_url = redis_url
        self.extra = tuple(extra)
        self.log = directory / f"{name}.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def command(self) -> list[str]:
        redis = [] if self.redis_url is None else ["--redis", self.redis_url]
        return [
            *standin_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *redis,
            *self.extra,
        ]

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self.spawn()
        self.wait_healthy()

    def spawn(self) -> None:
        """Start the process; :meth:`wait_healthy` waits for it to answer."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log.open("ab")
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(
        self, timeout: float = START_TIMEOUT_S, new_port_if_taken: bool = False
    ) -> None:
        """Until ``GET /_sandbox/health`` answers 200. ``new_port_if_taken``: a first start
        whose port was taken meanwhile (a free port is only free when asked) starts again on
        another, once."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if not self.alive():
                    log = _tail(self.log)
                    if new_port_if_taken and "address already in use" in log:
                        new_port_if_taken = False
                        self.stop()
                        self.port = free_port()
                        self.url = f"http://127.0.0.1:{self.port}"
                        self.spawn()
                        continue
                    raise TopologyFailed(f"{self.name} exited during start-up\n{log}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.url + HEALTH_PATH).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TopologyFailed(f"{self.name} not healthy in {timeout:g} s")
                time.sleep(POLL_S)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye, as an out-of-memory kill or a lost node does."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL after ``STOP_TIMEOUT_S``."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
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


class Balancer:
    """HAProxy in the foreground on 127.0.0.1:``port``, its configuration in ``directory``."""

    def __init__(
        self,
        directory: Path,
        servers: Sequence[tuple[str, int]],
        port: int | None = None,
        settings: BalancerSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_socket = directory / "haproxy.sock"
        self.config_path = directory / "haproxy.cfg"
        self.log = directory / "haproxy.log"
        self.servers = list(servers)
        self.settings = settings
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        """Start HAProxy; on a port taken meanwhile (a free port is only free when asked), once
        more on another."""
        ensure_haproxy()
        self.directory.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            if self._try_start():
                return
            if attempt < 2:
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        raise TopologyFailed(f"haproxy exited during start-up\n{_tail(self.log)}")

    def _try_start(self) -> bool:
        """False when HAProxy could not bind its port; raises on any other failure."""
        text = haproxy_config(self.port, self.servers, self.admin_socket, self.settings)
        self.config_path.write_text(text)
        checked = subprocess.run(
            [str(HAPROXY), "-c", "-q", "-f", str(self.config_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if checked.returncode != 0:
            raise TopologyFailed(f"haproxy refused its configuration: {checked.stderr}")
        self.log.unlink(missing_ok=True)
        self._log = self.log.open("ab")
        process = self._process = subprocess.Popen(
            [str(HAPROXY), "-db", "-f", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                self.stop()
                if "Address already in use" in _tail(self.log):
                    return False
                raise TopologyFailed(f"haproxy exited during start-up\n{_tail(self.log)}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                if self.admin_socket.exists():
                    return True
            if time.monotonic() > deadline:
                raise TopologyFailed("haproxy did not listen in time")
            time.sleep(POLL_S)

    def admin(self, command: str) -> str:
        """One command on HAProxy's admin socket; its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5.0)
            sock.connect(str(self.admin_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_states(self) -> dict[str, str]:
        """Each replica's state as HAProxy sees it: ``UP``, ``DOWN``, ``UP 1/2``, ..."""
        rows = csv.DictReader(io.StringIO(self.admin("show stat").lstrip("# ")))
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "replicas" and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_for(self, wanted: dict[str, str], timeout: float = 30.0) -> None:
        """Until HAProxy's health checks see each named replica in the wanted state."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.server_states()
            if all(states.get(name) == state for name, state in wanted.items()):
                return
            if time.monotonic() > deadline:
                raise TopologyFailed(f"haproxy sees {states}, not {wanted}")
            time.sleep(POLL_S)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class Topology:
    """Redis, the replicas and the balancer in front; ``url`` is the balancer's origin."""

    redis: RedisServer
    replicas: list[Replica]
    balancer: Balancer

    @property
    def url(self) -> str:
        return self.balancer.url

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)

    def holder(self, tenant_id: str = "default") -> str:
        """The name of the replica holding the tenant's lease in Redis (serving it)."""
        client = redis.Redis.from_url(self.redis.url)
        try:
            value = client.get(keys.lease(tenant_id))
        finally:
            client.close()
        if value is None:
            raise AssertionError(f"no replica holds {tenant_id!r}")
        url = (value.decode() if isinstance(value, bytes) else str(value)).split("|")[1]
        return next(r.name for r in self.replicas if r.url == url)

    def kill(self, name: str) -> None:
        """SIGKILL one replica; returns once the balancer has taken it out."""
        self.replica(name).kill()
        self.balancer.wait_for({name: "DOWN"})

    def start(self, name: str) -> None:
        """(Re)start one replica on its port; returns once the balancer sends to it again."""
        self.replica(name).start()
        self.balancer.wait_for({name: "UP"})

    def wait_all_up(self) -> None:
        self.balancer.wait_for({r.name: "UP" for r in self.replicas if r.alive()})

    def stop(self) -> None:
        self.balancer.stop()
        for replica in self.replicas:
            replica.stop()


@contextmanager
def running(
    directory: Path,
    redis: RedisServer,
    count: int = 2,
    *,
    extra: Sequence[str] = (),
) -> Iterator[Topology]:
    """``count`` replicas on ``redis`` behind HAProxy; everything stopped on exit."""
    replicas = [Replica(f"r{n}", directory, redis.url, extra=extra) for n in range(1, count + 1)]
    balancer = Balancer(directory / "haproxy", [(r.name, r.port) for r in replicas])
    topology = Topology(redis, replicas, balancer)
    try:
        for replica in replicas:
            replica.spawn()
        for replica in replicas:
            replica.wait_healthy(new_port_if_taken=True)
        balancer.servers = [(r.name, r.port) for r in replicas]
        balancer.start()
        topology.wait_all_up()
        yield topology
    finally:
        topology.stop()
