"""Clean text and metadata (title, publication date, language) from a fetched document.

Why this exists: the figure extractor and the differ need the *main text* of a report, not
the site's menus, sidebars, share buttons, comments or "related posts" (those change on every
fetch and would raise false "report.edited" events), together with its title, publication
date and language (which picks the en/uk/ru lexicon).

How, and what it costs
----------------------
* HTML: bytes are decoded once here (BOM > HTTP charset > ``<meta>`` charset > detection, via
  ``w3lib.encoding.html_to_unicode``; the HTML spec gives the HTTP header priority over
  ``<meta>``), parsed once with trafilatura's own loader, and that one lxml tree serves both
  the main-text extraction (``trafilatura.bare_extraction`` with ``fast=True``: the
  readability/jusText fallbacks double the cost and did not change the result on WordPress
  pages) and a *reduced* metadata pass (meta tags, JSON-LD, title, htmldate without the
  free-text date search, which tends to pick up dates of events mentioned in a report).
  Author, site name, categories and tags are not extracted: we don't use them and they cost
  about a third of trafilatura's metadata time.  Net effect: ``extract_html`` is faster than
  a bare ``trafilatura.extract(body)`` on the same bytes (see
  ``tests/fixtures/extraction/bench_pages.py``).
* Language: the page's declaration (``<html lang>``, ``og:locale``, ``Content-Language``)
  unless the letters of the extracted text clearly say otherwise among en/uk/ru: WordPress
  themes often declare ``en-US`` for Ukrainian or Russian content, and a wrong language means
  the wrong figure lexicon.
* PDF: pypdfium2, every page's text, pages joined by a blank line; all pdfium objects are
  closed explicitly because they hold native memory outside Python's accounting.

Errors
------
Malformed HTML never raises: the result may simply have ``text == ''``.
:class:`ExtractionError` is raised only when the input is not a document we can read at all
(empty body, binary data, corrupt or password-protected PDF, unsupported type), with a
message that says what failed and why.

Everything here is a module-level function returning plain frozen dataclasses, so it can run
in a ``ProcessPoolExecutor`` worker.  Not thread-safe for PDFs (pdfium is not); use processes.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html
from w3lib.encoding import html_to_unicode, http_content_type_encoding, read_bom

from rightswatch.lang import SUPPORTED, detect_language, normalize_lang

try:  # the pieces of trafilatura.metadata.extract_metadata that we need, without the rest
    from htmldate import find_date
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title

    _REDUCED_METADATA = True
except ImportError:  # pragma: no cover - trafilatura reorganised; fall back to the full pass
    from trafilatura.metadata import extract_metadata

    _REDUCED_METADATA = False

__all__ = [
    "Document",
    "ExtractionError",
    "decode_html",
    "extract_document",
    "extract_html",
    "extract_pdf",
    "extract_text",
    "sniff_kind",
]


@dataclass(frozen=True)
class Document:
    """What the rest of the pipeline needs from a fetched document."""

    kind: str  # "html" | "pdf" | "text"
    text: str  # clean main text, paragraphs separated by "\n" ('' when nothing was found)
    title: str | None
    published_at: str | None  # 'YYYY-MM-DD'
    lang: str | None  # ISO 639-1
    encoding: str | None  # codec used to decode HTML/text (Python codec name)


class ExtractionError(Exception):
    """The input is not a document we can extract text from; the message says why."""


# --------------------------------------------------------------------------- sniffing

_PDF_MAGIC = b"%PDF-"
_BINARY_MAGICS = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\xd0\xcf\x11\xe0",
    b"RIFF",
    b"OggS",
    b"\x00\x00\x01\x00",
    b"7z\xbc\xaf",
    b"Rar!",
    b"BZh",
)
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TYPES = {"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"}
_PDF_TYPES = {"application/pdf", "application/x-pdf", "application/acrobat"}
_TEXT_TYPES = {"text/plain"}
_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".php", ".asp", ".aspx", ".jsp", "/")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _strip_bom(body: bytes) -> bytes:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if body.startswith(bom):
            return body[len(bom) :]
    return body


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00<\x00" in head[:8]:
        return True  # UTF-16 markup; html_to_unicode handles it via the BOM
    return bool(_HTML_START.match(_strip_bom(head)))


def _looks_binary(body: bytes) -> bool:
    """More than 5% control bytes in the first 4 KB: images, archives, encrypted data."""
    if read_bom(body[:4])[0] is not None:
        return False  # UTF-16/32 text legitimately has many NUL bytes
    sample = body[:4096]
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 0.05 * len(sample)


def sniff_kind(body: bytes, content_type: str | None, url: str) -> str:
    """ "html" | "pdf" | "text" | "other", by magic bytes first, then header, then URL suffix.

    Servers mislabel documents (PDFs as octet-stream or text/html, error pages as PDF), so
    the bytes win over the header, and the header over the URL.
    """
    head = body[:1024]
    if _PDF_MAGIC in head:
        return "pdf"
    if head.startswith(_BINARY_MAGICS):
        return "other"
    mime = _mime(content_type)
    if mime in _HTML_TYPES:
        return "html"
    if mime in _PDF_TYPES:
        # An HTML error page or login wall served as application/pdf is still HTML.
        return "html" if _looks_like_html(body) else "pdf"
    if mime in _TEXT_TYPES:
        return "text"
    if mime and mime not in ("application/octet-stream", "binary/octet-stream"):
        return "other"  # feeds, images, office documents, JSON...
    path = url.split("#", 1)[0].split("?", 1)[0].lower()
    if path.endswith(".pdf"):
        return "pdf"
    if path.endswith((".txt", ".text")):
        return "text"
    if _looks_like_html(body) or path.endswith(_HTML_SUFFIXES):
        return "html"
    return "other"


# --------------------------------------------------------------------------- decoding


def _detect_encoding(body: bytes) -> str:
    """Encoding of undeclared bytes: UTF-8 if valid, else charset-normalizer's best guess."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:65536]).best()
        if best is not None and best.encoding:
            return best.encoding
    except Exception:  # detection is a best effort; never fail decoding because of it
        pass
    return "cp1252"


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """(text, encoding) of an HTML body: BOM > HTTP charset > <meta> charset > detection.

    Invalid bytes become U+FFFD; this never raises.  A page that declares windows-1251 only
    in a ``<meta>`` tag decodes correctly; when header and ``<meta>`` disagree the header wins,
    as the HTML specification says.
    """
    try:
        encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect_encoding)
    except (LookupError, ValueError):  # a label w3lib knows but Python cannot decode
        encoding = _detect_encoding(body)
        text = body.decode(encoding, "replace")
    return text, _codec_name(encoding)


