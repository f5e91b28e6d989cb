"""The hostile site: real reports surrounded by the traps a crawler meets in the wild.

Each trap is one path, linked from the index so that a crawler finds it on its own:
a page that fails twice then recovers (``/hostile/flaky``), one slower than any sane timeout
(``/hostile/slow``), an endless 30 MB stream (``/hostile/huge``), a redirect loop, a gzip
bomb, broken markup with NUL and invalid UTF-8 bytes, an infinite calendar, a page robots.txt
forbids, and links leaving the site. On ``failing_day`` (day 2) the index and the feed answer
500 all day long, so a crawler records a failing crawl and, on day 3, a recovery.
"""

from __future__ import annotations

import threading
import zlib
from datetime import UTC
from typing import Any

from rightswatch.demo.sites import SiteBase, excerpt, human_date, iso, render, rfc822
from rightswatch.demo.web import ChunkWriter, Request, Response, html, not_found, redirect
from rightswatch.demo.world import crawl_time

SLOW_SECONDS = 30.0
HUGE_BYTES = 30 * 1024 * 1024
BOMB_INFLATED_BYTES = 200 * 1024 * 1024
FLAKY_FAILURES = 2

_bomb_lock = threading.Lock()
_bomb: bytes | None = None


def gzip_bomb() -> bytes:
    """~200 KB of gzip that inflates to 200 MB of zeros; built once, on first use."""
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            block = bytes(1 << 20)
            parts = [comp.compress(block) for _ in range(BOMB_INFLATED_BYTES >> 20)]
            parts.append(comp.flush())
            _bomb = b"".join(parts)
        return _bomb


def robots_txt(base_url: str) -> str:
    """The host-wide robots.txt: only the hostile site's private folder is off limits."""
    return (
        "# rightswatch demo world\n"
        "User-agent: *\n"
        "Disallow: /hostile/private/\n"
        "Allow: /\n\n"
        f"Sitemap: {base_url}/zmina/sitemap.xml\n"
    )


def _page(title: str, body: str, published: str = "") -> str:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'{meta}</head><body><header><a href="/hostile/">Occupied Territories Monitor</a>'
        f"</header><main>{body}</main><footer><p>Demo site for robustness tests.</p>"
        "</footer></body></html>"
    )


