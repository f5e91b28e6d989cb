"""WARC archive: real files, read back with warcio itself, real failing devices."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import resource
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from rightswatch.archive import (
    ArchiveError,
    Original,
    WarcArchive,
    digest_to_hex,
    iter_records,
    payload_sha256,
    read_record,
    verify,
)

HTML = b"<html><head><title>Report</title></head><body><p>At least 583 cases.</p></body></html>"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def warc_records(path: Path) -> list[tuple[str, dict[str, str], bytes, object]]:
    """(type, WARC headers, decoded payload, http headers) straight from warcio."""
    out = []
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, check_digests=True):
            payload = record.content_stream().read()
            assert not record.digest_checker.problems, record.digest_checker.problems
            headers = dict(record.rec_headers.headers)
            out.append((record.rec_type, headers, payload, record.http_headers))
    return out


@pytest.fixture
def archive(tmp_path: Path):
    with WarcArchive(tmp_path / "warc") as arc:
        yield arc


def test_response_and_request_read_back_with_warcio(archive: WarcArchive) -> None:
    rec = archive.write_response(
        "https://ngo.example.org/report?id=7",
        200,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "gzip"),  # the client already decoded it
            ("Transfer-Encoding", "chunked"),
            ("Content-Length", "55"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ],
        HTML,
        request_headers={"User-Agent": "rightswatch-test", "Accept": "text/html"},
        fetched_at=datetime(2025, 3, 14, 8, 30, 5, 999_000, tzinfo=UTC),
        ip_address="127.0.0.1",
    )
    assert rec.record_type == "response"
    assert rec.sha256 == hashlib.sha256(HTML).hexdigest() == payload_sha256(HTML)
    path = archive.directory / rec.filename
    records = warc_records(path)
    assert [r[0] for r in records] == ["warcinfo", "response", "request"]

    _, headers, payload, http = records[1]
    assert payload == HTML  # no double gzip/chunk decoding by the reader
    assert headers["WARC-Target-URI"] == "https://ngo.example.org/report?id=7"
    assert headers["WARC-Date"] == "2025-03-14T08:30:05Z" == rec.warc_date
    assert headers["WARC-Record-ID"] == rec.record_id
    assert headers["WARC-IP-Address"] == "127.0.0.1"
    assert headers["WARC-Payload-Digest"].startswith("sha256:")
    assert digest_to_hex(headers["WARC-Payload-Digest"]) == rec.sha256
    assert digest_to_hex(headers["WARC-Block-Digest"]) is not None
    assert http.get_statuscode() == "200"
    assert http.get_header("Content-Length") == str(len(HTML))
    assert http.get_header("Content-Encoding") is None
    assert http.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert http.get_header("X-Archive-Orig-Content-Length") == "55"
    assert [v for k, v in http.headers if k == "Set-Cookie"] == ["a=1", "b=2"]

    _, req_headers, _, req_http = records[2]
    assert req_headers["WARC-Concurrent-To"] == rec.record_id
    assert req_http.protocol == "GET"
    assert req_http.statusline.startswith("/report?id=7")
    assert req_http.get_header("Host") == "ngo.example.org"
    assert req_http.get_header("User-Agent") == "rightswatch-test"

    # offsets/lengths agree with what warcio computes for the gzip members
    with open(path, "rb") as handle:
        it = ArchiveIterator(handle)
        spans = []
        for record in it:
            record.content_stream().read()
            spans.append((record.rec_type, it.get_record_offset(), it.get_record_length()))
    assert ("response", rec.offset, rec.length) in spans


def test_file_name_and_warcinfo(archive: WarcArchive) -> None:
    rec = archive.write_response("https://a.example/", 200, {}, b"x")
    name = rec.filename
    prefix, stamp, pid, serial = name.removesuffix(".warc.gz").split("-")
    assert prefix == "rightswatch" and len(stamp) == 17 and pid == str(os.getpid())
    assert serial == "00001"
    kind, headers, payload, _ = warc_records(archive.directory / name)[0]
    assert kind == "warcinfo" and headers["WARC-Filename"] == name
    assert b"software: rightswatch" in payload


def test_warcio_check_cli_passes(archive: WarcArchive) -> None:
    rec = archive.write_response("https://a.example/r", 200, {"Content-Type": "text/html"}, HTML)
    archive.write_response("https://a.example/copy", 200, {"Content-Type": "text/html"}, HTML)
    archive.close()
    warcio = Path(sys.executable).parent / "warcio"
    if not warcio.exists():
        pytest.skip("warcio console script not installed")
    done = subprocess.run(
        [str(warcio), "check", "-v", str(archive.directory / rec.filename)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "digest pass" in done.stdout


def test_identical_payload_becomes_revisit(archive: WarcArchive) -> None:
    first = archive.write_response("https://a.example/r.pdf", 200, {"ETag": '"1"'}, PDF)
    second = archive.write_response("https://a.example/mirror.pdf", 200, {"ETag": '"1"'}, PDF)
    assert second.record_type == "revisit" and second.sha256 == first.sha256
    assert second.refers_to == "https://a.example/r.pdf"
    assert second.as_original() == first.as_original()
    records = warc_records(archive.directory / first.filename)
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    _, headers, payload, http = records[3]
    assert payload == b""
    assert headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert headers["WARC-Refers-To-Target-URI"] == "https://a.example/r.pdf"
    assert headers["WARC-Refers-To-Date"] == first.warc_date
    assert headers["WARC-Refers-To"] == first.record_id
    assert digest_to_hex(headers["WARC-Payload-Digest"]) == first.sha256
    assert http.get_statuscode() == "200"
    stored = read_record(archive.directory, second.filename, second.offset)
    assert stored.record_type == "revisit" and stored.http_status == 200
    assert stored.payload_digest == first.sha256


def test_duplicate_of_from_previous_crawl(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, prefix="crawl1") as arc:
        first = arc.write_response("https://a.example/r", 200, {}, HTML)
    original = Original(first.target_uri or "", first.warc_date or "", first.sha256, None)
    with WarcArchive(tmp_path, prefix="crawl2") as arc:
        again = arc.write_response("https://a.example/r", 200, {}, HTML, duplicate_of=original)
        # a lookup that does not match the body must never cost us the bytes
        wrong = Original("https://a.example/r", "2025-01-01T00:00:00Z", "0" * 64)
        changed = arc.write_response(
            "https://a.example/r", 200, {}, HTML + b"!", duplicate_of=wrong
        )
    assert again.record_type == "revisit" and again.filename.startswith("crawl2-")
    stored = read_record(tmp_path, again.filename, again.offset)
    assert "WARC-Refers-To" not in stored.warc_headers
    assert changed.record_type == "response"
    assert read_record(tmp_path, changed.filename, changed.offset).payload == HTML + b"!"


def test_dedupe_can_be_disabled_and_empty_bodies_are_never_revisits(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, dedupe=False) as arc:
        a = arc.write_response("https://a.example/1", 200, {}, HTML)
        b = arc.write_response("https://a.example/2", 200, {}, HTML)
    assert a.record_type == b.record_type == "response"
    with WarcArchive(tmp_path) as arc:
        c = arc.write_response("https://a.example/1", 204, {}, b"")
        d = arc.write_response("https://a.example/2", 204, {}, b"", duplicate_of=c.as_original())
    assert c.record_type == d.record_type == "response"


def test_warc_1_0_profiles(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, warc_version="1.0") as arc:
        first = arc.write_response("https://a.example/r", 200, {}, HTML)
        again = arc.write_response("https://a.example/r", 200, {}, HTML)
        gone = arc.write_not_modified("https://a.example/r", {}, original=first.as_original())
    records = warc_records(tmp_path / first.filename)
    assert {r[1].get("WARC-Profile") for r in records} >= {
        "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
        "http://netpreserve.org/warc/1.0/revisit/server-not-modified",
    }
    assert (
        read_record(tmp_path, again.filename, again.offset).warc_headers["WARC-Refers-To-Date"]
        == first.warc_date
    )
    assert verify(tmp_path, [(1, gone.filename, gone.offset, first.sha256)]) == []
    with open(tmp_path / first.filename, "rb") as handle:
        assert gzip.GzipFile(fileobj=handle).read(9) == b"WARC/1.0\r"


def test_not_modified_is_server_not_modified_revisit(archive: WarcArchive) -> None:
    first = archive.write_response("https://a.example/r", 200, {"ETag": '"v1"'}, HTML)
    rec = archive.write_not_modified(
        "https://a.example/r",
        {"ETag": '"v1"', "Date": "Fri, 14 Mar 2025 08:30:00 GMT"},
        request_headers={"If-None-Match": '"v1"'},
        original=first.as_original(),
    )
    assert rec.record_type == "revisit" and rec.sha256 == first.sha256
    kind, headers, payload, http = warc_records(archive.directory / rec.filename)[3]
    assert kind == "revisit" and payload == b""
    assert headers["WARC-Profile"].endswith("/revisit/server-not-modified")
    assert headers["WARC-Refers-To-Target-URI"] == "https://a.example/r"
    assert headers["WARC-Refers-To"] == first.record_id
    assert http.get_statuscode() == "304"
    req = warc_records(archive.directory / rec.filename)[4]
    assert req[3].get_header("If-None-Match") == '"v1"'
    assert verify(archive.directory, [("s", rec.filename, rec.offset, first.sha256)]) == []


def test_rotation_starts_new_file_with_own_warcinfo(tmp_path: Path) -> None:
    body = os.urandom(40_000)  # incompressible, so the size is predictable
    with WarcArchive(tmp_path, max_bytes=100_000) as arc:
        recs = [
            arc.write_response(f"https://a.example/{i}", 200, {}, body + bytes([i]))
            for i in range(5)
        ]
    files = sorted({r.filename for r in recs})
    assert len(files) >= 2 and files == sorted(arc.files)
    assert {f.rsplit("-", 1)[1] for f in files} >= {"00001.warc.gz", "00002.warc.gz"}
    for name in files:
        records = warc_records(tmp_path / name)
        assert records[0][0] == "warcinfo" and records[0][1]["WARC-Filename"] == name
        assert (tmp_path / name).stat().st_size < 100_000 + 45_000
    checks = [(i, r.filename, r.offset, r.sha256) for i, r in enumerate(recs)]
    assert verify(tmp_path, checks) == []


def test_verify_good_flipped_and_missing(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_bytes=50_000) as arc:
        big = arc.write_response("https://a.example/big", 200, {}, os.urandom(50_000))
        small = arc.write_response("https://a.example/s", 200, {}, HTML)
        other = arc.write_response("https://a.example/o", 200, {}, HTML + b"2")
        revisit = arc.write_response("https://a.example/copy", 200, {}, HTML)
    checks = [
        ("big", big.filename, big.offset, big.sha256),
        ("small", small.filename, small.offset, small.sha256),
        ("other", other.filename, other.offset, other.sha256),
        ("revisit", revisit.filename, revisit.offset, revisit.sha256),
    ]
    assert big.filename != small.filename
    assert verify(tmp_path, checks) == []

    # wrong expectations are reported, not raised
    wrong = verify(tmp_path, [("x", small.filename, small.offset, "ab" * 32)])
    assert [m.reason for m in wrong] == ["payload digest differs"]
    assert wrong[0].actual == small.sha256
    wrong = verify(tmp_path, [("r", revisit.filename, revisit.offset, "ab" * 32)])
    assert [m.reason for m in wrong] == ["revisit digest differs"]
    request_offset = small.offset + small.length
    wrong = verify(tmp_path, [("q", small.filename, request_offset, small.sha256)])
    assert wrong[0].reason.startswith("not a response record")
    wrong = verify(tmp_path, [("far", small.filename, 10**9, small.sha256)])
    assert [m.reason for m in wrong] == ["record missing"]

    # flip one byte inside the big record's gzip member (the payload's deflate data)
    path = tmp_path / big.filename
    data = bytearray(path.read_bytes())
    data[big.offset + big.length // 2] ^= 0x01
    path.write_bytes(bytes(data))
    found = verify(tmp_path, checks)
    assert [m.key for m in found] == ["big"]
    assert found[0].reason  # digest mismatch or decode error: either way a mismatch

    (tmp_path / small.filename).unlink()
    found = verify(tmp_path, checks)
    assert {m.key: m.reason for m in found} == {
        "big": found[0].reason,
        "small": "file missing",
        "other": "file missing",
        "revisit": "file missing",
    }


@pytest.mark.parametrize("position", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_any_flipped_byte_in_small_record_is_a_mismatch(tmp_path: Path, position: float) -> None:
    with WarcArchive(tmp_path) as arc:
        rec = arc.write_response("https://a.example/s", 200, {"Content-Type": "text/html"}, HTML)
    path = tmp_path / rec.filename
    data = bytearray(path.read_bytes())
    # skip the 10-byte gzip header (mtime/OS bytes are not covered by any checksum)
    index = rec.offset + 10 + int((rec.length - 10) * position)
    data[index] ^= 0x20
    path.write_bytes(bytes(data))
    found = verify(tmp_path, [(1, rec.filename, rec.offset, rec.sha256)])
    assert len(found) == 1, f"flip at {index} not detected"


def test_tampered_revisit_is_a_mismatch_not_a_crash(tmp_path: Path) -> None:
    """A revisit whose HTTP headers were edited still carries the right payload digest."""
    with WarcArchive(tmp_path) as arc:
        arc.write_response("https://a.example/s", 200, {"Content-Type": "text/html"}, HTML)
        rev = arc.write_response("https://a.example/c", 200, {"Content-Type": "text/html"}, HTML)
    assert rev.record_type == "revisit"
    path = tmp_path / rev.filename
    data = path.read_bytes()
    member = gzip.decompress(data[rev.offset : rev.offset + rev.length])
    tampered = gzip.compress(member.replace(b"text/html", b"text/htmX"))
    path.write_bytes(data[: rev.offset] + tampered + data[rev.offset + rev.length :])
    found = verify(tmp_path, [("r", rev.filename, rev.offset, rev.sha256)])
    assert [(m.key, m.reason, m.actual) for m in found] == [
        ("r", "block digest differs", rev.sha256)
    ]


def test_iter_records_lists_whole_file(archive: WarcArchive) -> None:
    a = archive.write_response("https://a.example/1", 200, {}, HTML)
    b = archive.write_response("https://a.example/2", 404, {}, b"not here", reason="Gone Away")
    listed = list(iter_records(archive.directory / a.filename))
    assert [r.record_type for r in listed] == [
        "warcinfo",
        "response",
        "request",
        "response",
        "request",
    ]
    assert (listed[1].offset, listed[1].length) == (a.offset, a.length)
    assert (listed[3].offset, listed[3].length) == (b.offset, b.length)
    assert listed[3].http_status == 404 and listed[3].payload == b"not here"
    assert all(r.block_digest_ok for r in listed)
    with pytest.raises(ArchiveError, match="missing"):
        list(iter_records(archive.directory / "nope.warc.gz"))


def test_non_http_uri_is_resource_record(archive: WarcArchive) -> None:
    rec = archive.write_response(
        "file:///srv/inbox/report.pdf", 200, {"Content-Type": "application/pdf"}, PDF
    )
    assert rec.record_type == "resource"
    stored = read_record(archive.directory, rec.filename, rec.offset)
    assert stored.payload == PDF and stored.warc_headers["Content-Type"] == "application/pdf"
    assert verify(archive.directory, [(1, rec.filename, rec.offset, rec.sha256)]) == []


def test_bytes_headers_are_kept_byte_for_byte(archive: WarcArchive) -> None:
    raw = 'attachment; filename="zvit-Київ.pdf"'.encode()
    latin = b"caf\xe9"  # not UTF-8: a server sending Latin-1
    rec = archive.write_response(
        "https://a.example/r",
        200,
        {b"Content-Disposition": [raw], b"X-Legacy": [latin], b"X-Bad": [b"a\r\nInjected: 1"]},
        HTML,
    )
    path = archive.directory / rec.filename
    with open(path, "rb") as handle:
        handle.seek(rec.offset)
        member = gzip.GzipFile(fileobj=handle).read()
    assert b"Content-Disposition: " + raw + b"\r\n" in member
    assert b"X-Legacy: caf\xe9\r\n" in member
    assert b"\r\nInjected: 1" not in member  # no header injection through a value


def test_http2_protocol_and_odd_urls(archive: WarcArchive) -> None:
    rec = archive.write_response("https://a.example/a b", 200, {}, HTML, protocol="HTTP/2")
    stored = read_record(archive.directory, rec.filename, rec.offset)
    assert stored.target_uri == "https://a.example/a%20b" == rec.target_uri
    assert stored.warc_headers["WARC-Protocol"] == "h2"
    assert stored.http_status == 200 and stored.payload == HTML


def test_close_is_idempotent_and_writes_after_close_fail(tmp_path: Path) -> None:
    arc = WarcArchive(tmp_path / "a" / "b")
    arc.open()
    rec = arc.write_response("https://a.example/", 200, {}, HTML)
    arc.close()
    arc.close()
    with pytest.raises(ArchiveError, match="closed"):
        arc.write_response("https://a.example/", 200, {}, HTML)
    assert read_record(tmp_path / "a" / "b", rec.filename, rec.offset).payload == HTML


def test_write_opens_implicitly(tmp_path: Path) -> None:
    arc = WarcArchive(tmp_path)
    rec = arc.write_response("https://a.example/", 200, {}, HTML)
    arc.close()
    assert read_record(tmp_path, rec.filename, rec.offset).payload == HTML


def test_read_record_errors(archive: WarcArchive) -> None:
    rec = archive.write_response("https://a.example/", 200, {}, HTML)
    with pytest.raises(ArchiveError, match="missing"):
        read_record(archive.directory, "absent.warc.gz", 0)
    with pytest.raises(ArchiveError):
        read_record(archive.directory, rec.filename, rec.offset + 3)


# --------------------------------------------------------------------------- failures


def dev_full_after(first: int):
    """Opener: the first *first* files are real, later ones are /dev/full (disk full)."""
    calls = {"n": 0}

    def opener(path: Path):
        calls["n"] += 1
        if calls["n"] > first:
            return open("/dev/full", "wb", buffering=0)
        return open(path, "xb", buffering=0)

    return opener


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux /dev/full")
def test_dev_full_raises_archive_error_and_keeps_previous_file(tmp_path: Path) -> None:
    arc = WarcArchive(tmp_path, max_bytes=30_000, opener=dev_full_after(1))
    arc.open()
    good = [
        arc.write_response(f"https://a.example/{i}", 200, {}, os.urandom(12_000)) for i in range(2)
    ]
    with pytest.raises(ArchiveError, match="No space left on device"):
        for i in range(5):  # the rotation onto "/dev/full" must fail loudly
            arc.write_response(f"https://a.example/x{i}", 200, {}, os.urandom(12_000))
    arc.close()
    first = tmp_path / good[0].filename
    assert next(r.record_type for r in iter_records(first)) == "warcinfo"
    assert verify(tmp_path, [(i, r.filename, r.offset, r.sha256) for i, r in enumerate(good)]) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux /dev/full")
def test_dev_full_from_the_start(tmp_path: Path) -> None:
    arc = WarcArchive(tmp_path, opener=dev_full_after(0))
    with pytest.raises(ArchiveError, match="cannot write WARC record"):
        arc.open()


class FailingFile:
    """A real file whose writes start failing after *budget* bytes (partial write first)."""

    def __init__(self, path: Path, budget: int, truncate_ok: bool = True) -> None:
        self._raw = open(path, "xb", buffering=0)  # noqa: SIM115
        self.budget = budget
        self.truncate_ok = truncate_ok

    def write(self, data) -> int:
        if self.budget <= 0:
            raise OSError(28, "No space left on device")
        chunk = bytes(data[: self.budget])
        self.budget -= len(chunk)
        return self._raw.write(chunk)

    def truncate(self, size: int) -> int:
        if not self.truncate_ok:
            raise OSError(5, "Input/output error")
        return self._raw.truncate(size)

    def seek(self, pos: int) -> int:
        return self._raw.seek(pos)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        self._raw.close()


def test_partial_write_is_truncated_away(tmp_path: Path) -> None:
    files: list[FailingFile] = []

    def opener(path: Path) -> FailingFile:
        files.append(FailingFile(path, budget=3_000))
        return files[-1]

    arc = WarcArchive(tmp_path, opener=opener)
    ok = arc.write_response("https://a.example/1", 200, {}, HTML)
    path = tmp_path / ok.filename
    size_before = path.stat().st_size
    with pytest.raises(ArchiveError, match="No space left"):
        arc.write_response("https://a.example/2", 200, {}, os.urandom(5_000))
    assert path.stat().st_size == size_before  # the half record is gone
    assert [r.record_type for r in iter_records(path)] == ["warcinfo", "response", "request"]
    files[-1].budget = 10**9  # space freed: the same file continues
    again = arc.write_response("https://a.example/3", 200, {}, b"later")
    arc.close()
    assert again.filename == ok.filename
    checks = [
        (1, ok.filename, ok.offset, ok.sha256),
        (3, again.filename, again.offset, again.sha256),
    ]
    assert verify(tmp_path, checks) == []


def test_failed_truncate_abandons_file_and_starts_new_one(tmp_path: Path) -> None:
    budgets = iter([3_000, 10**9])

    def opener(path: Path) -> FailingFile:
        return FailingFile(path, budget=next(budgets), truncate_ok=False)

    arc = WarcArchive(tmp_path, opener=opener)
    ok = arc.write_response("https://a.example/1", 200, {}, HTML)
    with pytest.raises(ArchiveError, match="starting a new file"):
        arc.write_response("https://a.example/2", 200, {}, os.urandom(5_000))
    later = arc.write_response("https://a.example/3", 200, {}, b"later")
    arc.close()
    assert later.filename != ok.filename
    assert read_record(tmp_path, ok.filename, ok.offset).payload == HTML
    assert read_record(tmp_path, later.filename, later.offset).payload == b"later"


def test_real_file_size_limit_partial_write(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse (EFBIG) half-way through a record."""
    with WarcArchive(tmp_path) as arc:
        ok = arc.write_response("https://a.example/1", 200, {}, HTML)
        path = tmp_path / ok.filename
        size_before = path.stat().st_size
        old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            resource.setrlimit(resource.RLIMIT_FSIZE, (size_before + 2_000, old_limit[1]))
            with pytest.raises(ArchiveError, match="File too large"):
                arc.write_response("https://a.example/2", 200, {}, os.urandom(10_000))
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
            signal.signal(signal.SIGXFSZ, old_handler)
        assert path.stat().st_size == size_before
        more = arc.write_response("https://a.example/3", 200, {}, b"after")
    assert (
        verify(
            tmp_path,
            [(1, ok.filename, ok.offset, ok.sha256), (3, more.filename, more.offset, more.sha256)],
        )
        == []
    )


