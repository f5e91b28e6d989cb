"""A dispatcher killed with SIGKILL mid-batch loses nothing when it is restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_alerts_support import (
    ENV,
    Receiver,
    deliveries,
    figure_event,
    make_db,
    rules_from,
    store_events,
    wait_for,
    webhook_rule,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "rightswatch.toml"
    path.write_text(f"""
[rightswatch]
database = "rightswatch.db"

[[alert]]
name = "hook"
channel = "webhook"
url = "{url}"
secret = "${{HOOK_SECRET}}"
timeout = 5
""", encoding="utf-8")
    return path


def dispatcher(db: Path, config: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(ENV, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "rightswatch.alerts.dispatch", "--db", str(db),
         "--config", str(config), *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_batch_then_restart_delivers_everything(tmp_path: Path,
                                                            receiver: Receiver) -> None:
    db = make_db(tmp_path)
    config = write_config(tmp_path, receiver.url)
    rules = rules_from(webhook_rule(receiver.url, timeout=5))
    ids = store_events(db, [figure_event(n) for n in range(1, 9)], rules)
    receiver.delay = 0.3  # slow, so the kill lands while a request is in flight

    first = dispatcher(db, config, "--loop", "0.1")
    try:
        wait_for(lambda: len(receiver.requests) >= 3, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)  # reaped: its pid is gone, so its claims can be freed
    received_before_kill = set(receiver.ids())
    rows = deliveries(db)
    assert any(r["status"] == "pending" for r in rows.values())  # really mid-batch

    second = dispatcher(db, config)  # one round, as a fresh process
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err

    rows = deliveries(db)
    assert {r["status"] for r in rows.values()} == {"sent"}, rows
    seen = Counter(receiver.ids())
    assert set(seen) == set(ids)  # nothing lost
    duplicated = {i for i, n in seen.items() if n > 1}
    assert duplicated <= received_before_kill  # only what was in flight at the kill
    assert len(duplicated) <= 1 and all(n <= 2 for n in seen.values())
    assert receiver.bad_signatures == 0


def test_loop_mode_stops_cleanly_on_sigterm(tmp_path: Path, receiver: Receiver) -> None:
    db = make_db(tmp_path)
    config = write_config(tmp_path, receiver.url)
    rules = rules_from(webhook_rule(receiver.url, timeout=5))
    ids = store_events(db, [figure_event(n) for n in range(1, 4)], rules)
    proc = dispatcher(db, config, "--loop", "0.1")
    try:
        wait_for(lambda: len(receiver.acknowledged) == 3, timeout=60)
        # Deliveries stored while it runs are picked up by a later round.
        later = store_events(db, [figure_event(9)], rules)
        wait_for(lambda: len(receiver.acknowledged) == 4, timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert sorted(receiver.acknowledged) == sorted(ids + later)


def test_a_configuration_error_is_one_line_and_exit_status_2(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    config = tmp_path / "bad.toml"
    config.write_text('[[alert]]\nname = "x"\nchannel = "webhook"\n'
                      'url = "https://h.example.org/"\nsecret = "${UNSET_VARIABLE_XYZ}"\n',
                      encoding="utf-8")
    proc = dispatcher(db, config)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "UNSET_VARIABLE_XYZ" in err and "Traceback" not in err
