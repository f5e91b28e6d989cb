"""Language identification for the three languages rightswatch reads.

Trafilatura only reports a language when py3langid is installed, and a general-purpose
detector is slow and often confuses Ukrainian with Russian on short texts.  The letters that
exist in only one of the two alphabets decide that question reliably, so a small script-based
detector is both faster and more accurate for en/uk/ru.
"""

from __future__ import annotations

import re

_UK_ONLY = frozenset("іїєґІЇЄҐ")
_RU_ONLY = frozenset("ыэёъЫЭЁЪ")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")

SUPPORTED = ("en", "uk", "ru")


def normalize_lang(code: str | None) -> str | None:
    """Map a page's declared language ("uk-UA", "ru_RU", "EN") onto a bare lowercase code.

    "ua" is a common mistake for Ukrainian in real sites' markup, so it is accepted too.
    """
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    if base == "ua":
        return "uk"
    return base or None


def detect_language(text: str, sample: int = 20_000) -> str | None:
    """Guess en/uk/ru from the letters of *text*; None when there is too little to tell."""
    chunk = text[:sample]
    cyr = len(_CYRILLIC.findall(chunk))
    lat = len(_LATIN.findall(chunk))
    if cyr + lat < 20:
        return None
    if lat > cyr:
        return "en"
    uk = sum(1 for ch in chunk if ch in _UK_ONLY)
    ru = sum(1 for ch in chunk if ch in _RU_ONLY)
    if uk == ru == 0:
        return None
    return "uk" if uk >= ru else "ru"