def _decode_text(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Plain text: BOM > charset parameter > UTF-8 > detection."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return body[len(bom) :].decode(bom_encoding, "replace"), _codec_name(bom_encoding)
    encoding = http_content_type_encoding(content_type) or _detect_encoding(body)
    try:
        return body.decode(encoding, "replace"), _codec_name(encoding)
    except LookupError:
        return body.decode("utf-8", "replace"), "utf-8"


# --------------------------------------------------------------------------- HTML

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_NON_XML_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_LANG_XPATH = (
    "//meta[translate(@http-equiv,'CONTENTLANGUAGE','contentlanguage')='content-language']"
    "/@content | //meta[@property='og:locale']/@content"
    " | //meta[translate(@name,'LANGUAGEDC.','languagedc.')='language']/@content"
    " | //meta[translate(@name,'LANGUAGEDC.','languagedc.')='dc.language']/@content"
)
# detect_language costs ~0.2 ms per 1,000 characters; a few thousand letters decide the
# script (and uk vs ru: "і" alone is ~5% of Ukrainian letters) as well as a whole report.
_LANG_SAMPLE = 2000
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")

# Fast, precise, no comments: comments and chrome must not enter the text that we diff.
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "fast": True,
    "favor_precision": False,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "deduplicate": False,
    "with_metadata": False,
}


def _prepare_markup(text: str) -> str:
    """Make decoded markup acceptable to lxml.

    lxml refuses a str that carries an XML encoding declaration (trafilatura would then
    re-parse UTF-8 bytes under the declared charset), and NUL/control characters break it.
    """
    text = _XML_DECLARATION.sub("", text, count=1)
    if _NON_XML_CONTROLS.search(text):
        text = _NON_XML_CONTROLS.sub("", text)
    return text


def _parse(markup: str) -> HtmlElement | None:
    try:
        tree = load_html(markup)
    except Exception:
        tree = None
    if tree is None:
        # trafilatura rejects "dubious" fragments; wrap them so that text still comes out
        try:
            tree = load_html(f"<html><body><div>{markup}</div></body></html>")
        except Exception:
            tree = None
    return tree


