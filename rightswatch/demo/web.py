"""Small value types shared by the demo's sites and its HTTP server.

Sites are written as functions from a :class:`Request` to a :class:`Response`, so that page
rendering can be tested and cached without sockets, and the server stays a thin layer that
adds validators, conditional answers and logging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs

#: A streaming body writes its chunks through this callable; it returns False once the
#: client has gone or the server is stopping, so the producer can stop early.
ChunkWriter = Callable[[bytes], bool]


@dataclass(frozen=True)
class Request:
    """The parts of an HTTP request that the demo's sites look at."""

    method: str
    path: str  # without the query string
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """Path plus query, as the client sent it."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def arg(self, name: str, default: str = "") -> str:
        """First value of a query parameter."""
        return parse_qs(self.query, keep_blank_values=True).get(name, [default])[0]


@dataclass
class Response:
    """What a site answers; the server turns it into bytes on the wire.

    ``validators`` says which cache validators the site supports ("", "lm" or "etag+lm"):
    the server computes them from the body and answers 304 to matching conditional requests.
    ``modified`` is the content's own timestamp (article published/edited), a lower bound for
    Last-Modified. ``stream`` replaces ``body`` for chunked responses of unknown length.
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    modified: datetime | None = None
    validators: str = ""
    stream: Callable[[ChunkWriter], None] | None = None


def html(body: str, status: int = 200, **kwargs: object) -> Response:
    """A UTF-8 HTML response."""
    return Response(status=status, body=body.encode("utf-8"), **kwargs)  # type: ignore[arg-type]


def redirect(location: str, status: int = 301) -> Response:
    """A redirect with the short HTML body real servers send along."""
    body = f'<html><body><a href="{location}">Moved</a></body></html>'
    return Response(status=status, body=body.encode(), headers=[("Location", location)])


def not_found(text: str = "Page not found") -> Response:
    """A plain 404 page."""
    return html(
        f"<!DOCTYPE html><html><head><title>404</title></head><body><h1>{text}</h1></body></html>",
        status=404,
    )
