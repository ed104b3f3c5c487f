"""xdptool.redirect_target and its commands (redirect-target, devmap add):
the kernel's answers faked (tests/conftest.py's host, the series' XDP TX
setting, GRO, libbpf), so that each way of making a device a redirect target
is chosen exactly when it should be, and says what it did."""

from __future__ import annotations

import errno
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from xdptool import cli, libbpf, links, redirect_target, tx_config
from xdptool.commands import devmap
from xdptool.errors import KernelUnsupportedError
from xdptool.links import Link
from xdptool.netdev_source import NetdevFeatures

if TYPE_CHECKING:
    from click.testing import Result

    from tests.conftest import FakeHost

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="xdptool")


@dataclass
class Kernel:
    """What the faked kernel does when asked to make a device a target."""

    series: str | None = None  # None: no series; "tx": XDP TX patches; "old": without
    tx_refusal: int | None = None  # errno of the series' refusal
    gro: dict[str, bool] = field(default_factory=dict)
    attached: list[tuple[int, int, int]] = field(default_factory=list)
    # what makes the device a target: "tx", "gro", "prog"
    makes_target: set[str] = field(default_factory=lambda: {"tx", "gro", "prog"})
    attach_error: int | None = None
    map: dict[bytes, bytes] = field(default_factory=dict)
    map_type: int = libbpf.BPF_MAP_TYPE_DEVMAP
    value_size: int = 4
    closed: list[int] = field(default_factory=list)


@pytest.fixture
def kernel(fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch) -> Kernel:
    k = Kernel()
    fake_host.links.append(Link(6, "pv0", [], kind="veth", link=7))
    fake_host.links.append(Link(7, "pv1", [], kind="veth", link=6))
    fake_host.links.append(Link(8, "nv0", [], kind="veth", link=3, link_netnsid=1))
    fake_host.links.append(Link(9, "nic0", [], kind=None))
    for ifindex in (6, 7, 8, 9):
        assert fake_host.features is not None
        fake_host.features[ifindex] = NetdevFeatures(ifindex, ["basic", "redirect"], None,
                                                     [], [])

    def become_target(ifindex: int) -> None:
        assert fake_host.features is not None
        old = fake_host.features[ifindex]
        fake_host.features[ifindex] = NetdevFeatures(
            ifindex, [*(old.xdp_features or []), "ndo-xmit"], None, [], [])

    def apply_settings(ifname: str, settings: tx_config.TxSettings) -> None:
        if k.series is None:
            raise KernelUnsupportedError(tx_config.NO_SERIES_NOTE)
        if k.series == "old":
            raise KernelUnsupportedError(tx_config.NO_TX_PATCHES_NOTE)
        if k.tx_refusal is not None:
            raise tx_config.TxRefusedError(f"{ifname}: refused", k.tx_refusal)
        if "tx" in k.makes_target:
            become_target(links.ifindex_of(ifname))

    def set_gro(ifname: str, on: bool) -> bool:
        before = k.gro.get(ifname, False)
        k.gro[ifname] = on
        if on and "gro" in k.makes_target:
            peer = {"pv1": 6, "pv0": 7}[ifname]
            become_target(peer)
        return before

    def xdp_attach(ifindex: int, fd: int, flags: int) -> None:
        if k.attach_error is not None:
            raise libbpf.LibbpfError(k.attach_error, "attaching XDP: failed")
        k.attached.append((ifindex, fd, flags))
        if fd >= 0 and "prog" in k.makes_target:
            become_target(ifindex)

    monkeypatch.setattr(tx_config, "apply_settings", apply_settings)
    monkeypatch.setattr(redirect_target, "set_gro", set_gro)
    monkeypatch.setattr(libbpf, "load_xdp_pass", lambda: 42)
    monkeypatch.setattr(libbpf, "xdp_attach", xdp_attach)
    monkeypatch.setattr(links, "ifindex_of", lambda name: next(
        lk.ifindex for lk in fake_host.links if lk.ifname == name))
    monkeypatch.setattr(redirect_target.os, "close", lambda fd: k.closed.append(fd))
    monkeypatch.setattr(libbpf, "obj_get", lambda path: 77)
    monkeypatch.setattr(libbpf, "map_info", lambda fd: libbpf.MapInfo(
        k.map_type, 5, 4, k.value_size, 64))
    monkeypatch.setattr(libbpf, "map_update",
                        lambda fd, key, value: k.map.__setitem__(key, value))
    monkeypatch.setattr(devmap.os, "close", lambda fd: k.closed.append(fd))
    return k


def test_series_sets_tx_mode_on(kernel: Kernel) -> None:
    kernel.series = "tx"
    result = run("redirect-target", "nic0")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("nic0: set XDP TX mode on: its driver keeps XDP TX queues without "
                             "a program\nundo: xdptool tx nic0 set mode auto\n")
    assert kernel.attached == [] and kernel.gro == {}


def test_already_a_target_changes_nothing(kernel: Kernel) -> None:
    result = run("redirect-target", "veth1")  # ndo-xmit in the fake host's features
    assert result.stdout == "veth1: a redirect target already (NDO_XMIT)\n"
    assert kernel.attached == [] and kernel.gro == {}


