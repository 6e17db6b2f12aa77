"""The ``vendor_live`` marker: a live target from the environment, else a skip, never a failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from standin.check.report import summary
from standin.check.runner import CheckOptions, run_check
from standin.pytest_plugin import LiveTarget, live_target, live_variables, missing_live_variables

SUITE = """
import pytest

@pytest.mark.vendor_live("atmotube")
def test_reads_the_target(vendor_live_target):
    print("TARGET", vendor_live_target.base_url, vendor_live_target.credentials["api_key"])

@pytest.mark.vendor_live("atmotube")
def test_marked_without_the_fixture():
    pass

def test_fixture_without_the_marker(vendor_live_target):
    pass
"""


def run_suite(tmp_path: Path, **variables: str) -> str:
    """Run SUITE in a fresh pytest with only the plugin loaded (this suite's own run, with
    --strict-markers, shows the entry point registers it)."""
    (tmp_path / "test_live_suite.py").write_text(SUITE)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STANDIN_LIVE_")}
    quick = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    options = ["-rA", "-s", "-p", "no:cacheprovider", "-p", "standin.pytest_plugin"]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *options, str(tmp_path)],
        cwd=tmp_path,
        env={**environ, **quick, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed.stdout


def test_the_variables_are_named_after_the_api() -> None:
    assert live_variables("atmotube") == (
        "STANDIN_LIVE_ATMOTUBE_BASE_URL",
        "STANDIN_LIVE_ATMOTUBE_CREDENTIALS",
    )
    assert live_variables("building-minds") == (
        "STANDIN_LIVE_BUILDING_MINDS_BASE_URL",
        "STANDIN_LIVE_BUILDING_MINDS_CREDENTIALS",
    )


def test_a_blank_variable_counts_as_missing() -> None:
    environ = {"STANDIN_LIVE_ATRIUS_BASE_URL": "https://api.buildingos.com"}
    assert missing_live_variables("atrius", environ) == ["STANDIN_LIVE_ATRIUS_CREDENTIALS"]
    environ["STANDIN_LIVE_ATRIUS_CREDENTIALS"] = "  "
    assert missing_live_variables("atrius", environ) == ["STANDIN_LIVE_ATRIUS_CREDENTIALS"]


def test_the_target_reads_either_shape_of_credentials_file(tmp_path: Path) -> None:
    alone, keyed = tmp_path / "alone.json", tmp_path / "keyed.json"
    alone.write_text(json.dumps({"client_id": "a", "client_secret": "b"}))
    keyed.write_text(json.dumps({"atrius": {"client_id": "a", "client_secret": "b"}}))
    for path in (alone, keyed):
        environ = {
            "STANDIN_LIVE_ATRIUS_BASE_URL": "https://api.buildingos.com/",
            "STANDIN_LIVE_ATRIUS_CREDENTIALS": str(path),
        }
        assert live_target("atrius", environ) == LiveTarget(
            "atrius", "https://api.buildingos.com", {"client_id": "a", "client_secret": "b"}
        )


def test_an_unreadable_credentials_file_is_an_error_not_a_skip(tmp_path: Path) -> None:
    environ = {
        "STANDIN_LIVE_ATRIUS_BASE_URL": "https://api.buildingos.com",
        "STANDIN_LIVE_ATRIUS_CREDENTIALS": str(tmp_path / "missing.json"),
    }
    with pytest.raises(ValueError, match=r"^STANDIN_LIVE_ATRIUS_CREDENTIALS: cannot read"):
        live_target("atrius", environ)


def test_without_the_variables_marked_tests_are_skipped_and_never_fail(tmp_path: Path) -> None:
    out = run_suite(tmp_path, STANDIN_LIVE_ATMOTUBE_BASE_URL="https://api.atmotube.com")
    reason = "atmotube live target not configured: STANDIN_LIVE_ATMOTUBE_CREDENTIALS not set"
    assert f"SKIPPED [1] test_live_suite.py:4: {reason}" in out
    assert f"SKIPPED [1] test_live_suite.py:8: {reason}" in out
    assert "ERROR test_live_suite.py::test_fixture_without_the_marker" in out
    assert "vendor_live_target needs the test marked @pytest.mark.vendor_live('<api>')" in out
    assert " 2 skipped, 1 error in " in out.splitlines()[-1]


def test_with_the_variables_marked_tests_run_against_the_target(tmp_path: Path) -> None:
    credentials = tmp_path / "creds.json"
    credentials.write_text(json.dumps({"api_key": "live-key", "macs": []}))
    out = run_suite(
        tmp_path,
        STANDIN_LIVE_ATMOTUBE_BASE_URL="https://api.atmotube.com",
        STANDIN_LIVE_ATMOTUBE_CREDENTIALS=str(credentials),
    )
    assert "TARGET https://api.atmotube.com live-key" in out
    assert "PASSED test_live_suite.py::test_reads_the_target" in out
    assert "PASSED test_live_suite.py::test_marked_without_the_fixture" in out


@pytest.mark.parametrize(
    "api",
    [
        pytest.param(api, marks=pytest.mark.vendor_live(api))
        for api in ("atmotube", "atrius", "buildingminds", "locus", "metasys")
    ],
)
def test_the_live_vendor_still_matches_its_contract(
    api: str, vendor_live_target: LiveTarget
) -> None:
    """Runs only when the vendor's credentials are in the environment (see the plugin)."""
    file = Path(os.environ[live_variables(api)[1]])
    report = run_check(
        CheckOptions(
            api=api, base_url=vendor_live_target.base_url, credentials=file, max_examples=4
        )
    )
    assert report.ok, summary(report, 4)
