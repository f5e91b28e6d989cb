"""Extraction of clean text and metadata from HTML, PDF and plain text (real files, no mocks)."""

from __future__ import annotations

import codecs
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightswatch.extraction import (
    Document,
    ExtractionError,
    decode_html,
    extract_document,
    extract_html,
    extract_pdf,
    extract_text,
    sniff_kind,
)

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --------------------------------------------------------------------------- HTML


def test_wordpress_article_without_chrome() -> None:
    doc = extract_html(
        fixture("wordpress_en.html"),
        "https://harbourwatch.example.org/en/2025/03/quarterly-update/",
        "text/html; charset=UTF-8",
    )
    assert doc.kind == "html"
    assert doc.title == "Forced conscription on the peninsula: quarterly monitoring update"
    assert doc.published_at == "2025-03-14T08:30:00Z"  # the time of day, in UTC
    assert doc.lang == "en"
    assert doc.encoding == "utf-8"
    lines = doc.text.split("\n")
    assert (
        "According to the information we collected, at least 583 criminal cases for evading "
        "service have been opened on the peninsula since 2015. During the reporting period "
        "alone, courts issued 41 new sentences, most of them fines, while two men received "
        "real prison terms." in lines
    )
    for expected in (
        "Between December and February our monitors recorded",
        "more than 120 summonses were served in a single week",
        "Lawyers who represent the families",
        "356",  # table cells are kept
    ):
        assert expected in doc.text
    for chrome in (
        "Our team of monitors",  # menu
        "Funding and partners",
        "Search the site",
        "Skip to content",
        "We use cookies",  # cookie banner
        "Share on Facebook",  # share buttons
        "Send via Telegram",
        "Related publications",  # related posts
        "Annual review of detentions",
        "Thank you for keeping this record",  # comments
        "hotline number",
        "Leave a Reply",
        "Latest news",  # sidebar
        "Subscribe to our monthly newsletter",
        "Views: 1 482",  # view counter
        "Previous post",
        "All rights reserved",  # footer
        "Independent monitoring since 2014",
    ):
        assert chrome not in doc.text, chrome
    assert "\n\n" not in doc.text and doc.text == doc.text.strip()


def test_ukrainian_article() -> None:
    doc = extract_html(fixture("wordpress_uk.html"), "https://hrmg.example.org/zvit/")
    assert doc.title == "Примусова мобілізація: огляд за лютий"
    assert doc.published_at == "2025-02-28T08:00:00Z"  # 10:00 in Kyiv (+02:00)
    assert doc.lang == "uk"
    assert "щонайменше 214 випадків вручення повісток" in doc.text
    assert "не менше 37 кримінальних проваджень" in doc.text
    for chrome in ("Поділитися", "Читайте також", "Останні новини", "Переглядів", "Усі права"):
        assert chrome not in doc.text, chrome


def test_windows_1251_declared_only_in_meta() -> None:
    body = fixture("cp1251_ru.html").decode("utf-8").encode("cp1251")
    for content_type in ("text/html", None):
        doc = extract_html(body, "https://pravo.example.org/doklad.html", content_type)
        assert doc.encoding == "cp1251"
        assert doc.title == "Доклад о задержаниях призывников в феврале"
        assert "не менее 96 задержаний мужчин призывного возраста" in doc.text
        assert "возбуждено ещё 12 уголовных дел" in doc.text
        assert doc.lang == "ru"
        assert doc.published_at == "2025-02-20"
        assert "Обратная связь" not in doc.text


def test_utf8_bom_beats_header_and_meta() -> None:
    body = codecs.BOM_UTF8 + fixture("wordpress_uk.html")
    doc = extract_html(body, "https://hrmg.example.org/", "text/html; charset=windows-1251")
    assert doc.encoding == "utf-8"
    assert doc.title == "Примусова мобілізація: огляд за лютий"
    text, encoding = decode_html(body, "text/html; charset=koi8-r")
    assert encoding == "utf-8" and not text.startswith("\ufeff")


