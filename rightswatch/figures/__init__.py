"""The figure extractor: numbers in human-rights reports, with what they count.

    >>> from rightswatch.figures import extract_figures
    >>> [f.value for f in extract_figures("At least 583 criminal cases since 2015.", "en")]
    [583]

Pure Python (no Scrapy), linear in the input. The words it knows live as data in
``lexicons/*.toml`` (per language: number words, qualifiers, metric cues, period phrases,
non-figure keywords; shared: regions and organisations).

Documented choices
------------------
* Ranges ("200–300", "від 200 до 300", "between 200 and 300") are ONE figure: ``value`` is
  the lower end, ``qualifier`` is ``at_least`` (or what the text says, e.g. "about"),
  ``text`` spans both ends and ``Figure.range_end`` / ``to_dict()["range_end"]`` is the
  upper end. "rose from 574 to 583" (a verb of change before "from") is two figures.
* Fractions ("не менее четверти осужденных", "a quarter of the conscripts") are reported
  as a float ``value`` (0.25) only when the noun they quantify is a known metric.
* Percentages are not counts: never reported. Durations ("up to three years"), ages and
  measurements are not reported either. Money ("$5,000", "40 тысяч рублей") is reported
  with ``metric`` null.
* Vague plurals ("thousands of", "тисячі людей", "сотни") are not figures; the same words
  after a qualifier ("понад тисячу", "около тысячи") or with a count ("дві тисячі") are.
* Spelled-out numbers below 100 are reported only when their metric is known ("two men
  were detained"), and "one" never.
* Source inheritance: a sentence without its own attribution takes the source of the last
  attributed sentence in the same paragraph; a back-reference ("This was reported by …",
  "Про це повідомляє …", "Об этом сообщает …") attributes the preceding unattributed
  sentences. Paragraphs never inherit from each other. Regions inherit the same way.
* Language: the ``lang`` argument, else ``detect_language``; Cyrillic text that cannot be
  told apart is read with the merged uk+ru lexicon and gets ``lang`` None.
"""

from .extract import extract_figures
from .model import QUALIFIERS, Figure

__all__ = ["QUALIFIERS", "Figure", "extract_figures"]
