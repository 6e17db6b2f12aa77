"""The reference clients' live suites (``tests/<api>/test_client_live.py``, the plugin's
``vendor_live``) run through the balancer: their ``[live]`` runs target the replicas behind
HAProxy exactly as they would a deployed standin (``STANDIN_LIVE_<API>_BASE_URL`` and
``_CREDENTIALS``), in a pytest of their own."""

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
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STANDIN_LIVE_")}
    for api in APIS:
        url_name, credentials_name = live_variables(api)
        environ[url_name] = f"{topology.url}/{api}"
        environ[credentials_name] = str(path)
    return environ


@pytest.mark.scaleout_pending
def test_every_client_live_suite_passes_through_the_balancer(
    scaleout: Topology, tmp_path: Path
) -> None:
    report = tmp_path / "live.xml"
    modules = [f"tests/{api}/test_client_live.py" for api in APIS]
    options = ["-q", "-p", "no:cacheprovider", "-k", "live]", f"--junitxml={report}"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *modules],
        cwd=ROOT,
        env={**live_environment(scaleout, tmp_path), "HYPOTHESIS_PROFILE": "ci"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    cases = ET.parse(report).getroot().iter("testcase")
    outcomes = {
        case.get("name", ""): [child.tag for child in case if child.tag != "system-out"]
        for case in cases
    }
    assert len(outcomes) >= 3 * len(APIS), outcomes
    assert all(name.endswith("[live]") for name in outcomes), outcomes
    assert {name: tags for name, tags in outcomes.items() if tags} == {}
