"""The APIs standin serves, by key: importing this loads no fake (the CLI's choices come from
here, so ``standin --help`` stays fast). ``standin.registry`` maps each key to its fake."""

from __future__ import annotations

API_KEYS: tuple[str, ...] = ("atmotube", "atrius", "buildingminds", "locus", "metasys")
