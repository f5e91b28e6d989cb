"""Focused tests of rightswatch.figures, one phenomenon at a time."""

from __future__ import annotations

import dataclasses
import json

import pytest

from rightswatch.figures import Figure, extract_figures
from rightswatch.figures.lexicon import load
from rightswatch.figures.numbers import values_in


def figs(text: str, lang: str | None = None) -> list[Figure]:
    return extract_figures(text, lang)


def one(text: str, lang: str | None = None) -> Figure:
    found = figs(text, lang)
    assert len(found) == 1, [f.text for f in found]
    return found[0]


def values(text: str, lang: str | None = None) -> list[int | float]:
    return [f.value for f in figs(text, lang)]


# --- the Figure contract -----------------------------------------------------------------


def test_figure_has_exactly_the_design_fields() -> None:
    names = [f.name for f in dataclasses.fields(Figure)]
    assert names == [
        "value", "text", "start", "end", "qualifier", "metric", "subject",
        "region", "period", "source", "sentence", "lang", "unit", "what", "population",
        "basis", "confidence", "region_basis", "part", "attribution", "id",
    ]  # fmt: skip
    f = one("At least 583 criminal cases were opened in Crimea since 2015.", "en")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.value = 1  # type: ignore[misc]
    d = f.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert "range_end" not in d


def test_design_example() -> None:
    body = (
        "According to the Crimean Human Rights Group, at least 583 criminal proceedings "
        "have been opened in Crimea since 2015."
    )
    f = one(body, "en")
    d = f.to_dict()
    assert d.pop("id").startswith("fig_")
    assert d == {
        "value": 583, "text": "at least 583", "start": 45, "end": 57,
        "qualifier": "at_least", "metric": "criminal_cases", "subject": "criminal proceedings",
        "region": "crimea", "period": "since 2015", "source": "Crimean Human Rights Group",
        "sentence": body, "lang": "en", "unit": "count", "what": "criminal cases",
        "population": None, "basis": "noun", "confidence": 0.9, "region_basis": "sentence",
        "part": False, "attribution": "named",
    }  # fmt: skip
    assert body[f.start : f.end] == f.text


def test_ids_survive_edits_elsewhere_and_tell_repeats_apart() -> None:
    body = "At least 583 criminal cases were opened in Crimea. Another 583 cases."
    first = figs(body, "en")
    edited = figs("A new first paragraph.\n\n" + body, "en")
    assert [f.id for f in first] == [f.id for f in edited]
    twice = figs("12 people were detained. 12 people were detained.", "en")
    assert len({f.id for f in twice}) == 2


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("1,873 members died.", "en", 1873),
        ("1.873 members died.", "en", 1873),
        ("2 415 people were mobilised.", "en", 2415),
        ("2\u00a0415 осіб мобілізовано.", "uk", 2415),
        ("2\u202f415 человек мобилизованы.", "ru", 2415),
        ("145.000 кримчан на обліку.", "uk", 145000),
        ("1.5 million residents were forced to take passports.", "en", 1_500_000),
        ("1,2 млн рублей штрафов.", "ru", 1_200_000),
        ("60 тис. повісток вручили.", "uk", 60000),
        ("Более 34 тыс. крымчан призвали.", "ru", 34000),
        ("понад 100 тисяч чоловіків мобілізували", "uk", 100_000),
        ("1,234,567 people were displaced.", "en", 1_234_567),
        ("1.234,5 тонн", "uk", None),
    ],
)
def test_digit_numbers(text: str, lang: str, value: int | None) -> None:
    got = values(text, lang)
    assert got == ([value] if value is not None else [])


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("Seven thousand reservists were called up.", "en", 7000),
        ("Two hundred of them were mobilised.", "en", 200),
        ("two hundred and fifty men were detained", "en", 250),
        ("twenty-five men were detained", "en", 25),
        ("a thousand Crimeans were mobilised", "en", 1000),
        ("Шість тисяч кримчан мобілізували.", "uk", 6000),
        ("понад двісті кримчан мобілізували", "uk", 200),
        ("близько двохсот осіб затримали", "uk", 200),
        ("около двухсот человек задержаны", "ru", 200),
        ("две тысячи триста человек получили повестки", "ru", 2300),
        ("понад тисячу людей мобілізували", "uk", 1000),
        ("более тысячи человек мобилизованы", "ru", 1000),
        ("близько сотні кримчан затримали", "uk", 100),
        ("дві сотні кримчан мобілізували", "uk", 200),
        ("півтори тисячі кримчан мобілізували", "uk", 1500),
        ("троих мужчин задержали", "ru", 3),
    ],
)
def test_number_words(text: str, lang: str, value: int) -> None:
    assert values(text, lang) == [value]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Thousands of people were detained.", "en"),
        ("тисячі людей затримали", "uk"),
        ("сотни людей задержаны", "ru"),
        ("one of the detainees", "en"),
        ("десятки тисяч кримчан мобілізували", "uk"),
    ],
)
def test_vague_number_words_are_not_figures(text: str, lang: str) -> None:
    assert figs(text, lang) == []


