"""The wheel as a user installs it: built from the package's folders alone, installed into a
fresh virtual environment (dependencies from pip's configured index), it puts one top-level
package into site-packages, and the pytest plugin's fixtures work in a project that has its own
``clients``, ``mocks`` and ``fixtures`` packages."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("setup.py", "pyproject.toml", "README.md", "mocks", "clients", "contracts", "fixtures")
"""What the build reads: a copy of these alone, so the wheel cannot lean on anything else here."""
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
HARNESS = ("standin/coverage", "standin/conformance", "standin/contracts/reference")
"""This repository's own tools and their data (tools/, contracts/reference/): never shipped."""
COMMON_NAMES = ("mocks", "clients", "contracts", "fixtures", "tests", "tools")

# The child processes get pip's configuration (index, find-links) but none of this run's Python
# or pytest settings.
ENVIRONMENT = {
    name: value
    for name, value in os.environ.items()
    if not name.startswith(("PYTHON", "PYTEST", "COV_", "COVERAGE", "VIRTUAL_ENV", "STANDIN_"))
}

USER_PROJECT = {
    "pytest.ini": """
        [pytest]
        addopts = -p no:cacheprovider
        filterwarnings = error
        """,
    # A user's own top-level packages with the names the wheel used to install.
    "clients/__init__.py": 'OWNER = "the user project"\n',
    "clients/metasys.py": 'OWNER = "the user project"\n',
    "mocks/__init__.py": 'OWNER = "the user project"\n',
    "fixtures/__init__.py": 'OWNER = "the user project"\n',
    "tests/__init__.py": "",
    "tests/test_integration.py": """
        import clients
        import clients.metasys
        import fixtures
        import mocks
        import standin as package
        from standin.clients.atrius import AtriusClient
        from standin.clients.metasys import MetasysClient


        def test_the_projects_own_packages_are_its_own():
            owners = {clients.OWNER, clients.metasys.OWNER, mocks.OWNER, fixtures.OWNER}
            assert owners == {"the user project"}
            assert package.__version__ == "VERSION"


        def test_the_plugins_clients_reach_the_in_process_fakes(
            standin, atrius_client, metasys_client
        ):
            assert isinstance(atrius_client, AtriusClient)
            assert atrius_client.token().token_type == "Bearer"
            assert list(atrius_client.buildings())
            assert isinstance(metasys_client, MetasysClient)
            username = standin.credentials()["metasys"]["username"]
            assert metasys_client.user_info().user_name == username
            assert {entry.api for entry in standin.journal.entries(None, 100)} == {
                "atrius",
                "metasys",
            }
        """,
}


@dataclass(frozen=True)
class Installed:
    work: Path
    """Where the child processes run: not this checkout, whose standin.egg-info would answer
    for the distribution."""
    python: Path
    site_packages: Path
    wheel: Path


def run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source, cwd=work)
    (wheel,) = dist.glob("standin-*.whl")
    # This pip installs into the new environment (--python): quicker than seeding it with its own.
    run(sys.executable, "-m", "venv", "--without-pip", work / "venv", cwd=work)
    python = work / "venv" / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    run(*pip, "install", "--quiet", wheel, "pytest", cwd=work)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(run(python, "-c", purelib, cwd=work).strip())
    return Installed(work, python, site_packages, wheel)


def installed_files(target: Installed) -> list[str]:
    """The files the standin distribution installed, relative to site-packages."""
    listing = "import importlib.metadata as m; print(*m.distribution('standin').files, sep='\\n')"
    return run(target.python, "-c", listing, cwd=target.work).split()


def test_the_wheel_installs_only_the_standin_package_and_its_metadata(
    installed: Installed,
) -> None:
    top_level = {
        path.split("/")[0] for path in installed_files(installed) if not path.startswith("..")
    }
    assert top_level == {"standin", f"standin-{VERSION}.dist-info"}
    assert [name for name in COMMON_NAMES if (installed.site_packages / name).exists()] == []


def test_the_wheel_holds_none_of_the_repositorys_own_harness(installed: Installed) -> None:
    files = installed_files(installed)
    assert [path for path in files if path.startswith(HARNESS)] == []
    assert "standin/check/command.py" in files
    assert "standin/pytest_plugin.py" in files
    assert "standin/testing.py" in files


def test_the_public_api_imports_from_the_installed_wheel(installed: Installed) -> None:
    probe = textwrap.dedent(
        """
        import standin
        from standin.clients.atrius import AtriusClient
        print(standin.__version__, AtriusClient.__name__, standin.__file__)
        """
    )
    version, client, module = run(installed.python, "-c", probe, cwd=installed.work).split()
    assert (version, client) == (VERSION, "AtriusClient")
    assert Path(module).is_relative_to(installed.site_packages)
    usage = run(installed.python.parent / "standin", "--help", cwd=installed.work)
    assert usage.startswith("usage: standin")


def test_nothing_installed_reads_from_a_source_checkout(installed: Installed) -> None:
    """The package reads its data with importlib.resources: no module looks for files next to
    itself (``__file__``), and no file names this repository's tests/ or tools/."""
    package = installed.site_packages / "standin"
    by_file = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if any(
            isinstance(node, ast.Name) and node.id == "__file__"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    ]
    naming = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*"))
        if path.suffix in {".py", ".yaml", ".json"}
        and any(word in path.read_text(encoding="utf-8") for word in ("tests/", "tools/"))
    ]
    assert (by_file, naming) == ([], [])


def test_a_user_project_with_its_own_clients_mocks_and_fixtures_runs_the_plugin(
    installed: Installed, tmp_path: Path
) -> None:
    for name, text in USER_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(text).lstrip().replace("VERSION", VERSION)
        (tmp_path / name).write_text(text, encoding="utf-8")
    output = run(installed.python, "-m", "pytest", "-q", "tests", cwd=tmp_path)
    assert "2 passed" in output