def _declared_lang(tree: HtmlElement, content_language: str | None) -> str | None:
    candidates: list[str] = []
    root = tree.getroottree().getroot()
    for attr in ("lang", "{http://www.w3.org/XML/1998/namespace}lang", "xml:lang"):
        value = root.get(attr)
        if value:
            candidates.append(value)
    with contextlib.suppress(Exception):
        candidates.extend(str(v) for v in tree.xpath(_LANG_XPATH))
    if content_language:
        candidates.append(content_language)
    for value in candidates:
        first = value.split(",", 1)[0]
        if (code := normalize_lang(first)) and re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return None


def _choose_lang(declared: str | None, text: str) -> str | None:
    """Declared language unless the text's letters clearly say another of en/uk/ru."""
    detected = detect_language(text, sample=_LANG_SAMPLE) if text else None
    if declared is None:
        return detected
    if detected is not None and detected != declared and declared in SUPPORTED:
        return detected
    return declared


def _iso_date(value: str | None) -> str | None:
    """'YYYY-MM-DD', or 'YYYY-MM-DDTHH:MM:SSZ' (UTC) when the page gives a time of day.

    The time matters: two reports of one organisation published the same day with
    different figures must be ordered the same way on every crawl.
    """
    if not value:
        return None
    value = value.strip()
    match = _ISO_DATE.match(value)
    if not match:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    moment = None
    with contextlib.suppress(ValueError):
        moment = datetime.fromisoformat(value)
    if moment is None or moment.tzinfo is None:
        # htmldate pads a bare date with midnight; without a zone a time means nothing here
        return day.isoformat()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    title = " ".join(title.split())
    return title or None


def _metadata(tree: HtmlElement, url: str | None) -> tuple[str | None, str | None]:
    """(title, date) from one tree; each step guarded because markup in the wild is hostile."""
    if not _REDUCED_METADATA:  # pragma: no cover
        meta = extract_metadata(tree, url, {"extensive_search": False})
        return _clean_title(meta.title), _iso_date(meta.date)
    title = published = None
    try:
        meta = examine_meta(tree)
        with contextlib.suppress(Exception):
            meta = extract_meta_json(tree, meta)
        title = meta.title or extract_title(tree)
        published = meta.date
    except Exception:
        pass
    try:
        # Asked even when the metadata has a date: only htmldate gives the time of day.
        precise = find_date(
            tree,
            url=url,
            original_date=True,
            extensive_search=False,
            outputformat="%Y-%m-%dT%H:%M:%S%z",
            max_date=date.today().isoformat(),
        )
    except Exception:
        precise = None
    if precise and (not published or precise[:10] == str(published)[:10]):
        published = precise
    return _clean_title(title), _iso_date(published)


def _normalise_text(text: str) -> str:
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def extract_html(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    content_language: str | None = None,
) -> Document:
    """Main text, title, publication date and language of an HTML page.

    Never raises on malformed markup (unclosed tags, NUL bytes, invalid bytes, truncation);
    raises :class:`ExtractionError` only for an empty or binary body.
    ``content_language`` is the HTTP ``Content-Language`` header, if the caller has it.
    """
    if not body or not body.strip():
        raise ExtractionError(f"empty HTML document: {url}")
    if _looks_binary(body):
        raise ExtractionError(f"not an HTML document (binary content): {url}")
    decoded, encoding = decode_html(body, content_type)
    tree = _parse(_prepare_markup(decoded))
    if tree is None:
        return Document("html", "", None, None, None, encoding)

    text = ""
    try:
        # bare_extraction works on its own copy, so `tree` stays intact for the metadata pass
        result = bare_extraction(tree, url=url or None, **_TRAFILATURA_OPTIONS)
    except Exception:  # trafilatura bugs on hostile markup must not stop a crawl
        result = None
    extracted = getattr(result, "text", None)
    if extracted:
        text = _normalise_text(extracted)

    declared = _declared_lang(tree, content_language)
    title, published = _metadata(tree, url or None)
    lang = _choose_lang(declared, text or (title or ""))
    return Document("html", text, title, published, lang, encoding)


# --------------------------------------------------------------------------- plain text