class HostileSite(SiteBase):
    """Routes for the traps; holds the per-day request counters of the flaky page."""

    site_id = "hostile"

    def __init__(self, base_url: str, stop_event: threading.Event) -> None:
        super().__init__(base_url)
        self.stop_event = stop_event
        self._lock = threading.Lock()
        self._flaky_hits = 0
        self.route(r"/hostile/?", self.index)
        self.route(r"/hostile/feed/?", self.feed)
        self.route(r"/hostile/robots\.txt", self.robots)
        self.route(r"/hostile/reports/[a-z0-9-]+/", self.article)
        self.route(r"/hostile/flaky", self.flaky)
        self.route(r"/hostile/slow", self.slow)
        self.route(r"/hostile/huge", self.huge)
        self.route(r"/hostile/bomb", self.bomb)
        self.route(r"/hostile/broken", self.broken)
        self.route(r"/hostile/loop/(?P<which>a|b)", self.loop)
        self.route(r"/hostile/calendar/(?P<year>\d{1,6})/(?P<month>\d{2})/", self.month)
        self.route(
            r"/hostile/calendar/(?P<year>\d{1,6})/(?P<month>\d{2})/(?P<dd>\d{2})/",
            self.calendar_day,
        )
        self.route(r"/hostile/private/.*", self.private)

    def reset(self) -> None:
        """Start the flaky page's failure count again (called by ``set_day``)."""
        with self._lock:
            self._flaky_hits = 0

    def failing(self, day: int) -> bool:
        return day == int(self.site.settings.get("failing_day", 0))

    def _down(self) -> Response:
        return html(
            "<html><head><title>500 Internal Server Error</title></head><body>"
            "<h1>Internal Server Error</h1><p>upstream connect error</p></body></html>",
            status=500,
        )

    def index(self, day: int, req: Request) -> Response:
        if self.failing(day):
            return self._down()
        reports = "".join(
            f'<li><a href="{self.url(a.path_on(day))}">{a.title}</a> '
            f'<time datetime="{iso(a.published)}">{human_date(a.published, "en")}</time></li>'
            for a in self.site.visible(day)
        )
        traps = "".join(
            f'<li><a href="{self.url(p)}">{label}</a></li>'
            for p, label in [
                ("/hostile/flaky", "Monitoring update (sometimes fails)"),
                ("/hostile/slow", "Late report (very slow)"),
                ("/hostile/huge", "Full archive (very large)"),
                ("/hostile/bomb", "Compressed data"),
                ("/hostile/broken", "Report with broken markup"),
                ("/hostile/loop/a", "Redirect loop"),
                ("/hostile/calendar/2026/11/", "Events calendar"),
                ("/hostile/private/secret", "Internal notes (disallowed by robots.txt)"),
            ]
        )
        elsewhere = "".join(
            f'<li><a href="{u}">{u}</a></li>'
            for u in [
                "http://127.0.0.9:1/reports/unreachable/",
                "http://example.invalid/reports/nowhere/",
                self.url("/chrg/en/category/news/"),
                self.url("/zmina/news/"),
                "mailto:monitor@example.org",
                "javascript:void(0)",
            ]
        )
        body = (
            f"<h1>Occupied Territories Monitor</h1><h2>Reports</h2><ul>{reports}</ul>"
            f"<h2>Sections</h2><ul>{traps}</ul><h2>Partners</h2><ul>{elsewhere}</ul>"
        )
        return html(_page("Occupied Territories Monitor", body))

    def feed(self, day: int, req: Request) -> Response:
        if self.failing(day):
            return self._down()
        entries = [
            {
                "title": a.title,
                "url": self.url(a.path_on(day)),
                "author": "Monitor",
                "pub_date": rfc822(a.published),
                "category": "Reports",
                "guid": self.url(a.path_on(day)),
                "excerpt": excerpt(a.paragraphs[0]),
                "content_html": "".join(f"<p>{p}</p>" for p in a.paragraphs),
                "comment_count": 0,
            }
            for a in self.site.visible(day)
        ]
        feed = {
            "title": "Occupied Territories Monitor",
            "self_url": self.url("/hostile/feed/"),
            "link": self.url("/hostile/"),
            "description": "Reports",
            "language": "en",
            "last_build": rfc822(crawl_time(day)),
            "items": entries,
        }
        return Response(
            body=render("rss.xml", feed=feed).encode(),
            content_type="application/rss+xml; charset=UTF-8",
        )

    def robots(self, day: int, req: Request) -> Response:
        return Response(body=robots_txt(self.base).encode(), content_type="text/plain")

    def article(self, day: int, req: Request) -> Response:
        a = self.find(day, req.path)
        if isinstance(a, Response):
            return a
        text = "".join(f"<p>{p}</p>" for p in a.paragraphs)
        body = (
            f'<article><h1>{a.title}</h1><time datetime="{iso(a.published)}">'
            f"{human_date(a.published, 'en')}</time>{text}</article>"
        )
        return html(_page(a.title, body, iso(a.published)))

    def _settings_page(self, name: str, status: int = 200) -> Response:
        data: dict[str, Any] = self.site.settings[name]
        text = "".join(f"<p>{p}</p>" for p in data["paragraphs"])
        published = iso(data["published"].astimezone(UTC)) if "published" in data else ""
        return html(
            _page(data["title"], f"<article><h1>{data['title']}</h1>{text}</article>", published),
            status=status,
        )

    def flaky(self, day: int, req: Request) -> Response:
        with self._lock:
            self._flaky_hits += 1
            hits = self._flaky_hits
        if hits <= FLAKY_FAILURES:
            return self._down()
        return self._settings_page("flaky")

    def slow(self, day: int, req: Request) -> Response:
        if self.stop_event.wait(SLOW_SECONDS):
            return html("<h1>Service unavailable</h1>", status=503)
        return self._settings_page("slow")

    def huge(self, day: int, req: Request) -> Response:
        unit = self.site.settings["huge"]["paragraph"]
        chunk = ("<p>" + unit * 40 + "</p>\n").encode()

        def produce(write: ChunkWriter) -> None:
            if not write(b"<!DOCTYPE html><html><head><title>Full archive</title></head><body>"):
                return
            sent = 0
            while sent < HUGE_BYTES and not self.stop_event.is_set():
                if not write(chunk):
                    return
                sent += len(chunk)
            write(b"</body></html>")

        return Response(stream=produce)

    def bomb(self, day: int, req: Request) -> Response:
        return Response(body=gzip_bomb(), headers=[("Content-Encoding", "gzip")])

    def broken(self, day: int, req: Request) -> Response:
        data = self.site.settings["broken"]
        raw = (
            b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
            + data["title"].encode()
            + b'</title><body><div class="wrap"><table><tr><td><div id=main>'
            + b"<h1>Report <b>with <i>broken markup</h1>\x00\x00"
            + b"<p>"
            + data["paragraph"].encode()
            + b"<p>Broken bytes: \xff\xfe\xc3\x28 end"
            + b"<div><span>unclosed <a href='/hostile/reports/'>reports"
            + b'\x00<p>Another paragraph after a NUL byte.\n<img src="x.png" alt="tru'
        )
        return Response(body=raw)

    def loop(self, day: int, req: Request, which: str) -> Response:
        return redirect(self.url("/hostile/loop/b" if which == "a" else "/hostile/loop/a"), 302)

    def month(self, day: int, req: Request, year: str, month: str) -> Response:
        y, m = int(year), int(month)
        if not 1 <= m <= 12 or y < 1:
            return not_found()
        prev_y, prev_m = (y, m - 1) if m > 1 else (y - 1, 12)
        next_y, next_m = (y, m + 1) if m < 12 else (y + 1, 1)
        days = "".join(
            f'<a href="{self.url(f"/hostile/calendar/{y}/{m:02d}/{d:02d}/")}">{d}</a> '
            for d in range(1, 29)
        )
        links = ""
        if prev_y >= 1:
            prev_url = self.url(f"/hostile/calendar/{prev_y}/{prev_m:02d}/")
            links += f'<a rel="prev" href="{prev_url}">&laquo; previous month</a> '
        next_url = self.url(f"/hostile/calendar/{next_y}/{next_m:02d}/")
        links += f'<a rel="next" href="{next_url}">next month &raquo;</a>'
        body = f'<h1>Events: {y}-{m:02d}</h1><nav>{links}</nav><div class="days">{days}</div>'
        return html(_page(f"Calendar {y}-{m:02d}", body))

    def calendar_day(self, day: int, req: Request, year: str, month: str, dd: str) -> Response:
        back = self.url(f"/hostile/calendar/{int(year)}/{month}/")
        body = f'<h1>No events on {year}-{month}-{dd}</h1><a href="{back}">Back to month</a>'
        return html(_page("Calendar day", body))

    def private(self, day: int, req: Request) -> Response:
        return html(
            _page(
                "Internal notes",
                "<p>Robots.txt forbids this page. A polite crawler never fetches it.</p>",
            )
        )
