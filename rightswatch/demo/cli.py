"""``rightswatch demo``: run the whole pipeline on the demo world, serve it, or print a config.

The group is wired into the main ``rightswatch`` command by ``rightswatch/cli.py``; it also
runs on its own (``python -m rightswatch.demo.cli serve``) so that tests can start the demo
world in a child process.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from rightswatch.demo.config import demo_config_toml
from rightswatch.demo.server import SITE_LEGEND, DemoServer
from rightswatch.demo.world import MAX_DAY, day_date


@click.group(invoke_without_command=True)
@click.option(
    "--out",
    "out_dir",
    default="demo-out",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the demo's database, archive, digest and mail.",
)
@click.option("--days", default=MAX_DAY, show_default=True, type=click.IntRange(1, MAX_DAY),
              help="Stop the story after this many simulated days.")
@click.pass_context
def demo(ctx: click.Context, out_dir: Path, days: int) -> None:
    """Run the whole pipeline on the bundled demo world (or a subcommand)."""
    if ctx.invoked_subcommand is None:
        from rightswatch.demo.run import run_demo  # the pipeline is heavy: import on use

        run_demo(out_dir, days)


@demo.command()
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1 (0 = any free).")
@click.option(
    "--day",
    default=1,
    show_default=True,
    type=click.IntRange(1, MAX_DAY),
    help="Simulated day to serve.",
)
@click.option(
    "--bench-pages",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Also serve a generated /bench/ site with this many articles.",
)
def serve(port: int, day: int, bench_pages: int) -> None:
    """Serve the demo world until interrupted; the first line printed is the base URL."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with DemoServer(day=day, port=port, bench_pages=bench_pages) as srv:
        click.echo(srv.base_url)
        click.echo(f"rightswatch demo world, day {day} of {MAX_DAY} ({day_date(day)}):")
        for site_id, text in SITE_LEGEND.items():
            if site_id != "bench" or bench_pages:
                click.echo(f"  {srv.base_url}/{site_id}/  {text}")
        click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()
        while not stop.wait(0.2):
            pass


@demo.command()
@click.option("--base-url", required=True, help="Where the demo world is served.")
@click.option("--bench", is_flag=True, help="Include the /bench/ source.")
def config(base_url: str, bench: bool) -> None:
    """Print a rightswatch.toml whose sources point at the demo world."""
    click.echo(demo_config_toml(base_url, bench=bench), nl=False)


if __name__ == "__main__":
    demo()
