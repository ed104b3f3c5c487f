"""`xdptool features` through the real Typer app, data sources faked."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from xdptool import __version__, cli, netdev_source, netns
from xdptool.commands import features
from xdptool.commands.features import NO_FAMILY_NOTE
from xdptool.errors import PermissionDeniedError, XdptoolError

if TYPE_CHECKING:
    from click.testing import Result

    from tests.conftest import FakeHost

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="xdptool")


def assert_one_line_error(result: Result, message: str) -> None:
    assert result.exit_code == 1
    assert result.stderr == f"xdptool: {message}\n"
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit)  # not an escaped exception


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"xdptool {__version__}\n"


def test_no_dev_prints_table(fake_host: FakeHost) -> None:
    result = run("features")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["Interface", "Index", "Driver"]
    assert [line.split()[0] for line in lines[1:]] == ["lo", "veth0", "veth1", "eth0", "nfp0"]


def test_named_devs_print_text_blocks(fake_host: FakeHost) -> None:
    result = run("features", "veth1", "lo")
    assert result.exit_code == 0
    headers = [line for line in result.stdout.splitlines() if line.startswith("Features for")]
    assert headers == ["Features for veth1:", "Features for lo:"]
    assert "redirect-target:       yes" in result.stdout.splitlines()


def test_long_prints_text_blocks_for_all(fake_host: FakeHost) -> None:
    result = run("features", "--long")
    assert result.exit_code == 0
    assert result.stdout.count("Features for ") == 5


def test_json(fake_host: FakeHost) -> None:
    result = run("features", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [d["ifname"] for d in data] == ["lo", "veth0", "veth1", "eth0", "nfp0"]
    assert data[1]["xdp_features"] == ["basic", "redirect", "rx-sg"]
    assert data[1]["attached"] == [{"mode": "native", "prog_id": 8, "prog_name": "xdp_pass"}]


def test_json_named(fake_host: FakeHost) -> None:
    result = run("features", "eth0", "--json")
    assert [d["ifname"] for d in json.loads(result.stdout)] == ["eth0"]


def test_unknown_family_text_and_json(no_family_host: FakeHost) -> None:
    text = run("features", "veth0")
    assert text.exit_code == 0
    assert "native-xdp:            unknown" in text.stdout.splitlines()
    assert f"note: {NO_FAMILY_NOTE}" in text.stdout.splitlines()
    assert " no\n" not in text.stdout.split("attached:")[0]  # never "no" for a feature
    data = json.loads(run("features", "--json").stdout)
    assert all(d["native_xdp"] is None and d["xdp_features"] is None for d in data)


def test_unknown_device(fake_host: FakeHost) -> None:
    assert_one_line_error(run("features", "foo0"), 'no such device: "foo0"')
    assert_one_line_error(run("features", "--json", "lo", "foo0"), 'no such device: "foo0"')


@pytest.mark.parametrize("error", [
    OSError(errno.EPERM, "Operation not permitted"),
    PermissionError(errno.EACCES, "Permission denied"),
])
def test_permission_denied(fake_host: FakeHost, error: BaseException) -> None:
    fake_host.links_error = error
    assert_one_line_error(run("features"), "permission denied: needs CAP_NET_ADMIN")


def test_other_netlink_error(fake_host: FakeHost) -> None:
    fake_host.links_error = XdptoolError("rtnetlink: Operation not supported")
    assert_one_line_error(run("features"), "rtnetlink: Operation not supported")


def test_other_os_error(fake_host: FakeHost) -> None:
    fake_host.links_error = OSError(errno.EMFILE, "Too many open files")
    assert_one_line_error(run("features"), "Too many open files")


def test_netns_missing(fake_host: FakeHost, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netns, "NETNS_RUN_DIR", str(tmp_path))
    assert_one_line_error(run("--netns", "nope", "features"),
                          'no such network namespace: "nope" (see `ip netns list`)')


def test_netns_invalid_name(fake_host: FakeHost) -> None:
    assert_one_line_error(run("-n", "../x", "features"),
                          'invalid network namespace name: "../x"')


@pytest.mark.parametrize(("err", "message"), [
    (errno.EPERM, "permission denied: entering a network namespace needs CAP_SYS_ADMIN"),
    (errno.EINVAL, '"{dir}/ns1" is not a network namespace '
                   '(a stale entry? `ip netns delete "ns1"` removes it)'),
])
def test_netns_setns_fails(fake_host: FakeHost, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch, err: int, message: str) -> None:
    (tmp_path / "ns1").touch()
    monkeypatch.setattr(netns, "NETNS_RUN_DIR", str(tmp_path))

    def setns(fd: int) -> None:
        raise OSError(err, "setns")

    monkeypatch.setattr(netns, "_setns", setns)
    assert_one_line_error(run("--netns", "ns1", "features"), message.format(dir=tmp_path))


def test_netns_enters_before_reading(fake_host: FakeHost, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ns1").write_text("the namespace")
    monkeypatch.setattr(netns, "NETNS_RUN_DIR", str(tmp_path))
    entered: list[str] = []
    monkeypatch.setattr(netns, "_setns", lambda fd: entered.append(os.read(fd, 100).decode()))
    assert run("-n", "ns1", "features", "lo").exit_code == 0
    assert entered == ["the namespace"]  # setns on /run/netns/NAME, opened, never created


def test_usage_error_exit_2(fake_host: FakeHost) -> None:
    result = run("features", "--bogus")
    assert result.exit_code == 2
    assert "No such option: --bogus" in result.stderr


def test_main_prints_one_line(fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    # main() is what the console script and `python -m xdptool` run.
    monkeypatch.setattr(sys, "argv", ["xdptool", "features", "foo0"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    assert capsys.readouterr().err == 'xdptool: no such device: "foo0"\n'


def test_bug_is_one_line_unless_debugging(fake_host: FakeHost,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def collect(names: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(features, "collect", collect)
    monkeypatch.delenv("XDPTOOL_DEBUG", raising=False)
    result = run("features")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("xdptool: internal error: RuntimeError: boom\\x0asecond line "
                             "(XDPTOOL_DEBUG=1 shows the traceback)\n")
    monkeypatch.setenv("XDPTOOL_DEBUG", "1")
    result = run("features")
    assert isinstance(result.exception, RuntimeError)  # the traceback, for a bug report


def test_netdev_family_permission_error(fake_host: FakeHost,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def dump_features() -> None:
        raise PermissionDeniedError("reading the netdev netlink family", "CAP_NET_ADMIN")

    monkeypatch.setattr(netdev_source, "dump_features", dump_features)
    assert_one_line_error(
        run("features", "lo"),
        "permission denied: reading the netdev netlink family needs CAP_NET_ADMIN")
