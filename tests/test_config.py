from pathlib import Path

import pytest

from rightswatch.config import ConfigError, config_from_dict, load_config


def source(**extra):
    return {"id": "chrg", "name": "CHRG", "homepage": "https://crimeahrg.org/",
            "feed_urls": ["https://crimeahrg.org/en/feed/"], **extra}


def test_source_overrides_crawl_defaults():
    config = config_from_dict({"crawl": {"timeout": 5, "max_pages": 50},
                               "source": [source(max_pages=7)]})
    s = config.source("chrg")
    assert s.crawl.timeout == 5.0
    assert s.crawl.max_pages == 7
    assert config.crawl.max_pages == 50


def test_scope_and_domains():
    s = config_from_dict({"source": [source(scope=["https://crimeahrg.org/en/"])]}).source("chrg")
    assert s.domains == ("crimeahrg.org",)
    assert s.in_scope("https://crimeahrg.org/en/some-report/")
    assert not s.in_scope("https://crimeahrg.org/uk/some-report/")
    assert not s.in_scope("https://example.org/en/")
    assert not s.in_scope("https://evilcrimeahrg.org/en/")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"source": [source(id="Bad Id")]}, "id must be"),
        ({"source": [source(), source()]}, "defined twice"),
        ({"source": [source(article_url_pattern="([")]}, "invalid regular expression"),
        ({"source": [source(feed_urls=["ftp://x/"])]}, r"not an http\(s\) URL"),
        ({"source": [source(colour="red")]}, "unknown key 'colour'"),
        ({"source": [source(timeout="soon")]}, "timeout must be a non-negative number"),
        ({"source": [source(listing_urls=["https://crimeahrg.org/en/"])]},
         "listing_urls need an article_url_pattern"),
        ({"sauces": []}, "unknown table"),
    ],
)
def test_invalid_configuration_is_a_clear_error(raw, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


def test_paths_are_relative_to_the_config_file(tmp_path: Path):
    (tmp_path / "rightswatch.toml").write_text(
        '[rightswatch]\ndatabase = "data/rw.db"\nsources_file = "more.toml"\n', encoding="utf-8")
    (tmp_path / "more.toml").write_text(
        '[[source]]\nid = "x"\nname = "X"\nfeed_urls = ["https://x.org/feed"]\n',
        encoding="utf-8")
    config = load_config(tmp_path / "rightswatch.toml")
    assert config.database == tmp_path / "data/rw.db"
    assert [s.id for s in config.sources] == ["x"]


def test_broken_toml_names_the_file(tmp_path: Path):
    path = tmp_path / "rightswatch.toml"
    path.write_text("[rightswatch\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)


def test_shipped_sources_load(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no rightswatch.toml here: built-in defaults
    config = load_config(None)
    ids = {s.id for s in config.sources}
    assert {"chrg", "zmina", "ctrc", "ppu", "khpg"} <= ids
    chrg = config.source("chrg")
    assert chrg.unverified and "https://crimeahrg.org/en/feed/" in chrg.unverified_urls
    assert not config.source("ehrg").enabled  # no confirmed homepage yet
