"""Shared fixtures: a demo world on 127.0.0.1 and a configuration pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightswatch.config import Config, load_config
from rightswatch.demo.config import demo_config_toml
from rightswatch.demo.server import DemoServer


@pytest.fixture
def demo_server():
    with DemoServer(day=1) as server:
        yield server


@pytest.fixture
def demo_config(tmp_path: Path, demo_server: DemoServer) -> Config:
    """A rightswatch.toml in tmp_path for the running demo world."""
    path = tmp_path / "rightswatch.toml"
    path.write_text(demo_config_toml(demo_server.base_url), encoding="utf-8")
    return load_config(path)
