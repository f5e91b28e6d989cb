"""Byte-for-byte WARC archive of everything the crawler fetches, with SHA-256 payload digests.

Why: archivists must be able to prove a quote after the source edits or deletes it, so every
fetched response (HTML, PDF, feeds, sitemaps) is kept as a WARC request + response pair that
any standard reader (warcio, pywb, `warcio check`) can open, and the caller stores the payload
SHA-256, file name and offset of each record in the database.

What is stored, and why it differs from the raw wire bytes
-----------------------------------------------------------
The body handed to :meth:`WarcArchive.write_response` is what the HTTP client delivered, i.e.
already content-decoded (Scrapy removes gzip/br and chunking).  Storing it under the server's
``Content-Encoding: gzip`` or ``Transfer-Encoding: chunked`` headers would make every WARC
reader try to decode it a second time and fail, so those headers are renamed to
``X-Archive-Orig-Content-Encoding`` / ``X-Archive-Orig-Transfer-Encoding`` (the pywb
convention), ``Content-Length`` is set to the length of the stored body and the server's value
is kept as ``X-Archive-Orig-Content-Length`` when it differed.  Every other header is stored
exactly as given: ``bytes`` names and values (e.g. Scrapy's ``response.headers``) byte-for-byte,
``str`` ones UTF-8 encoded.  CR, LF and NUL inside a header are replaced by a space because they
would end the header block early.  HTTP/2 and HTTP/3 responses are written with an
``HTTP/1.1`` status line (no WARC reader parses anything else) plus ``WARC-Protocol: h2``.

Digests
-------
``WARC-Payload-Digest`` and ``WARC-Block-Digest`` are ``sha256:<BASE32>`` (RFC 4648 base32,
upper case, with ``=`` padding): the same spelling warcio's own ``Digester("sha256")`` produces,
so ``warcio check`` verifies them.  We compute them ourselves; warcio's writer would add SHA-1
digests.  :func:`digest_to_hex` turns any ``sha256:`` digest (base32, hex or base64) into the
lower-case hex that the database stores, which is also what :class:`ArchiveRecord` reports.

Records are WARC/1.1 by default (``warc_version="1.0"`` for old tools); WARC-Date has whole
seconds, so dates stored as ``isoformat(timespec="seconds")`` match it exactly.

Deduplication
-------------
A payload that is identical to one already archived is written as a ``revisit`` record
(profile *identical-payload-digest*) that keeps the HTTP headers but not the body; a 304 Not
Modified becomes a revisit with the *server-not-modified* profile.  The caller passes the
:class:`Original` it found in the database (``duplicate_of=``); within one writer session the
archive also remembers what it wrote itself.  An ``Original`` whose digest does not match the
body is ignored and the full response is written: a wrong lookup must never lose bytes.

Robustness
----------
Each request + response pair is serialised and gzip-compressed (one gzip member per record,
so readers can seek to an offset) in memory and appended to the file with a single write
loop.  If any write fails (disk full, I/O error), the file is truncated back to its previous
end and :class:`ArchiveError` is raised, so no half record is ever left for a reader to choke
on; if even the truncation fails, the file is closed and the next record starts a new file.
Writes go straight to the file descriptor (no userspace buffer that could be flushed later
out of order); ``fsync`` happens on rotation and on close, not per record.

Exceptions: :class:`ArchiveError` for everything this module raises on purpose.
Not thread-safe across processes (one writer per crawl), but a lock serialises threads.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import http
import io
import os
import re
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeadersParser

__all__ = [
    "ArchiveError",
    "ArchiveRecord",
    "Mismatch",
    "Original",
    "StoredRecord",
    "WarcArchive",
    "digest_to_hex",
    "iter_records",
    "payload_sha256",
    "read_record",
    "sha256_digest",
    "verify",
]

HeadersLike = Mapping[Any, Any] | Iterable[tuple[Any, Any]]

_PROFILES = {
    "WARC/1.0": (
        "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
        "http://netpreserve.org/warc/1.0/revisit/server-not-modified",
    ),
    "WARC/1.1": (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
        "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
    ),
}
_CONFORMS_TO = {
    "WARC/1.0": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
    "WARC/1.1": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
}
_HTTP_SCHEMES = ("http", "https")
_BAD_NAME = re.compile(rb"[\x00-\x20\x7f:]")
_BAD_VALUE = re.compile(rb"[\r\n\x00]+")
_BAD_URI = re.compile(r"[\x00-\x20\x7f]")
# Headers that describe a transformation the stored body no longer has.
_RENAMED = (b"content-encoding", b"transfer-encoding")


class ArchiveError(Exception):
    """Writing to or reading from the WARC archive failed; the message says where and why."""


@dataclass(frozen=True)
class Original:
    """The archived response a revisit record points at."""

    uri: str
    date: str  # WARC-Date of the original record (ISO 8601, Z)
    sha256: str  # hex SHA-256 of its payload
    record_id: str | None = None


@dataclass(frozen=True)
class ArchiveRecord:
    """Where a fetched response was stored; the caller keeps these fields in the database."""

    filename: str  # WARC file name relative to the archive directory
    offset: int  # byte offset of the gzip member holding the response/revisit record
    length: int  # compressed length of that member
    sha256: str  # hex SHA-256 of the HTTP payload (the body as delivered)
    record_type: str  # "response" | "revisit" | "resource" (non-HTTP URIs)
    record_id: str  # WARC-Record-ID
    refers_to: str | None = None  # for revisits: the original's target URI
    target_uri: str | None = None
    warc_date: str | None = None
    original: Original | None = None  # for revisits: the full Original pointed at

    def as_original(self) -> Original:
        """What a later identical fetch should point at: the original, never a revisit."""
        if self.original is not None:
            return self.original
        return Original(
            uri=self.target_uri or "",
            date=self.warc_date or "",
            sha256=self.sha256,
            record_id=self.record_id,
        )


@dataclass(frozen=True)
class StoredRecord:
    """One record read back from a WARC file."""

    filename: str
    offset: int
    length: int
    record_type: str
    target_uri: str | None
    warc_headers: dict[str, str]
    http_status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes
    block_digest_ok: bool | None = None  # None: no sha256 block digest to check
    problems: tuple[str, ...] = ()  # structural warnings warcio printed while reading it

    @property
    def payload_sha256(self) -> str:
        """Hex SHA-256 of the stored payload bytes."""
        return payload_sha256(self.payload)

    @property
    def payload_digest(self) -> str | None:
        """The record's WARC-Payload-Digest as hex (None if absent or not SHA-256)."""
        value = self.warc_headers.get("WARC-Payload-Digest")
        return digest_to_hex(value) if value else None