def test_small_number_words_count_when_they_count_what_monitors_count() -> None:
    assert values("Three men were detained.", "en") == [3]
    assert values("He has three sons and two daughters.", "en") == []
    assert values("Nine children were returned to Ukraine.", "en") == [9]
    assert values("Суд виніс двох нових вироків.", "uk") == [2]
    assert values("Вернули шестерых детей.", "ru") == [6]


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("45% of the detainees were Crimean Tatars.", "en", 45),
        ("36.1% of them are FSB officers.", "en", 36.1),
        ("85 per cent will serve outside Crimea.", "en", 85),
        ("45 відсотків затриманих — кримські татари.", "uk", 45),
        ("36,1% з них — кримські татари.", "uk", 36.1),
        ("Доля крымских татар — 36,1%.", "ru", 36.1),
    ],
)
def test_percentages_are_figures_with_their_unit(text: str, lang: str, value: float) -> None:
    f = one(text, lang)
    assert (f.value, f.unit) == (value, "percent")


# --- qualifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "qualifier"),
    [
        ("at least 522 cases", "en", "at_least"),
        ("no less than 133,000 conscripts", "en", "at_least"),
        ("more than 34,000 Crimeans were mobilised", "en", "more_than"),
        ("over 100,000 men were mobilised", "en", "more_than"),
        ("nearly 60,000 summonses", "en", "approx"),
        ("almost 2,000 cases", "en", "approx"),
        ("about 1,500 people were detained", "en", "approx"),
        ("roughly 50,000 Crimeans were called up", "en", "approx"),
        ("up to 400 men were detained", "en", "up_to"),
        ("fewer than 30 people were acquitted", "en", "less_than"),
        ("50,000 or more Crimeans were called up", "en", "at_least"),
        ("щонайменше 522 провадження", "uk", "at_least"),
        ("не менше 1 732 загиблих", "uk", "at_least"),
        ("понад 3000 кримчан мобілізовано", "uk", "more_than"),
        ("більше ніж 600 загиблих", "uk", "more_than"),
        ("близько 5 тис. кримчан мобілізовано", "uk", "approx"),
        ("майже 60 тис. повісток", "uk", "approx"),
        ("до 400 чоловіків затримали", "uk", "up_to"),
        ("менше ніж 30 осіб виправдали", "uk", "less_than"),
        ("не менее 522 уголовных дел", "ru", "at_least"),
        ("более 34 тыс. крымчан призвали", "ru", "more_than"),
        ("свыше 100 тысяч мужчин мобилизовали", "ru", "more_than"),
        ("около 5 тыс. крымчан мобилизовали", "ru", "approx"),
        ("почти 60 тыс. повесток", "ru", "approx"),
        ("до 400 мужчин задержали", "ru", "up_to"),
        ("менее 30 человек оправданы", "ru", "less_than"),
    ],
)
def test_qualifiers(text: str, lang: str, qualifier: str) -> None:
    f = one(text, lang)
    assert f.qualifier == qualifier
    assert any(ch.isalpha() for ch in f.text)  # the qualifier words are part of the span


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Кількість справ зросла з 574 до 583.", "uk", [(574, "exact"), (583, "exact")]),
        ("Число дел выросло с 574 до 583.", "ru", [(574, "exact"), (583, "exact")]),
        ("The number of cases rose from 574 to 583.", "en", [(574, "exact"), (583, "exact")]),
        ("Засудили до трьох років, затримали до 400 осіб.", "uk", [(400, "up_to")]),
        ("До 2022 року затримали 50 осіб.", "uk", [(50, "exact")]),
    ],
)
def test_ambiguous_up_to(text: str, lang: str, expected: list[tuple[int, str]]) -> None:
    assert [(f.value, f.qualifier) for f in figs(text, lang)] == expected


