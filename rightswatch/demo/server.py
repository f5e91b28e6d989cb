"""The demo world's HTTP server: every demo site under one base URL on 127.0.0.1.

A real ``ThreadingHTTPServer`` in a background thread (not a mock) so that crawler tests
exercise real sockets, timeouts, redirects, chunked bodies and conditional requests::

    with DemoServer(day=1) as srv:
        srv.base_url            # 'http://127.0.0.1:PORT'
        srv.set_day(2)          # switch the simulated world; thread-safe
        srv.requests            # what was asked, for assertions about politeness

The server never writes to stderr per request and survives clients that hang up mid-body.
Validators: sites that support them get a strong ETag (hash of the body) and a Last-Modified
that only moves when the body changes (found by comparing with earlier simulated days).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from rightswatch.demo.bench import BenchSite
from rightswatch.demo.hostile import HostileSite, robots_txt
from rightswatch.demo.sites import SITE_CLASSES, SiteBase
from rightswatch.demo.web import Request, Response, html, not_found
from rightswatch.demo.world import MAX_DAY, check_day, day_start

__all__ = ["DemoServer", "RequestLogEntry"]

#: One-line descriptions of the sites, printed by ``rightswatch demo serve``.
SITE_LEGEND = {
    "chrg": "Crimean Human Rights Group: WordPress-like en/uk/ru, RSS feeds, ETag/304",
    "ctrc": "Crimean Tatar Resource Center: custom CMS, ?page=N, layout changes on day 3",
    "zmina": "ZMINA: robots.txt -> sitemap index -> monthly sitemaps, an article moves day 3",
    "ppu": "Mission of the President in Crimea: announcements linking to PDF reports",
    "verstka": "Verstka: Russian, windows-1251 declared only in a meta tag",
    "hostile": "Hostile site: flaky, slow, huge, gzip bomb, loops, calendar trap, robots.txt",
    "bench": "Generated benchmark site (only with --bench-pages N)",
}


@dataclass(frozen=True)
class RequestLogEntry:
    """One request the server answered (``time`` is a Unix timestamp)."""

    method: str
    path: str  # including the query string
    headers: dict[str, str]
    status: int
    time: float


@dataclass
class _Rendered:
    """A site response with its validators computed, cached per (day, target)."""

    response: Response
    etag: str | None
    last_modified: datetime | None


def _etag(body: bytes) -> str:
    """A strong ETag: a hash of the body, so it changes exactly when the bytes do."""
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored."""
    bare = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


