"""The reference clients' live suites (``tests/<api>/test_client_live.py``, the plugin's
``vendor_live``) run through the balancer: their ``[live]`` runs target the replicas behind
HAProxy exactly as they would a deployed standin (``STANDIN_LIVE_<API>_BASE_URL`` and
``_CREDENTIALS``), in one pytest of their own; each API's results are checked here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from standin.pytest_plugin import live_variables
from tests.scaleout.topology import Topology

ROOT = Path(__file__).resolve().parents[2]
APIS = ("atmotube", "atrius", "buildingminds", "locus", "metasys")


def live_environment(topology: Topology, directory: Path) -> dict[str, str]:
    """Every API's live variables pointing at the balancer, credentials as the sandbox gives."""
    credentials = httpx.get(f"{topology.url}/_sandbox/credentials", timeout=10).json()
    path = directory / "credentials.json"
    path.write_text(json.dumps(credentials))
    # Neither a live target of the caller's nor its shard of `make test`: every module runs.
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("STANDIN_LIVE_") and k != "STANDIN_TEST_SHARD"
    }
    for api in APIS:
        url_name, credentials_name = live_variables(api)
        environ[url_name] = f"{topology.url}/{api}"
        environ[credentials_name] = str(path)
    return environ


@pytest.fixture(scope="module")
def live_results(
    scaleout: Topology, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, list[str]]]:
    """Every ``[live]`` client test, run once through the balancer: per API, each test's
    name and what went wrong (nothing when it passed)."""
    directory = tmp_path_factory.mktemp("client-live")
    report = directory / "live.xml"
    modules = [f"tests/{api}/test_client_live.py" for api in APIS]
    options = ["-q", "-p", "no:cacheprovider", "-k", "live]", f"--junitxml={report}"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *modules],
        cwd=ROOT,
        env=live_environment(scaleout, directory),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    results: dict[str, dict[str, list[str]]] = {api: {} for api in APIS}
    for case in ET.parse(report).getroot().iter("testcase"):
        api = case.get("classname", "").split(".")[1]
        problems = [
            f"{child.tag}: {child.get('message', '')}\n{(child.text or '')[-3000:]}"
            for child in case
            if child.tag in ("failure", "error", "skipped")
        ]
        results[api][case.get("name", "")] = problems
    return results


@pytest.mark.parametrize(
    "api",
    APIS,
)
def test_the_client_live_suite_passes_through_the_balancer(
    api: str, live_results: dict[str, dict[str, list[str]]]
) -> None:
    results = live_results[api]
    assert len(results) >= 3, results
    assert all(name.endswith("[live]") for name in results), results
    assert {name: problems for name, problems in results.items() if problems} == {}
