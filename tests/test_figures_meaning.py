"""What figures count, where, whose part they are and who says so (issue 10's patterns).

Each case is a pattern common in real reports, written for this test (not from the gold
set): the counted thing far from the number, breakdowns, things outside the metric list,
percentages, small counts in words, traps, document context, generic attributions, tables.
"""

from __future__ import annotations

import pytest

from rightswatch.config import ConfigError, LexiconError, MetricDef, config_from_dict
from rightswatch.figures import Figure, extract_figures
from rightswatch.figures.vocab import check_language, load_vocab


def by_value(text: str, lang: str, **kw: object) -> dict[float, Figure]:
    return {f.value: f for f in extract_figures(text, lang, **kw)}  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "lang", "value", "metric", "basis"), [
    ("The group documented 574 cases of criminal persecution against Crimean residents.",
     "en", 574, "criminal_cases", "noun"),
    ("Roughly 50,000 Crimeans are being called to active duty.", "en", 50_000, "conscripted",
     "predicate"),
    ("At least 1,732 soldiers of the Russian army from units stationed in occupied Crimea "
     "who have been killed were identified.", "en", 1732, "deaths", "predicate"),
    ("The list now holds 277 political prisoners.", "en", 277, "political_prisoners", "noun"),
    ("Police detained 12 people in Dzhankoi.", "en", 12, "detained", "predicate"),
    ("Засуджено 12 кримчан.", "uk", 12, "convictions", "predicate"),
    ("У Джанкої затримали шістьох кримських татар.", "uk", 6, "detained", "predicate"),
    ("В Крыму задержаны пятеро крымских татар.", "ru", 5, "detained", "predicate"),
    ("Кількість політв'язнів сягнула 221.", "uk", 221, "political_prisoners", "noun"),
    ("Число уголовных дел, которые силовики возбудили в Крыму, достигло 583.", "ru", 583,
     "criminal_cases", "noun"),
    ("Security forces searched 37 homes and carried out 12 searches.", "en", 12, "searches",
     "noun"),
    ("Суды составили 642 административных протокола.", "ru", 642, "administrative_cases",
     "noun"),
    ("Nine children were returned to Ukraine last week.", "en", 9, "returned", "predicate"),
    ("Вдалося повернути додому ще 14 дітей.", "uk", 14, "returned", "predicate"),
    ("Росія депортувала щонайменше 19 546 дітей.", "uk", 19_546, "deported", "predicate"),
    ("In Crimea, 14 men received summonses at work.", "en", 14, "summonses", "predicate"),
    ("The decree sets the autumn draft target at 133,000 men.", "en", 133_000,
     "conscription_quota", "predicate"),
])
def test_what_the_number_counts(text: str, lang: str, value: float, metric: str,
                                basis: str) -> None:
    f = by_value(text, lang)[value]
    assert (f.metric, f.basis) == (metric, basis)
    assert 0 < f.confidence <= 1


def test_things_outside_the_metric_list_still_have_what() -> None:
    f = by_value("Journalists found obituaries of 45 Crimeans.", "en")[45]
    assert (f.metric, f.what) == (None, "obituaries")
    f = by_value("Since 2015 Russia has held 20 conscription campaigns in Crimea.", "en")[20]
    assert (f.metric, f.what) == (None, "conscription campaigns")
    f = by_value("Fines of between 15,000 and 50,000 roubles were imposed.", "en")[15_000]
    assert (f.metric, f.unit, f.what) == (None, "RUB", "fines")


def test_returned_is_never_deported() -> None:
    found = by_value("Of the 19,546 children deported by Russia, 1,378 have been returned to "
                     "Ukraine.", "en")
    assert found[19_546].metric == "deported"
    assert found[1378].metric == "returned"


def test_breakdowns_are_parts_of_the_whole_not_its_series() -> None:
    found = by_value("Crimean Tatar organisations count 277 political prisoners. Of them, 202 "
                     "are serving sentences and 117 are held in pre-trial detention.", "en")
    assert found[277].part is False
    for value in (202, 117):
        assert (found[value].metric, found[value].part) == ("political_prisoners", True)
    found = by_value("Since 2015, 336 criminal cases have been opened in Crimea; proceedings in "
                     "3 of them were suspended.", "en")
    assert (found[3].metric, found[3].part) == ("criminal_cases", True)
    found = by_value("У Криму порушено 583 кримінальні справи, з них 41 — лише в Севастополі.",
                     "uk")
    assert (found[41].metric, found[41].part, found[41].region) == (
        "criminal_cases", True, "sevastopol")
    found = by_value("244 of the 574 cases were opened after February 2022.", "en")
    assert (found[244].part, found[574].part) == (True, False)


