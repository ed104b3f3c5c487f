"""`xdptool tx DEV` through the real Typer app, data sources faked
(tests/conftest.py: veth0 is not a redirect target, veth1 is)."""

from __future__ import annotations

import dataclasses
import errno
import json
from typing import TYPE_CHECKING

import pytest
from genl_fake import SERIES_XDP_SET, SERIES_XDP_SET_TX, FakeSeriesFamily
from typer.testing import CliRunner

from xdptool import cli, links, tx_config
from xdptool.commands.tx import NOT_CONFIGURABLE_NOTE, NOT_TARGET_HINT
from xdptool.netdev_source import NO_FAMILY_NOTE
from xdptool.tx_config import NO_SERIES_NOTE, NO_TX_PATCHES_NOTE
from xdptool.ynl.generated.ethtool import Header, Xdp, XdpTx, XdpTxMode, XdpTxSelection
from xdptool.ynl.runtime import YnlError

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


# ---------------------------------------------------------------------------
# A kernel with the series' XDP TX patches (the ethtool family faked)


class FakeTxKernel(FakeSeriesFamily):
    """The series' ethtool family: veth0 (ifindex 2) configurable, lo not."""

    def __init__(self, with_tx: bool = True) -> None:
        super().__init__(SERIES_XDP_SET_TX if with_tx else SERIES_XDP_SET)
        self.tx = {2: XdpTx(mode=XdpTxMode.AUTO, target=0, count=1, max_count=1,
                            selection=XdpTxSelection.SHARED),
                   1: XdpTx(mode=XdpTxMode.AUTO, target=0)}
        self.sets: list[tuple[int | None, XdpTx | None]] = []
        self.set_error: YnlError | None = None

    def xdp_get(self, header: Header) -> Xdp:
        assert header.dev_index is not None
        return Xdp(header=Header(dev_index=header.dev_index), stats_enabled=0,
                   tx=self.tx[header.dev_index])

    def xdp_set(self, *, header: Header, tx: XdpTx | None = None,
                stats_enabled: int | None = None) -> None:
        assert stats_enabled is None and header.dev_index is not None
        self.sets.append((header.dev_index, tx))
        if self.set_error is not None:
            raise self.set_error
        assert tx is not None
        self.tx[header.dev_index] = dataclasses.replace(
            self.tx[header.dev_index], mode=tx.mode, target=int(tx.mode == XdpTxMode.ON))


@pytest.fixture
def tx_kernel(fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch) -> FakeTxKernel:
    kernel = FakeTxKernel()
    monkeypatch.setattr(tx_config, "open_family", kernel)
    monkeypatch.setattr(links, "ifindex_of",
                        lambda name: {"lo": 1, "veth0": 2, "veth1": 3}[name])
    return kernel


def test_series_fields_from_the_kernel(tx_kernel: FakeTxKernel) -> None:
    result = run("tx", "veth0")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "XDP TX parameters for veth0:",
        "Redirect target:\tno",
        "Multi-buffer frames:\tno",
        "Pre-set maximums:",
        "Count:\t\t\t1",
        "Current settings:",
        "Mode:\t\t\tauto",
        "Count:\t\t\t1",
        "Selection:\t\tshared",
        "note: not a redirect target now: make it one with 'xdptool tx veth0 set mode on'",
    ]
    assert json.loads(run("tx", "lo", "--json").stdout) == {
        "ifname": "lo", "ifindex": 1, "redirect_target": False, "redirect_target_sg": False,
        "configurable": False, "mode": "auto", "count": None, "max_count": None,
        "selection": None,
    }
    assert run("tx", "lo").stdout.splitlines()[-1] == f"note: {NOT_CONFIGURABLE_NOTE}"
    assert tx_kernel.open_sockets == 0