# --------------------------------------------------------------------------- properties

TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
    min_size=1,
    max_size=20,
)
VALUE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"
    ),
    max_size=60,
).map(str.strip)
RESERVED = {"content-length", "content-encoding", "transfer-encoding"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=5_000),
    headers=st.lists(st.tuples(TOKEN, VALUE), max_size=8).map(
        lambda hs: [(k, v) for k, v in hs if k.lower() not in RESERVED]
    ),
    status=st.sampled_from([200, 201, 206, 301, 404, 410, 500, 599]),
)
def test_arbitrary_bodies_and_headers_round_trip(tmp_path_factory, body, headers, status) -> None:
    directory = tmp_path_factory.mktemp("prop")
    with WarcArchive(directory, dedupe=False) as arc:
        rec = arc.write_response("https://prop.example/x?y=1", status, headers, body)
    with open(directory / rec.filename, "rb") as handle:
        handle.seek(rec.offset)
        record = next(iter(ArchiveIterator(handle)))
        payload = record.content_stream().read()
        http_headers = record.http_headers.headers
        assert record.http_headers.get_statuscode() == str(status)
    assert payload == body
    assert hashlib.sha256(payload).hexdigest() == rec.sha256
    assert http_headers[: len(headers)] == headers
    assert verify(directory, [(0, rec.filename, rec.offset, rec.sha256)]) == []


