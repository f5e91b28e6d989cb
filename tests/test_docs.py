"""The README documents every command and option (a missing line fails the build)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from rightswatch.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "rightswatch") -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # not .commands: that misses lazily loaded groups
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += commands(command, path)
    return found


@pytest.mark.parametrize(("path", "command"), commands(cli), ids=lambda v: str(v))
def test_every_command_and_option_is_in_the_readme(path: str, command: click.Command):
    assert f"`{path}" in README, f"README does not document `{path}`"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            flag = max(param.opts, key=len)
            assert flag in README, f"README does not document {flag} of `{path}`"


def test_the_readme_starts_with_the_two_commands():
    head = README[:1500]
    assert "make demo" in head and "make test" in head
