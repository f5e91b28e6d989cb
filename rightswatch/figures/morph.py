"""Morphology: the lemma and part of speech of every word, for lexicons written by lemma.

Ukrainian and Russian inflect every noun, adjective and numeral in six or seven cases, so a
lexicon of word forms (or of prefix globs, which also catch "кримінальний" for "Крим*")
can never be complete.  pymorphy3 with its OpenCorpora (ru) and VESUM-derived (uk)
dictionaries gives every form's lemma and grammatical tags; lemminflect does the same for
English.  A lexicon entry is lemmatised with the same analyser at load, so "кримінальні
справи", "criminal cases" and "criminal case" are all written as the analyst likes and
match every form in a text.

Analysis is the extractor's most expensive step (about 100 µs a word for Ukrainian), and
reports repeat their words, so every analyser keeps a bounded cache of word forms: a
megabyte of hostile text with a million distinct words costs a bounded amount of memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

# Typographic apostrophes read as the ASCII one the uk dictionary uses; ё as е (the ru
# dictionary gives "ребёнок", texts write both).
_FOLD = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "ё": "е", "Ё": "Е"})
CACHE_LIMIT = 200_000

# Coarse parts of speech, the same for the three languages.
NOUN, ADJ, VERB, PART, ADV, NUMR, PREP, CONJ, PRON, OTHER = (
    "NOUN", "ADJ", "VERB", "PART", "ADV", "NUMR", "PREP", "CONJ", "PRON", "OTHER")

_PYMORPHY_POS = {
    "NOUN": NOUN, "ADJF": ADJ, "ADJS": ADJ, "COMP": ADJ, "VERB": VERB, "INFN": VERB,
    "PRTF": PART, "PRTS": PART, "GRND": VERB, "ADVB": ADV, "NUMR": NUMR, "PREP": PREP,
    "CONJ": CONJ, "PRCL": OTHER, "INTJ": OTHER, "NPRO": PRON, "PRED": ADV,
}
_LEMMINFLECT_POS = {
    "NOUN": NOUN, "PROPN": NOUN, "ADJ": ADJ, "VERB": VERB, "AUX": VERB, "ADV": ADV,
}


@dataclass(frozen=True, slots=True)
class WordInfo:
    """What the analyser says of one word form.

    ``lemmas`` holds every reading's lemma, the likeliest first; ``pos`` every reading's
    coarse part of speech.  Ambiguity is kept on purpose: "справ" is a genitive plural
    noun, "cases" a noun or a verb, and the figure logic decides in context.
    """

    lemmas: tuple[str, ...]
    pos: frozenset[str]
    cases: frozenset[str] = frozenset()
    plural: bool = False
    passive: bool = False  # a passive participle or impersonal "-но/-то" form
    known: bool = True
    animate: bool = False  # a noun naming people or animals (uk/ru grammar says so)

    @property
    def lemma(self) -> str:
        return self.lemmas[0]


def fold(word: str) -> str:
    """The spelling the analysers and the lexicons share: lowercase, one apostrophe, е for ё."""
    return word.translate(_FOLD).lower()


# British and American spellings are one lemma ("mobilised", "mobilized" → "mobilize"),
# except for the words whose "-ise" is no "-ize" spelling.
_EN_ISE = re.compile(r"is(e|ing|ed|ation|ations|er|ers)$")
_EN_KEEP = frozenset(["raise", "rise", "arise", "promise", "otherwise", "precise", "concise",
                      "exercise", "enterprise", "expertise", "premise", "surprise", "advise",
                      "devise", "revise", "supervise", "comprise", "compromise", "franchise",
                      "wise", "noise", "praise", "cruise", "bruise", "demise", "reprise",
                      "merchandise", "televise", "despise", "disguise", "circumcise", "excise"])


def _en_spelling(lemma: str) -> str:
    if lemma in _EN_KEEP or len(lemma) < 5:
        return lemma
    return _EN_ISE.sub(r"iz\1", lemma)


class Analyser:
    """Word form → :class:`WordInfo` for one language, with a bounded cache."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._cache: dict[str, WordInfo] = {}
        self._impl: Any = None

    def __call__(self, word: str) -> WordInfo:
        low = fold(word)
        info = self._cache.get(low)
        if info is None:
            info = self._analyse(low)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[low] = info
        return info

    def lemma(self, word: str) -> str:
        return self(word).lemma

    def _analyse(self, low: str) -> WordInfo:
        if self.lang == "en":
            return self._english(low)
        return self._slavic(low)

    def _slavic(self, low: str) -> WordInfo:
        if self._impl is None:
            import pymorphy3

            self._impl = pymorphy3.MorphAnalyzer(lang=self.lang)
        parses = self._impl.parse(low)
        if not parses:
            return WordInfo((low,), frozenset([OTHER]), known=False)
        lemmas: list[str] = []
        pos: set[str] = set()
        cases: set[str] = set()
        plural = passive = animate = False
        best = parses[0].score
        for p in parses:
            if p.score < best * 0.1 and lemmas:
                continue
            lemma = fold(p.normal_form)
            for form in (lemma, _unreflexive(lemma, str(p.tag.POS))):
                if form and form not in lemmas:
                    lemmas.append(form)
            tag = p.tag
            pos.add(_PYMORPHY_POS.get(str(tag.POS), OTHER))
            if tag.case:
                cases.add(str(tag.case))
            if tag.number == "plur":
                plural = True
            if "pssv" in tag or "Impe" in tag:
                passive = True
            if "anim" in tag and tag.POS == "NOUN":
                animate = True
        known = self._impl.word_is_known(low)
        return WordInfo(tuple(lemmas), frozenset(pos), frozenset(cases), plural, passive, known,
                        animate)

    def _english(self, low: str) -> WordInfo:
        if self._impl is None:
            import lemminflect

            self._impl = lemminflect
        found: dict[str, tuple[str, ...]] = self._impl.getAllLemmas(low)
        known = bool(found)
        if not found:
            found = {"NOUN": self._impl.getAllLemmasOOV(low, "NOUN").get("NOUN", (low,))}
        lemmas: list[str] = []
        pos: set[str] = set()
        for upos, forms in found.items():
            pos.add(_LEMMINFLECT_POS.get(upos, OTHER))
            for f in forms:
                lemma = _en_spelling(f.lower())
                if lemma not in lemmas:
                    lemmas.append(lemma)
        # "killed", "detained": lemminflect knows them as verbs; as participles they are
        # also adjectives in a noun phrase ("detained activists").
        passive = low.endswith(("ed", "en")) and VERB in pos
        plural = NOUN in pos and low.endswith("s") and lemmas[0] != low
        return WordInfo(tuple(lemmas), frozenset(pos), frozenset(), plural, passive, known)


def _unreflexive(lemma: str, pos: str) -> str | None:
    """"удерживаться" → "удерживать": the dictionaries give reflexive verbs lemmas of
    their own, and a lexicon lists the plain verb ("are held" = "удерживаются")."""
    if pos in ("VERB", "INFN", "PRTF", "PRTS", "GRND") and lemma.endswith(("ся", "сь")):
        return lemma[:-2]
    return None


@cache
def analyser(lang: str) -> Analyser:
    """The shared analyser of *lang* ("en", "uk", "ru")."""
    return Analyser(lang)
