"""docs/deploy.md's files, checked as far as a machine without a container engine can: the
compose file and the Kubernetes manifests parse and run commands the CLI accepts, with health
checks on ``/_sandbox/health`` and Redis persistence on; the HAProxy configuration passes
``haproxy -c`` and is the one the scale-out tests run; the Dockerfile's instructions are known.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.haproxy import haproxy_config
from standin.cli import parser
from tests.scaleout.topology import HAPROXY, ensure_haproxy

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
FENCE = re.compile(r"^```(\S+) (\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
HEALTH = "/_sandbox/health"
DOCKERFILE_INSTRUCTIONS = frozenset(
    [
        "FROM",
        "RUN",
        "CMD",
        "LABEL",
        "EXPOSE",
        "ENV",
        "ADD",
        "COPY",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "ARG",
        "ONBUILD",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
    ]
)


def deploy_files() -> dict[str, str]:
    """The fenced blocks of docs/deploy.md named after their language: ```yaml compose.yaml"""
    return {name: body for _, name, body in FENCE.findall(DEPLOY.read_text())}


def served(command: list[str], environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``standin serve ...`` as the CLI parses it, with ``environ`` set."""
    assert command[:2] == ["standin", "serve"], command
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return parser().parse_args(command[1:])


def test_the_page_holds_the_four_files() -> None:
    assert set(deploy_files()) == {"compose.yaml", "haproxy.cfg", "Dockerfile", "kubernetes.yaml"}


def test_the_compose_replicas_run_a_command_the_cli_accepts_on_one_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compose = yaml.safe_load(deploy_files()["compose.yaml"])
    services = compose["services"]
    replicas = sorted(name for name in services if name.startswith("standin-"))
    assert replicas == ["standin-1", "standin-2", "standin-3"]
    for name in replicas:
        service = services[name]
        environ = {k: v for k, v in service["environment"].items() if k != "STANDIN_ADMIN_TOKEN"}
        args = served(service["command"], environ, monkeypatch)
        assert (args.host, args.port) == ("0.0.0.0", 8000)
        assert args.redis == "redis://redis:6379/0"
        assert args.advertise_url == f"http://{name}:8000"
        assert "STANDIN_ADMIN_TOKEN" in service["environment"]
        [check] = [part for part in service["healthcheck"]["test"] if HEALTH in part]
        assert "http://127.0.0.1:8000/_sandbox/health" in check
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}
    redis = services["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes"
    assert redis[redis.index("--appendfsync") + 1] == "always"
    assert services["redis"]["volumes"] == ["redis-data:/data"]
    haproxy = services["haproxy"]
    assert haproxy["volumes"] == ["./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]
    assert haproxy["depends_on"] == replicas


def test_the_haproxy_configuration_passes_haproxy_check(tmp_path: Path) -> None:
    ensure_haproxy()
    path = tmp_path / "haproxy.cfg"
    path.write_text(deploy_files()["haproxy.cfg"])
    checked = subprocess.run(
        [str(HAPROXY), "-c", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_haproxy_configuration_is_the_one_the_scaleout_tests_run() -> None:
    documented = "\n" + deploy_files()["haproxy.cfg"]
    tested = haproxy_config(8000, [("standin-1", 8001)], Path("/run/haproxy.sock"))
    host_specific = ("stats socket", "bind", "server ", "default-server")
    lines = [line.strip() for line in tested.splitlines() if line.strip()]
    assert [
        line
        for line in lines
        if not line.startswith(host_specific)
        and f"\n    {line}\n" not in documented
        and f"\n{line}\n" not in documented
    ] == []
    [default_server] = [line for line in lines if line.startswith("default-server")]
    assert f"    {default_server} resolvers docker init-addr last,libc,none\n" in documented
    servers = re.findall(r"^    server (\S+) (\S+) check$", documented, re.MULTILINE)
    assert servers == [(f"standin-{n}", f"standin-{n}:8000") for n in (1, 2, 3)]


def test_the_kubernetes_sketch_runs_replicas_the_cli_accepts_with_probes_on_health(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documents = list(yaml.safe_load_all(deploy_files()["kubernetes.yaml"]))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert kinds == {
        ("Deployment", "standin"),
        ("Service", "standin"),
        ("StatefulSet", "standin-redis"),
        ("Service", "standin-redis"),
    }
    [deployment] = [d for d in documents if d["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    args = served(
        container["command"],
        {
            "STANDIN_REDIS_URL": env["STANDIN_REDIS_URL"],
            "STANDIN_ADVERTISE_URL": "http://10.0.0.7:8000",
        },
        monkeypatch,
    )
    assert args.redis == "redis://standin-redis:6379/0"
    assert args.advertise_url == "http://10.0.0.7:8000"
    assert env["STANDIN_ADVERTISE_URL"] == "http://$(POD_IP):8000"
    assert "STANDIN_ADMIN_TOKEN" in env
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH, "port": 8000}
    [service] = [
        d for d in documents if d["kind"] == "Service" and d["metadata"]["name"] == "standin"
    ]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == 8000
    [redis] = [d for d in documents if d["kind"] == "StatefulSet"]
    [server] = redis["spec"]["template"]["spec"]["containers"]
    assert server["command"][server["command"].index("--appendonly") + 1] == "yes"
    assert server["volumeMounts"] == [{"name": "data", "mountPath": "/data"}]


def test_the_dockerfile_uses_known_instructions_and_serves_with_an_accepted_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instructions = [
        line.split(maxsplit=1)
        for line in deploy_files()["Dockerfile"].splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {word for word, _ in instructions} <= DOCKERFILE_INSTRUCTIONS
    assert instructions[0] == ["FROM", "python:3.12-slim"]
    [cmd] = [rest for word, rest in instructions if word == "CMD"]
    args = served(json.loads(cmd), {}, monkeypatch)
    assert (args.host, args.port, args.redis) == ("0.0.0.0", 8000, None)