class _World:
    """Everything the request handlers share: the day, the sites, the request log."""

    def __init__(self, base_url: str, day: int, bench_pages: int) -> None:
        self.base_url = base_url
        self.day = day
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.log: list[RequestLogEntry] = []
        self.errors: list[str] = []
        self.sites: dict[str, SiteBase] = {k: cls(base_url) for k, cls in SITE_CLASSES.items()}
        self.hostile = HostileSite(base_url, self.stop_event)
        self.bench = BenchSite(base_url, bench_pages) if bench_pages > 0 else None
        self._cache: dict[tuple[int, str], _Rendered] = {}

    def rendered(self, day: int, site: SiteBase, req: Request) -> _Rendered:
        """A content-site response with a Last-Modified that moves only with the body."""
        key = (day, req.target)
        with self.lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        resp = site.handle(day, req)
        etag = last_modified = None
        if resp.validators and resp.status == 200:
            if "etag" in resp.validators:
                etag = _etag(resp.body)
            floor = day_start(day) if day > 1 else None
            if day > 1:
                before = self.rendered(day - 1, site, req)
                same = (before.response.status, before.response.body) == (resp.status, resp.body)
                if same and before.last_modified is not None:
                    floor, resp.modified = before.last_modified, None
            candidates = [t for t in (floor, resp.modified) if t is not None]
            last_modified = max(candidates) if candidates else day_start(1)
        out = _Rendered(resp, etag, last_modified)
        with self.lock:
            if len(self._cache) > 20_000:
                self._cache.clear()
            self._cache[key] = out
        return out

    def answer(self, req: Request) -> _Rendered:
        """Route a request to its site."""
        with self.lock:
            day = self.day
        first = req.path.split("/")[1] if req.path.count("/") >= 1 else ""
        if req.path == "/robots.txt":
            body = robots_txt(self.base_url).encode()
            return _Rendered(
                Response(body=body, content_type="text/plain; charset=utf-8"), None, None
            )
        if req.path == "/":
            return _Rendered(self.index(day), None, None)
        if first == "hostile":
            return _Rendered(self.hostile.handle(day, req), None, None)
        if first == "bench" and self.bench is not None:
            resp = self.bench.handle(req)
            etag = _etag(resp.body) if resp.validators and resp.status == 200 else None
            return _Rendered(resp, etag, resp.modified if resp.validators else None)
        site = self.sites.get(first)
        if site is None:
            return _Rendered(not_found(), None, None)
        return self.rendered(day, site, req)

    def index(self, day: int) -> Response:
        items = "".join(
            f'<li><a href="/{sid}/">/{sid}/</a> {text}</li>'
            for sid, text in SITE_LEGEND.items()
            if sid != "bench" or self.bench is not None
        )
        return html(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>rightswatch demo '
            f"world, day {day}</title></head><body><h1>rightswatch demo world: day "
            f"{day} of {MAX_DAY}</h1><ul>{items}</ul></body></html>"
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.24.0"
    sys_version = ""
    timeout = 15  # idle keep-alive connections give their thread back after this
    disable_nagle_algorithm = True  # headers and body go out separately: avoid 40 ms stalls

    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line."""

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError):
            super().handle()

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self._send_simple(405, b"Method Not Allowed")

    def _record(self, status: int) -> None:
        world = self.server.world
        entry = RequestLogEntry(
            self.command, self.path, dict(self.headers.items()), status, time.time()
        )
        with world.lock:
            world.log.append(entry)

    def _send_simple(self, status: int, body: bytes) -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, head: bool) -> None:
        world = self.server.world
        parts = urlsplit(self.path)
        req = Request(self.command, parts.path or "/", parts.query, dict(self.headers.items()))
        try:
            rendered = world.answer(req)
        except Exception as exc:  # a bug in a site must not kill the connection silently
            with world.lock:
                world.errors.append(f"{self.path}: {exc!r}")
            self._send_simple(500, b"demo server error")
            return
        resp, etag, last_modified = rendered.response, rendered.etag, rendered.last_modified
        if self._not_modified(etag, last_modified):
            self._record(304)
            self.send_response(304)
            if etag:
                self.send_header("ETag", etag)
            if last_modified:
                self.send_header("Last-Modified", _http_date(last_modified))
            self.end_headers()
            return
        self._record(resp.status)
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        for name, value in resp.headers:
            self.send_header(name, value)
        if etag:
            self.send_header("ETag", etag)
        if last_modified:
            self.send_header("Last-Modified", _http_date(last_modified))
        if resp.stream is not None and not head:
            self._stream(resp)
            return
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if not head:
            self.wfile.write(resp.body)

    def _not_modified(self, etag: str | None, last_modified: datetime | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag is not None and _etag_matches(inm, etag)
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return last_modified.replace(microsecond=0) <= since
        return False

    def _stream(self, resp: Response) -> None:
        """Chunked transfer encoding, stopping early when the client or the server goes."""
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        stop = self.server.world.stop_event
        alive = True

        def write(data: bytes) -> bool:
            nonlocal alive
            if not alive or stop.is_set():
                return False
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            except OSError:
                alive = False
            return alive

        assert resp.stream is not None
        resp.stream(write)
        if alive and not stop.is_set():
            try:
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                alive = False
        if not alive or stop.is_set():
            self.close_connection = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    world: _World

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client disconnects are normal for a crawler test server; never print tracebacks."""


class DemoServer:
    """The demo world on a real loopback HTTP server, served from a background thread.

    ``port=0`` picks a free port. ``bench_pages`` > 0 adds the generated /bench/ site.
    """

    def __init__(
        self, day: int = 1, port: int = 0, bench_pages: int = 0, host: str = "127.0.0.1"
    ) -> None:
        self._day = check_day(day)
        self._host, self._port = host, port
        self._bench_pages = max(0, int(bench_pages))
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._world: _World | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self) -> DemoServer:
        """Bind and start serving; returns self (idempotent)."""
        if self._server is not None:
            return self
        server = _HTTPServer((self._host, self._port), _Handler)
        port = server.server_address[1]
        base_url = f"http://{self._host}:{port}"
        server.world = _World(base_url, self._day, self._bench_pages)
        self._server, self._world = server, server.world
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-server-{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: slow and streaming responses end at once (idempotent)."""
        if self._server is None:
            return
        assert self._world is not None
        self._world.stop_event.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -------------------------------------------------------------- state

    def _require(self) -> _World:
        if self._world is None:
            raise RuntimeError("DemoServer is not started")
        return self._world

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` without a trailing slash."""
        return self._require().base_url

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def day(self) -> int:
        """The simulated day being served (1..4)."""
        if self._world is None:
            return self._day
        with self._world.lock:
            return self._world.day

    def set_day(self, day: int) -> None:
        """Switch the world to another simulated day; resets the flaky page's counter."""
        check_day(day)
        self._day = day
        if self._world is not None:
            with self._world.lock:
                self._world.day = day
            self._world.hostile.reset()

    @property
    def requests(self) -> list[RequestLogEntry]:
        """A copy of the request log, oldest first."""
        world = self._require()
        with world.lock:
            return list(world.log)

    def clear_requests(self) -> None:
        """Forget the logged requests (e.g. between two crawls of a test)."""
        world = self._require()
        with world.lock:
            world.log.clear()

    @property
    def errors(self) -> list[str]:
        """Exceptions raised by site code while answering (should stay empty)."""
        world = self._require()
        with world.lock:
            return list(world.errors)
