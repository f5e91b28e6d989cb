"""The bundled demo world: human-rights websites on 127.0.0.1 whose content changes by day.

``DemoServer`` serves six sites modelled on real sources (CHRG, CTRC, ZMINA, the PPU
Mission, Verstka) plus a hostile one, under one base URL; ``set_day`` moves the simulated
calendar (day 1 = 2026-11-02 ... day 4) so that new reports, silent edits, removals, moves
and a listing redesign happen as they do on real sites. ``expected.toml`` records what a
perfect crawler should notice on each day. ``demo_config_toml`` writes the matching
``rightswatch.toml``.

The public names are imported lazily, so that ``python -m rightswatch.demo.world`` and
light users of ``config`` do not pay for (or trip over) the server's imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rightswatch.demo.config import DEMO_SOURCE_IDS, demo_config_toml
    from rightswatch.demo.server import DemoServer, RequestLogEntry

__all__ = ["DEMO_SOURCE_IDS", "DemoServer", "RequestLogEntry", "demo_config_toml"]

_WHERE = {
    "DEMO_SOURCE_IDS": "rightswatch.demo.config",
    "demo_config_toml": "rightswatch.demo.config",
    "DemoServer": "rightswatch.demo.server",
    "RequestLogEntry": "rightswatch.demo.server",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'rightswatch.demo' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
