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

import csv
import dataclasses
import io
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.haproxy import DEFAULT_SETTINGS, HEALTH_PATH, BalancerSettings, haproxy_config
from bench.servers import (
    POLL_INTERVAL_S,
    START_TIMEOUT_S,
    Server,
    ServerFailed,
    free_port,
    standin_serve,
)
from standin._core.cluster import keys
from tests.debian import ensure_debian_packages
from tests.redis_support import RedisServer

HAPROXY = Path("/usr/sbin/haproxy")


def ensure_haproxy() -> None:
    ensure_debian_packages("the scale-out tests (replicas behind a balancer)", {HAPROXY: "haproxy"})


LOGGED = dataclasses.replace(DEFAULT_SETTINGS, log_requests=True)
"""The documented configuration, with a line per request in ``haproxy/haproxy.log``: which
replica answered a request, and how it ended, is what a failing run needs to be read."""

TopologyFailed = ServerFailed
"""A process of the topology did not start or did not become ready."""


class Replica(Server):
    """One ``standin serve`` process on 127.0.0.1:``port``; its output goes to ``log_path``."""

    def __init__(
        self,
        name: str,
        directory: Path,
        redis_url: str | None,
        port: int | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        self.redis_url = redis_url
        self.extra = tuple(extra)
        port = port or free_port()
        super().__init__(name, self._serve(port), port, None, directory / f"{name}.log")

    def _serve(self, port: int) -> list[str]:
        redis = [] if self.redis_url is None else ["--redis", self.redis_url]
        return standin_serve(port, *redis, *self.extra)

    @property
    def url(self) -> str:
        return self.base_url

    def start(self, cwd: Path | None = None) -> None:
        self.spawn(cwd)
        self.wait_healthy()

    def wait_healthy(
        self,
        timeout: float = START_TIMEOUT_S,
        path: str = HEALTH_PATH,
        *,
        new_port_if_taken: bool = False,
    ) -> None:
        """Until ``GET /_sandbox/health`` answers 200. ``new_port_if_taken``: a first start
        whose port was taken meanwhile (a free port is only free when asked) starts again on
        another, once."""
        try:
            super().wait_healthy(timeout, path)
        except ServerFailed:
            if not new_port_if_taken or "address already in use" not in self.log_tail():
                raise
            self.stop()
            self.port = free_port()
            self.command = self._serve(self.port)
            self.spawn()
            super().wait_healthy(timeout, path)


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
        self.admin_socket = directory / "haproxy.sock"
        self.config_path = directory / "haproxy.cfg"
        self.servers = list(servers)
        self.settings = settings
        self.process = self._haproxy(port or free_port())

    def _haproxy(self, port: int) -> Server:
        """The HAProxy process on ``port`` (a new one for each try: its log starts afresh)."""
        command = [str(HAPROXY), "-db", "-f", str(self.config_path)]
        return Server("haproxy", command, port, None, self.directory / "haproxy.log")

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def url(self) -> str:
        return self.process.base_url

    def start(self) -> None:
        """Start HAProxy; on a port taken meanwhile (a free port is only free when asked), once
        more on another."""
        ensure_haproxy()
        self.directory.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            if self._try_start():
                return
            if attempt < 2:
                self.process = self._haproxy(free_port())
        raise TopologyFailed(f"haproxy exited during start-up\n{self.process.log_tail()}")

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
        self.admin_socket.unlink(missing_ok=True)
        self.process.spawn()
        try:
            self.process.wait_listening()
            deadline = time.monotonic() + START_TIMEOUT_S
            while not self.admin_socket.exists():
                if time.monotonic() > deadline:
                    raise TopologyFailed("haproxy did not open its admin socket in time")
                time.sleep(POLL_INTERVAL_S)
        except ServerFailed:
            alive = self.process.alive()
            self.process.stop()
            if not alive and "Address already in use" in self.process.log_tail():
                return False
            raise
        return True

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
            time.sleep(POLL_INTERVAL_S)

    def stop(self) -> None:
        self.process.stop()


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
    balancer = Balancer(
        directory / "haproxy", [(r.name, r.port) for r in replicas], settings=LOGGED
    )
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