@pytest.mark.parametrize(("text", "lang", "value", "metric", "part"), [
    # a relative clause's verb is background
    ("Volunteers brought back 23 teenagers who had been deported to Russia.", "en", 23,
     "returned", False),
    ("23 teenagers who had been deported to Russia were brought back home.", "en", 23,
     "returned", False),
    # one verb, two objects
    ("The missions have returned 640 children and 215 parents to Ukraine.", "en", 215,
     "returned", False),
    # the law decides the kind of a case with no word for it
    ("Суды применяют ст. 20.3.3 КоАП РФ. За год они рассмотрели 410 дел.", "ru", 410,
     "administrative_cases", False),
    ("Кримські суди застосовують ст. 20.3.3 КУпАП РФ. Розглянуто 150 справ.", "uk", 150,
     "administrative_cases", False),
    ("Суды рассмотрели 410 дел по статье УК РФ о госизмене.", "ru", 410, "criminal_cases",
     False),
    # "such cases" count what was counted before
    ("Силовики затримали 31 людину. Відомо ще про 9 таких випадків у Херсоні.", "uk", 9,
     "detained", False),
    ("Група нарахувала 300 вироків, з них 210 таких вироків — заочні.", "uk", 210,
     "convictions", True),
    # verb last after a gap
    ("В российскую армию за осень забрали 420 человек.", "ru", 420, "conscripted", False),
    ("У полон за тиждень потрапили 35 військових.", "uk", 35, "captured", False),
    # a breakdown goes on
    ("Возбуждено 300 уголовных дел. По 210 из них вынесены приговоры, еще 40 находятся на "
     "рассмотрении.", "ru", 40, "criminal_cases", True),
    # a list after "by status:" breaks down the total before it
    ("The centre counts 280 political prisoners. It groups them by status:\n"
     "– in colonies: 150 people;\n– released: 41.", "en", 41, "political_prisoners", True),
])
def test_clauses_lists_and_the_law(text: str, lang: str, value: float, metric: str,
                                   part: bool) -> None:
    f = by_value(text, lang)[value]
    assert (f.metric, f.part) == (metric, part)


@pytest.mark.parametrize(("text", "lang", "value", "unit"), [
    ("36.1% of them are FSB officers.", "en", 36.1, "percent"),
    ("85 per cent will serve outside Crimea.", "en", 85, "percent"),
    ("Частка кримських татар — 36,1%.", "uk", 36.1, "percent"),
    ("Суды назначили штрафов на 3,5 тысячи рублей.", "ru", 3500, "RUB"),
    ("Штрафи склали 3,5 тис. гривень.", "uk", 3500, "UAH"),
])
def test_units_and_decimal_commas(text: str, lang: str, value: float, unit: str) -> None:
    f = by_value(text, lang)[value]
    assert f.unit == unit


@pytest.mark.parametrize(("text", "lang"), [
    ("Men between the ages of 18 and 30 were called up.", "en"),
    ("Призову підлягають чоловіки віком від 18 до 30 років.", "uk"),
    ("Призыву подлежат мужчины в возрасте от 18 до 30 лет.", "ru"),
    ("In the first half of 2024 the courts were busy.", "en"),
    ("У першому півріччі 2024 року суди працювали.", "uk"),
    ("He was sentenced to 12 years in a penal colony.", "en"),
    ("It was the 20th conscription campaign.", "en"),
    ("Persons under 18 are named by their initials.", "en"),
    ("The upper draft age was raised to 30.", "en"),
    ("He has three sons and two daughters.", "en"),
])
def test_traps_are_not_figures(text: str, lang: str) -> None:
    assert extract_figures(text, lang) == []


def test_the_place_of_a_whole_text_reaches_sentences_that_name_none() -> None:
    text = ("The group has documented at least 522 such criminal cases.\n\n"
            "Most defendants were fined.")
    f = extract_figures(text, "en", title="Crimea: draft evasion cases keep rising")[0]
    assert (f.region, f.region_basis) == ("crimea", "document")
    f = extract_figures("In Crimea the group counted 40 searches. It also counted 12 "
                        "detentions.", "en")[1]
    assert (f.region, f.region_basis) == ("crimea", "paragraph")


def test_generic_attributions_name_no_organisation() -> None:
    f = extract_figures("According to human rights organizations, at least 583 criminal "
                        "proceedings have been initiated in Crimea.", "en")[0]
    assert (f.source, f.attribution) == (None, "generic")
    f = extract_figures("За даними правозахисників, у Криму відкрито 583 провадження.", "uk")[0]
    assert (f.source, f.attribution) == (None, "generic")
    f = extract_figures("Human rights groups told DW that 583 criminal proceedings were open.",
                        "en")[0]
    assert f.source is None
    f = extract_figures("According to the Crimean Human Rights Group, 583 criminal proceedings "
                        "were open. The group said 12 more were opened in May.", "en")[1]
    assert (f.source, f.attribution) == ("Crimean Human Rights Group", "named")


