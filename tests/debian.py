"""Debian's servers and tools that tests drive for real (Chromium, redis-server, HAProxy).

Nothing is downloaded at test time but Debian's own packages: ``.ci/run`` installs them on a
fresh machine, a run as root installs what is missing, and any other run fails saying what to
install (never a silent skip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def ensure_debian_packages(purpose: str, needs: dict[Path, str]) -> None:
    """Every program in ``needs`` (path -> the Debian package that installs it) present:
    installed now if missing and this is root, else the test fails saying what to install."""
    missing = {path: package for path, package in needs.items() if not path.exists()}
    if not missing:
        return
    packages = sorted(set(missing.values()))
    paths = " and ".join(str(path) for path in missing)
    install = f"apt-get install {' '.join(packages)} (needs {paths})"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(f"{purpose} need Debian's {', '.join(packages)}: {install}")
    subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "install", "-y", *packages], check=True, stdout=subprocess.DEVNULL, env=env
    )