def test_header_charset_beats_meta() -> None:
    # A site moved to UTF-8 but kept its old <meta charset=windows-1251>: the HTTP header wins.
    body = fixture("cp1251_ru.html")  # UTF-8 bytes, meta says windows-1251
    doc = extract_html(body, "https://pravo.example.org/", "text/html; charset=utf-8")
    assert doc.encoding == "utf-8"
    assert "не менее 96 задержаний" in doc.text
    # without a header the (wrong) meta declaration is all we have, and it is obeyed
    assert decode_html(body, None)[1] == "cp1251"


def test_undeclared_encoding_is_detected() -> None:
    text = fixture("cp1251_ru.html").decode("utf-8")
    text = text.replace("; charset=windows-1251", "")
    decoded, encoding = decode_html(text.encode("cp1251"), "text/html")
    assert encoding == "cp1251"
    assert "Доклад о задержаниях" in decoded
    assert decode_html(text.encode("utf-8"), None)[1] == "utf-8"


def test_declared_language_overridden_by_obvious_script() -> None:
    html = fixture("wordpress_uk.html").replace(b'lang="uk"', b'lang="en-US"')
    html = html.replace(b'content="uk_UA"', b'content="en_US"')
    assert extract_html(html, "https://x.example/").lang == "uk"
    english = fixture("wordpress_en.html")
    assert extract_html(english, "https://x.example/").lang == "en"
    no_decl = english.replace(b'lang="en-US" ', b"").replace(b'content="en_US"', b'content=""')
    assert extract_html(no_decl, "https://x.example/").lang == "en"


def test_content_language_header_is_used() -> None:
    html = b"<html><body><article><p>" + b"Dzien dobry. " * 40 + b"</p></article></body></html>"
    doc = extract_html(html, "https://x.example/", content_language="pl-PL, en")
    assert doc.lang == "pl"


def test_malformed_markup() -> None:
    doc = extract_html(fixture("malformed.html"), "https://x.example/note")
    assert "Our volunteers documented 17 detentions" in doc.text
    assert "at least four were transferred" in doc.text
    assert "Officials refused to confirm" in doc.text
    assert "not text" not in doc.text  # script content stays out
    assert doc.lang == "en"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b.replace(b"volunteers", b"volun\x00teers"),  # NUL bytes
        lambda b: b.replace(b"detentions", b"deten\xff\xfe\xc3tions"),  # invalid UTF-8
        lambda b: b[: len(b) // 2],  # truncated download
        lambda b: b[:700],
        lambda b: b.replace(b"</title>", b""),  # unclosed title swallows the page
        lambda b: b"<?xml version='1.0' encoding='windows-1251'?>" + b,  # lying XML declaration
        lambda b: b"<p>fragment only: " + b[400:900],
        lambda b: b.replace(b"<", b"<<"),
    ],
)
def test_malformed_variants_never_raise(mangle) -> None:
    doc = extract_html(mangle(fixture("malformed.html")), "https://x.example/note", "text/html")
    assert isinstance(doc, Document) and isinstance(doc.text, str)


def test_nul_and_invalid_bytes_keep_the_text() -> None:
    body = fixture("malformed.html").replace(b"volunteers", b"volun\x00teers")
    assert "volunteers documented" in extract_html(body, "https://x.example/").text
    body = fixture("wordpress_en.html").replace(b"Lawyers", b"\xffLawyers")
    doc = extract_html(body, "https://x.example/", "text/html; charset=utf-8")
    assert "\ufffdLawyers who represent" in doc.text


def test_xml_declaration_with_other_charset_is_not_trusted_twice() -> None:
    text = fixture("cp1251_ru.html").decode("utf-8")
    body = ("<?xml version='1.0' encoding='windows-1251'?>\n" + text).encode("cp1251")
    doc = extract_html(body, "https://x.example/")
    assert doc.encoding == "cp1251"
    assert "не менее 96 задержаний" in doc.text