def test_set_prints_nothing_and_sends_what_was_asked(tx_kernel: FakeTxKernel) -> None:
    result = run("tx", "veth0", "set", "mode", "on", "selection", "shared", "count", "1")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert tx_kernel.sets == [(2, XdpTx(mode=XdpTxMode.ON, count=1,
                                        selection=XdpTxSelection.SHARED))]
    # only what was given is sent: the rest stays as it is
    run("tx", "veth0", "set", "mode", "auto")
    assert tx_kernel.sets[-1] == (2, XdpTx(mode=XdpTxMode.AUTO))
    # the way back to the driver's choice: selection auto (0), count 0
    run("tx", "veth0", "set", "selection", "auto", "count", "0")
    assert tx_kernel.sets[-1] == (2, XdpTx(count=0, selection=XdpTxSelection.AUTO))
    assert int(XdpTxSelection.AUTO) == 0
    assert tx_kernel.open_sockets == 0


@pytest.mark.parametrize(("args", "message"), [
    (("mode",), '"mode" has no value: expected mode on|auto [count N] '
                '[selection auto|per-cpu|shared]'),
    (("mode", "off"), 'mode: "off" is not one of auto|on'),
    (("selection", "cpu"), 'selection: "cpu" is not one of auto|per-cpu|shared'),
    (("--", "count", "-1"), 'count: "-1" is not a number of queues'),
    (("count", "4294967296"), 'count: "4294967296" is not a number of queues'),
    (("count", "\u0663"), 'count: "\u0663" is not a number of queues'),
    (("mode", "on", "mode", "auto"), '"mode" given twice'),
    (("max-count", "4"), 'unknown setting "max-count": expected mode on|auto [count N] '
                         '[selection auto|per-cpu|shared]'),
])
def test_set_bad_input_is_a_usage_error(tx_kernel: FakeTxKernel, args: tuple[str, ...],
                                        message: str) -> None:
    result = run("tx", "veth0", "set", *args)
    assert result.exit_code == 2
    assert result.stderr == (f"xdptool: Invalid value: {message} "
                             "(see 'xdptool tx set --help')\n")
    assert tx_kernel.sets == []


def test_set_needs_something_to_set(tx_kernel: FakeTxKernel) -> None:
    result = run("tx", "veth0", "set")
    assert (result.exit_code, result.stderr) == (
        2, "xdptool: Missing argument 'mode on|auto [count N] [selection auto|per-cpu|shared]'. "
        "(see 'xdptool tx set --help')\n")
    # -1 looks like an option: click says so
    assert run("tx", "veth0", "set", "count", "-1").stderr == (
        "xdptool: No such option: -1 (see 'xdptool tx set --help')\n")
    assert tx_kernel.sets == []


def test_set_refusal_is_the_kernels_extack(tx_kernel: FakeTxKernel) -> None:
    tx_kernel.set_error = YnlError(errno.EOPNOTSUPP, op="xdp-set",
                                   extack="veth: XDP TX queues of a veth are shared by CPUs")
    result = run("tx", "veth0", "set", "selection", "per-cpu")
    assert result.exit_code == 1
    assert result.stderr == ("xdptool: veth0: setting XDP TX parameters failed: Operation not "
                             "supported: veth: XDP TX queues of a veth are shared by CPUs\n")
    tx_kernel.set_error = YnlError(errno.EPERM, op="xdp-set")
    assert run("tx", "veth0", "set", "mode", "on").stderr == (
        "xdptool: permission denied: setting XDP TX parameters needs CAP_NET_ADMIN in the "
        "initial user namespace\n")
    assert tx_kernel.open_sockets == 0


def test_series_without_tx_patches(fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first four patches only (the 6.12 backport before its rebase): stats work,
    tx says what the kernel lacks and sends nothing."""
    kernel = FakeTxKernel(with_tx=False)
    monkeypatch.setattr(tx_config, "open_family", kernel)
    monkeypatch.setattr(links, "ifindex_of", lambda name: 2)
    assert run("tx", "veth0").stdout.splitlines()[-1] == f"note: {NO_TX_PATCHES_NOTE}"
    result = run("tx", "veth0", "set", "mode", "on")
    assert (result.exit_code, result.stderr) == (1, f"xdptool: {NO_TX_PATCHES_NOTE}\n")
    assert kernel.sets == [] and kernel.open_sockets == 0
