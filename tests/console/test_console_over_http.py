"""What the console is made of, over HTTP: its files, the docs pages and opt-in CORS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources

import httpx
import pytest

from standin import Sandbox, build_app
from standin.cli import parser, with_cors
from standin.inprocess import AsgiBridge

STATIC = resources.files("standin.console.static")
TOOL = "http://tool.test:3000"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/console.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/swagger-ui/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("/swagger-ui/swagger-ui.css", "text/css; charset=utf-8"),
    ],
)
def test_the_console_serves_its_own_files_and_swagger_uis(
    client: httpx.Client, path: str, content_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type


def test_an_apis_docs_page_is_swagger_ui_and_an_unknown_api_has_none(
    client: httpx.Client,
) -> None:
    page = client.get("/docs/atmotube")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/swagger-ui/swagger-ui-bundle.js" defer></script>' in page.text
    unknown = client.get("/docs/weather")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "unknown api 'weather'"})
    assert client.get("/console/missing.js").status_code == 404


@pytest.mark.parametrize(
    "name", ["index.html", "docs.html", "console.js", "docs.js", "console.css"]
)
def test_the_console_names_no_other_host_so_it_works_offline(name: str) -> None:
    text = (STATIC / name).read_text()
    assert not re.search(r"\bhttps?://", text)
    for link in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert re.match(r"/(?!/)", link), link


def test_the_control_plane_answers_no_other_origin_without_cors(client: httpx.Client) -> None:
    response = client.get("/_sandbox/clock", headers={"Origin": TOOL})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.fixture
def cors_client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    bridge = AsgiBridge(with_cors(build_app(sandbox), [TOOL]))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://standin.test") as c:
        yield c
    bridge.close()


def test_with_cors_a_page_on_the_origin_may_call_the_control_plane_with_the_admin_token(
    cors_client: httpx.Client,
) -> None:
    preflight = cors_client.options(
        "/_sandbox/clock",
        headers={
            "Origin": TOOL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-standin-admin-token",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == TOOL
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == (
        "content-type, x-standin-admin-token"
    )


def test_with_cors_a_vendors_answer_and_its_headers_are_readable_on_the_origin_only(
    cors_client: httpx.Client, sandbox: Sandbox
) -> None:
    api_key = sandbox.credentials()["atmotube"]["api_key"]
    params = {"api_key": api_key, "mac": "C2:4E:91:7A:3B:10"}
    answer = cors_client.get("/atmotube/api/v1/data", params=params, headers={"Origin": TOOL})
    assert answer.headers["access-control-allow-origin"] == TOOL
    assert answer.headers["access-control-expose-headers"] == "*"
    other = cors_client.get("/atmotube/api/v1/data", params=params, headers={"Origin": "http://x"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_are_repeatable_or_comma_separated() -> None:
    args = parser().parse_args(
        ["serve", "--cors", "http://a.test, https://b.test:8443/", "--cors", "*"]
    )
    assert args.cors == ["http://a.test", "https://b.test:8443", "*"]
    assert parser().parse_args(["serve"]).cors is None


@pytest.mark.parametrize("value", ["a.test", "ftp://a.test", ","])
def test_a_cors_value_that_is_no_origin_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["serve", "--cors", value])
    assert exit_.value.code == 2
    error = capsys.readouterr().err.splitlines()
    assert error[0].startswith("usage: standin serve")
    assert error[-1].startswith("standin serve: error: argument --cors: ")