# --- ranges and fractions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "value", "end", "qualifier"),
    [
        ("200–300 people were recruited.", "en", 200, 300, "at_least"),
        ("Between 150 and 200 Crimean Tatars were detained.", "en", 150, 200, "at_least"),
        ("від 200 до 300 осіб завербували", "uk", 200, 300, "at_least"),
        ("от 2 до 3 тысяч человек мобилизовали", "ru", 2000, 3000, "at_least"),
        ("about 200-300 men were detained", "en", 200, 300, "approx"),
    ],
)
def test_ranges(text: str, lang: str, value: int, end: int, qualifier: str) -> None:
    f = one(text, lang)
    assert (f.value, f.range_end, f.qualifier) == (value, end, qualifier)
    assert f.to_dict()["range_end"] == end


def test_year_ranges_are_not_figures() -> None:
    assert figs("In 2014–2015 and 2014-15 the peninsula was occupied.", "en") == []


@pytest.mark.parametrize(
    ("text", "lang", "value", "qualifier"),
    [
        ("Не менее четверти осужденных — крымские татары.", "ru", 0.25, "at_least"),
        ("A quarter of the convicted were Crimean Tatars.", "en", 0.25, "exact"),
        ("Половина затриманих — кримські татари.", "uk", 0.5, "exact"),
    ],
)
def test_fractions_of_a_count(text: str, lang: str, value: float, qualifier: str) -> None:
    f = one(text, lang)
    assert (f.value, f.qualifier) == (value, qualifier)


def test_fractions_of_other_things_are_not_figures() -> None:
    assert figs("A quarter of a century has passed.", "en") == []
    assert figs("Половина території окупована.", "uk") == []


# --- non-figures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Russia invaded on 24 February 2022.", "en"),
        ("Russia invaded on February 24, 2022.", "en"),
        ("Вторгнення почалося 24.02.2022.", "uk"),
        ("It began on 2022-02-24 at dawn.", "en"),
        ("Вторгнення почалося 24 лютого 2022 року.", "uk"),
        ("Это случилось в 2014 году.", "ru"),
        ("The occupation of 2014–2015 changed everything.", "en"),
        ("Ivan (19) was taken away.", "en"),
        ("A 33-year-old man was taken away.", "en"),
        ("The man, aged 45, was taken away.", "en"),
        ("19-річного хлопця забрали.", "uk"),
        ("19-летнего парня забрали.", "ru"),
        ("Іван Петренко, 45 років, зник.", "uk"),
        ("He was charged under Article 338.", "en"),
        ("It violates Article 7 (1)(d) of the Statute.", "en"),
        ("Справу відкрили за ч. 1 ст. 328 КК РФ.", "uk"),
        ("Дело возбуждено по ст. 328 УК РФ.", "ru"),
        ("Його обвинувачують за статтею 328.", "uk"),
        ("Див. п. 3 рекомендацій.", "uk"),
        ("Decree No. 585 was signed.", "en"),
        ("Справа № 1-123/2024 розглядається.", "uk"),
        ("It was the 20th campaign.", "en"),
        ("Это уже 20-й призыв.", "ru"),
        ("Це вже третій призов.", "uk"),
        ("The raid started at 14:30.", "en"),
        ("Обшук почався о 14.30.", "uk"),
        ("Call +380 44 123 45 67 for help.", "en"),
        ("Телефон гарячої лінії: (0652) 12-34-56.", "uk"),
        ("See page 12 and p. 14.", "en"),
        ("Views: 1234", "en"),
        ("Переглядів: 345", "uk"),
        ("Просмотров: 1 234", "ru"),
        ("In the first half of 2024 the courts were busy.", "en"),
        ("У першому півріччі 2024 року суди працювали.", "uk"),
        ("Men between the ages of 18 and 30 were called up.", "en"),
        ("Чоловіків віком від 18 до 30 років призвали.", "uk"),
        ("He was sentenced to up to three years.", "en"),
        ("Его приговорили к 12 годам колонии.", "ru"),
        ("The village is 15 km from Dzhankoi.", "en"),
        ("Read more at https://example.org/2024/10/12345 now.", "en"),
        ("Ask at info2024@example.org today.", "en"),
        ("The Su-24 and the COVID-19 wave.", "en"),
        ("The 1990s were calm.", "en"),
        ("Footnote mark here.12 And more text follows.", "en"),
    ],
)
def test_non_figures(text: str, lang: str) -> None:
    assert [f.text for f in figs(text, lang)] == []