def extract_text(body: bytes, content_type: str | None = None) -> Document:
    """A plain-text document: BOM/charset aware; the first short line is taken as title."""
    if not body or not body.strip():
        raise ExtractionError("empty text document")
    if _looks_binary(body):
        raise ExtractionError("not a text document (binary content)")
    decoded, encoding = _decode_text(body, content_type)
    text = _normalise_text(_NON_XML_CONTROLS.sub("", decoded))
    first = text.split("\n", 1)[0] if text else ""
    title = first if 0 < len(first) <= 200 else None
    lang = detect_language(text, sample=_LANG_SAMPLE)
    return Document("text", text, title, None, lang, encoding)


# --------------------------------------------------------------------------- PDF

_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")
_JUNK_TITLE = re.compile(
    r"^(?:untitled|microsoft word\s*-|document\d*$|\S+\.(?:docx?|odt|rtf|pdf|indd|pages)$)",
    re.IGNORECASE,
)
_PDF_SOFT_CHARS = str.maketrans({"\x00": None, "\x02": "-", "\ufffe": "-", "\x0c": "\n"})


def _pdf_date(value: str | None) -> str | None:
    """'D:20250314083000+02'00'' -> '2025-03-14' (month/day default to 01 if absent)."""
    if not value:
        return None
    match = _PDF_DATE.match(value.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1)).isoformat()
    except ValueError:
        return None


def _pdf_error(exc: Exception) -> ExtractionError:
    message = str(exc)
    if "password" in message.lower():
        return ExtractionError(f"PDF is encrypted (a password is required to open it): {message}")
    return ExtractionError(f"PDF could not be opened (corrupt or unsupported): {message}")


def extract_pdf(body: bytes, *, max_pages: int | None = None) -> Document:
    """Text of every page (pages separated by a blank line), title, date and language.

    Title: the metadata title unless it is a word-processor placeholder, else the first
    non-empty line.  Date: CreationDate, else ModDate.  ``max_pages`` bounds the work on
    huge scans.
    """
    if not body:
        raise ExtractionError("not a PDF: empty body")
    if _PDF_MAGIC not in body[:1024]:
        raise ExtractionError(f"not a PDF: starts with {body[:16]!r}")
    try:
        pdf = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        raise _pdf_error(exc) from exc
    pages: list[str] = []
    try:
        count = len(pdf)
        for index in range(count if max_pages is None else min(count, max_pages)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    raw = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
            page_text = _normalise_text(raw.translate(_PDF_SOFT_CHARS))
            if page_text:
                pages.append(page_text)
        try:
            metadata = pdf.get_metadata_dict(skip_empty=True)
        except Exception:
            metadata = {}
    except pdfium.PdfiumError as exc:
        raise _pdf_error(exc) from exc
    finally:
        pdf.close()

    text = "\n\n".join(pages)
    title = _clean_title(metadata.get("Title"))
    if title and _JUNK_TITLE.match(title):
        title = None
    if not title and text:
        first = text.split("\n", 1)[0].strip()
        title = first[:300] or None
    published = _pdf_date(metadata.get("CreationDate")) or _pdf_date(metadata.get("ModDate"))
    lang = detect_language(text, sample=_LANG_SAMPLE)
    return Document("pdf", text, title, published, lang, None)


# --------------------------------------------------------------------------- dispatch


def extract_document(body: bytes, url: str, content_type: str | None = None) -> Document:
    """Extract any supported document, choosing the extractor with :func:`sniff_kind`."""
    if not body:
        raise ExtractionError(f"empty document: {url}")
    kind = sniff_kind(body, content_type, url)
    if kind == "html":
        return extract_html(body, url, content_type)
    if kind == "pdf":
        return extract_pdf(body)
    if kind == "text":
        return extract_text(body, content_type)
    mime = _mime(content_type) or "no content type"
    raise ExtractionError(f"unsupported document type ({mime}, starts with {body[:8]!r}): {url}")


def document_from_file(path: str | Path) -> Document:
    """A document on disk, read the way the crawler would have read it from the web.

    `.txt` files are decoded as UTF-8 exactly (a BOM stays in the text), so that figure
    offsets index the file's own text; `.html`/`.htm` go through the same cleaning as
    crawled pages; anything else is sniffed (PDF by its magic bytes).
    """
    path = Path(path)
    body = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".txt":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExtractionError(f"{path}: not UTF-8 text ({exc})") from exc
        return Document(kind="text", text=text, title=None, published_at=None,
                        lang=detect_language(text), encoding="utf-8")
    content_type = "text/html" if suffix in (".html", ".htm") else None
    return extract_document(body, path.resolve().as_uri(), content_type)
