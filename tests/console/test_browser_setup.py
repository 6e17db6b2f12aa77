"""The browser tests' own setup: a machine without Chromium is told what to install."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.console import conftest


def test_without_chromedriver_a_run_that_is_not_root_fails_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(conftest, "CHROMEDRIVER", tmp_path / "chromedriver")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.fail.Exception) as failure:
        conftest.ensure_chromium()
    assert str(failure.value) == (
        "the console's browser tests need Debian's chromium-driver: apt-get install "
        f"chromium-driver (needs {tmp_path / 'chromedriver'})"
    )
