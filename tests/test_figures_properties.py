"""Properties of extract_figures on arbitrary text (hypothesis): it never raises, spans are
honest (``text == body[start:end]``), digits give the value, results are sorted and
non-overlapping."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rightswatch.figures import extract_figures

ALPHABET = st.sampled_from(
    [
        *"0123456789 ,.\u00a0\u202f\u2009-–—/:;()[]%+№#\n",
        *["тис.", "тисяч", "млн", "million", "thousand", "at least", "понад", "более", "до"],
        *["Crimea", "Криму", "Крыма", "cases", "провадження", "дела", "died", "загинули"],
        *["ст.", "Article", "No.", "2022", "року", "года", "years", "лет", "(19)", "а", "b"],
    ]
)
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(ALPHABET, max_size=80).map(" ".join),
    st.lists(ALPHABET, max_size=80).map("".join),
)
LANGS = st.sampled_from([None, "en", "uk", "ru", "de"])
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def digits_value(text: str) -> float | None:
    """Independent reading of a digit-only figure: the first digit group of the span."""
    m = re.search(r"[0-9]+(?:[ .,\u00a0\u202f\u2009][0-9]+)*", text)
    if not m:
        return None
    raw = m.group()
    groups = re.split(r"[ .,\u00a0\u202f\u2009]", raw)
    seps = re.findall(r"[ .,\u00a0\u202f\u2009]", raw)
    if len(groups) == 1:
        return int(raw)
    if all(len(g) == 3 for g in groups[1:]) and len(set(seps)) == 1:
        return int("".join(groups))
    if len(groups) == 2 and seps[0] in ".,":
        return float(f"{groups[0]}.{groups[1]}")
    if len(set(seps)) == 2 and seps[-1] in ".," and all(len(g) == 3 for g in groups[1:-1]):
        return float("".join(groups[:-1]) + "." + groups[-1])
    return None


def check(body: str, lang: str | None) -> None:
    figs = extract_figures(body, lang)
    last_end = -1
    for f in figs:
        assert 0 <= f.start < f.end <= len(body)
        assert f.text == body[f.start : f.end]
        assert f.start >= last_end, "sorted and non-overlapping"
        last_end = f.end
        assert f.qualifier in {"exact", "at_least", "more_than", "approx", "up_to", "less_than"}
        assert isinstance(f.value, int | float)
        assert f.text in f.sentence
        d = f.to_dict()
        assert {"value", "text", "start", "end", "qualifier", "metric"} <= d.keys()
        words = re.sub(r"[0-9 .,\u00a0\u202f\u2009]", "", f.text)
        scaled = re.search(r"[^\W\d_]", f.text) is not None
        if not scaled and f.range_end is None and not words.strip("+~≈"):
            expected = digits_value(f.text)
            if expected is not None:
                assert abs(f.value - expected) < 1e-9, (f.text, f.value, expected)


@SETTINGS
@given(TEXTS, LANGS)
def test_never_raises_and_spans_are_honest(body: str, lang: str | None) -> None:
    check(body, lang)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**9),
            st.sampled_from([",", ".", " ", "\u00a0", "\u202f", "\u2009", ""]),
            st.sampled_from(["people", "осіб", "человек", "cases", "справ", "."]),
        ),
        max_size=20,
    ),
    LANGS,
)
def test_grouped_numbers_read_back(parts: list[tuple[int, str, str]], lang: str | None) -> None:
    body = " and ".join(
        (f"{n:,}".replace(",", sep) if sep else str(n)) + f" {noun}" for n, sep, noun in parts
    )
    check(body, lang)
    for f in extract_figures(body, lang):
        if re.fullmatch(r"[0-9]{1,3}(?:([ ,.\u00a0\u202f\u2009])[0-9]{3})(?:\1[0-9]{3})*", f.text):
            assert f.value == int(re.sub(r"[^0-9]", "", f.text))