@dataclass(frozen=True)
class Mismatch:
    """A stored SHA-256 that the archive no longer proves."""

    key: Any
    filename: str
    offset: int
    expected: str
    actual: str | None
    reason: str


# --------------------------------------------------------------------------- digests


def payload_sha256(body: bytes) -> str:
    """Hex SHA-256 of a payload: the value the database stores and compares."""
    return hashlib.sha256(body).hexdigest()


def sha256_digest(hexdigest: str) -> str:
    """Spell a hex SHA-256 as a WARC digest header value: ``sha256:<BASE32>``."""
    return "sha256:" + base64.b32encode(bytes.fromhex(hexdigest)).decode("ascii")


def digest_to_hex(value: str) -> str | None:
    """Hex form of a ``sha256:`` WARC digest in base32, hex or base64; None otherwise.

    Also accepts a bare 64-character hex string, so callers can pass either spelling.
    """
    algo, sep, encoded = value.strip().partition(":")
    if not sep:
        algo, encoded = "sha256", algo
    if algo.lower().replace("-", "") != "sha256":
        return None
    encoded = encoded.strip()
    raw: bytes | None = None
    try:
        if len(encoded) == 64:
            raw = bytes.fromhex(encoded)
        elif len(encoded) in (52, 56):
            raw = base64.b32decode(encoded.upper().rstrip("=") + "====")
        elif len(encoded) in (43, 44):
            alt = b"-_" if ("-" in encoded or "_" in encoded) else None
            raw = base64.b64decode(encoded.rstrip("=") + "=", altchars=alt, validate=True)
    except (ValueError, binascii.Error):
        return None
    if raw is None or len(raw) != 32:
        return None
    return raw.hex()


