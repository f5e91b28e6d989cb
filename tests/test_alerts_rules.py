"""Alert rules: parsing, secrets from the environment, and which events match."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_alerts_support import ENV, figure_event, webhook_rule

from rightswatch.alerts import AlertError, Rule, RuleError, find_rule, parse_rules
from rightswatch.config import ConfigError

HOOK = "https://hooks.example.org/rightswatch"


def one(**table: Any) -> Rule:
    (rule,) = parse_rules([webhook_rule(HOOK, **table)], ENV)
    return rule


def report_event(**overrides: Any) -> dict[str, Any]:
    event = figure_event(1, type="report.new", **overrides)
    del event["figure"]
    return event


# -- parsing -------------------------------------------------------------------------------------


def test_each_channel_parses_with_secrets_from_the_environment() -> None:
    env = {**ENV, "SLACK_TOKEN": "T0/B0/xyz", "TEAM_ADDRESS": "team@example.org"}
    rules = parse_rules([
        {"name": "crimea-team", "channel": "email", "to": ["a@example.org", "${TEAM_ADDRESS}"],
         "from": "Rightswatch <rw@example.org>",
         "smtp_url": "smtp://alerts:${SMTP_PASSWORD}@mail.example.org:587"},
        {"name": "newsroom", "channel": "webhook", "url": HOOK, "secret": "${HOOK_SECRET}"},
        {"name": "chat", "channel": "apprise", "url": "slack://${SLACK_TOKEN}"},
        {"name": "explicit", "channel": "email", "to": "b@example.org", "smtp_host": "mx",
         "smtp_port": 465, "smtp_security": "tls", "smtp_user": "u",
         "smtp_password": "${SMTP_PASSWORD}"},
    ], env)
    mail, hook, chat, explicit = rules
    assert [t.address for t in mail.targets] == ["a@example.org", "team@example.org"]
    # The outbox stores the secret-free text, never the resolved value.
    assert [t.key for t in mail.targets] == ["a@example.org", "${TEAM_ADDRESS}"]
    assert mail.smtp is not None and mail.smtp.password == "pw"
    assert mail.batch_window == 300
    assert hook.secret == "s3cret-for-tests" and hook.targets[0].address == HOOK
    assert chat.targets[0].key == "slack://${SLACK_TOKEN}"
    assert chat.targets[0].address == "slack://T0/B0/xyz"
    assert "xyz" not in repr(chat) and "s3cret" not in repr(hook)
    assert explicit.smtp is not None
    assert (explicit.smtp.port, explicit.smtp.security, explicit.smtp.password) == (465, "tls",
                                                                                    "pw")


def test_a_missing_environment_variable_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_rules([webhook_rule(HOOK, secret="${NOT_SET_ANYWHERE}")], ENV)
    message = str(info.value)
    assert "NOT_SET_ANYWHERE" in message and "'hook'" in message and "secret" in message
    assert isinstance(info.value, AlertError)  # catchable at either level


@pytest.mark.parametrize("table, fragment", [
    ({"secret": "plain-text-secret"}, "environment reference"),
    ({"secret": None}, "secret"),
    ({"url": "ftp://example.org/"}, "http(s)"),
    ({"channel": "pager"}, "channel must be one of"),
    ({"colour": "red"}, "unknown key"),
    ({"metrics": ["criminal-cases"]}, "unknown value 'criminal-cases'"),
    ({"regions": ["atlantis"]}, "unknown value"),
    ({"events": ["figure.deleted"]}, "unknown value"),
    ({"events": []}, "is empty"),
    ({"direction": "up"}, "direction"),
    ({"min_delta": -1}, "non-negative"),
    ({"min_change_ratio": "10%"}, "non-negative"),
    ({"name": "has space"}, "name must be"),
])
def test_invalid_rules_are_rejected_with_the_key_named(table: dict[str, Any],
                                                       fragment: str) -> None:
    raw = {**webhook_rule(HOOK), **table}
    if table.get("secret", "") is None:
        del raw["secret"]
    with pytest.raises(RuleError) as info:
        parse_rules([raw], ENV)
    assert fragment in str(info.value)


def test_email_rules_refuse_literal_passwords_and_bad_addresses() -> None:
    base = {"name": "m", "channel": "email", "to": ["a@example.org"]}
    with pytest.raises(RuleError, match="password"):
        parse_rules([{**base, "smtp_url": "smtp://u:hunter2@mx:587"}], ENV)
    with pytest.raises(RuleError, match="smtp_password"):
        parse_rules([{**base, "smtp_host": "mx", "smtp_password": "hunter2"}], ENV)
    with pytest.raises(RuleError, match="not an email address"):
        parse_rules([{**base, "to": ["nobody"], "smtp_host": "mx"}], ENV)
    with pytest.raises(RuleError, match="needs `to`"):
        parse_rules([{**base, "to": [], "smtp_host": "mx"}], ENV)
    with pytest.raises(RuleError, match="smtp_url or smtp_host"):
        parse_rules([base], ENV)


def test_errors_name_the_configuration_file() -> None:
    with pytest.raises(RuleError, match=r"^rightswatch.toml: \[\[alert\]\] 'hook': secret"):
        parse_rules([webhook_rule(HOOK, secret="literal")], ENV, source="rightswatch.toml")


def test_rules_are_found_by_name_for_the_test_command() -> None:
    rules = parse_rules([webhook_rule(HOOK)], ENV)
    assert find_rule(rules, "hook") is rules[0]
    with pytest.raises(AlertError, match="known: hook"):
        find_rule(rules, "nope")


def test_rule_names_are_unique() -> None:
    with pytest.raises(RuleError, match="used twice"):
        parse_rules([webhook_rule(HOOK), webhook_rule(HOOK)], ENV)


def test_event_type_wildcards() -> None:
    rule = one(events=["figure.*", "source.failing"])
    assert rule.events == {"figure.new", "figure.changed", "source.failing"}


# -- matching ------------------------------------------------------------------------------------


def test_filters_on_type_source_metric_and_region() -> None:
    event = figure_event(1)
    assert one().matches(event)
    assert one(events=["figure.changed"]).matches(event)
    assert not one(events=["report.new"]).matches(event)
    assert one(sources=["chrg", "zmina"]).matches(event)
    assert not one(sources=["zmina"]).matches(event)
    assert one(metrics=["criminal_cases"], regions=["crimea"]).matches(event)
    assert not one(metrics=["deaths"]).matches(event)
    assert not one(regions=["kherson"]).matches(event)
    # A metric filter needs a figure: a report event without one does not match.
    assert not one(metrics=["criminal_cases"]).matches(report_event())
    assert one(events=["report.new"]).matches(report_event())


def test_figure_filters_apply_to_one_figure_at_a_time() -> None:
    event = report_event(figures=[
        {"metric": "deaths", "region": "kherson", "value": 3, "sentence": "3 died"},
        {"metric": "criminal_cases", "region": "crimea", "value": 9, "sentence": "9 cases"},
    ])
    assert one(metrics=["deaths"], regions=["kherson"]).matches(event)
    assert not one(metrics=["deaths"], regions=["crimea"]).matches(event)


def test_backfill_events_never_match() -> None:
    assert not one().matches({**figure_event(1), "backfill": True})
    assert not one(enabled=False).matches(figure_event(1))


@pytest.mark.parametrize("value, previous, table, expected", [
    (583, 574, {"min_delta": 9}, True),
    (583, 574, {"min_delta": 10}, False),
    (565, 574, {"min_delta": 9}, True),  # absolute: a drop counts as much as a rise
    (583, 574, {"direction": "increase"}, True),
    (583, 574, {"direction": "decrease"}, False),
    (565, 574, {"direction": "decrease"}, True),
    (574, 574, {"direction": "increase"}, False),
    (110, 100, {"min_change_ratio": 0.1}, True),
    (109, 100, {"min_change_ratio": 0.1}, False),
    (90, 100, {"min_change_ratio": 0.1, "direction": "decrease"}, True),
    (5, 0, {"min_change_ratio": 0.5}, True),  # from zero is an infinite change
    (120, 100, {"min_delta": 10, "min_change_ratio": 0.5}, False),  # both must hold
    (200, 100, {"min_delta": 10, "min_change_ratio": 0.5}, True),
])
def test_minimum_change_and_direction(value: int, previous: int, table: dict[str, Any],
                                      expected: bool) -> None:
    event = figure_event(1, figure__value=value, figure__previous_value=previous)
    assert one(**table).matches(event) is expected


def test_change_filters_do_not_block_new_figures_or_reports() -> None:
    new = figure_event(1, type="figure.new", figure__previous_value=None)
    rule = one(min_delta=50, direction="increase")
    assert rule.matches(new)
    assert rule.matches(report_event())
    assert not rule.matches(figure_event(1))  # +10 < 50


def test_producer_delta_wins_over_recomputation() -> None:
    event = figure_event(1, figure__delta=-3)
    assert one(direction="decrease").matches(event)


@pytest.mark.parametrize("keyword, sentence, expected", [
    ("мобіліз", "Окупанти незаконно мобілізували щонайменше 300 мешканців Криму.", True),
    ("МОБІЛІЗАЦ", "Щонайменше 300 осіб підлягають примусовій мобілізації.", True),
    ("мобилиз", "Не менее 300 жителей Крыма были мобилизованы.", True),
    ("уклонение", "возбуждено 583 дела об уклонении от службы", False),  # stem, not form
    ("уклонени", "возбуждено 583 дела об уклонении от службы", True),
    ("объём", "общий объем призыва — 2500 человек", True),  # ё and е are one letter here
    ("зв'язок", "зв’язок із родинами втрачено у 40 випадках", True),  # apostrophe variants
    ("рф", "на арфе играли 3 человека", False),  # a keyword starts a word
    ("criminal", "At least 583 criminal cases", True),
    ("deport", "At least 583 criminal cases", False),
])
def test_keywords_in_any_language(keyword: str, sentence: str, expected: bool) -> None:
    event = figure_event(1, figure__sentence=sentence)
    assert one(keywords=[keyword]).matches(event) is expected


def test_keywords_also_look_at_report_titles() -> None:
    rule = one(keywords=["призов"])
    assert rule.matches(report_event(report__title="Осінній призов 2026: огляд"))
    assert not rule.matches(report_event(report__title="Щорічний звіт"))


def test_several_teams_several_rules() -> None:
    rules = parse_rules([
        webhook_rule(HOOK, name="crimea", regions=["crimea"]),
        webhook_rule(HOOK, name="deaths", metrics=["deaths"]),
        webhook_rule(HOOK, name="health", events=["source.*"]),
    ], ENV)
    event = figure_event(1)
    assert [r.name for r in rules if r.matches(event)] == ["crimea"]
    failing = {"id": "evt_h", "type": "source.failing", "source": {"id": "chrg"}}
    assert [r.name for r in rules if r.matches(failing)] == ["health"]


jsonish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)


@given(st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["figure.changed", "report.new"]) | jsonish,
    "source": jsonish, "report": jsonish, "figure": jsonish, "figures": jsonish,
}))
def test_matching_never_crashes_on_odd_events(event: dict[str, Any]) -> None:
    rule = one(metrics=["criminal_cases"], regions=["crimea"], sources=["chrg"],
               events=["figure.changed"], min_delta=1, min_change_ratio=0.1,
               direction="increase", keywords=["cases"])
    assert rule.matches(event) in (True, False)
    assert one(keywords=["x"]).matches(event) in (True, False)
    assert one(metrics=["deaths"], min_change_ratio=0.5, keywords=["x"]).matches(event) in (
        True, False)
