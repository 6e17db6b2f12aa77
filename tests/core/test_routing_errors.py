"""Unknown paths and wrong methods answer in the vendor's style, never Starlette's text."""

import httpx


def test_unknown_vendor_path_answers_the_vendors_json_404(echo: httpx.Client) -> None:
    response = echo.get("/echo/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"problem": "routing 404"}


def test_wrong_method_answers_the_vendors_json_405_with_allow(echo: httpx.Client) -> None:
    response = echo.delete("/echo/notes")
    assert response.status_code == 405
    assert response.json() == {"problem": "routing 405"}
    assert response.headers["allow"] == "GET, HEAD, POST"


def test_vendor_errors_render_with_their_status_and_body(echo: httpx.Client) -> None:
    response = echo.get("/echo/notes")
    assert response.status_code == 401
    assert response.json() == {"problem": "who are you"}


def test_unknown_top_level_path_answers_json_404(echo: httpx.Client) -> None:
    response = echo.get("/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}