# --------------------------------------------------------------------------- serialising


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def _header_pairs(headers: HeadersLike | None) -> list[tuple[bytes, bytes]]:
    """Flatten a mapping (values may be lists, as in Scrapy's Headers) or a list of pairs."""
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs: list[tuple[bytes, bytes]] = []
    for name, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        bname = _BAD_NAME.sub(b"-", _to_bytes(name).strip())
        if not bname:
            continue
        for item in values:
            pairs.append((bname, _BAD_VALUE.sub(b" ", _to_bytes(item)).strip(b" \t")))
    return pairs


def _response_headers(
    pairs: list[tuple[bytes, bytes]], body_length: int | None
) -> list[tuple[bytes, bytes]]:
    """Rename encodings the body no longer has and make Content-Length true (see docstring)."""
    out: list[tuple[bytes, bytes]] = []
    length_at: int | None = None
    for name, value in pairs:
        lower = name.lower()
        if lower in _RENAMED:
            out.append((b"X-Archive-Orig-" + name, value))
        elif lower == b"content-length" and body_length is not None:
            if length_at is None:
                length_at = len(out)
                out.append((b"Content-Length", str(body_length).encode()))
            if value != str(body_length).encode():
                out.append((b"X-Archive-Orig-" + name, value))
        else:
            out.append((name, value))
    if body_length is not None and length_at is None:
        out.append((b"Content-Length", str(body_length).encode()))
    return out


def _header_block(first_line: str, pairs: list[tuple[bytes, bytes]]) -> bytes:
    lines = [_BAD_VALUE.sub(b" ", first_line.encode("utf-8"))]
    lines.extend(name + b": " + value for name, value in pairs)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _safe_uri(url: str) -> str:
    """WARC-Target-URI may not contain whitespace or controls; percent-encode just those."""
    return _BAD_URI.sub(lambda m: f"%{ord(m.group()):02X}", url.strip())


def _protocol(protocol: str) -> tuple[str, str | None]:
    """Status-line protocol plus the WARC-Protocol value for anything that is not HTTP/1.x."""
    upper = protocol.strip().upper()
    if upper in ("HTTP/1.0", "HTTP/1.1"):
        return upper, None
    known = {"HTTP/2": "h2", "HTTP/2.0": "h2", "H2": "h2", "HTTP/3": "h3", "H3": "h3"}
    return "HTTP/1.1", known.get(upper, _one_line(protocol).lower() or None)


def _warc_date(when: datetime | None) -> str:
    """WARC-Date to the second (valid in 1.0 and 1.1).

    Whole seconds, truncated, so a date the caller stored as ``isoformat(timespec="seconds")``
    is byte-identical to the WARC-Date, and WARC-Refers-To-Date built from the database
    matches the original record exactly.
    """
    when = when or datetime.now(UTC)
    if when.tzinfo is None:  # Scrapy and most callers use naive UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _record(version: str, headers: list[tuple[str, str]], block: Iterable[bytes]) -> bytes:
    """Uncompressed WARC record: header lines, Content-Length, block, two CRLFs.

    Header values must already be single-line (callers pass caller-supplied text through
    :func:`_one_line` or :func:`_safe_uri`).
    """
    parts = list(block)
    length = sum(len(p) for p in parts)
    head = [version]
    head.extend(f"{name}: {value}" for name, value in headers)
    head.append(f"Content-Length: {length}")
    return b"".join([("\r\n".join(head) + "\r\n\r\n").encode("utf-8"), *parts, b"\r\n\r\n"])


