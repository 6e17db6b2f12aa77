"""The OpenAPI contracts, written from the vendors' documentation, one YAML file per API."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def load(api: str) -> dict[str, Any]:
    """The parsed contract of ``api`` (a fresh copy on every call)."""
    text = resources.files(__name__).joinpath(f"{api}.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document
