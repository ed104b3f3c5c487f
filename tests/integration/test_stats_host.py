"""`xdptool stats` and the series check on the running (unpatched) host kernel.

The host runs a kernel without the xdptool series, so every stats command
must fail with the one "no XDP action statistics" line, exit status 1 and no
traceback, having sent nothing but the family lookup. The check itself
(xdptool.series) is pointed at real upstream ethtool ops whose ids it is
told to expect the series at: on Linux 6.18, messages 46 and 47
(TSCONFIG_GET, TSCONFIG_SET; the ids of an older version of the series)
have xdp-get's and xdp-set's modes, and only their request policies, read
with CTRL_CMD_GETPOLICY from this kernel, tell them apart; a recording
socket proves that nothing was sent to the ethtool family itself. The
end-to-end tests against the patched kernel live in kselftest/.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import struct
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from xdptool import cli, series
from xdptool.errors import KernelUnsupportedError
from xdptool.ynl import runtime as rt
from xdptool.ynl.generated.ethtool import Ethtool
from xdptool.ynl.runtime import GENL_CMD_CAP_DO, GENL_CMD_CAP_DUMP, NlAttrType

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
NO_SERIES = f"xdptool: {series.NO_SERIES}\n"
TAIL = ": this kernel's series is a version xdptool does not speak"


def kernel_has_series() -> bool:
    with Ethtool() as family:
        try:
            series.verify(family)
        except KernelUnsupportedError:
            return False
    return True


@pytest.fixture
def netns(request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"xdpt-stats-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    request.addfinalizer(lambda: subprocess.run(["ip", "netns", "del", name], check=False))
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    yield name


def xdptool(netns: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xdptool", "--netns", netns, *args],
                          capture_output=True, text=True, env=ENV, cwd=REPO, check=False,
                          timeout=60)


@pytest.mark.parametrize("args", [
    ("stats", "lo"),
    ("stats", "--json", "lo"),
    ("stats", "lo", "--per-queue"),
    ("stats", "--watch", "lo", "--count", "1"),
    ("stats", "enable", "lo"),
    ("stats", "disable", "lo"),
])
def test_unpatched_kernel_says_so(netns: str, args: tuple[str, ...]) -> None:
    if kernel_has_series():
        pytest.skip("the running kernel has the xdptool series (ETHTOOL_MSG_XDP_*)")
    result = xdptool(netns, *args)
    assert result.returncode == 1
    assert result.stderr == NO_SERIES
    assert result.stdout == ""


def test_unknown_device_comes_first(netns: str) -> None:
    result = xdptool(netns, "stats", "nosuch0")
    assert (result.returncode, result.stderr) == (1, 'xdptool: no such device: "nosuch0"\n')


def test_kernel_ops_from_getfamily() -> None:
    """The op list the check starts from, as this kernel reports it."""
    with Ethtool() as family:
        ops = family.kernel_ops()
    # ETHTOOL_MSG_STRSET_GET (1) has had do and dump since Linux 5.6
    assert ops[1] & (GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP) == GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP
    if not kernel_has_series():
        assert 200 not in ops and 201 not in ops  # the series' private range is free


# ---------------------------------------------------------------------------
# Recording what is sent


@dataclasses.dataclass
class Recorder:
    """Every netlink datagram sent, as (nlmsg_type, genl cmd)."""

    sent: list[tuple[int, int]] = dataclasses.field(default_factory=list)


class RecordingSocket:
    def __init__(self, real: socket.socket, recorder: Recorder) -> None:
        self._real = real
        self._recorder = recorder

    def send(self, data: bytes) -> int:
        _, msg_type = struct.unpack_from("=IH", data)
        self._recorder.sent.append((msg_type, data[16]))
        return self._real.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    real = socket.socket

    def factory(family: int = -1, type: int = -1, proto: int = -1, *args: Any) -> Any:
        sock = real(family, type, proto, *args)
        return RecordingSocket(sock, rec) if family == socket.AF_NETLINK else sock

    monkeypatch.setattr(socket, "socket", factory)
    return rec


def test_stats_sends_only_the_family_lookup(recorder: Recorder) -> None:
    if kernel_has_series():
        pytest.skip("the running kernel has the xdptool series (ETHTOOL_MSG_XDP_*)")
    recorder.sent.clear()
    for argv in (["stats", "lo"], ["stats", "enable", "lo"]):
        result = CliRunner().invoke(cli.app, argv, prog_name="xdptool")
        assert (result.exit_code, result.stderr) == (1, NO_SERIES)
    assert recorder.sent == [(rt.GENL_ID_CTRL, rt.CTRL_CMD_GETFAMILY)] * 2


def test_upstream_ops_are_not_the_series(recorder: Recorder) -> None:
    """The check, told to expect the series at 46/47, faces TSCONFIG_GET/_SET."""
    with Ethtool() as family:
        ops = family.kernel_ops()
        if ops.get(46, 0) & (GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP) != (GENL_CMD_CAP_DO
                                                                      | GENL_CMD_CAP_DUMP):
            pytest.skip(f"message 46 is not a do+dump op on {os.uname().release}")
        at_46 = (dataclasses.replace(series.XDP_GET, cmd=46),
                 dataclasses.replace(series.XDP_SET, cmd=47))
        with pytest.raises(KernelUnsupportedError) as info:
            series.verify(family, at_46)
        # only xdp-set's check, at 47
        with pytest.raises(KernelUnsupportedError) as info_set:
            series.verify(family, at_46[1:])
        ethtool_id = family.family_id
    assert str(info.value) == (
        "ethtool message 46 on this kernel is not the XDP series' xdp-get (attribute 1.3 "
        "header.flags: u32 mask 0x3, expected u32 accepting stats=0x4)" + TAIL)
    # TSCONFIG_SET's attribute 4 is a nest, as the series' optional tx is:
    # when there, it must be the series' too
    assert str(info_set.value).startswith(
        "ethtool message 47 on this kernel is not the XDP series' xdp-set (attribute 2 "
        "stats-enabled: nest, expected u8 max 1; attribute 4.1 tx.mode: not taken, expected "
        "u32 max 1; attribute 4.2 tx.count: not taken, expected u32; attribute 4.3 "
        "tx.selection: not taken, expected u32 max 2; attribute 5 feature-check: nest, "
        "expected u32 max 1; attribute 3 (nest): not in xdp-set's request)")
    assert str(info_set.value).endswith(TAIL)
    # the family lookup, then the policies of 46 and of 47: all to the controller
    assert recorder.sent == [(rt.GENL_ID_CTRL, rt.CTRL_CMD_GETFAMILY),
                             (rt.GENL_ID_CTRL, rt.CTRL_CMD_GETPOLICY),
                             (rt.GENL_ID_CTRL, rt.CTRL_CMD_GETPOLICY)]
    assert all(msg_type != ethtool_id for msg_type, _ in recorder.sent)


def test_get_policy_of_an_upstream_op() -> None:
    """CTRL_CMD_GETPOLICY on this kernel: ETHTOOL_MSG_CHANNELS_SET (18)."""
    with Ethtool() as family:
        policy = family.get_policy(18)
    assert policy.do is not None and policy.dump is None
    table = policy.policy("do")
    assert table is not None
    header = table[1]
    assert header.type == NlAttrType.NESTED
    flags = policy.nested(header)[3]
    assert flags.type == NlAttrType.U32 and flags.mask is not None and not flags.mask & 0x4
    # the four counts the user can set
    assert {num: attr.type for num, attr in table.items() if num > 1} == dict.fromkeys(
        (6, 7, 8, 9), NlAttrType.U32)