@pytest.mark.parametrize(("series", "why"), [
    (None, "it has no xdptool series"),
    ("old", "its xdptool series predates XDP TX configuration"),
])
def test_no_workaround_without_asking(kernel: Kernel, series: str | None, why: str) -> None:
    kernel.series = series
    result = run("redirect-target", "pv0")
    assert result.exit_code == 1
    assert result.stderr == (f"xdptool: pv0 is not a redirect target, and this kernel cannot "
                             f"make it one without a program ({why}): re-run with --workaround "
                             "to turn GRO on on its veth peer\n")
    assert "attach a minimal XDP_PASS program\n" in run("redirect-target", "nic0").stderr
    assert kernel.attached == [] and kernel.gro == {}


def test_veth_workaround_is_gro_on_the_peer(kernel: Kernel) -> None:
    result = run("redirect-target", "pv0", "--workaround")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("pv0: turned GRO on on its veth peer pv1, which gives the peer "
                             "NAPI to receive redirected frames\nundo: ethtool -K pv1 gro off\n")
    assert kernel.gro == {"pv1": True}


def test_driver_without_the_op_falls_back_to_the_workaround(kernel: Kernel) -> None:
    """The series is there, but the driver cannot set XDP TX up without a
    program (EOPNOTSUPP): the workaround, when asked for."""
    kernel.series, kernel.tx_refusal = "tx", errno.EOPNOTSUPP
    result = run("redirect-target", "nic0", "--workaround")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("nic0: attached a minimal XDP_PASS program (xdptool_pass) in "
                             "native mode: its driver sets XDP TX queues up while a program "
                             "is attached\nundo: ip link set dev nic0 xdpdrv off\n")
    assert kernel.attached == [(9, 42, libbpf.XDP_FLAGS_DRV_MODE
                                | libbpf.XDP_FLAGS_UPDATE_IF_NOEXIST)]
    assert kernel.closed == [42]  # the attached program holds its own reference


def test_other_refusals_are_not_worked_around(kernel: Kernel) -> None:
    kernel.series, kernel.tx_refusal = "tx", errno.EINVAL
    result = run("redirect-target", "nic0", "--workaround")
    assert (result.exit_code, result.stderr) == (1, "xdptool: nic0: refused\n")
    assert kernel.attached == []


def test_workaround_that_does_not_help_is_undone(kernel: Kernel) -> None:
    kernel.makes_target = set()
    result = run("redirect-target", "nic0", "--workaround")
    assert result.stderr == ("xdptool: nic0: still no redirect target after the workaround "
                             "(tried to attach a minimal XDP_PASS program; undone)\n")
    assert [(i, fd) for i, fd, _ in kernel.attached] == [(9, 42), (9, -1)]
    result = run("redirect-target", "pv0", "--workaround")
    assert result.stderr.endswith("(tried to turn GRO on on its veth peer; undone): is its "
                                  "peer down?\n")
    assert kernel.gro == {"pv1": False}


@pytest.mark.parametrize(("ifname", "setup", "message"), [
    ("nv0", None, "nv0: its veth peer is in another network namespace: turn GRO on there "
                  "('ethtool -K PEER gro on' in that namespace) or attach an XDP program to "
                  "the peer"),
    ("nic0", errno.EOPNOTSUPP, "nic0: its driver has no native XDP, so it cannot take "
                               "redirected frames"),
    ("nic0", errno.EPERM, "permission denied: loading and attaching an XDP program needs "
                          "CAP_BPF and CAP_NET_ADMIN"),
    ("nope0", None, 'no such device: "nope0"'),
])
def test_workaround_refusals_one_line(kernel: Kernel, ifname: str, setup: int | None,
                                      message: str) -> None:
    kernel.attach_error = setup
    result = run("redirect-target", ifname, "--workaround")
    assert (result.exit_code, result.stderr) == (1, f"xdptool: {message}\n")


def test_python_api_outcome(kernel: Kernel) -> None:
    outcome = redirect_target.make_redirect_target("pv0", workaround=True)
    assert (outcome.how, outcome.undo) == ("gro-on-peer", "ethtool -K pv1 gro off")


@pytest.mark.parametrize(("value_size", "value"), [
    (4, struct.pack("=I", 6)), (8, struct.pack("=Ii", 6, 0))])
def test_devmap_add_provisions_first(kernel: Kernel, value_size: int, value: bytes) -> None:
    kernel.value_size = value_size
    result = run("devmap", "add", "/sys/fs/bpf/tx_ports", "3", "pv0", "--workaround")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "pv0: turned GRO on on its veth peer pv1, which gives the peer NAPI to receive "
        "redirected frames",
        "undo: ethtool -K pv1 gro off",
        '"/sys/fs/bpf/tx_ports"[3] = pv0 (ifindex 6)',
    ]
    assert kernel.map == {struct.pack("=I", 3): value}
    assert kernel.closed == [77]


@pytest.mark.parametrize(("change", "message"), [
    ({"map_type": 1}, '"/sys/fs/bpf/m" is not a devmap (map type 1)'),
    ({"value_size": 12}, "a devmap value of 12 bytes is neither an ifindex nor struct "
                         "bpf_devmap_val"),
    ({"makes_target": set()}, "pv0: still no redirect target after the workaround (tried to "
                              "turn GRO on on its veth peer; undone): is its peer down?"),
])
def test_devmap_add_refusals_leave_the_map(kernel: Kernel, change: dict[str, Any],
                                           message: str) -> None:
    for key, value in change.items():
        setattr(kernel, key, value)
    result = run("devmap", "add", "/sys/fs/bpf/m", "0", "pv0", "--workaround")
    assert (result.exit_code, result.stderr) == (1, f"xdptool: {message}\n")
    assert kernel.map == {} and kernel.closed == [77]
