"""Period phrases → period keys (rightswatch.changes.periods), in en/uk/ru."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightswatch.changes import explain_period, load_period_rules, normalize_period
from rightswatch.changes.periods import DEFAULT_PATH, describe_period_key

OCC = "cumulative:occupation"
INV = "cumulative:2022"
UNSPEC = "cumulative:unspecified"
Q3 = "interval:2024-07/2024-09"
AUTUMN = "campaign:2024-autumn"

CASES = [
    # running totals over the occupation
    ("since 2014", OCC), ("since 2015", OCC), ("since the occupation", OCC),
    ("throughout the occupation", OCC), ("since the annexation", OCC),
    ("since the beginning of the occupation", OCC), ("since February 2014", OCC),
    ("за роки окупації", OCC), ("з 2015 року", OCC), ("від часу анексії", OCC),
    ("с 2014 года", OCC), ("с 2015 года", OCC), ("с момента аннексии", OCC),
    # since the full-scale invasion
    ("since 24 February 2022", INV), ("since February 24, 2022", INV),
    ("since the full-scale invasion", INV), ("Since Russia's full-scale invasion", INV),
    ("since 2022", INV), ("since February 2022", INV),
    ("з початку повномасштабного вторгнення", INV), ("Від початку повномасштабного вторгнення",
                                                     INV),
    ("з 2022 року", INV), ("з 24 лютого 2022 року", INV),
    ("с начала полномасштабного вторжения", INV), ("с 2022 года", INV),
    ("с 24 февраля 2022 года", INV),
    # later starts
    ("since September 2022", "cumulative:2022-09"), ("з вересня 2022 року", "cumulative:2022-09"),
    ("с сентября 2022 года", "cumulative:2022-09"),
    ("since the start of partial mobilisation", "cumulative:2022-09"),
    ("з початку мобілізації", "cumulative:2022-09"),
    ("since September 2023", "cumulative:2023-09"), ("з вересня 2023 року", "cumulative:2023-09"),
    ("с сентября 2023 года", "cumulative:2023-09"),
    # explicit ranges and quarters
    ("from July to September 2024", Q3), ("In July–September 2024", Q3),
    ("in the third quarter of 2024", Q3), ("Q3 2024", Q3),
    ("за III квартал 2024 року", Q3), ("у третьому кварталі 2024 року", Q3),
    ("з липня по вересень 2024 року", Q3), ("у липні–вересні 2024 року", Q3),
    ("в июле–сентябре 2024 года", Q3), ("с июля по сентябрь 2024 года", Q3),
    ("в третьем квартале 2024 года", Q3),
    ("between September 2022 and November 2023", "interval:2022-09/2023-11"),
    ("З вересня 2022 року до листопада 2023 року", "interval:2022-09/2023-11"),
    ("С сентября 2022 года по ноябрь 2023 года", "interval:2022-09/2023-11"),
    ("between 2014 and 2022", "interval:2014/2022"), ("з 2014 по 2022 рік", "interval:2014/2022"),
    ("in 2022–2023", "interval:2022/2023"),
    ("from January to December 2023", "interval:2023/2023"),
    ("from November 2023 to February 2024", "interval:2023-11/2024-02"),
    ("In the first half of 2025", "interval:2025-01/2025-06"),
    ("У першому півріччі 2025 року", "interval:2025-01/2025-06"),
    ("В первом полугодии 2025 года", "interval:2025-01/2025-06"),
    # a single month or year
    ("in October 2024", "interval:2024-10/2024-10"),
    ("у жовтні 2024 року", "interval:2024-10/2024-10"),
    ("в октябре 2024 года", "interval:2024-10/2024-10"),
    ("у січні 2025 року", "interval:2025-01/2025-01"),
    ("in 2024", "interval:2024/2024"), ("у 2024 році", "interval:2024/2024"),
    ("в 2024 году", "interval:2024/2024"), ("In 2022", "interval:2022/2022"),
    ("за 2023 рік", "interval:2023/2023"), ("during 2023", "interval:2023/2023"),
    # campaigns
    ("autumn 2024 conscription campaign", AUTUMN), ("the autumn 2024 draft", AUTUMN),
    ("осінній призов 2024", AUTUMN), ("осінньої призовної кампанії 2024 року", AUTUMN),
    ("осенний призыв 2024 года", AUTUMN), ("осенней призывной кампании 2024 года", AUTUMN),
    ("in autumn 2024", AUTUMN), ("восени 2024 року", AUTUMN), ("осенью 2024 года", AUTUMN),
    ("весняного призову 2025 року", "campaign:2025-spring"),
    ("spring 2025 conscription", "campaign:2025-spring"),
    ("in summer 2024", "season:2024-summer"),
    # reporting dates only
    ("as of October 2024", UNSPEC), ("as at 1 November 2024", UNSPEC),
    ("станом на жовтень 2024 року", UNSPEC), ("станом на жовтень 2024", UNSPEC),
    ("Станом на весну 2025 року", UNSPEC), ("по состоянию на октябрь 2024 года", UNSPEC),
    ("на 1 листопада 2024 року", UNSPEC), ("as of spring 2025", UNSPEC),
    ("by the end of 2024", UNSPEC), (None, UNSPEC), ("", UNSPEC),
    # a window and a reporting date
    ("since 2015, as of October 2024", OCC),
    ("з 2015 року станом на 1 листопада 2024 року", OCC),
    ("since the full-scale invasion, as of October 2024", INV),
    ("before the full-scale invasion", "interval:occupation/2022-02"),
    ("до повномасштабного вторгнення", "interval:occupation/2022-02"),
]


@pytest.mark.parametrize(("phrase", "key"), CASES)
def test_period_keys(phrase: str | None, key: str) -> None:
    assert normalize_period(phrase) == key


def test_since_2022_is_never_since_2015() -> None:
    """The trap: both are running totals, but over different windows."""
    for a, b in [("since 2022", "since 2015"), ("з 2022 року", "з 2015 року"),
                 ("с 2022 года", "с 2015 года"), ("since 2022", "since the occupation"),
                 ("since the full-scale invasion", "since 2014")]:
        assert normalize_period(a) != normalize_period(b), (a, b)
    assert normalize_period("since 2022") == normalize_period("since the full-scale invasion")
    assert normalize_period("since 2015") == normalize_period("throughout the occupation")


def test_missing_year_comes_from_publication_date() -> None:
    assert normalize_period("In November", "2024-11-20") == "interval:2024-11/2024-11"
    assert normalize_period("У листопаді", "2024-11-20T08:00:00Z") == "interval:2024-11/2024-11"
    assert normalize_period("В ноябре", "2025-01-10") == "interval:2024-11/2024-11"
    assert normalize_period("since September", "2024-11-20") == "cumulative:2024-09"
    assert normalize_period("since the start of the year", "2024-11-20") == "cumulative:2024"
    assert normalize_period("this year", "2024-11-20") == "interval:2024/2024"
    assert normalize_period("минулого року", "2024-11-20") == "interval:2023/2023"
    assert normalize_period("the autumn conscription campaign", "2025-02-01") == AUTUMN
    assert normalize_period("from July to September", "2024-11-20") == Q3


def test_unknown_or_unresolved_phrases_only_match_themselves() -> None:
    # No year and no publication date: never guess one.
    assert normalize_period("In November") == "text:in november"
    key = normalize_period("over the past two years")
    assert key.startswith("text:")
    assert normalize_period("Over the past  two years.") == key
    assert normalize_period("over the past three years") != key


def test_normalisation_of_typography_and_case() -> None:
    assert normalize_period("SINCE  2015") == OCC
    assert normalize_period("з 2015 р.") == OCC
    assert normalize_period("In July—September 2024") == Q3
    assert normalize_period("с начала полномасштабного вторжения") == INV
    assert normalize_period("С НАЧАЛА ПОЛНОМАСШТАБНОГО ВТОРЖЕНИЯ") == INV


def _plain_forms() -> list[tuple[int, str]]:
    doc = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    return [(int(month), form) for month, forms in doc["lexicon"]["month"].items()
            for form in forms if re.fullmatch(r"\w+", form)]


@pytest.mark.parametrize(("month", "form"), _plain_forms())
def test_every_month_form_is_understood(month: int, form: str) -> None:
    assert normalize_period(f"{form} 2024") == f"interval:2024-{month:02d}/2024-{month:02d}"


def test_month_forms_cover_all_cases_in_uk_and_ru() -> None:
    forms = {f for _, f in _plain_forms()}
    assert {"вересень", "вересня", "вересні", "вереснем"} <= forms
    assert {"сентябрь", "сентября", "сентябре", "сентябрем"} <= forms
    assert {"листопад", "листопада", "листопаді", "листопадом"} <= forms


def test_rules_are_data_an_analyst_can_extend(tmp_path: Path) -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    extra = (
        "\n[[rules]]\nname = \"dnr-mobilisation\"\nlang = \"en\"\nkind = \"fixed\"\n"
        "key = \"cumulative:2022-02\"\n"
        "pattern = '''general\\s+mobili[sz]ation'''\ncomment = \"DNR/LNR, 19 Feb 2022\"\n"
    )
    # Inserted before the packaged 'mobilisation' rule so that it wins.
    marker = '[[rules]]\nname = "mobilisation"'
    path = tmp_path / "periods.toml"
    path.write_text(text.replace(marker, extra.lstrip("\n") + "\n" + marker), encoding="utf-8")
    assert normalize_period("since the general mobilisation") == "cumulative:2022-09"
    assert normalize_period("since the general mobilisation",
                            rules_path=str(path)) == "cumulative:2022-02"
    assert explain_period("since the general mobilisation",
                          rules_path=str(path)) == ("cumulative:2022-02", "dnr-mobilisation")


def test_bad_rule_files_fail_loudly(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[rules]]\nname = \"x\"\nkind = \"sometimes\"\npattern = 'x'\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match="unknown kind"):
        load_period_rules(path)
    path2 = tmp_path / "bad2.toml"
    path2.write_text("[[rules]]\nname = \"x\"\nkind = \"since\"\npattern = '{NOPE}'\n",
                     encoding="utf-8")
    with pytest.raises(ValueError, match="unknown placeholder"):
        load_period_rules(path2)


def test_explain_names_the_rule() -> None:
    assert explain_period("since 2015") == (OCC, "en-since")
    assert explain_period("as of October 2024") == (UNSPEC, "reporting")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("since 2015 з по липня вересня 2024 року -–,."
                                             "qQ3 as of станом на autumn осінь ")),
               max_size=60),
       st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())))
def test_any_phrase_gets_a_key(phrase: str, published: str | None) -> None:
    key = normalize_period(phrase, published)
    assert key.split(":", 1)[0] in {"cumulative", "interval", "campaign", "season", "text"}


def test_mobilisation_needs_a_since_or_partial() -> None:
    assert normalize_period("since mobilisation was announced") == "cumulative:2022-09"
    assert normalize_period("с начала частичной мобилизации") == "cumulative:2022-09"
    assert normalize_period("після оголошення мобілізації") == "cumulative:2022-09"
    assert normalize_period("autumn 2024 mobilisation campaign") == AUTUMN


@pytest.mark.parametrize(("key", "label"), [
    ("cumulative:unspecified", ""),
    (None, ""),
    ("cumulative:occupation", "since the occupation began"),
    ("cumulative:2022", "since February 2022"),
    ("cumulative:2023-09", "since September 2023"),
    ("interval:2024-07/2024-09", "July 2024 – September 2024"),
    ("interval:2024/2024", "in 2024"),
    ("interval:occupation/2022-02", "occupation years before February 2022"),
    ("campaign:2026-autumn", "autumn 2026 conscription campaign"),
    ("season:2025-summer", "summer 2025"),
    ("text:за весь час", "за весь час"),
])
def test_period_keys_read_as_people_say_them(key: str | None, label: str) -> None:
    assert describe_period_key(key) == label
