"""The OpenAPI contracts, written from the vendors' documentation, one YAML file per API.

Each contract is parsed once per process (Metasys' takes a tenth of a second with libyaml, near a
second without) and kept: :func:`parsed` is that shared document, :func:`load` a copy of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from functools import cache
from importlib import resources
from typing import Any

import yaml

# libyaml's loader where PyYAML was built with it; the pure-Python one, same result, otherwise.
LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(api: str) -> dict[str, Any]:
    """The contract of ``api``: a copy the caller may change (a deep copy, not a parse)."""
    return deepcopy(dict(parsed(api)))


@cache
def parsed(api: str) -> Mapping[str, Any]:
    """The contract of ``api``, parsed on the first call and shared by every later one: read it,
    never change it (:func:`load` gives a copy to change)."""
    text = resources.files(__name__).joinpath(f"{api}.yaml").read_text(encoding="utf-8")
    document = yaml.load(text, Loader=LOADER)
    if not isinstance(document, dict):
        raise TypeError(f"contract {api!r} is not a mapping")
    return document