def test_money_is_reported_without_metric_with_its_currency() -> None:
    f = one("The fine is $5,000.", "en")
    assert (f.value, f.metric, f.unit) == (5000, None, "USD")
    f = one("Штраф сягає 40 тисяч рублів.", "uk")
    assert (f.value, f.metric, f.unit) == (40000, None, "RUB")
    f = one("Суды назначили штрафов на 3,5 тысячи рублей.", "ru")
    assert (f.value, f.unit) == (3500, "RUB")


def test_a_count_shaped_like_a_year_is_a_figure_when_it_counts_something() -> None:
    assert values("понад 2000 осіб мобілізовано", "uk") == [2000]
    assert values("In 2000 the law changed.", "en") == []


# --- metric, subject, region, period, source ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "metric"),
    [
        ("583 criminal cases for evading mobilisation", "en", "criminal_cases"),
        ("1,873 members of Crimea-based units died.", "en", "deaths"),
        ("116 were captured.", "en", "captured"),
        ("63 Crimeans were illegally mobilised.", "en", "conscripted"),
        ("Nearly 60,000 summonses were issued.", "en", "summonses"),
        ("497 convictions were handed down.", "en", "convictions"),
        ("KHPG verified 218 political prisoners.", "en", "political_prisoners"),
        ("At least 46 Crimeans were deported.", "en", "deported"),
        ("37 civilians were injured.", "en", "injured"),
        ("17 men were detained.", "en", "detained"),
        ("The decree sets a quota of 133,000 conscripts.", "en", "conscription_quota"),
        ("574 кримінальні провадження", "uk", "criminal_cases"),
        ("загинули 703 мешканці Криму", "uk", "deaths"),
        ("116 потрапили в полон", "uk", "captured"),
        ("574 уголовных дела", "ru", "criminal_cases"),
        ("вынесено 497 приговоров", "ru", "convictions"),
        ("Criminal cases: 574.", "en", "criminal_cases"),
        ("25,000 students were enrolled in clubs.", "en", None),
        ("20 conscription campaigns were held.", "en", None),
    ],
)
def test_metric_from_the_counted_noun(text: str, lang: str, metric: str | None) -> None:
    assert one(text, lang).metric == metric


def test_partitive_takes_the_previous_metric() -> None:
    got = figs("CHRG counted 574 criminal cases. Of these, 244 were opened after the invasion.")
    assert [(f.value, f.metric) for f in got] == [(574, "criminal_cases"), (244, "criminal_cases")]
    got = figs("КПГ нарахувала 574 провадження, з них 244 порушено після вторгнення.", "uk")
    assert [f.metric for f in got] == ["criminal_cases", "criminal_cases"]


def test_subject_is_the_counted_noun_phrase() -> None:
    assert one("at least 583 criminal proceedings were opened", "en").subject == (
        "criminal proceedings"
    )
    assert one("1,873 members of Crimea-based units died", "en").subject == (
        "members of Crimea-based units"
    )


@pytest.mark.parametrize(
    ("text", "lang", "region"),
    [
        ("63 Crimeans were mobilised.", "en", "crimea"),
        ("In Sevastopol, 25,000 pupils joined.", "en", "sevastopol"),
        ("у Мелітополі мобілізували 80 чоловіків", "uk", "zaporizhzhia"),
        ("на Херсонщині затримали 400 чоловіків", "uk", "kherson"),
        ("в Донецкой и Луганской областях мобилизовали 100 тысяч", "ru", "occupied_territories"),
        ("218 political prisoners from Crimea are held in Russia.", "en", "crimea"),
        ("The Russian decree sets a quota of 133,000 for Russia.", "en", "russia"),
        ("By the Crimean Human Rights Group's count, 12 people were detained.", "en", None),
    ],
)
def test_region(text: str, lang: str, region: str | None) -> None:
    assert one(text, lang).region == region


@pytest.mark.parametrize(
    ("text", "lang", "period"),
    [
        ("Since 2015, 50,000 Crimeans were called up.", "en", "Since 2015"),
        ("63 were mobilised from July to September 2024.", "en", "from July to September 2024"),
        ("As of October 2024, 522 cases were opened.", "en", "As of October 2024"),
        ("З початку повномасштабного вторгнення загинули 703 кримчан.", "uk",
         "З початку повномасштабного вторгнення"),
        ("С 2014 года возбуждено 574 дела.", "ru", "С 2014 года"),
        ("станом на жовтень 2024 року порушено 522 справи", "uk", "станом на жовтень 2024 року"),
    ],
)  # fmt: skip
def test_period(text: str, lang: str, period: str) -> None:
    assert one(text, lang).period == period


