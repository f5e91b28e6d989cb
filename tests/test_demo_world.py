"""The demo world against real HTTP on loopback: every site, every day, every trap.

These tests pin the behaviour the crawler tests rely on (feeds, sitemaps, validators,
encodings, PDFs, day-3 changes, hostile endpoints), so a change to the demo that would
silently weaken the end-to-end tests fails here first, with a clear message.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.robotparser import RobotFileParser

import feedparser
import httpx
import parsel
import pypdfium2
import pytest
from click.testing import CliRunner

from rightswatch.config import CrawlSettings, parse_source
from rightswatch.demo.cli import demo
from rightswatch.demo.config import (
    CTRC_ARTICLE_SELECTOR,
    DEMO_SOURCE_IDS,
    SOURCE_KEYS,
    demo_config_toml,
)
from rightswatch.demo.server import DemoServer
from rightswatch.demo.world import (
    MAX_DAY,
    expected_changes,
    load_world,
    render_expected_toml,
    validate,
)

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "rightswatch" / "demo" / "expected.toml"


@pytest.fixture(scope="module")
def srv() -> Iterator[DemoServer]:
    with DemoServer(day=1) as server:
        yield server


@pytest.fixture
def client(srv: DemoServer) -> Iterator[httpx.Client]:
    srv.set_day(1)
    with httpx.Client(base_url=srv.base_url, timeout=5, follow_redirects=False) as c:
        yield c
    srv.set_day(1)
    assert srv.errors == []


def sources(base_url: str) -> dict[str, dict]:
    return {s["id"]: s for s in tomllib.loads(demo_config_toml(base_url))["source"]}


# ------------------------------------------------------------------ data and expected.toml


def test_data_files_are_consistent() -> None:
    assert validate(load_world().values()) == []


def test_expected_toml_is_generated_from_the_data() -> None:
    committed = tomllib.loads(EXPECTED.read_text("utf-8"))
    assert committed == tomllib.loads(render_expected_toml()), (
        "expected.toml is stale: run `python -m rightswatch.demo.world`"
    )
    day3 = committed["day"]["3"]
    assert day3["chrg"]["edited"] and day3["chrg"]["removed"]
    assert day3["zmina"]["moved"] and day3["ctrc"]["layout_changed"]


def test_every_expected_url_matches_its_source_pattern() -> None:
    base = "http://127.0.0.1:9"
    by_id = sources(base)
    for day, per_site in expected_changes()["day"].items():
        for site_id, entry in per_site.items():
            pattern = re.compile(by_id[site_id]["article_url_pattern"])
            paths = entry["new"] + entry["hidden_by_layout"] + entry["edited"]
            paths += [new for _old, new in entry["moved"]]
            for path in paths:
                assert pattern.match(base + path), (day, site_id, path)


# ------------------------------------------------------------------ every site, every day


ENTRY_POINTS = [
    "/chrg/en/feed/",
    "/chrg/uk/feed/",
    "/chrg/ru/feed/",
    "/chrg/en/category/news/",
    "/ctrc/en/activities?page=1",
    "/ctrc/ru/activities?page=1",
    "/zmina/robots.txt",
    "/zmina/sitemap.xml",
    "/ppu/en/news/",
    "/ppu/news/",
    "/verstka/",
    "/hostile/",
    "/robots.txt",
]


@pytest.mark.parametrize("day", range(1, MAX_DAY + 1))
def test_each_site_serves_each_day(srv: DemoServer, client: httpx.Client, day: int) -> None:
    srv.set_day(day)
    for path in ENTRY_POINTS:
        expected = 500 if (day == 2 and path == "/hostile/") else 200
        assert client.get(path).status_code == expected, (day, path)
    world = load_world()
    for site_id in ("chrg", "ctrc", "zmina", "ppu", "verstka", "hostile"):
        for article in world[site_id].visible(day):
            r = client.get(article.path_on(day))
            assert r.status_code == 200, (day, article.path_on(day))
            # Verstka serves windows-1251 (characters outside it as character references).
            charset = "cp1251" if site_id == "verstka" else "utf-8"
            opening = article.version(day).paragraphs[0][:40]
            assert opening.encode(charset, "xmlcharrefreplace") in r.content, (day, site_id)


def test_listings_reach_every_visible_article(srv: DemoServer, client: httpx.Client) -> None:
    for day in range(1, MAX_DAY + 1):
        srv.set_day(day)
        world = load_world()
        for lang in ("en", "uk", "ru"):
            seen: set[str] = set()
            url = f"/chrg/{lang}/category/news/"
            while url:
                sel = parsel.Selector(client.get(url).text)
                seen |= set(sel.css("h2.entry-title a::attr(href)").getall())
                url = sel.css("a.next::attr(href)").get() or ""
            want = {srv.base_url + a.path_on(day) for a in world["chrg"].visible(day, lang)}
            assert seen == want, (day, lang)


# ------------------------------------------------------------------ CHRG: feeds and validators


def test_chrg_feeds_parse(srv: DemoServer, client: httpx.Client) -> None:
    pattern = re.compile(sources(srv.base_url)["chrg"]["article_url_pattern"])
    for lang in ("en", "uk", "ru"):
        feed = feedparser.parse(client.get(f"/chrg/{lang}/feed/").content)
        assert not feed.bozo, feed.bozo_exception
        assert feed.feed.language.startswith(lang)
        assert len(feed.entries) >= 3
        for entry in feed.entries:
            assert entry.published_parsed and entry.id and pattern.match(entry.link)
    srv.set_day(2)
    ru2 = {e.link for e in feedparser.parse(client.get("/chrg/ru/feed/").content).entries}
    srv.set_day(3)
    ru3 = {e.link for e in feedparser.parse(client.get("/chrg/ru/feed/").content).entries}
    assert len(ru2 - ru3) == 1 and "predvaritelnye" in (ru2 - ru3).pop()


def test_chrg_pagination_on_day_one(client: httpx.Client) -> None:
    page1 = client.get("/chrg/en/category/news/")
    assert "/chrg/en/category/news/page/2/" in page1.text
    assert client.get("/chrg/en/category/news/page/2/").status_code == 200
    assert client.get("/chrg/en/category/news/page/9/").status_code == 404


def test_chrg_conditional_requests(srv: DemoServer, client: httpx.Client) -> None:
    path = "/chrg/en/quarterly-review-703-crimeans-killed-in-russias-war/"
    first = client.get(path)
    etag, lm = first.headers["etag"], first.headers["last-modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": lm}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    srv.set_day(4)  # an unchanged article stays 304 across days
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": lm}).status_code == 304
    # the feed changes when new posts arrive, and its validators move with it
    srv.set_day(1)
    feed1 = client.get("/chrg/en/feed/")
    srv.set_day(2)
    feed2 = client.get("/chrg/en/feed/", headers={"If-None-Match": feed1.headers["etag"]})
    assert feed2.status_code == 200
    assert feed2.headers["last-modified"] != feed1.headers["last-modified"]
    again = client.get(
        "/chrg/en/feed/", headers={"If-Modified-Since": feed1.headers["last-modified"]}
    )
    assert again.status_code == 200


# ------------------------------------------------------------------ day 3 events


def test_day3_silent_edit(srv: DemoServer, client: httpx.Client) -> None:
    path = "/chrg/en/chrg-574-criminal-cases-for-refusing-to-serve-in-the-russian-army/"
    srv.set_day(2)
    before = client.get(path)
    assert "497 of them" in before.text
    srv.set_day(3)
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and "503 of them" in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert after.headers["last-modified"] != before.headers["last-modified"]
    assert path in tomllib.loads(EXPECTED.read_text())["day"]["3"]["chrg"]["edited"]


def test_day3_removal_and_move(srv: DemoServer, client: httpx.Client) -> None:
    removed = "/chrg/ru/predvaritelnye-dannye-576-del-za-uklonenie-v-krymu/"
    old = "/zmina/en/news-en/illigal-mobilization-sparks-522-criminal-cases-in-occupied-crimea/"
    new = "/zmina/en/news-en/illegal-mobilisation-sparks-522-criminal-cases-in-occupied-crimea/"
    srv.set_day(2)
    assert client.get(removed).status_code == 200
    assert client.get(old).status_code == 200
    srv.set_day(3)
    assert client.get(removed).status_code == 410
    assert removed not in client.get("/chrg/ru/category/news/").text
    moved = client.get(old)
    assert moved.status_code == 301 and moved.headers["location"] == srv.base_url + new
    assert client.get(new).status_code == 200
    sitemap = client.get("/zmina/sitemap-posts-2026-10.xml").text
    assert new in sitemap and old not in sitemap


def test_ctrc_layout_changes_on_day3(srv: DemoServer, client: httpx.Client) -> None:
    pattern = re.compile(sources(srv.base_url)["ctrc"]["article_url_pattern"])
    for day, expect_found in ((2, True), (3, False), (4, False)):
        srv.set_day(day)
        r = client.get("/ctrc/en/activities?page=1")
        assert "etag" not in r.headers and "last-modified" not in r.headers
        sel = parsel.Selector(r.text)
        in_selector = sel.css(f"{CTRC_ARTICLE_SELECTOR} a::attr(href)").getall()
        matching = [h for h in sel.css("a::attr(href)").getall() if pattern.match(h)]
        assert bool(in_selector) is expect_found, day
        assert matching, day  # the URL pattern still finds the articles
    assert client.get("/ctrc/en/activities?page=2").status_code == 200


# ------------------------------------------------------------------ ZMINA sitemaps


def test_zmina_sitemaps(srv: DemoServer, client: httpx.Client) -> None:
    for day in (1, 4):
        srv.set_day(day)
        robots = client.get("/zmina/robots.txt").text
        found = re.search(r"^Sitemap: (\S+)$", robots, re.M)
        assert found is not None
        index_url = found.group(1)
        index = parsel.Selector(client.get(index_url).text, type="xml")
        index.remove_namespaces()
        children = index.xpath("//sitemap/loc/text()").getall()
        assert len(children) >= 3 and all(index.xpath("//sitemap/lastmod/text()").getall())
        locs: set[str] = set()
        for child in children:
            r = client.get(child)
            assert r.status_code == 200 and "last-modified" in r.headers
            sel = parsel.Selector(r.text, type="xml")
            sel.remove_namespaces()
            locs |= set(sel.xpath("//url/loc/text()").getall())
        articles = {srv.base_url + a.path_on(day) for a in load_world()["zmina"].visible(day)}
        assert articles <= locs
        assert srv.base_url + "/zmina/about/" in locs  # a static page, not a report
    page = client.get(
        "/zmina/news/ponad-100-tysyach-cholovikiv-prymusovo-mobilizuvaly-na-okupovanomu-donbasi/"
    )
    again = client.get(page.url.path, headers={"If-Modified-Since": page.headers["last-modified"]})
    assert again.status_code == 304


# ------------------------------------------------------------------ encodings and PDFs


def test_verstka_is_windows_1251_declared_only_in_meta(client: httpx.Client) -> None:
    r = client.get("/verstka/bolee-34-tys-krymchan-prinudili-k-sluzhbe-v-armii-rf/")
    assert r.headers["content-type"] == "text/html"
    assert b'content="text/html; charset=windows-1251"' in r.content[:400]
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    text = r.content.decode("cp1251")
    assert "Более 34 тыс. крымчан" in text and "ст. 328 УК РФ" in text


def test_ppu_page_with_utf8_bom(client: httpx.Client) -> None:
    r = client.get("/ppu/press-center/analitychna-dovidka-prymusovyj-pryzov-krymchan-do-armiyi-rf/")
    assert r.content.startswith(b"\xef\xbb\xbf") and r.headers["content-type"] == "text/html"
    assert "близько 50 тисяч" in r.content.decode("utf-8-sig")


def test_ppu_pdf_has_extractable_text(srv: DemoServer, client: httpx.Client) -> None:
    pdf_path = "/ppu/files/ppu-losses-of-crimea-based-units-2026-10.pdf"
    assert client.get(pdf_path).status_code == 404  # published on day 2
    srv.set_day(2)
    slug = "at-least-1732-soldiers-of-crimea-based-units-killed-since-february-2022"
    page = client.get(f"/ppu/en/press-center/{slug}/")
    assert srv.base_url + pdf_path in page.text
    r = client.get(pdf_path)
    assert r.headers["content-type"] == "application/pdf" and r.headers["etag"]
    doc = pypdfium2.PdfDocument(r.content)
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert len(doc) >= 3
    assert "1 732" in text and "1,732" in text and "громадянами України" in text


# ------------------------------------------------------------------ hostile site


def test_hostile_flaky_recovers_and_resets(srv: DemoServer, client: httpx.Client) -> None:
    assert [client.get("/hostile/flaky").status_code for _ in range(4)] == [500, 500, 200, 200]
    srv.set_day(1)
    assert client.get("/hostile/flaky").status_code == 500


def test_hostile_index_and_feed_fail_all_day_two(srv: DemoServer, client: httpx.Client) -> None:
    srv.set_day(2)
    assert client.get("/hostile/").status_code == 500
    assert client.get("/hostile/feed/").status_code == 500
    srv.set_day(3)
    assert client.get("/hostile/").status_code == 200
    feed = feedparser.parse(client.get("/hostile/feed/").content)
    assert any("henichesk" in e.link for e in feed.entries)


def test_hostile_index_links_every_trap(client: httpx.Client) -> None:
    text = client.get("/hostile/").text
    for needle in (
        "/hostile/flaky",
        "/hostile/slow",
        "/hostile/huge",
        "/hostile/bomb",
        "/hostile/broken",
        "/hostile/loop/a",
        "/hostile/calendar/2026/11/",
        "/hostile/private/secret",
        "http://127.0.0.9:1/",
        "http://example.invalid/",
        "/chrg/en/category/news/",
        "/hostile/reports/",
    ):
        assert needle in text, needle


def test_hostile_redirect_loop(client: httpx.Client) -> None:
    a = client.get("/hostile/loop/a")
    assert a.status_code == 302 and a.headers["location"].endswith("/hostile/loop/b")
    b = client.get("/hostile/loop/b")
    assert b.headers["location"].endswith("/hostile/loop/a")
    with pytest.raises(httpx.TooManyRedirects):
        client.get("/hostile/loop/a", follow_redirects=True)


def test_hostile_gzip_bomb(srv: DemoServer) -> None:
    with (
        httpx.Client(base_url=srv.base_url, timeout=10) as c,
        c.stream("GET", "/hostile/bomb") as r,
    ):
        assert r.headers["content-encoding"] == "gzip"
        raw = b"".join(r.iter_raw())
    assert len(raw) < 1_000_000 and int(r.headers["content-length"]) == len(raw)
    inflater = zlib.decompressobj(31)
    inflated = len(inflater.decompress(raw, 50_000_000))
    assert inflated == 50_000_000  # and there is more to come: a crawler must cap it


def test_hostile_huge_streams_chunked(srv: DemoServer) -> None:
    with (
        httpx.Client(base_url=srv.base_url, timeout=10) as c,
        c.stream("GET", "/hostile/huge") as r,
    ):
        assert "content-length" not in r.headers
        assert r.headers["transfer-encoding"] == "chunked"
        got = 0
        for chunk in r.iter_bytes():
            got += len(chunk)
            if got > 6_000_000:
                break
    assert got > 6_000_000
    assert httpx.get(srv.base_url + "/hostile/", timeout=5).status_code == 200  # still serving


def test_hostile_broken_markup(client: httpx.Client) -> None:
    body = client.get("/hostile/broken").content
    assert b"\x00" in body and b"\xff\xfe" in body and not body.rstrip().endswith(b">")
    assert b"at least 57 residents of occupied Enerhodar" in body


def test_hostile_calendar_is_endless(client: httpx.Client) -> None:
    url = "/hostile/calendar/2026/11/"
    for _ in range(30):
        sel = parsel.Selector(client.get(url).text)
        assert len(sel.css("div.days a")) >= 28
        url = httpx.URL(sel.css("a[rel=next]::attr(href)").get()).path
    assert url == "/hostile/calendar/2029/05/"
    assert client.get("/hostile/calendar/2026/11/05/").status_code == 200


def test_robots_txt(srv: DemoServer, client: httpx.Client) -> None:
    parser = RobotFileParser()
    parser.parse(client.get("/robots.txt").text.splitlines())
    assert not parser.can_fetch("rightswatch", srv.base_url + "/hostile/private/secret")
    assert parser.can_fetch("rightswatch", srv.base_url + "/hostile/flaky")
    assert parser.can_fetch("rightswatch", srv.base_url + "/chrg/en/feed/")
    assert parser.site_maps() == [srv.base_url + "/zmina/sitemap.xml"]


def test_slow_page_times_out_and_stop_is_prompt() -> None:
    server = DemoServer().start()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.base_url + "/hostile/slow", timeout=0.5)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /hostile/slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.1)
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 3


def test_client_disconnects_are_silent(srv: DemoServer, capfd: pytest.CaptureFixture[str]) -> None:
    for path in ("/hostile/huge", "/hostile/bomb", "/chrg/en/feed/"):
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            sock.recv(1000)
    httpx.get(srv.base_url + "/chrg/en/feed/", timeout=5)
    time.sleep(0.3)
    assert capfd.readouterr().err == ""
    assert srv.errors == []


def test_request_log(srv: DemoServer, client: httpx.Client) -> None:
    srv.clear_requests()
    client.get("/ctrc/en/activities?page=2", headers={"User-Agent": "rightswatch-test"})
    client.get("/nowhere")
    log = srv.requests
    assert [(e.method, e.path, e.status) for e in log] == [
        ("GET", "/ctrc/en/activities?page=2", 200),
        ("GET", "/nowhere", 404),
    ]
    assert log[0].headers["User-Agent"] == "rightswatch-test" and log[0].time > 0


# ------------------------------------------------------------------ bench site


def test_bench_site() -> None:
    with (
        DemoServer(bench_pages=45) as server,
        httpx.Client(base_url=server.base_url, timeout=5) as c,
    ):
        pages = [parsel.Selector(c.get(f"/bench/news/?page={n}").text) for n in (1, 2, 3)]
        links = [h for p in pages for h in p.css("h2.entry-title a::attr(href)").getall()]
        assert len(links) == 45 == len(set(links))
        assert c.get("/bench/news/?page=4").status_code == 404
        index = c.get("/bench/sitemap.xml").text
        child = re.search(r"<loc>(.*?)</loc>", index).group(1)  # type: ignore[union-attr]
        assert c.get(child).text.count("<url>") == 45
        r = c.get(links[7])
        assert r.status_code == 200 and 15_000 <= len(r.content) <= 40_000
        assert c.get(links[7], headers={"If-None-Match": r.headers["etag"]}).status_code == 304
        assert c.get(links[7]).content == r.content
        assert c.get(links[8]).content != r.content


# ------------------------------------------------------------------ config and CLI


def test_demo_config_toml() -> None:
    doc = tomllib.loads(demo_config_toml("http://127.0.0.1:8000", max_pages=50))
    assert doc["rightswatch"] == {
        "database": "rightswatch.db",
        "archive_dir": "archive",
        "contact": "demo-monitor@example.org",
    }
    assert doc["crawl"]["max_pages"] == 50 and doc["crawl"]["timeout"] == 3
    assert tuple(s["id"] for s in doc["source"]) == DEMO_SOURCE_IDS
    for source in doc["source"]:
        assert list(source) == list(SOURCE_KEYS)
        # The project's own validator accepts it: known keys, types, regexes, http(s) URLs.
        parsed = parse_source(source, CrawlSettings(), "demo config")
        assert parsed.id == source["id"] and parsed.article_selector == source["article_selector"]
        for name in ("article_url_pattern", "pagination_pattern", "pdf_url_pattern"):
            re.compile(source[name])
        for url in source["feed_urls"] + source["sitemap_urls"] + source["listing_urls"]:
            assert any(url.startswith(prefix) for prefix in source["scope"])
    bench = tomllib.loads(demo_config_toml("http://127.0.0.1:8000", bench=True))
    assert bench["source"][-1]["id"] == "bench"
    assert parse_source(bench["source"][-1], CrawlSettings(), "bench config").id == "bench"


def test_cli_config_prints_toml() -> None:
    result = CliRunner().invoke(demo, ["config", "--base-url", "http://127.0.0.1:8123"])
    assert result.exit_code == 0, result.output
    assert tomllib.loads(result.output)["source"][0]["homepage"] == "http://127.0.0.1:8123/chrg/"


def test_cli_serve_subprocess() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rightswatch.demo.cli", "serve", "--port", "0", "--day", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url), base_url
        r = httpx.get(base_url + "/chrg/en/feed/", timeout=5)
        assert r.status_code == 200 and "583" in r.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_article_bytes_change_only_when_edited(srv: DemoServer, client: httpx.Client) -> None:
    """Crawler tests count snapshots: chrome must not make an unedited article look new."""
    world = load_world()
    previous: dict[str, bytes] = {}
    for day in range(1, MAX_DAY + 1):
        srv.set_day(day)
        current: dict[str, bytes] = {}
        for site in world.values():
            for article in site.visible(day):
                path = article.path_on(day)
                current[path] = client.get(path).content
                edited_today = any(e.day == day for e in article.edits)
                if path in previous and not edited_today:
                    assert current[path] == previous[path], (day, path)
        previous = current