def _common_headers(record_id: str, date: str, url: str, ip_address: str | None,
                    warc_protocol: str | None) -> list[tuple[str, str]]:
    """The WARC headers every response or revisit record starts with."""
    common = [("WARC-Record-ID", record_id), ("WARC-Date", date), ("WARC-Target-URI", url)]
    if ip_address:
        common.append(("WARC-IP-Address", _one_line(ip_address)))
    if warc_protocol:
        common.append(("WARC-Protocol", warc_protocol))
    return common


def _gzip(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def _block_digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return sha256_digest(digest.hexdigest())


# --------------------------------------------------------------------------- writer


def _default_opener(path: Path) -> BinaryIO:
    # Unbuffered: every byte we hand over is in the kernel, so a failed write can be undone
    # by truncation and a later flush can never append a stale half record.
    return open(path, "xb", buffering=0)


class WarcArchive:
    """One writer per crawl; files named <prefix>-<UTC timestamp>-<pid>-<serial>.warc.gz,
    rotated at max_bytes.

    ``opener`` (path -> unbuffered binary file) exists so tests can substitute a failing
    device such as ``/dev/full``.  ``dedupe`` makes identical payloads within this session
    revisits even when the caller passes no ``duplicate_of``.
    """

    def __init__(
        self,
        directory: str | Path,
        prefix: str = "rightswatch",
        max_bytes: int = 1_000_000_000,
        software: str = "rightswatch",
        *,
        warc_version: str = "1.1",
        compress_level: int = 3,
        dedupe: bool = True,
        opener: Callable[[Path], BinaryIO] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.software = software
        self.version = warc_version if warc_version.startswith("WARC/") else f"WARC/{warc_version}"
        if self.version not in _PROFILES:
            raise ValueError(f"unsupported WARC version {warc_version!r} (use 1.0 or 1.1)")
        self.compress_level = compress_level
        self.dedupe = dedupe
        self._opener = opener or _default_opener
        self._lock = threading.RLock()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._size = 0
        self._records_in_file = 0
        self._warcinfo_id: str | None = None
        self._serial = 0
        self._opened = False
        self._closed = False
        self._seen: dict[str, Original] = {}
        self.files: list[str] = []  # names of every file this writer created

    # -- lifecycle

    def open(self) -> None:
        """Create the directory and the first file (which starts with a warcinfo record)."""
        with self._lock:
            if self._closed:
                raise ArchiveError("archive writer is closed")
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiveError(
                    f"cannot create archive directory {self.directory}: {exc}"
                ) from exc
            self._opened = True
            if self._file is None:
                self._start_file()

    def close(self) -> None:
        """Flush, fsync and close the current file; safe to call more than once."""
        with self._lock:
            self._closed = True
            self._finish_file()

    def __enter__(self) -> WarcArchive:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def current_filename(self) -> str | None:
        return self._path.name if self._path else None

    def _start_file(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        for _ in range(1000):
            self._serial += 1
            name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}.warc.gz"
            path = self.directory / name
            try:
                handle = self._opener(path)
                break
            except FileExistsError:
                # Another archive of this process opened a file in the same millisecond:
                # files are never overwritten, so take the next serial number.
                continue
            except OSError as exc:
                raise ArchiveError(f"cannot create WARC file {path}: {exc}") from exc
        else:
            raise ArchiveError(f"cannot find a free WARC file name in {self.directory}")
        self._file, self._path, self._size, self._records_in_file = handle, path, 0, 0
        self.files.append(name)
        self._warcinfo_id = _record_id()
        fields = (
            f"software: {_one_line(self.software)}\r\n"
            f"format: WARC File Format {self.version[5:]}\r\n"
            f"conformsTo: {_CONFORMS_TO[self.version]}\r\n"
            f"isPartOf: {_one_line(self.prefix)}\r\n"
            "description: fetched responses, bodies content-decoded (see X-Archive-Orig-*)\r\n"
        ).encode()
        info = _record(
            self.version,
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", self._warcinfo_id),
                ("WARC-Date", _warc_date(None)),
                ("WARC-Filename", name),
                ("WARC-Block-Digest", _block_digest(fields)),
                ("Content-Type", "application/warc-fields"),
            ],
            [fields],
        )
        try:
            self._append(_gzip(info, self.compress_level))
        except ArchiveError:
            self._abandon_file(remove_if_empty=True)
            raise

    def _finish_file(self) -> None:
        handle, path = self._file, self._path
        self._file = None
        if handle is None:
            return
        error: BaseException | None = None
        try:
            if hasattr(handle, "flush"):
                handle.flush()
            os.fsync(handle.fileno())
        except (OSError, ValueError, io.UnsupportedOperation) as exc:
            error = exc
        finally:
            try:
                handle.close()
            except OSError as exc:
                error = error or exc
        try:  # make the new directory entry durable too
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass
        if error is not None:
            raise ArchiveError(f"cannot flush WARC file {path}: {error}") from error

    def _abandon_file(self, *, remove_if_empty: bool = False) -> None:
        """Drop a file we can no longer trust; the next record starts a new one."""
        handle, path = self._file, self._path
        self._file = None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        if remove_if_empty and path is not None:
            try:
                if path.stat().st_size == 0:
                    path.unlink()
                    self.files.remove(path.name)
            except (OSError, ValueError):
                pass

    def _append(self, data: bytes) -> int:
        """Append *data* in one go; on failure undo the partial write and raise ArchiveError."""
        handle = self._file
        assert handle is not None
        offset = self._size
        try:
            view = memoryview(data)
            while view:
                written = handle.write(view)
                if not written:
                    raise OSError("write returned no progress")
                view = view[written:]
            if not isinstance(handle, io.RawIOBase):
                handle.flush()
        except Exception as exc:
            message = f"cannot write WARC record to {self._path}: {_describe(exc)}"
            try:
                handle.truncate(offset)
                handle.seek(offset)
            except Exception:
                self._abandon_file()
                message += "; could not truncate the partial record, starting a new file"
            raise ArchiveError(message) from exc
        self._size += len(data)
        self._records_in_file += 1
        return offset

    def _write(self, records: list[bytes]) -> tuple[str, int, int]:
        """Compress and append records as one write; returns file name, offset, first length."""
        members = [_gzip(r, self.compress_level) for r in records]
        data = b"".join(members)
        with self._lock:
            if self._closed:
                raise ArchiveError("archive writer is closed")
            if not self._opened:
                self.open()
            if self._file is None:
                self._start_file()
            elif self._records_in_file > 1 and self._size + len(data) > self.max_bytes:
                self._finish_file()
                self._start_file()
            assert self._path is not None
            offset = self._append(data)
            return self._path.name, offset, len(members[0])

    # -- records

    def _request_record(
        self,
        url: str,
        method: str,
        request_headers: HeadersLike | None,
        concurrent_to: str,
        date: str,
    ) -> bytes:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pairs = _header_pairs(request_headers)
        if not any(name.lower() == b"host" for name, _ in pairs) and parts.netloc:
            pairs.insert(0, (b"Host", parts.netloc.rsplit("@", 1)[-1].encode("utf-8")))
        block = _header_block(f"{method.upper()} {_safe_uri(target)} HTTP/1.1", pairs)
        return _record(
            self.version,
            [
                ("WARC-Type", "request"),
                ("WARC-Record-ID", _record_id()),
                ("WARC-Date", date),
                ("WARC-Target-URI", url),
                ("WARC-Concurrent-To", concurrent_to),
                ("WARC-Block-Digest", _block_digest(block)),
                ("Content-Type", "application/http; msgtype=request"),
            ],
            [block],
        )

    def write_response(
        self,
        url: str,
        status: int,
        headers: HeadersLike,
        body: bytes,
        *,
        request_headers: HeadersLike | None = None,
        method: str = "GET",
        fetched_at: datetime | None = None,
        duplicate_of: Original | None = None,
        protocol: str = "HTTP/1.1",
        reason: str | None = None,
        ip_address: str | None = None,
    ) -> ArchiveRecord:
        """Archive one fetched response (+ its request); a known payload becomes a revisit.

        Non-HTTP URIs (e.g. ``file:`` documents ingested by hand) are stored as ``resource``
        records, because WARC readers only parse HTTP headers for http(s) URIs.
        """
        body = bytes(body)
        url = _safe_uri(url)
        sha = payload_sha256(body)
        date = _warc_date(fetched_at)
        record_id = _record_id()
        if urlsplit(url).scheme.lower() not in _HTTP_SCHEMES:
            return self._write_resource(url, headers, body, sha, date, record_id)

        original = None
        if duplicate_of is not None and digest_to_hex(duplicate_of.sha256) == sha:
            original = duplicate_of
        elif self.dedupe and body:
            original = self._seen.get(sha)
        if not body:
            original = None  # a revisit would save nothing

        status_proto, warc_protocol = _protocol(protocol)
        phrase = reason if reason is not None else _reason(status)
        pairs = _response_headers(_header_pairs(headers), len(body))
        http_head = _header_block(f"{status_proto} {int(status)} {phrase}".rstrip(), pairs)
        common = _common_headers(record_id, date, url, ip_address, warc_protocol)

        if original is None:
            record = _record(
                self.version,
                [
                    ("WARC-Type", "response"),
                    *common,
                    ("WARC-Payload-Digest", sha256_digest(sha)),
                    ("WARC-Block-Digest", _block_digest(http_head, body)),
                    ("Content-Type", "application/http; msgtype=response"),
                ],
                [http_head, body],
            )
            rec_type = "response"
        else:
            record = self._revisit_record(common, http_head, original, not_modified=False)
            rec_type = "revisit"
        request = self._request_record(url, method, request_headers, record_id, date)
        filename, offset, length = self._write([record, request])
        result = ArchiveRecord(
            filename=filename,
            offset=offset,
            length=length,
            sha256=sha,
            record_type=rec_type,
            record_id=record_id,
            refers_to=original.uri if original else None,
            target_uri=url,
            warc_date=date,
            original=original,
        )
        if original is None and body and self.dedupe:
            self._seen.setdefault(sha, result.as_original())
        return result

    def write_not_modified(
        self,
        url: str,
        headers: HeadersLike,
        *,
        request_headers: HeadersLike | None = None,
        fetched_at: datetime | None = None,
        original: Original,
        protocol: str = "HTTP/1.1",
        ip_address: str | None = None,
    ) -> ArchiveRecord:
        """Archive a 304 Not Modified as a revisit (server-not-modified) of *original*."""
        url = _safe_uri(url)
        date = _warc_date(fetched_at)
        record_id = _record_id()
        sha = digest_to_hex(original.sha256)
        if sha is None:
            raise ArchiveError(f"original of {url} has no usable SHA-256: {original.sha256!r}")
        status_proto, warc_protocol = _protocol(protocol)
        pairs = _response_headers(_header_pairs(headers), None)
        http_head = _header_block(f"{status_proto} 304 Not Modified", pairs)
        common = _common_headers(record_id, date, url, ip_address, warc_protocol)
        original = Original(original.uri, original.date, sha, original.record_id)
        record = self._revisit_record(common, http_head, original, not_modified=True)
        request = self._request_record(url, "GET", request_headers, record_id, date)
        filename, offset, length = self._write([record, request])
        return ArchiveRecord(
            filename=filename,
            offset=offset,
            length=length,
            sha256=sha,
            record_type="revisit",
            record_id=record_id,
            refers_to=original.uri,
            target_uri=url,
            warc_date=date,
            original=original,
        )

    def _revisit_record(
        self,
        common: list[tuple[str, str]],
        http_head: bytes,
        original: Original,
        *,
        not_modified: bool,
    ) -> bytes:
        identical, unmodified = _PROFILES[self.version]
        headers = [
            ("WARC-Type", "revisit"),
            *common,
            ("WARC-Profile", unmodified if not_modified else identical),
            ("WARC-Refers-To-Target-URI", _safe_uri(original.uri)),
            ("WARC-Refers-To-Date", _one_line(original.date)),
        ]
        if original.record_id:
            headers.append(("WARC-Refers-To", _one_line(original.record_id)))
        headers += [
            ("WARC-Payload-Digest", sha256_digest(digest_to_hex(original.sha256) or "")),
            ("WARC-Block-Digest", _block_digest(http_head)),
            ("Content-Type", "application/http; msgtype=response"),
        ]
        return _record(self.version, headers, [http_head])

    def _write_resource(
        self, url: str, headers: HeadersLike, body: bytes, sha: str, date: str, record_id: str
    ) -> ArchiveRecord:
        content_type = "application/octet-stream"
        for name, value in _header_pairs(headers):
            if name.lower() == b"content-type" and value:
                content_type = value.decode("utf-8", "replace")
        record = _record(
            self.version,
            [
                ("WARC-Type", "resource"),
                ("WARC-Record-ID", record_id),
                ("WARC-Date", date),
                ("WARC-Target-URI", url),
                ("WARC-Payload-Digest", sha256_digest(sha)),
                ("WARC-Block-Digest", sha256_digest(sha)),
                ("Content-Type", content_type),
            ],
            [body],
        )
        filename, offset, length = self._write([record])
        return ArchiveRecord(
            filename=filename,
            offset=offset,
            length=length,
            sha256=sha,
            record_type="resource",
            record_id=record_id,
            target_uri=url,
            warc_date=date,
        )


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(int(status)).phrase
    except ValueError:
        return ""


def _describe(exc: BaseException) -> str:
    """One short line: warcio puts whole chunks of binary garbage into its messages."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} (errno {exc.errno})"
    text = " ".join((str(exc) or type(exc).__name__).split())
    return text if len(text) <= 160 else text[:157] + "..."


# --------------------------------------------------------------------------- reading


def _parse_record(filename: str, it: ArchiveIterator, record: Any) -> StoredRecord:
    if record.format != "warc":
        # warcio falls back to reading undecodable bytes as a headerless ARC record, which
        # would make garbage at a wrong offset look like a "response".
        raise ArchiveError(f"no WARC record at {filename}:{it.offset} (found {record.format})")
    block = record.raw_stream.read()
    # Consume the rest of the gzip member: this is where zlib checks the CRC.  warcio reports
    # a record whose Content-Length does not end at the member's end by printing to stderr;
    # capture that instead, because it means the record is damaged.
    warnings = io.StringIO()
    with contextlib.redirect_stderr(warnings):
        it.read_to_end()
    problems = tuple(
        " ".join(line.split())[:160] for line in warnings.getvalue().splitlines()[:2] if line
    )
    offset, length = it.get_record_offset(), it.get_record_length()
    rec_headers = record.rec_headers
    warc_headers: dict[str, str] = {}
    for name, value in rec_headers.headers:
        warc_headers.setdefault(name, value)
    rec_type = record.rec_type
    uri = rec_headers.get_header("WARC-Target-URI")

    block_ok = None
    expected_block = digest_to_hex(warc_headers.get("WARC-Block-Digest") or "")
    if expected_block:
        block_ok = hashlib.sha256(block).hexdigest() == expected_block

    status: int | None = None
    http_headers: list[tuple[str, str]] = []
    payload = block
    is_http = uri is not None and urlsplit(uri).scheme.lower() in _HTTP_SCHEMES
    if rec_type in ("response", "revisit", "request") and is_http and block:
        stream = io.BytesIO(block)
        parsed = StatusAndHeadersParser([], verify=False).parse(stream)
        http_headers = list(parsed.headers)
        payload = block[stream.tell() :]
        if rec_type != "request":
            try:
                status = int(parsed.get_statuscode())
            except (TypeError, ValueError):
                status = None
    return StoredRecord(
        filename=filename,
        offset=offset,
        length=length,
        record_type=rec_type,
        target_uri=uri,
        warc_headers=warc_headers,
        http_status=status,
        http_headers=http_headers,
        payload=payload,
        block_digest_ok=block_ok,
        problems=problems,
    )


def _read_at(handle: BinaryIO, filename: str, offset: int) -> StoredRecord:
    handle.seek(offset)
    it = ArchiveIterator(handle, no_record_parse=True)
    try:
        record = next(it)
    except StopIteration:
        raise ArchiveError(f"no WARC record at {filename}:{offset}") from None
    return _parse_record(filename, it, record)


def read_record(directory: str | Path, filename: str, offset: int) -> StoredRecord:
    """Read the record stored at *offset* in *filename*; ArchiveError if it is unreadable."""
    path = Path(directory) / filename
    try:
        with open(path, "rb") as handle:
            return _read_at(handle, filename, offset)
    except ArchiveError:
        raise
    except FileNotFoundError as exc:
        raise ArchiveError(f"WARC file missing: {path}") from exc
    except Exception as exc:
        raise ArchiveError(f"unreadable WARC record at {path}:{offset}: {_describe(exc)}") from exc


def iter_records(path: str | Path) -> Iterator[StoredRecord]:
    """Every record of one WARC file, in order, with its offset and compressed length."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            it = ArchiveIterator(handle, no_record_parse=True)
            for record in it:
                yield _parse_record(path.name, it, record)
    except FileNotFoundError as exc:
        raise ArchiveError(f"WARC file missing: {path}") from exc
    except ArchiveError:
        raise
    except Exception as exc:
        raise ArchiveError(f"unreadable WARC file {path}: {_describe(exc)}") from exc


def _check(
    key: Any, filename: str, offset: int, expected: str, record: StoredRecord
) -> Mismatch | None:
    want = digest_to_hex(expected) or expected.lower()

    def bad(actual: str | None, reason: str) -> Mismatch:
        return Mismatch(key, filename, offset, expected, actual, reason)

    actual: str | None  # the digest the record proves, reported with later problems too
    if record.record_type in ("response", "resource"):
        actual = record.payload_sha256
        if actual != want:
            return bad(actual, "payload digest differs")
        if record.payload_digest is not None and record.payload_digest != actual:
            return bad(record.payload_digest, "payload digest header differs")
    elif record.record_type == "revisit":
        actual = record.payload_digest
        if actual != want:
            return bad(actual, "revisit digest differs")
    else:
        return bad(None, f"not a response record ({record.record_type})")
    if record.block_digest_ok is False:
        return bad(actual, "block digest differs")
    if record.problems:
        return bad(actual, f"malformed record: {record.problems[0]}")
    return None


def verify(directory: str | Path, records: Iterable[tuple[Any, str, int, str]]) -> list[Mismatch]:
    """Recompute stored SHA-256 digests against the WARC files; returns only the failures.

    *records* are ``(key, filename, offset, sha256)``; *key* is echoed back (e.g. a snapshot
    id).  Unreadable or corrupt records are reported as mismatches, never raised.
    """
    directory = Path(directory)
    by_file: dict[str, list[tuple[Any, int, str]]] = {}
    for key, filename, offset, sha in records:
        by_file.setdefault(filename, []).append((key, offset, sha))
    mismatches: list[Mismatch] = []
    for filename, items in by_file.items():
        path = directory / filename
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            reason = (
                "file missing" if isinstance(exc, FileNotFoundError) else f"file unreadable: {exc}"
            )
            mismatches.extend(Mismatch(k, filename, o, s, None, reason) for k, o, s in items)
            continue
        with handle:
            size = os.fstat(handle.fileno()).st_size
            for key, offset, sha in sorted(items, key=lambda item: item[1]):
                if offset < 0 or offset >= size:
                    mismatches.append(Mismatch(key, filename, offset, sha, None, "record missing"))
                    continue
                try:
                    record = _read_at(handle, filename, offset)
                except Exception as exc:
                    reason = f"unreadable record: {_describe(exc)}"
                    if isinstance(exc, ArchiveError):
                        reason = "record missing"
                    mismatches.append(Mismatch(key, filename, offset, sha, None, reason))
                    continue
                problem = _check(key, filename, offset, sha, record)
                if problem is not None:
                    mismatches.append(problem)
    return mismatches