def test_empty_and_binary_html_raise_clearly() -> None:
    with pytest.raises(ExtractionError, match="empty HTML document"):
        extract_html(b"  \n ", "https://x.example/")
    with pytest.raises(ExtractionError, match="binary"):
        extract_html(bytes(range(256)) * 20, "https://x.example/", "text/html")


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    b"<p>",
                    b"</p>",
                    b"<div>",
                    b"<table><tr><td>",
                    b"<script>",
                    b"<!--",
                    b"<html>",
                    b"<title>",
                    b"<meta charset='utf-16'>",
                    b"\x00",
                    b"\xff",
                    b"&#0;",
                    b"&bogus",
                    b"<![CDATA[",
                    b"<?xml ?>",
                    b"<body>",
                ]
            ),
            st.text(max_size=40).map(lambda s: s.encode("utf-8")),
            st.binary(max_size=20),
        ),
        max_size=40,
    )
)
def test_hostile_html_never_raises_anything_but_extraction_error(parts: list[bytes]) -> None:
    body = b"".join(parts)
    try:
        doc = extract_html(body, "https://fuzz.example/")
    except ExtractionError:
        return
    assert isinstance(doc.text, str) and doc.kind == "html"


# --------------------------------------------------------------------------- text


def test_plain_text() -> None:
    body = codecs.BOM_UTF8 + "Звіт групи\r\n\r\nЗафіксовано 214 повісток.\r\n".encode()
    doc = extract_text(body, "text/plain; charset=windows-1251")
    assert doc.encoding == "utf-8" and doc.title == "Звіт групи"
    assert doc.text == "Звіт групи\nЗафіксовано 214 повісток."
    assert doc.lang == "uk"
    assert extract_text(b"Short note.").lang is None  # too few letters to tell
    ru = ("Мы получили отчёт о задержаниях. " * 3).encode("cp1251")
    doc = extract_text(ru, "text/plain; charset=windows-1251")
    assert doc.encoding == "cp1251" and doc.lang == "ru"
    utf16 = codecs.BOM_UTF16_LE + "Hello monitoring world, twenty letters.".encode("utf-16-le")
    assert extract_text(utf16).text == "Hello monitoring world, twenty letters."
    with pytest.raises(ExtractionError, match="empty"):
        extract_text(b"")


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("body", "content_type", "url", "kind"),
    [
        (b"%PDF-1.7\n...", "text/html", "https://x/a.html", "pdf"),  # magic wins
        (b"\r\n%PDF-1.4", "application/octet-stream", "https://x/a", "pdf"),
        (b"<!DOCTYPE html><html>", "application/pdf", "https://x/a.pdf", "html"),  # error page
        (b"garbage", "application/pdf", "https://x/a", "pdf"),
        (b"<html><body>", "text/html; charset=utf-8", "https://x/a", "html"),
        (b"anything", "application/xhtml+xml", "https://x/a", "html"),
        (b"plain words", "text/plain", "https://x/a.txt", "text"),
        (b"<rss version='2.0'>", "application/rss+xml", "https://x/feed", "other"),
        (b"\x89PNG\r\n\x1a\n", "text/html", "https://x/a.html", "other"),
        (b"PK\x03\x04", None, "https://x/a.docx", "other"),
        (b"no header", None, "https://x/report.PDF?download=1", "pdf"),
        (b"no header", None, "https://x/notes.txt", "text"),
        (b"  <!doctype html>", None, "https://x/a", "html"),
        (codecs.BOM_UTF16_LE + "<html>".encode("utf-16-le"), None, "https://x/a", "html"),
        (codecs.BOM_UTF16_LE + "<html>".encode("utf-16-le"), "application/pdf", "https://x/a.pdf",
         "html"),
        (b"no header", "application/octet-stream", "https://x/dir/", "html"),
        (b"no header", None, "https://x/blob", "other"),
    ],
)
def test_sniff_kind(body: bytes, content_type: str | None, url: str, kind: str) -> None:
    assert sniff_kind(body, content_type, url) == kind


def test_extract_document_dispatch_and_errors() -> None:
    html = extract_document(fixture("wordpress_en.html"), "https://x.example/a", "text/html")
    assert html.kind == "html" and html.published_at == "2025-03-14T08:30:00Z"
    text = extract_document(b"Report line one\nline two", "https://x.example/r.txt")
    assert text.kind == "text"
    with pytest.raises(ExtractionError, match="unsupported document type"):
        extract_document(b"\x89PNG\r\n\x1a\n" + bytes(100), "https://x.example/i.png", "image/png")
    with pytest.raises(ExtractionError, match="application/rss"):
        extract_document(b"<rss/>", "https://x.example/feed", "application/rss+xml")
    with pytest.raises(ExtractionError, match="empty"):
        extract_document(b"", "https://x.example/")


