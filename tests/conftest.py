"""Shared fixtures: a demo world on 127.0.0.1 and a configuration pointing at it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from rightswatch.config import Config, load_config
from rightswatch.demo.config import demo_config_toml
from rightswatch.demo.server import DemoServer

# CI runs on fresh clones (no example database) on machines that may be busy: generation
# speed and per-example wall time say nothing about correctness there, so neither may fail a
# run. "dev" keeps Hypothesis' defaults for whoever wants the health checks locally.
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
