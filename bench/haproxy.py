"""The HAProxy configuration of a shared sandbox's replicas, as docs/deploy.md shows it: the
scale-out tests (tests/scaleout) run it and ``make bench`` measures through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HEALTH_PATH = "/_sandbox/health"
SERVED_BY = "X-Standin-Replica"
"""The response header HAProxy adds: the name of the replica it handed the request to."""


@dataclass(frozen=True)
class BalancerSettings:
    """What the generated configuration says; docs/deploy.md shows the same values."""

    check_inter_ms: int = 300
    check_timeout_ms: int = 2000
    """A replica busy answering may take a while to answer its health check too: it stays in
    unless it is that late. A dead one refuses the connection and is out at once."""
    fall: int = 2
    rise: int = 2
    connect_timeout_ms: int = 1000
    client_timeout_s: int = 75
    server_timeout_s: int = 75
    """Above the Metasys stream's 30 s heartbeat, so an idle stream is never cut."""
    tunnel_timeout_s: int = 3600
    retries: int = 3
    log_requests: bool = False
    """A line per request on HAProxy's standard output (which replica, status, retries, how
    it ended): the scale-out tests keep it in their HAProxy log; the bench does not pay it."""


DEFAULT_SETTINGS = BalancerSettings()


def haproxy_config(
    port: int,
    servers: Sequence[tuple[str, int]],
    admin_socket: Path,
    settings: BalancerSettings = DEFAULT_SETTINGS,
) -> str:
    """An HAProxy configuration: ``port`` in front of ``servers`` (name, port) round-robin."""
    s = settings
    lines = [
        "global",
        "    maxconn 4096",
        f"    stats socket {admin_socket} mode 600 level admin",
        *(["    log stdout format raw local0"] if s.log_requests else []),
        "",
        "defaults",
        "    mode http",
        *(["    log global", "    option httplog"] if s.log_requests else []),
        # A new connection to a replica for each request: a request is never sent on an idle
        # connection to a replica that died meanwhile (a POST could not be retried safely),
        # and a dead replica refuses the connection, which is retried on another.
        "    option http-server-close",
        f"    timeout connect {s.connect_timeout_ms}ms",
        f"    timeout client {s.client_timeout_s}s",
        f"    timeout server {s.server_timeout_s}s",
        f"    timeout tunnel {s.tunnel_timeout_s}s",
        f"    timeout check {s.check_timeout_ms}ms",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    timeout queue 5s",
        f"    retries {s.retries}",
        "    option redispatch 1",
        "    retry-on conn-failure empty-response response-timeout",
        "",
        "frontend standin",
        f"    bind 127.0.0.1:{port}",
        "    default_backend replicas",
        "",
        "backend replicas",
        "    balance roundrobin",
        f"    option httpchk GET {HEALTH_PATH}",
        "    http-check expect status 200",
        # A write whose replica died after reading it may have been applied: only a
        # connection that never reached a replica is retried (HAProxy's own rule), never
        # an empty or late answer to a non-idempotent request.
        "    http-request disable-l7-retry if METH_POST || { method PATCH }",
        f"    http-response set-header {SERVED_BY} %s",
        f"    default-server inter {s.check_inter_ms}ms fastinter {s.check_inter_ms // 2}ms "
        f"downinter {s.check_inter_ms}ms fall {s.fall} rise {s.rise}",
    ]
    lines += [f"    server {name} 127.0.0.1:{server_port} check" for name, server_port in servers]
    return "\n".join(lines) + "\n"
