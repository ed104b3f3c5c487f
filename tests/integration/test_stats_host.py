"""`xdptool stats` on the running (unpatched) host kernel, in a throwaway netns.

The host runs a kernel without the xdptool series, so every stats command
must fail with the one "no XDP action statistics" line, exit status 1 and no
traceback, and must send nothing but the family lookup: on Linux >= 6.13 the
series' message ids 46..48 belong to other ethtool commands (TSCONFIG_GET,
TSCONFIG_SET, RSS_SET on 6.18). The end-to-end tests against the patched
kernel live in kselftest/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from xdptool.ynl.generated.ethtool import Ethtool
from xdptool.ynl.runtime import GENL_CMD_CAP_DO, GENL_CMD_CAP_DUMP

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
NO_SERIES = ("xdptool: this kernel has no XDP action statistics (ETHTOOL_MSG_XDP_*): "
             "boot a kernel with the xdptool series (patches/) applied\n")
SERIES_OPS = ("xdp-get", "xdp-set", "xdp-stats-get")


def kernel_has_series() -> bool:
    with Ethtool() as family:
        return family.kernel_supports(*SERIES_OPS)


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
    """The op list the detection relies on, as this kernel reports it."""
    with Ethtool() as family:
        ops = family._sock.kernel_ops()
    # ETHTOOL_MSG_STRSET_GET (1) has had do and dump since Linux 5.6
    assert ops[1] & (GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP) == GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP
    if 48 in ops and not kernel_has_series():
        # the id collision the detection guards against (RSS_SET on 6.16+: do only)
        assert ops[48] & GENL_CMD_CAP_DUMP == 0