def test_digest_spellings() -> None:
    raw = hashlib.sha256(b"abc").digest()
    hexed = raw.hex()
    assert digest_to_hex("sha256:" + base64.b32encode(raw).decode()) == hexed
    assert digest_to_hex("sha256:" + base64.b32encode(raw).decode().rstrip("=")) == hexed
    assert digest_to_hex("sha256:" + hexed.upper()) == hexed
    assert digest_to_hex("sha256:" + base64.b64encode(raw).decode()) == hexed
    assert digest_to_hex("SHA-256:" + base64.urlsafe_b64encode(raw).decode()) == hexed
    assert digest_to_hex(hexed) == hexed
    assert digest_to_hex("sha1:" + base64.b32encode(raw[:20]).decode()) is None
    assert digest_to_hex("sha256:nonsense") is None


def test_two_thousand_pages_all_read_back(tmp_path: Path) -> None:
    """Many records in one file stay individually addressable (speed: see make bench)."""
    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "extraction"))
    try:
        from bench_pages import make_pages
    finally:
        sys.path.pop(0)
    pages = make_pages(200)
    headers = {"Content-Type": "text/html; charset=utf-8", "Server": "nginx"}
    written = []
    with WarcArchive(tmp_path, dedupe=False) as arc:
        for i in range(2_000):
            url, body = pages[i % 200]
            written.append(arc.write_response(f"{url}?n={i}", 200, headers, body + str(i).encode()))
    assert verify(tmp_path, ((r.offset, r.filename, r.offset, r.sha256) for r in written)) == []


def test_archives_opened_in_the_same_millisecond_never_share_a_file(tmp_path: Path) -> None:
    """Ingest and crawl stages can open archives back to back in one process."""
    archives = [WarcArchive(tmp_path) for _ in range(20)]
    for archive in archives:
        archive.open()
    names = [archive.current_filename for archive in archives]
    for archive in archives:
        archive.close()
    assert len(set(names)) == len(names)
    assert len(list(tmp_path.glob("*.warc.gz"))) == 20
