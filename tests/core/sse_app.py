"""A minimal streaming API for testing the SSE hub over a real socket."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from standin._core.rendering import JSONBody
from standin._core.sse import ResumeRefused, SseHub


class StreamingApp:
    """``GET /streams/{id}`` serves a stream (``X-Owner`` checked when sent, ``Last-Event-Id``
    resumes); ``GET /stream`` opens a new one or resumes by event id alone; ``POST
    /streams/{id}/events`` publishes from inside a request handler.

    ``hub`` is swapped by each test, so one server serves a whole test module.
    """

    def __init__(self, hub: SseHub) -> None:
        self.hub = hub

    async def connect(self, request: Request) -> Response:
        try:
            return self.hub.connect(
                request.path_params["stream_id"],
                request.headers.get("last-event-id"),
                owner=request.headers.get("x-owner"),
                headers={"x-stream": request.path_params["stream_id"]},
            )
        except ResumeRefused as refused:
            return Response(status_code=204, headers={"x-refused": refused.reason})

    async def stream(self, request: Request) -> Response:
        """Like a vendor's ``GET /stream``: a new stream greeted with its id, or a resumed one."""
        owner = request.headers.get("x-owner", "anyone")
        last_event_id = request.headers.get("last-event-id")
        try:
            if last_event_id is not None:
                return self.hub.resume(last_event_id, owner=owner)
            stream_id = self.hub.open(owner)
            self.hub.publish(stream_id, "hello", stream_id)
            return self.hub.connect(stream_id, owner=owner)
        except ResumeRefused as refused:
            return Response(status_code=204, headers={"x-refused": refused.reason})

    async def publish(self, request: Request) -> Response:
        body = await request.json()
        event_id = self.hub.publish(request.path_params["stream_id"], body["event"], body["data"])
        if event_id is None:
            return JSONBody({"problem": "no such stream"}, 404)
        return JSONBody({"id": event_id}, 201)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/stream", self.stream, methods=["GET"]),
                Route("/streams/{stream_id}", self.connect, methods=["GET"]),
                Route("/streams/{stream_id}/events", self.publish, methods=["POST"]),
            ]
        )
