"""`xdptool tx DEV` through the real Typer app, data sources faked
(tests/conftest.py: veth0 is not a redirect target, veth1 is)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from xdptool import cli
from xdptool.commands.tx import NO_SERIES_NOTE, NOT_TARGET_HINT
from xdptool.netdev_source import NO_FAMILY_NOTE

if TYPE_CHECKING:
    from click.testing import Result

    from tests.conftest import FakeHost

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="xdptool")


def test_redirect_target_text_like_ethtool_l(fake_host: FakeHost) -> None:
    result = run("tx", "veth1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "XDP TX parameters for veth1:",
        "Redirect target:\tyes",
        "Multi-buffer frames:\tyes",
        "Pre-set maximums:",
        "Count:\t\t\tn/a",
        "Current settings:",
        "Mode:\t\t\tn/a",
        "Count:\t\t\tn/a",
        "Selection:\t\tn/a",
        f"note: {NO_SERIES_NOTE}",
    ]


def test_not_a_target_says_how_to_make_one(fake_host: FakeHost) -> None:
    result = run("tx", "veth0")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1:3] == ["Redirect target:\tno", "Multi-buffer frames:\tno"]
    assert lines[-2:] == [f"note: {NOT_TARGET_HINT}", f"note: {NO_SERIES_NOTE}"]


def test_json_keys(fake_host: FakeHost) -> None:
    result = run("tx", "veth1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ifname": "veth1",
        "ifindex": 3,
        "redirect_target": True,
        "redirect_target_sg": True,
        "configurable": False,
        "mode": None,
        "count": None,
        "max_count": None,
        "selection": None,
    }


def test_without_netdev_family_unknown_not_no(no_family_host: FakeHost) -> None:
    result = run("tx", "veth1", "-j")
    assert json.loads(result.stdout)["redirect_target"] is None
    text = run("tx", "veth1").stdout.splitlines()
    assert text[1] == "Redirect target:\tn/a"
    assert f"note: {NO_FAMILY_NOTE}" in text
    assert f"note: {NOT_TARGET_HINT}" not in text


def test_unknown_device_one_line(fake_host: FakeHost) -> None:
    result = run("tx", "nope0")
    assert result.exit_code == 1
    assert result.stderr == 'xdptool: no such device: "nope0"\n'
    assert result.stdout == ""


def test_device_is_required(fake_host: FakeHost) -> None:
    result = run("tx")
    assert result.exit_code == 2
    assert "Missing argument 'DEV'" in result.stderr
