"""Shell completion (Typer's, through click's _XDPTOOL_COMPLETE protocol)."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from xdptool import cli

runner = CliRunner()


def complete(line: str) -> list[str]:
    words = line.split(" ")
    result = runner.invoke(cli.app, [], prog_name="xdptool", env={
        "_XDPTOOL_COMPLETE": "complete_bash", "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1)})
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_commands() -> None:
    assert complete("xdptool ") == ["features", "stats", "tx", "redirect-target", "devmap",
                                    "attach", "detach", "policy"]
    assert complete("xdptool st") == ["stats"]
    assert complete("xdptool stats ") == ["show", "enable", "disable"]


def test_options() -> None:
    assert complete("xdptool features --j") == ["--json"]
    assert complete("xdptool stats show --per") == ["--per-queue"]
    assert complete("xdptool attach lo x.o --m") == ["--mode"]
    assert complete("xdptool attach lo x.o --mode ") == ["native", "generic", "offload"]


@pytest.mark.skipif(not os.path.isdir("/sys/class/net"), reason="no sysfs in this sandbox")
def test_devices_of_this_netns() -> None:
    names = sorted(n for n in os.listdir("/sys/class/net") if n.isprintable())
    assert complete("xdptool features ") == names
    assert complete("xdptool stats enable lo") == ["lo"]


def test_bash_script() -> None:
    result = runner.invoke(cli.app, ["--show-completion", "bash"], prog_name="xdptool")
    assert result.exit_code == 0
    assert "complete -o default -F _xdptool_completion xdptool" in result.stdout
