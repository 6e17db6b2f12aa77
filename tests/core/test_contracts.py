"""Contracts are parsed once per process and served from memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from standin import contracts
from standin._core import contracts as serving


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The YAML texts parsed while the test runs, from empty caches."""
    seen: list[str] = []
    real = yaml.load

    def counting(stream: str, Loader: Any) -> Any:  # noqa: N803 (yaml's own keyword)
        seen.append(stream)
        return real(stream, Loader=Loader)

    contracts.parsed.cache_clear()
    serving.encoded.cache_clear()
    monkeypatch.setattr(yaml, "load", counting)
    yield seen
    monkeypatch.undo()
    # The next test that needs these contracts parses them again, with the real loader.
    contracts.parsed.cache_clear()
    serving.encoded.cache_clear()


def test_the_second_request_for_a_contract_does_not_parse_it_again(
    client: httpx.Client, parses: list[str]
) -> None:
    first = client.get("/metasys/openapi.json")
    second = client.get("/metasys/openapi.json")

    assert len(parses) == 1
    assert first.status_code == second.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.headers["content-length"] == str(len(first.content))
    assert first.content == second.content


def test_a_served_contract_is_the_file_with_this_sandbox_first_among_its_servers(
    client: httpx.Client,
) -> None:
    served = client.get("/atmotube/openapi.json").json()

    assert served.pop("servers") == [
        {"url": "http://standin.test/atmotube", "description": "this standin sandbox"},
        *contracts.load("atmotube")["servers"],
    ]
    assert served == {k: v for k, v in contracts.load("atmotube").items() if k != "servers"}


def test_load_parses_once_and_hands_each_caller_its_own_copy(parses: list[str]) -> None:
    first = contracts.load("atrius")
    first["paths"].clear()
    second = contracts.load("atrius")

    assert len(parses) == 1
    assert second["paths"]
    assert second == contracts.parsed("atrius")


def test_contracts_are_parsed_with_libyaml_where_pyyaml_has_it() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert contracts.LOADER is expected


def test_a_contract_without_servers_is_served_with_only_this_sandbox() -> None:
    encoded = serving.EncodedContract({"openapi": "3.1.0"})
    empty = serving.EncodedContract({})
    here = {"url": "http://h/x", "description": "d"}

    assert json.loads(encoded.with_server_first(here)) == {
        "servers": [here],
        "openapi": "3.1.0",
    }
    assert json.loads(empty.with_server_first(here)) == {"servers": [here]}
