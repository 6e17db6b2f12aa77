"""Server-Sent Events wire format (the WHATWG HTML "event stream" syntax)."""

from __future__ import annotations

import re
from typing import Any

from standin._core.rendering import dumps

# The spec ends lines with CRLF, LF or CR, and nothing else (str.splitlines would also split on
# form feeds, vertical tabs and Unicode separators, which a client keeps inside the data).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Text(str):
    """Event data sent as it is, instead of as JSON (``hub.publish(s, "e", Text("a\\nb"))``)."""

    __slots__ = ()


def encode_data(data: Any) -> str:
    """The ``data`` text of an event: ``Text`` as it is, anything else as compact JSON."""
    if isinstance(data, Text):
        return str(data)
    return dumps(data).decode()


def format_event(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """One event, framed: ``id:``, ``event:``, one ``data:`` line per line of ``data``, blank line.

    A line break inside ``id`` or ``event`` would start a new field (and NUL makes a client
    ignore an id), so those are refused rather than sent corrupted.
    """
    lines: list[str] = []
    if id is not None:
        if _LINE_BREAK.search(id) or "\0" in id:
            raise ValueError(f"an event id cannot contain a line break or NUL: {id!r}")
        lines.append(f"id: {id}")
    if event is not None:
        if _LINE_BREAK.search(event):
            raise ValueError(f"an event name cannot contain a line break: {event!r}")
        lines.append(f"event: {event}")
    if retry is not None:
        if retry < 0:
            raise ValueError(f"retry must be a non-negative number of milliseconds: {retry}")
        lines.append(f"retry: {retry}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return ("\n".join(lines) + "\n\n").encode()


def frame_data(data: str) -> bytes:
    """The end of an event: one ``data:`` line per line of ``data``, then the blank line.
    ``format_event_head(id, event) + frame_data(data)`` is ``format_event(data, event=event,
    id=id)``, so data going to many streams is framed once and only the head is per stream."""
    return ("".join(f"data: {line}\n" for line in _LINE_BREAK.split(data)) + "\n").encode()


def format_event_head(id: str, event: str) -> bytes:
    """The ``id:`` and ``event:`` lines of an event (see :func:`frame_data`)."""
    if _LINE_BREAK.search(id) or "\0" in id:
        raise ValueError(f"an event id cannot contain a line break or NUL: {id!r}")
    if _LINE_BREAK.search(event):
        raise ValueError(f"an event name cannot contain a line break: {event!r}")
    return f"id: {id}\nevent: {event}\n".encode()
