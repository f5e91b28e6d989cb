"""The weekly digest: built from a real database, rendered, written, sent through the outbox.

The fixed world: three CHRG reports on crimes for evading service (522 → 574 → 583, the last
one this week), a ZMINA figure change without stored history, a new series, a source that
fails three crawls in a row (real crawl records through `record_health_events`), one
backfill event and one event from before the period, neither of which may appear.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from PIL import Image
from test_alerts_support import FakeClock, SmtpServer

from rightswatch.alerts import Dispatcher, record_health_events, status
from rightswatch.alerts.digest import (
    CHART_SIZE,
    ChartSpec,
    DigestError,
    digest_message,
    draw_chart,
    make_digest,
)
from rightswatch.cli import cli
from rightswatch.config import Config, ConfigError, config_from_dict, load_config
from rightswatch.db import Store, digests, open_db
from rightswatch.db.store import Fetch, iso
from rightswatch.ingest import ingest_file

PNG = b"\x89PNG\r\n\x1a\n"
# Events are dated relative to when the module is imported; deliveries get the real time
# when a test queues them (minutes later in a full run), so dispatcher clocks read the real
# time, not NOW.
NOW = datetime.now(UTC).replace(microsecond=0)
SINCE = NOW - timedelta(days=7)
UNTIL = NOW + timedelta(hours=1)
CHRG = "Crimean Human Rights Group"
CASES = f"criminal_cases|crimea|cumulative:occupation|{CHRG}"
CONSCRIPTED = "conscripted|occupied_territories|cumulative:2022|ZMINA"
DEATHS = "deaths|kherson|year:2026|ZMINA"
ARCHIVE = "https://archive.example.org/snap"
SENTENCE = ("The Crimean Human Rights Group now counts at least 583 criminal cases for "
            "evading service in Crimea since 2015.")


def ago(days: float) -> str:
    return iso(NOW - timedelta(days=days))


def write_config(tmp_path: Path, digest: str = "") -> Config:
    path = tmp_path / "rightswatch.toml"
    path.write_text(f'[rightswatch]\ndatabase = "rightswatch.db"\ncontact = "t@example.org"\n'
                    f'archive_base_url = "{ARCHIVE}"\n\n[digest]\n{digest}\n', encoding="utf-8")
    return load_config(path)


def digest_table(smtp_url: str, *to: str) -> str:
    recipients = ", ".join(f'"{t}"' for t in to)
    return (f'to = [{recipients}]\nfrom = "rightswatch <digest@example.org>"\n'
            f'smtp_url = "{smtp_url}"\ntimeout = 5\ntimezone = "Europe/Kyiv"\n')


def save_report(store: Store, source: str, url: str, title: str, published: str,
                fetched: str, figures: tuple[dict[str, Any], ...] = (),
                warc: str | None = None) -> int:
    saved = store.save_fetch(Fetch(
        source_id=source, url=url, kind="report", status=200, fetched_at=fetched,
        sha256=hashlib.sha256(url.encode()).hexdigest(), size=100, content_type="text/html",
        warc_file=warc, warc_offset=1234 if warc else None, warc_record_type="response",
        title=title, published_at=published, lang="en", text=title, figures=figures))
    assert saved.snapshot_id is not None
    return saved.snapshot_id


def cases_figure(value: int, sentence: str) -> dict[str, Any]:
    return {"value": value, "text": f"at least {value}", "start": 0, "end": 5,
            "qualifier": "at_least", "metric": "criminal_cases", "region": "crimea",
            "period": "since 2015", "sentence": sentence, "lang": "en", "series_id": CASES,
            "period_key": "cumulative:occupation", "organisation": CHRG}


def event(n: int, kind: str, created: str, source: str, *, url: str, title: str,
          published: str, snapshot_id: int | None = None,
          figure: dict[str, Any] | None = None, backfill: bool = False) -> dict[str, Any]:
    names = {"chrg": CHRG, "zmina": "ZMINA"}
    found: dict[str, Any] = {
        "id": f"evt_digest{n:04d}", "type": kind, "created_at": created,
        "dedup_key": f"test|{n}", "backfill": backfill,
        "source": {"id": source, "name": names[source]},
        "report": {"url": url, "title": title, "published_at": published,
                   "sha256": "ab" * 32, "snapshot_id": snapshot_id},
        "payload_version": 1,
    }
    if figure is not None:
        found["figure"] = figure
    return found


def build_world(config: Config) -> dict[str, int]:
    """The fixed set of events (see the module docstring), stored as the pipeline stores."""
    db = open_db(config.database)
    store = Store(db)
    store.ensure_manual_source("chrg", CHRG)
    store.ensure_manual_source("zmina", "ZMINA")
    old = save_report(store, "chrg", "https://crimeahrg.org/en/report-1/", "October review",
                      ago(50)[:10], ago(49), (cases_figure(522, "At least 522 cases."),))
    prev = save_report(store, "chrg", "https://crimeahrg.org/en/report-2/", "Mid-month review",
                       ago(30)[:10], ago(29), (cases_figure(574, "At least 574 cases."),))
    new = save_report(store, "chrg", "https://crimeahrg.org/en/report-3/",
                      "Evading service: the November count", ago(3)[:10], ago(3),
                      (cases_figure(583, SENTENCE),), warc="rightswatch-20261101.warc.gz")
    zmina = save_report(store, "zmina", "https://zmina.info/en/conscription/",
                        "Forced conscription <in> the occupied territories", ago(2)[:10],
                        ago(2))
    events = [
        event(1, "report.new", ago(3), "chrg", url="https://crimeahrg.org/en/report-3/",
              title="Evading service: the November count", published=ago(3)[:10],
              snapshot_id=new),
        event(2, "figure.changed", ago(3), "chrg", url="https://crimeahrg.org/en/report-3/",
              title="Evading service: the November count", published=ago(3)[:10],
              snapshot_id=new, figure={
                  "metric": "criminal_cases", "region": "crimea", "period": "since 2015",
                  "series": CASES, "organisation": CHRG, "value": 583, "previous_value": 574,
                  "delta": 9, "qualifier": "at_least", "sentence": SENTENCE,
                  "previous_url": "https://crimeahrg.org/en/report-2/",
                  "previous_published_at": ago(30)[:10], "previous_snapshot_id": prev}),
        event(3, "report.new", ago(2), "zmina", url="https://zmina.info/en/conscription/",
              title="Forced conscription <in> the occupied territories",
              published=ago(2)[:10], snapshot_id=zmina),
        event(4, "figure.changed", ago(2), "zmina", url="https://zmina.info/en/conscription/",
              title="Forced conscription <in> the occupied territories",
              published=ago(2)[:10], snapshot_id=zmina, figure={
                  "metric": "conscripted", "region": "occupied_territories",
                  "period": "since 2022", "series": CONSCRIPTED, "organisation": "ZMINA",
                  "value": 1500, "previous_value": 1200, "delta": 300, "qualifier": "exact",
                  "sentence": "About 1,500 residents were forced into the army.",
                  "previous_url": "https://zmina.info/en/earlier/",
                  "previous_published_at": ago(40)[:10]}),
        event(5, "figure.new", ago(2), "zmina", url="https://zmina.info/en/conscription/",
              title="Forced conscription <in> the occupied territories",
              published=ago(2)[:10], snapshot_id=zmina, figure={
                  "metric": "deaths", "region": "kherson", "period": "in 2026",
                  "series": DEATHS, "organisation": "ZMINA", "value": 37,
                  "previous_value": None, "qualifier": "exact",
                  "sentence": "37 conscripts from Kherson region died in 2026."}),
        event(6, "report.new", ago(2), "chrg", url="https://crimeahrg.org/en/archive-2014/",
              title="Backfilled archive page", published="2014-05-01", backfill=True),
        event(7, "report.new", ago(20), "chrg", url="https://crimeahrg.org/en/report-2/",
              title="Mid-month review", published=ago(30)[:10], snapshot_id=prev),
    ]
    with store.transaction():
        for e in events:
            assert store.insert_event(e)
    # ZMINA's site stops answering: three failed crawls, recorded as the scheduler does.
    for _ in range(3):
        crawl = store.start_crawl("zmina")
        store.finish_crawl(crawl, status="failed", counts={}, finish_reason="error",
                           error="Connection refused")
    ok = store.start_crawl("chrg")
    store.finish_crawl(ok, status="ok", counts={"articles_found": 3}, finish_reason="finished",
                       error=None)
    assert record_health_events(db, "zmina", [])
    store.close()
    return {"old": old, "prev": prev, "new": new, "zmina": zmina}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def deliveries(config: Config) -> dict[str, dict[str, Any]]:
    db = open_db(config.database)
    try:
        return {r["id"]: r for r in Store(db).query("SELECT * FROM deliveries")}
    finally:
        db.conn.close()


# -- rendering ---------------------------------------------------------------------------------


def test_digest_renders_every_section(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    snaps = build_world(config)

    result = make_digest(config, since=SINCE, until=UNTIL, out=tmp_path / "out")

    assert result.counts["reports"] == 2 and result.counts["figure_changes"] == 2
    assert result.counts["changed_series"] == 2 and result.counts["new_series"] == 1
    assert result.counts["health"] == 1 and result.counts["crawls"] == 4
    assert not result.empty and result.delivery_ids == ()
    assert result.index_path == tmp_path / "out" / "index.html"
    page = lxml.html.fromstring(result.index_path.read_bytes())
    assert [h.text_content() for h in page.iter("h2")] == [
        "New reports", "Figure changes", "New series", "Source health"]
    assert {h.text_content() for h in page.iter("h3")} >= {
        CHRG, "ZMINA", "Criminal cases · Crimea", "Conscripted · occupied territories"}

    # New report: title, link, date, archived copy.
    links = {a.text_content().strip(): a.get("href") for a in page.iter("a")}
    assert links["Evading service: the November count"] == "https://crimeahrg.org/en/report-3/"
    report = next(li for li in page.find_class("report")
                  if "November count" in li.text_content())
    assert ago(3)[:10] in report.text_content()
    assert report.find_class("archive")[0].get("href") == f"{ARCHIVE}/{snaps['new']}"
    # Hostile markup in a title stays text.
    assert "Forced conscription <in> the occupied territories" in page.text_content()
    assert b"<in>" not in result.index_path.read_bytes()

    # Figure changes: previous → new with the sentence, grouped by metric and region.
    changes = [c.text_content() for c in page.find_class("change")]
    assert any("574 → 583" in c and "+9" in c and SENTENCE in c for c in changes)
    assert any("1,200 → 1,500" in c and "+300" in c for c in changes)
    assert SENTENCE in [q.text_content() for q in page.iter("blockquote")]

    # New series and health.
    (new_series,) = page.find_class("new-series")
    assert "deaths, Kherson" in new_series.text_content() and "37" in new_series.text_content()
    (health,) = page.find_class("health")
    assert "ZMINA: failing" in health.text_content()
    assert "Connection refused" in health.text_content()
    assert "4 crawls of 2 sources" in page.find_class("crawls")[0].text_content()

    # What is not news stays out.
    text = page.text_content()
    assert "Backfilled archive page" not in text
    assert "Mid-month review" not in links

    # One chart per changed series, beside the HTML, each a valid 480×200 PNG.
    images = [img.get("src") for img in page.iter("img")]
    assert len(images) == 2 and len(result.chart_paths) == 2
    for src in images:
        assert "/" not in src and src.startswith("chart-")
        assert png_size((tmp_path / "out" / src).read_bytes()) == CHART_SIZE
    assert sorted(p.name for p in result.chart_paths) == sorted(images)

    # The text alternative says the same.
    assert result.text_path is not None
    plain = result.text_path.read_text(encoding="utf-8")
    for needle in ("NEW REPORTS", "FIGURE CHANGES", "NEW SERIES", "SOURCE HEALTH",
                   "574 → 583 (+9)", "Evading service: the November count",
                   "https://crimeahrg.org/en/report-3/", f"{ARCHIVE}/{snaps['new']}",
                   "at least 583 criminal cases", "Connection refused",
                   "522 (", "574 (", "583 ("):
        assert needle in plain, needle
    assert "Backfilled archive page" not in plain


def test_without_archive_base_url_the_warc_record_is_named(tmp_path: Path) -> None:
    path = tmp_path / "rightswatch.toml"
    path.write_text('[rightswatch]\ndatabase = "rightswatch.db"\n', encoding="utf-8")
    config = load_config(path)
    build_world(config)
    result = make_digest(config, since=SINCE, until=UNTIL)
    assert "rightswatch-20261101.warc.gz (record at offset 1234)" in result.text
    assert result.index_path is None and result.chart_paths == ()


def test_an_empty_period_still_makes_a_digest_saying_so(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    build_world(config)
    long_ago = NOW - timedelta(days=400)

    result = make_digest(config, since=long_ago, until=long_ago + timedelta(days=7),
                         out=tmp_path / "quiet")

    assert result.empty and result.counts["charts"] == 0
    assert "nothing new" in result.subject
    assert result.index_path is not None
    page = lxml.html.fromstring(result.index_path.read_bytes())
    assert [h.text_content() for h in page.iter("h2")] == [
        "New reports", "Figure changes", "New series", "Source health"]
    assert "Nothing new in this period" in page.find_class("nothing-new")[0].text_content()
    assert "No crawls ran in this period" in page.text_content()
    assert list(page.iter("img")) == []
    assert "Nothing new in this period" in result.text


def test_a_source_failing_before_the_period_is_still_reported(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    build_world(config)
    later = NOW + timedelta(days=3)
    result = make_digest(config, since=later, until=later + timedelta(days=7))
    assert result.counts["health"] == 1 and result.counts["reports"] == 0
    assert "ZMINA: still failing" in result.text


def test_a_chart_survives_a_single_point_and_a_dollar_sign() -> None:
    spec = ChartSpec(name="chart-1-x-y.png", title="deaths · $5 per $ · since 2015",
                     points=((NOW, 3.0),), highlight=frozenset({0}))
    assert png_size(draw_chart(spec)) == CHART_SIZE


# -- sending -----------------------------------------------------------------------------------


def parts(message: EmailMessage) -> tuple[str, str, dict[str, bytes]]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    images = {}
    for part in message.walk():
        if part.get_content_type() == "image/png":
            images[str(part["Content-ID"]).strip().strip("<>")] = part.get_payload(decode=True)
    return text.get_content(), html.get_content(), images


def assert_inline_charts(message: EmailMessage) -> None:
    assert message.get_content_type() == "multipart/alternative"
    text, html, images = parts(message)
    assert "FIGURE CHANGES" in text and "574 → 583" in text
    sources = [img.get("src") for img in lxml.html.fromstring(html).iter("img")]
    assert len(sources) == 2
    for src in sources:
        assert src.startswith("cid:")
        assert png_size(images[src.removeprefix("cid:")]) == CHART_SIZE
    assert len(images) == len(sources)


def test_send_queues_one_delivery_per_recipient_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, digest_table("smtp://127.0.0.1:2525?starttls=0",
                                                 "a@example.org", "b@example.org"))
    build_world(config)

    first = make_digest(config, since=SINCE, until=UNTIL, send=True)
    again = make_digest(config, since=SINCE, until=UNTIL, send=True)

    assert len(first.delivery_ids) == 2 and first.stored
    assert again.delivery_ids == () and not again.stored
    assert set(again.existing_delivery_ids) == set(first.delivery_ids)
    rows = deliveries(config)
    assert set(rows) == set(first.delivery_ids)
    assert {(r["rule"], r["channel"], r["event_id"], r["digest_id"], r["status"])
            for r in rows.values()} == {("digest", "email", None, first.id, "pending")}
    assert {r["target"] for r in rows.values()} == {"a@example.org", "b@example.org"}
    db = open_db(config.database)
    try:
        stored = digests.load_digest(db, first.id)
        assert stored is not None and len(stored.charts) == 2
        assert stored.summary["figure_changes"] == 2
        # `alerts status` shows what a digest delivery is about.
        assert {r["event_type"] for r in status(db)} == {"digest"}
        # The stored email renders with every chart inline.
        assert_inline_charts(digest_message(stored, sender="d@example.org",
                                            recipient="a@example.org", delivery_id="dlv_x"))
    finally:
        db.conn.close()


def test_digest_reaches_a_real_smtp_server_with_inline_charts(
        tmp_path: Path, smtp: SmtpServer) -> None:
    config = write_config(tmp_path, digest_table(smtp.url, "a@example.org", "b@example.org"))
    build_world(config)
    result = make_digest(config, since=SINCE, until=UNTIL, send=True)
    clock = FakeClock(datetime.now(UTC) + timedelta(minutes=1))

    # A dispatcher that was not given the [digest] settings leaves digests alone.
    assert Dispatcher(config.database, config.alerts, clock=clock).run_once().attempted == 0
    report = Dispatcher(config.database, config.alerts, clock=clock,
                        digest=config.digest).run_once()

    assert (report.sent, report.messages) == (2, 2)  # one email per recipient, not batched
    assert sorted(rcpt for _, (rcpt,) in smtp.handler.envelopes) == [
        "a@example.org", "b@example.org"]
    for message in smtp.handler.messages:
        assert message["Subject"] == result.subject
        assert message["X-Rightswatch-Digest"] == result.id
        assert message["X-Rightswatch-Delivery"] in result.delivery_ids
        assert_inline_charts(message)
    ids = {m["Message-ID"] for m in smtp.handler.messages}
    assert len(ids) == 2
    assert {r["status"] for r in deliveries(config).values()} == {"sent"}
    assert Dispatcher(config.database, config.alerts, clock=clock,
                      digest=config.digest).run_once().attempted == 0


def test_a_refusing_smtp_server_delays_the_digest_and_loses_nothing(
        tmp_path: Path, smtp: SmtpServer) -> None:
    config = write_config(tmp_path, digest_table(smtp.url, "a@example.org"))
    build_world(config)
    (did,) = make_digest(config, since=SINCE, until=UNTIL, send=True).delivery_ids
    clock = FakeClock(datetime.now(UTC) + timedelta(minutes=1))
    dispatcher = Dispatcher(config.database, config.alerts, clock=clock, digest=config.digest,
                            base_delay=30)
    smtp.handler.refuse = "451 4.3.0 Try again later"

    assert dispatcher.run_once().retried == 1
    row = deliveries(config)[did]
    assert row["status"] == "pending" and row["attempts"] == 1 and "451" in row["last_error"]
    assert row["next_attempt_at"] > iso(clock())
    assert dispatcher.run_once().attempted == 0  # not due yet

    smtp.handler.refuse = None
    clock.advance(60)
    report = dispatcher.run_once()
    assert report.sent == 1
    (message,) = smtp.handler.messages
    assert_inline_charts(message)
    assert deliveries(config)[did]["status"] == "sent"


def test_a_recipient_removed_from_the_config_fails_its_delivery_visibly(
        tmp_path: Path) -> None:
    config = write_config(tmp_path, digest_table("smtp://127.0.0.1:2525?starttls=0",
                                                 "gone@example.org"))
    build_world(config)
    (did,) = make_digest(config, since=SINCE, until=UNTIL, send=True).delivery_ids
    now_config = write_config(tmp_path, digest_table("smtp://127.0.0.1:2525?starttls=0",
                                                     "other@example.org"))
    report = Dispatcher(now_config.database, (), digest=now_config.digest,
                        clock=FakeClock(datetime.now(UTC) + timedelta(minutes=1))).run_once()
    assert report.failed == 1
    row = deliveries(config)[did]
    assert row["status"] == "failed" and "gone@example.org" in row["last_error"]


def test_send_without_recipients_is_a_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    build_world(config)
    with pytest.raises(DigestError, match="no recipients"):
        make_digest(config, since=SINCE, until=UNTIL, send=True)
    assert deliveries(config) == {}


# -- configuration -----------------------------------------------------------------------------


def test_digest_settings_reuse_the_email_rule_validation() -> None:
    settings = config_from_dict({"digest": {
        "to": "a@example.org", "smtp_url": "smtp://127.0.0.1:25?starttls=0",
        "day_of_week": "Friday", "time": "7:30", "timezone": "Europe/Kyiv",
        "period_days": 14}}).digest
    assert [t.address for t in settings.recipients] == ["a@example.org"]
    assert settings.rule is not None and settings.rule.name == "digest"
    assert (settings.day_of_week, settings.time, settings.hour, settings.minute) == (
        "fri", "07:30", 7, 30)
    assert settings.period == timedelta(days=14)
    default = config_from_dict({}).digest
    assert (default.rule, default.day_of_week, default.time, default.timezone,
            default.period_days) == (None, "mon", "08:00", "UTC", 7.0)
    assert config_from_dict({"digest": {"timezone": "UTC"}}).digest.recipients == ()


@pytest.mark.parametrize(("table", "message"), [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"time": "25:00"}, "time"),
    ({"day_of_week": "someday"}, "day_of_week"),
    ({"period_days": 0}, "period_days"),
    ({"events": ["figure.new"]}, "unknown key"),
    ({"to": "a@example.org"}, "smtp_url or smtp_host"),
    ({"to": "not-an-address", "smtp_host": "mail.example.org"}, "to"),
    ({"to": "a@example.org", "smtp_url": "smtp://u:hunter2@mail.example.org"}, "smtp_url"),
    ({"smtp_url": "http://mail.example.org"}, "smtp_url"),
])
def test_bad_digest_settings_name_the_file_and_key(tmp_path: Path, table: dict[str, Any],
                                                   message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        config_from_dict({"digest": table}, tmp_path / "rightswatch.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'rightswatch.toml'}: [digest]")


# -- command line ------------------------------------------------------------------------------

REPORTS = (
    (40, "According to the Crimean Human Rights Group, at least 522 criminal cases for evading "
         "military service have been opened in Crimea since 2015."),
    (20, "The Crimean Human Rights Group reports that 574 criminal cases for evading service "
         "have been opened in Crimea since 2015."),
    (2, "The Crimean Human Rights Group now counts at least 583 criminal cases for evading "
        "service in Crimea since 2015."),
)


def test_the_digest_command_writes_files_from_the_real_pipeline(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for n, (days, body) in enumerate(REPORTS):
        path = tmp_path / f"report-{n}.txt"
        path.write_text(body, encoding="utf-8")
        ingest_file(config, path, "chrg", url=f"https://crimeahrg.org/en/report-{n}/",
                    published=ago(days)[:10])
    runner = CliRunner()
    out = tmp_path / "digest"
    args = ["--config", str(config.path), "digest"]

    result = runner.invoke(cli, [*args, "--since", "7d", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'index.html'}" in result.output
    page = lxml.html.fromstring((out / "index.html").read_bytes())
    assert "574 → 583" in page.text_content()
    charts = sorted(out.glob("chart-*.png"))
    assert charts and all(png_size(p.read_bytes()) == CHART_SIZE for p in charts)
    assert {img.get("src") for img in page.iter("img")} == {p.name for p in charts}
    assert (out / "digest.txt").read_text(encoding="utf-8").startswith("rightswatch digest")

    printed = runner.invoke(cli, args)
    assert printed.exit_code == 0 and "FIGURE CHANGES" in printed.output

    refused = runner.invoke(cli, [*args, "--send"])
    assert refused.exit_code != 0 and "no recipients" in refused.output
