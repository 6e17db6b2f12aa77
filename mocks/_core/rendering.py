"""One fast encoder for every response body (list endpoints are encoder-bound)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import orjson
from starlette.background import BackgroundTask
from starlette.responses import Response


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def dumps_members(items: Sequence[Any], per_call: int) -> bytes:
    """The members of ``dumps(items)``, without its brackets, encoded ``per_call`` items at a
    time: one encoder call over a long list holds the GIL throughout, so the event loop would
    wait behind a worker thread encoding it; between smaller calls it takes its turn."""
    return b",".join(
        [dumps(items[first : first + per_call])[1:-1] for first in range(0, len(items), per_call)]
    )


class JSONBody(Response):
    """A JSON response rendered by orjson; ``media_type`` can be a vendor's own JSON type."""

    media_type = "application/json"
    _own_methods: ClassVar[bool] = False
    """Whether a subclass renders or heads its bodies its own way: its methods then run, as
    Starlette's __init__ runs them (its headers are then Starlette's, built by the slower
    general path)."""

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        # Starlette's Response.__init__, step for step, with its init_headers' usual case
        # (a JSON body with no headers of its own: its length and its type, as Starlette
        # writes them) inline; every other case is Starlette's own init_headers.
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        if self._own_methods:
            self.body = self.render(content)
            self.init_headers(headers)
            return
        body = self.body = content if isinstance(content, bytes) else dumps(content)
        kind = self.media_type
        if (
            headers
            or kind is None
            or kind.startswith("text/")
            or status_code < 200
            or status_code in (204, 304)
        ):
            self.init_headers(headers)
        else:
            self.raw_headers = [
                (b"content-length", b"%d" % len(body)),
                (b"content-type", kind.encode("latin-1")),
            ]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_methods = (
            cls.render is not JSONBody.render or cls.init_headers is not Response.init_headers
        )

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return dumps(content)