@pytest.mark.parametrize(
    ("text", "lang", "source"),
    [
        ("According to CHRG, 63 Crimeans were mobilised.", "en", "Crimean Human Rights Group"),
        ("63 Crimeans were mobilised, the Crimean Human Rights Group reported.", "en",
         "Crimean Human Rights Group"),
        ("За даними Кримської правозахисної групи, мобілізовано 63 кримчан.", "uk",
         "Crimean Human Rights Group"),
        ("По данным Крымской правозащитной группы, мобилизовано 63 крымчанина.", "ru",
         "Crimean Human Rights Group"),
        ("Как сообщает КПГ, мобилизовано 63 крымчанина.", "ru", "Crimean Human Rights Group"),
        ("Про це повідомляє ХПГ: 218 політв'язнів.", "uk", "Kharkiv Human Rights Protection Group"),
        ("ZMINA says 14 journalists are behind bars.", "en", "ZMINA Human Rights Centre"),
        ("Зміна підходу: 14 журналістів за ґратами.", "uk", None),
        ("According to Ukrainian intelligence, 300 men were recruited.", "en",
         "Ukrainian intelligence"),
        ("Citing Article 328, the court convicted 12 men.", "en", None),
    ],
)  # fmt: skip
def test_source(text: str, lang: str, source: str | None) -> None:
    assert one(text, lang).source == source


def test_source_carries_on_through_the_report_until_another_attribution() -> None:
    # A report's later paragraphs go on quoting whom it quoted (issue 10: attribution is
    # read over the whole text), until another or a generic attribution says otherwise.
    body = (
        "According to the Eastern Human Rights Group, 300 people were recruited. "
        "Of them, 200 came from Kherson region.\n\n"
        "In Crimea, 63 men were mobilised.\n\n"
        "According to human rights defenders, 12 more were detained. 5 were released."
    )
    assert [f.source for f in figs(body, "en")] == [
        "Eastern Human Rights Group",
        "Eastern Human Rights Group",
        "Eastern Human Rights Group",
        None,
        None,
    ]


def test_back_reference_attributes_the_sentences_before() -> None:
    body = "З вересня 2023 року мобілізовано понад 3000 кримчан. Про це повідомляє КРЦ."
    assert one(body, "uk").source == "Crimean Tatar Resource Center"
    body = "С сентября 2023 года мобилизованы более 3000 крымчан. Об этом сообщает КТРЦ."
    assert one(body, "ru").source == "Crimean Tatar Resource Center"


# --- language ------------------------------------------------------------------------------


def test_language_is_detected_when_not_given() -> None:
    assert one("За даними КПГ, у Криму порушено 522 кримінальні справи.").lang == "uk"
    assert one("По данным КПГ, в Крыму возбуждено 522 уголовных дела за уклонение.").lang == "ru"
    assert one("According to CHRG, 522 criminal cases were opened in Crimea.").lang == "en"
    # the decimal mark follows the language
    assert values("Штрафи склали 1,5 млн гривень.") == [1_500_000]


def test_lexicons_are_data() -> None:
    lex = load("uk")
    assert lex.numwords["шість"][1] == 6
    assert lex.numwords["тисяч"][1] == 1000
    assert values_in("понад 100 тисяч", lex) == [100_000]


# --- robustness ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "1," * 500_000,
        "1 " * 500_000,
        "1" * 1_000_000,
        "(" * 500_000 + ")" * 500_000,
        "(a (b " * 170_000,
        "1. " * 333_333,
        "1-" * 500_000,
        "понад 1 000 тис. ст. 328 (19) 24.02.2022 " * 25_000,
        "word " * 200_000,
    ],
    ids=["commas", "spaces", "digits", "parens", "nested", "dots", "dashes", "mixed", "words"],
)
def test_adversarial_megabyte_is_handled(body: str) -> None:
    """Hostile input ends, and yields only well-formed figures; how fast is measured by
    `make bench` (figures_adversarial_1mb_s), never by a timed test."""
    found = extract_figures(body)
    assert all(body[f.start:f.end] == f.text for f in found)
    assert len(found) <= len(body) // 2
