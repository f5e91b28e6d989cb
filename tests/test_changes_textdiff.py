"""Text diffs and the "is this edit news?" decision (rightswatch.changes.textdiff/events)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightswatch.changes import (
    DiffOp,
    load_noise_rules,
    page_event,
    substantive_change,
    summarise_diff,
    text_sha256,
    word_diff,
)
from rightswatch.changes.textdiff import content_words, tokenize

REPORT = (
    "Crimean Human Rights Group\n"
    "{views}\n"
    "According to the Crimean Human Rights Group, at least {n} criminal cases for evading "
    "service have been opened in Crimea since 2015.\n"
    "{stamp}\n"
    "The group calls on the UN to act.\n"
)


def report(n: int = 583, views: str = "Views: 1,234", stamp: str = "Updated: 5 Nov") -> str:
    return REPORT.format(n=n, views=views, stamp=stamp)


# --------------------------------------------------------------------------------------
# Noise is not news


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (report(views="Views: 1,234"), report(views="Views: 1,240")),
        (report(views="1 234 views"), report(views="1 240 views")),
        (report(stamp="Updated: 5 Nov"), report(stamp="Updated: 7 Nov")),
        (report(stamp="Last updated on 2024-11-05 10:00"),
         report(stamp="Last updated on 2024-11-07 18:30")),
        (report(views="Переглядів: 345"), report(views="Переглядів: 351")),
        (report(views="Просмотров: 12"), report(views="Просмотров: 4 012")),
        (report(stamp="Оновлено: 5 листопада 2024, 10:15"),
         report(stamp="Оновлено: 6 листопада 2024, 09:00")),
        (report(stamp="Обновлено: 5 ноября 2024"), report(stamp="Обновлено: 8 ноября 2024")),
        (report(stamp="12 comments"), report(stamp="15 comments")),
        (report(stamp="Коментарі (3)"), report(stamp="Коментарі (4)")),
        (report(stamp="Shares: 10"), report(stamp="Shares: 12")),
        (report(stamp="© 2014–2024 CHRG"), report(stamp="© 2014–2025 CHRG")),
        (report(stamp="Posted 3 hours ago"), report(stamp="Posted 5 hours ago")),
        (report(stamp="Page generated in 0.034 s"), report(stamp="Page generated in 0.051 s")),
        (report(stamp="5 min read"), report(stamp="6 min read")),
    ],
)
def test_noise_only_edits_are_not_substantive(old: str, new: str) -> None:
    assert old != new
    assert not substantive_change(old, new)


def test_related_list_reordered_is_not_substantive() -> None:
    body = report()
    old = body + "Related articles:\n- Summonses in Sevastopol\n- Deportations from Kherson\n"
    new = body + "Related articles:\n- Deportations from Kherson\n- Summonses in Sevastopol\n"
    assert not substantive_change(old, new)
    uk_old = body + "Читайте також\n• Повістки в Севастополі\n• Депортації з Херсона\n"
    uk_new = body + "Читайте також\n• Депортації з Херсона\n• Нові вироки\n"
    assert not substantive_change(uk_old, uk_new)


def test_related_block_without_bullets_ends_at_blank_line() -> None:
    body = report()
    old = body + "\nSee also\nSummonses in Sevastopol\nDeportations from Kherson\n\nEnd.\n"
    new = body + "\nSee also\nDeportations from Kherson\nSummonses in Sevastopol\n\nEnd.\n"
    assert not substantive_change(old, new)
    # What comes after the block still counts.
    assert substantive_change(old, new.replace("End.", "The end of the report."))


def test_typography_whitespace_and_case_are_not_substantive() -> None:
    old = "He said: «583 cases» — in Crimea.\nNext  paragraph."
    new = 'He said: "583 cases" - in crimea.\n\nNext paragraph.'
    assert not substantive_change(old, new)
    assert not substantive_change("583\u00a0000 people", "583 000 people")


def test_changed_figure_in_a_sentence_is_substantive() -> None:
    assert substantive_change(report(574), report(583))
    # Even when noise changed too.
    assert substantive_change(report(574, views="Views: 1"), report(583, views="Views: 2"))
    assert substantive_change("Переглядів: 345. Засуджено 12 осіб.",
                              "Переглядів: 350. Засуджено 14 осіб.")


def test_added_sentence_is_substantive() -> None:
    assert substantive_change(report(), report() + "Three more men were detained.\n")


def test_noise_rules_are_data_an_analyst_can_extend(tmp_path: Path) -> None:
    old, new = report() + "Visitors online: 17\n", report() + "Visitors online: 23\n"
    assert substantive_change(old, new)  # not a packaged rule
    path = tmp_path / "noise.toml"
    path.write_text(
        "[macros]\nNUM = '''\\d+'''\n\n"
        "[[rule]]\nname = \"online-counter\"\nlang = \"en\"\n"
        "pattern = '''visitors online: {NUM}'''\ncomment = \"changes every second\"\n",
        encoding="utf-8",
    )
    rules = load_noise_rules(path)
    assert [r.name for r in rules.rules] == ["online-counter"]
    assert not substantive_change(old, new, rules)
    assert rules.explain(new) == [("online-counter", "Visitors online: 23")]


def test_packaged_rules_have_names_and_comments() -> None:
    rules = load_noise_rules()
    assert rules is load_noise_rules()  # cached
    names = [r.name for r in rules.rules]
    assert len(names) == len(set(names)) >= 10
    assert all(r.comment for r in rules.rules)


def test_noise_does_not_swallow_report_numbers() -> None:
    # "reads"/"shares" as verbs and report figures near counters must survive.
    text = "The report reads: 583 cases. The group shares 12 testimonies.\nViews: 5"
    cleaned = load_noise_rules().apply(text)
    assert "583" in cleaned and "12" in cleaned and "5" not in cleaned.split()


# --------------------------------------------------------------------------------------
# Word diff


def test_word_diff_replace_of_a_figure() -> None:
    ops = word_diff("At least 574 criminal cases.", "At least 583 criminal cases.")
    assert ops == [
        DiffOp("equal", "At least", "At least"),
        DiffOp("replace", "574", "583"),
        DiffOp("equal", "criminal cases.", "criminal cases."),
    ]


def test_word_diff_insert_and_delete() -> None:
    ops = word_diff("Men were detained in Crimea.", "Men were detained in occupied Crimea.")
    assert [o.op for o in ops] == ["equal", "insert", "equal"]
    assert ops[1] == DiffOp("insert", "", "occupied")
    ops = word_diff("Three, four men.", "Three men.")
    assert [(o.op, o.old_text, o.new_text) for o in ops] == [
        ("equal", "Three", "Three"), ("delete", ", four", ""), ("equal", "men.", "men.")]


def test_word_diff_numbers_are_single_tokens() -> None:
    assert tokenize("1 234 people, 1,234.5 and 12") == ["1 234", "people", ",", "1,234.5",
                                                         "and", "12"]
    ops = word_diff("1 234 people", "1 240 people")
    assert ops[0] == DiffOp("replace", "1 234", "1 240")


def test_word_diff_identical_and_empty() -> None:
    assert word_diff("", "") == []
    assert word_diff("Same text.", "Same text.") == [DiffOp("equal", "Same text.", "Same text.")]
    assert word_diff("", "New.") == [DiffOp("insert", "", "New.")]
    assert word_diff("Old.", "") == [DiffOp("delete", "Old.", "")]


def test_word_diff_over_lines_keeps_original_text() -> None:
    old = "First line stays.\nSecond line: 574 cases.\nThird line stays."
    new = "First line stays.\nSecond line: 583 cases.\nA new line.\nThird line stays."
    ops = word_diff(old, new)
    changed = [o for o in ops if o.op != "equal"]
    assert changed[0] == DiffOp("replace", "574", "583")
    assert changed[1].op == "insert" and "A new line." in changed[1].new_text


def _side(ops: list[DiffOp], old: bool) -> list[str]:
    return [t for o in ops for t in tokenize(o.old_text if old else o.new_text)]


words = st.sampled_from(["583", "574", "cases", "Crimea", "the", ",", ".", "in", "men",
                         "\n", "since", "2015", "Кримська", "група"])


@settings(max_examples=150, deadline=None)
@given(st.lists(words, max_size=40), st.lists(words, max_size=40))
def test_word_diff_reconstructs_both_texts(a: list[str], b: list[str]) -> None:
    old, new = " ".join(a), " ".join(b)
    ops = word_diff(old, new)
    assert _side(ops, True) == tokenize(old)
    assert _side(ops, False) == tokenize(new)
    for o in ops:
        if o.op == "equal":
            assert tokenize(o.old_text) == tokenize(o.new_text)
    assert all(x.op != y.op or x.op != "equal" for x, y in itertools.pairwise(ops))


def _big_text(rng: random.Random, nbytes: int) -> str:
    vocab = ["the", "of", "and", "in", "Crimea", "criminal", "cases", "574", "people", "were",
             "conscripted", "Russia", ",", ".", "occupation", "human", "rights", "group",
             "report", "according", "to", "since", "2015", "at", "least"]
    lines, size = [], 0
    while size < nbytes:
        line = " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 60))) + "."
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


@pytest.mark.parametrize("shape", ["scattered", "unrelated", "one-line", "every-sentence"])
def test_200kb_texts_diff_without_blow_up(shape: str) -> None:
    rng = random.Random(7)
    old = _big_text(rng, 200_000)
    if shape == "scattered":
        new = "\n".join(ln.replace("574", "583", 1) if rng.random() < 0.05 else ln
                        for ln in old.split("\n"))
    elif shape == "unrelated":
        new = _big_text(rng, 200_000)
    elif shape == "one-line":
        old = old.replace("\n", " ")
        new = old.replace("574", "583", 3)
    else:
        new = old.replace("574", "575")
    ops = word_diff(old, new)  # must simply finish (speed: see the module's guard)
    assert _side(ops, True) == tokenize(old)
    assert _side(ops, False) == tokenize(new)
    assert substantive_change(old, new)


# --------------------------------------------------------------------------------------
# Summaries


def test_summarise_diff_shows_old_and_new_with_context() -> None:
    ops = word_diff(report(574), report(583))
    summary = summarise_diff(ops)
    assert "−574 +583" in summary
    assert "at least" in summary


def test_summarise_diff_bounds_length() -> None:
    old = " ".join(f"Sentence {i} says 100." for i in range(200))
    new = " ".join(f"Sentence {i} says 101." for i in range(200))
    summary = summarise_diff(word_diff(old, new), max_chars=300)
    assert len(summary) <= 300
    assert "more changes)" in summary
    huge = summarise_diff([DiffOp("insert", "", "word " * 1000)], max_chars=100)
    assert len(huge) <= 100 and huge.startswith("+word")
    assert summarise_diff([DiffOp("equal", "a", "a")]) == ""


# --------------------------------------------------------------------------------------
# Page events

PAGE = {"id": 3, "url": "https://crimeahrg.org/en/r/1", "source_id": "chrg"}
SNAP = {"id": 42, "url": PAGE["url"], "title": "Monitoring review", "published_at": "2024-11-05",
        "text": report(583, views="Views: 2"), "source_id": "chrg"}
PREV = {"id": 40, "url": PAGE["url"], "text": report(574, views="Views: 1")}


def test_page_event_new() -> None:
    ev = page_event("report.new", PAGE, SNAP, backfill=False)
    assert ev == {
        "type": "report.new", "dedup_key": f"report.new|{PAGE['url']}", "backfill": False,
        "source_id": "chrg", "snapshot_id": 42,
        "report": {"url": PAGE["url"], "title": "Monitoring review",
                   "published_at": "2024-11-05", "lang": SNAP.get("lang")},
        "payload_version": 1,
    }


def test_page_event_edited_carries_a_noise_free_diff() -> None:
    ev = page_event("report.edited", PAGE, SNAP, backfill=True, previous=PREV)
    assert ev["type"] == "report.edited" and ev["backfill"] is True
    assert ev["dedup_key"] == f"report.edited|{PAGE['url']}|{text_sha256(SNAP['text'])}"
    assert "−574 +583" in ev["diff"]
    assert "Views" not in ev["diff"]
    assert ev["previous_snapshot_id"] == 40
    again = page_event("report.edited", PAGE, dict(SNAP), backfill=True, previous=PREV)
    assert again["dedup_key"] == ev["dedup_key"]


def test_page_event_removed() -> None:
    ev = page_event("report.removed", PAGE, SNAP, backfill=False)
    assert ev["dedup_key"] == f"report.removed|{PAGE['url']}|42"
    ev = page_event("report.removed", {**PAGE, "removed_at": "2024-12-01"}, None, backfill=False)
    assert ev["dedup_key"] == f"report.removed|{PAGE['url']}|2024-12-01"
    assert ev["report"]["url"] == PAGE["url"] and ev["snapshot_id"] is None
    with pytest.raises(ValueError):
        page_event("figure.new", PAGE, SNAP, backfill=False)


def test_content_words_ignore_punctuation() -> None:
    assert content_words("At least 583, in Crimea!") == ["at", "least", "583", "in", "crimea"]


def test_word_diff_slices_original_text_around_typography() -> None:
    ops = word_diff("He said… 574 cases.", "He said… 583 cases.")
    assert ops[0] == DiffOp("equal", "He said…", "He said…")
    assert ops[1] == DiffOp("replace", "574", "583")
    ops = word_diff("A «quote» 5", 'A "quote" 6')
    assert ops == [DiffOp("equal", "A «quote»", 'A "quote"'), DiffOp("replace", "5", "6")]