def test_tables_flattened_from_pdfs() -> None:
    text = ("Table 3. Criminal cases under Art. 328 in Crimea, 2021–2023\n"
            "Year        Cases sent to court   Verdicts\n"
            "2021        41                    40\n"
            "2022        67                    63\n"
            "Total       108                   103\n"
            "Source: CHRG monitoring data.")
    found = {(f.value, f.metric, f.period, f.part) for f in extract_figures(text, "en")}
    assert (41, "criminal_cases", "2021", True) in found
    assert (40, "convictions", "2021", True) in found
    assert (108, "criminal_cases", "2021–2023", False) in found
    assert all(f.region == "crimea" and f.source == "Crimean Human Rights Group"
               for f in extract_figures(text, "en"))


def test_user_metrics_extend_the_lexicons() -> None:
    metric = MetricDef("mosque_closures", "mosques closed",
                       nouns=(("en", ("closed mosque",)), ("uk", ("закрита мечеть",))))
    f = extract_figures("Authorities have shut 7 closed mosques since 2014.", "en",
                        metrics=(metric,))[0]
    assert (f.metric, f.what) == ("mosque_closures", "mosques closed")
    assert extract_figures("Authorities have shut 7 closed mosques.", "en")[0].metric is None


@pytest.mark.parametrize(("table", "fragment"), [
    ({"id": "deaths", "nouns": {"en": ["x"]}}, "already a metric"),
    ({"id": "Bad Id", "nouns": {"en": ["x"]}}, "key 'id'"),
    ({"id": "closures"}, "give 'nouns' or 'predicates'"),
    ({"id": "closures", "nouns": {"fr": ["fermeture"]}}, "languages are en, uk, ru"),
    ({"id": "closures", "nouns": {"en": "closure"}}, "must be a list"),
    ({"id": "closures", "nouns": {"en": ["закриття"]}}, "latin alphabet"),
    ({"id": "closures", "nouns": {"uk": ["закрытие"]}}, "Russian letters"),
    ({"id": "closures", "nouns": {"ru": ["звільнення"]}}, "Ukrainian letters"),
    ({"id": "closures", "colour": "red", "nouns": {"en": ["x"]}}, "unknown key 'colour'"),
])
def test_bad_user_metrics_are_refused_naming_file_table_and_key(table: dict,
                                                                 fragment: str) -> None:
    with pytest.raises(LexiconError) as info:
        config_from_dict({"metric": [table]}, None)
    assert fragment in str(info.value) and "[[metric]] #1" in str(info.value)


def test_a_russian_word_in_a_ukrainian_list_is_caught_by_its_dictionary() -> None:
    assert check_language("политзаключенный", "uk") is not None  # no ы/э/ъ/ё: the dictionary
    assert check_language("політв'язень", "uk") is None
    metric = MetricDef("detained_lawyers", "lawyers detained", nouns=(("uk", ("защитник",)),),
                       where="rightswatch.toml")
    with pytest.raises(LexiconError) as info:
        load_vocab("uk", (metric,))
    assert "rightswatch.toml" in str(info.value) and "'nouns'" in str(info.value)


def test_rules_may_name_user_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    rule = {"name": "team", "channel": "webhook", "url": "https://h.example.org/x",
            "secret": "${HOOK_SECRET}", "metrics": ["closures", "deaths"]}
    config = config_from_dict({"metric": [{"id": "closures", "nouns": {"en": ["closure"]}}],
                               "alert": [rule]}, None)
    assert [m.id for m in config.metrics] == ["closures"]
    assert set(config.alerts[0].metrics) == {"closures", "deaths"}
    with pytest.raises(ConfigError, match="closures"):
        config_from_dict({"alert": [rule]}, None)


@pytest.mark.parametrize(("doc", "fragment"), [
    ({"thing": [{"what": "cases", "metric": "criminal-cases", "en": ["case"]}]},
     "things.toml: [[thing]] #1 (what = 'cases'): key 'metric': unknown metric id"),
    ({"thing": [{"metric": "deaths", "en": ["death"]}]}, "things.toml: [[thing]] #1: key 'what'"),
    ({"thing": [{"what": "deaths", "en": "death"}]}, "key 'en' must be a list"),
    ({"thing": [{"what": "deaths", "uk": ["death"]}]}, "key 'uk': 'death' is not written in"),
    ({"thing": [{"what": "deaths", "uk": ["погибший"]}]}, "key 'uk': 'погибший'"),
    ({"thing": [{"what": "deaths", "kind": "animal", "en": ["death"]}]}, "key 'kind'"),
    ({"thing": {"what": "deaths"}}, "array of tables"),
])
def test_a_bad_shipped_lexicon_is_refused_naming_file_table_and_key(doc: dict,
                                                                    fragment: str) -> None:
    from rightswatch.figures.vocab import parse_things
    from rightswatch.vocabulary import METRICS

    with pytest.raises(LexiconError) as info:
        parse_things(doc, "things.toml", METRICS)
    assert fragment in str(info.value)