# --------------------------------------------------------------------------- PDF


def make_pdf(
    pages: list[str],
    *,
    title: str | None = None,
    created: datetime | None = None,
    user_password: str | None = None,
) -> bytes:
    fpdf = pytest.importorskip("fpdf")
    matplotlib = pytest.importorskip("matplotlib")
    font = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", "", str(font))
    pdf.set_font("DejaVu", size=12)
    if title is not None:
        pdf.set_title(title)
    if created is not None:
        pdf.set_creation_date(created)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    return bytes(pdf.output())


UK_PAGES = [
    "Звіт про примусову мобілізацію\nУ лютому монітори зафіксували щонайменше 214 повісток.",
    "Друга сторінка звіту: відкрито не менше 37 кримінальних проваджень.",
]


def test_pdf_ukrainian_text_title_date() -> None:
    body = make_pdf(
        UK_PAGES, title="Звіт групи моніторингу", created=datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    )
    doc = extract_pdf(body)
    assert doc.kind == "pdf" and doc.encoding is None
    assert doc.title == "Звіт групи моніторингу"
    assert doc.published_at == "2025-03-14"
    assert doc.lang == "uk"
    first, second = doc.text.split("\n\n")
    assert "щонайменше 214 повісток" in first
    assert second == "Друга сторінка звіту: відкрито не менше 37 кримінальних проваджень."
    assert (
        extract_document(body, "https://x.example/download?id=3", "application/octet-stream") == doc
    )


def test_pdf_placeholder_title_falls_back_to_first_line() -> None:
    doc = extract_pdf(make_pdf(UK_PAGES, title="Microsoft Word - zvit_final_v3.docx"))
    assert doc.title == "Звіт про примусову мобілізацію"


def test_pdf_without_text_is_empty_not_an_error() -> None:
    doc = extract_pdf(make_pdf([""]))
    assert doc.text == "" and doc.lang is None


def test_encrypted_pdf() -> None:
    with pytest.raises(ExtractionError, match="encrypted"):
        extract_pdf(make_pdf(UK_PAGES, user_password="letmein"))
    # owner-password-only PDFs open for reading like any other
    assert "214" in extract_pdf(make_pdf(UK_PAGES, user_password="")).text


def test_corrupt_pdfs() -> None:
    good = make_pdf(UK_PAGES)
    with pytest.raises(ExtractionError, match="corrupt"):
        extract_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with pytest.raises(ExtractionError, match="not a PDF"):
        extract_pdf(b"<html>not a pdf</html>")
    with pytest.raises(ExtractionError, match="not a PDF"):
        extract_pdf(b"")
    for cut in (len(good) // 3, len(good) - 40):
        try:
            doc = extract_pdf(good[:cut])  # pdfium may repair a truncated file
        except ExtractionError as exc:
            assert "PDF" in str(exc)
        else:
            assert isinstance(doc.text, str)


# --------------------------------------------------------------------------- processes


def test_usable_in_process_pool() -> None:
    body = fixture("wordpress_uk.html")
    pdf = make_pdf(UK_PAGES)
    with ProcessPoolExecutor(max_workers=2) as pool:
        html_doc = pool.submit(extract_document, body, "https://x.example/", "text/html").result()
        pdf_doc = pool.submit(extract_document, pdf, "https://x.example/r.pdf", None).result()
        error = pool.submit(extract_document, b"\x89PNG....", "https://x.example/i", None)
        with pytest.raises(ExtractionError, match="unsupported"):
            error.result()
    assert html_doc == extract_document(body, "https://x.example/", "text/html")
    assert pdf_doc.lang == "uk"
    assert pickle.loads(pickle.dumps(html_doc)) == html_doc


# --------------------------------------------------------------------------- speed


def test_bench_pages_look_like_articles() -> None:
    sys.path.insert(0, str(FIXTURES))
    try:
        from bench_pages import make_page
    finally:
        sys.path.pop(0)
    url, body = make_page(4)
    assert 20_000 <= len(body) <= 45_000
    doc = extract_html(body, url, "text/html; charset=utf-8")
    assert doc.lang == "uk" and doc.published_at and doc.title
    assert "Поділитися" not in doc.text and len(doc.text) > 5_000
