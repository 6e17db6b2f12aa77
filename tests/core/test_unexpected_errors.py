"""A handler's unexpected exception is that one request's 500, in the vendor's own words, and a
logged traceback: the client gets an answer (in process too), and the next request is served."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standin import Sandbox, build_app
from standin.atrius.state import AtriusState
from standin.inprocess import AsgiBridge
from tests.atrius.conftest import token_for
from tests.core.echo_api import EchoApi

TOKEN = {"x-token": "default-token"}


def test_an_unexpected_exception_is_answered_with_the_vendors_500_body(echo: httpx.Client) -> None:
    # The echo client answers through httpx's ASGITransport, which raises any exception that
    # leaves the app: getting a response at all shows the exception ended there.
    response = echo.post("/echo/broken", headers=TOKEN)
    assert response.status_code == 500
    assert response.json() == {"problem": "routing 500"}
    assert response.headers["content-type"] == "application/json"


def test_an_unexpected_exception_is_logged_with_its_traceback(
    echo: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="standin"):
        echo.post("/echo/broken", headers=TOKEN)
    [logged] = [record for record in caplog.records if record.name == "standin"]
    assert logged.levelno == logging.ERROR
    assert logged.getMessage() == "unexpected error answering POST /echo/broken"
    assert logged.exc_info is not None
    assert logged.exc_info[0] is RuntimeError
    assert str(logged.exc_info[1]) == "a bug in a handler"


def test_the_request_after_an_unexpected_exception_is_answered_as_usual(
    echo: httpx.Client,
) -> None:
    assert echo.post("/echo/broken", headers=TOKEN).status_code == 500
    response = echo.get("/echo/notes", headers=TOKEN)
    assert response.status_code == 200
    assert response.json() == {"notes": ["fixture note"]}


def test_the_journal_keeps_the_500_that_was_sent(echo: httpx.Client) -> None:
    echo.post("/echo/broken", headers=TOKEN)
    entry = echo.get("/_sandbox/requests").json()["requests"][-1]
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/broken", 500)
    assert entry["response_body"] == '{"problem":"routing 500"}'


class BrokenTriggerEchoApi(EchoApi):
    def control_routes(self) -> list[BaseRoute]:
        async def break_down(request: Request) -> Response:
            raise RuntimeError("a bug in a trigger")

        return [Route("/break", break_down, methods=["POST"])]


def test_an_unexpected_exception_in_a_trigger_is_the_control_planes_500() -> None:
    bridge = AsgiBridge(build_app(Sandbox([BrokenTriggerEchoApi])))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://h") as client:
        response = client.post("/_sandbox/echo/break")
    bridge.close()
    assert response.status_code == 500
    assert response.json() == {"error": "request failed"}


def test_a_vendor_answers_an_unexpected_exception_in_its_own_words(
    client: httpx.Client, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def create_building(self: AtriusState, body: object) -> None:
        raise RuntimeError("a bug in the state")

    monkeypatch.setattr(AtriusState, "create_building", create_building)
    bearer = {"Authorization": f"Bearer {token_for(client, sandbox.credentials()['atrius'])}"}
    body = {"organization": 6732, "name": "Annex", "postalCode": "02134"}
    response = client.post("/atrius/buildings/", json=body, headers=bearer)
    assert response.status_code == 500
    assert response.json() == {"detail": "Request failed."}
    assert client.get("/atrius/buildings/", headers=bearer).status_code == 200
