"""``standin serve --redis``: the flag, its variable, and what it refuses."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from bench.servers import free_port
from standin.cli import main
from tests.scaleout.replicas import replica_process


def test_redis_and_a_data_dir_are_refused_together(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--redis", "redis://127.0.0.1:6379/0", "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert "--redis and --data-dir are exclusive" in capsys.readouterr().err


def test_serve_takes_redis_from_the_environment(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_REDIS_URL", redis_url)
    from standin.cli import parser

    assert parser().parse_args(["serve"]).redis == redis_url


def test_a_replica_started_with_redis_says_so_in_health(redis_url: str) -> None:
    with replica_process(redis_url, "--api", "atmotube") as (_, base):
        health = httpx.get(f"{base}/_sandbox/health", trust_env=False).json()
    assert (health["storage"], health["redis"], health["apis"]) == (
        "redis",
        "reachable",
        ["atmotube"],
    )


def test_a_replica_without_redis_to_reach_exits_with_a_clear_message() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        [sys.executable, "-m", "standin.cli", "serve", "--port", str(free_port()), "--redis", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.endswith(
        f"standin: Redis at {url} is unreachable (ConnectionError): "
        "start Redis first, then this replica\n"
    )
