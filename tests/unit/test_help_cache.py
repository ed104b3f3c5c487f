"""`xdptool ... --help` is served from xdptool/_help.py without importing
Typer: the cache must be exactly what the Typer app prints."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xdptool import __version__, cli, entry
from xdptool._help import HELP

runner = CliRunner()


def test_cache_is_current() -> None:
    assert cli.help_texts() == HELP, "run scripts/xdptool-help-cache"


def test_every_command_is_cached() -> None:
    assert set(HELP) == {(), ("features",), ("stats",), ("stats", "show"),
                         ("stats", "enable"), ("stats", "disable"), ("tx",),
                         ("tx", "show"), ("tx", "set"), ("redirect-target",),
                         ("devmap",), ("devmap", "add"), ("attach",), ("detach",),
                         ("policy",), ("policy", "show"), ("policy", "set")}


@pytest.mark.parametrize("path", sorted(HELP))
@pytest.mark.parametrize("option", ["--help", "-h"])
def test_cache_equals_what_typer_prints(path: tuple[str, ...], option: str) -> None:
    result = runner.invoke(cli.app, [*path, option], prog_name="xdptool", terminal_width=80)
    assert result.exit_code == 0
    assert result.stdout == HELP[path]
    assert entry.cached_answer([*path, option]) == HELP[path]


def test_only_pure_help_requests_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert entry.cached_answer(["features", "lo", "--help"]) is None
    assert entry.cached_answer(["-n", "ns1", "--help"]) is None
    assert entry.cached_answer(["features"]) is None
    assert entry.cached_answer([]) is None
    assert entry.cached_answer(["--version"]) == f"xdptool {__version__}\n"
    assert entry.cached_answer(["-V"]) == f"xdptool {__version__}\n"


def test_narrow_terminal_goes_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    # click wraps help to the terminal below 80 columns: the cache would be wrong
    monkeypatch.setenv("COLUMNS", "60")
    assert entry.cached_answer(["--help"]) is None
    monkeypatch.setenv("COLUMNS", "200")
    assert entry.cached_answer(["--help"]) == HELP[()]
