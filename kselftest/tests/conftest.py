"""Fixtures for the tests that run in the guest on the patched kernel."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
XDP_PASS_SRC = REPO / "tests" / "integration" / "bpf" / "xdp_pass.c"


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@dataclass
class Netns:
    name: str

    def run(self, *cmd: str) -> str:
        return sh("ip", "netns", "exec", self.name, *cmd)

    def xdptool_json(self, *args: str) -> list[dict[str, Any]]:
        """`xdptool features --json ARGS` in this netns, in-process: starting
        an interpreter costs about a minute under TCG."""
        from typer.testing import CliRunner

        from xdptool.cli import app

        res = in_netns(self.name, lambda: CliRunner().invoke(
            app, ["features", "--json", *args]))
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    def kernel_dev_get(self) -> dict[int, dict[str, Any]]:
        """The netdev family read by the kernel's own YNL library, by ifindex."""
        lib = _ynl_lib()
        spec = str(ktree() / "Documentation/netlink/specs/netdev.yaml")
        devs = in_netns(self.name, lambda: lib.YnlFamily(spec, schema="").dump("dev-get", {}))
        return {dev["ifindex"]: dev for dev in devs}


@pytest.fixture
def netns(request: pytest.FixtureRequest) -> Iterator[Netns]:
    ns = Netns(f"xdpvm-{uuid.uuid4().hex[:8]}")
    sh("ip", "netns", "add", ns.name)
    request.addfinalizer(lambda: subprocess.run(["ip", "netns", "del", ns.name], check=False))
    yield ns


@pytest.fixture(scope="session")
def xdp_pass_obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bpf_obj(XDP_PASS_SRC, tmp_path_factory)


def bpf_obj(src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """src compiled: by the host (kselftest/build-bpf, $XDPTOOL_BPF_DIR),
    else here; clang takes half a minute under TCG."""
    prebuilt = Path(os.environ.get("XDPTOOL_BPF_DIR", "/nonexistent")) / f"{src.stem}.o"
    if prebuilt.exists():
        return prebuilt
    obj = tmp_path_factory.mktemp("bpf") / f"{src.stem}.o"
    sh("clang", "-O2", "-target", "bpf", "-c", str(src), "-o", str(obj))
    return obj


def by_name(devs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {dev["ifname"]: dev for dev in devs}


# ---------------------------------------------------------------------------
# XDP action statistics (test_stats_vm.py and friends)
# ---------------------------------------------------------------------------

XDP_ACT_SRC = REPO / "kselftest" / "bpf" / "xdp_act.c"

# What kselftest/bpf/xdp_act.c returns for a frame of ETH_P_XDPACT: the
# action byte as-is; 7 is not an XDP action and counts as "unknown".
ETH_P_XDPACT = 0x88B5
ACTIONS = {"aborted": 0, "drop": 1, "pass": 2, "tx": 3, "redirect": 4, "unknown": 7}
MARK_TX = 0x1
COUNTERS = ("aborted", "drop", "pass", "tx", "redirect", "unknown", "redirect-errors")
CLONE_NEWNET = 0x40000000
# The harness's own list (scripts/vm-run), to blame the test that caused it.
DMESG_PROBLEMS = re.compile(
    r"WARNING:|BUG:|Oops|Kernel panic|general protection fault|possible recursive locking"
    r"|circular locking dependency|lockdep|INFO: task .* blocked|rcu: INFO"
    r"|self-detected stall|KASAN:|UBSAN:|unreferenced object")
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def ktree() -> Path:
    return Path(os.environ["XDPTOOL_KTREE"])


def ethtool_spec() -> Path:
    return ktree() / "Documentation/netlink/specs/ethtool.yaml"


def xdp_frame(dst: str, action: int, ifindex: int = 0, flags: int = 0,
              src: str = "02:00:00:00:00:01", size: int = 60) -> bytes:
    """A frame kselftest/bpf/xdp_act.c answers with `action`."""
    hdr = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))
    body = struct.pack(">HBIB", ETH_P_XDPACT, action, ifindex, flags)
    return (hdr + body).ljust(size, b"\0")


def in_netns(ns: str | None, fn: Callable[[], Any]) -> Any:
    """Call fn in a thread that joined network namespace ns (None: this one).

    Sockets keep the namespace they were made in, so this is how the test
    process gets netlink and AF_PACKET sockets inside a test's netns.
    """
    if ns is None:
        return fn()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            with open(f"/var/run/netns/{ns}") as f:
                if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns {ns}: {os.strerror(err)}")
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def packet_socket(ns: str | None, dev: str) -> socket.socket:
    def make() -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((dev, 0))
        return s
    return in_netns(ns, make)


def send_frames(ns: str | None, dev: str, frame: bytes, count: int) -> None:
    """Send count copies of frame out of dev with AF_PACKET, all of them.

    A frame the driver refuses (ENOBUFS: a full veth ring) is sent again, so
    exactly count frames leave dev.
    """
    with packet_socket(ns, dev) as s:
        sent = 0
        retries = 0
        while sent < count:
            try:
                s.send(frame)
                sent += 1
            except OSError as e:
                if e.errno != errno.ENOBUFS or retries > 10000:
                    raise
                retries += 1
                time.sleep(0.001)


# The sender used in other processes (pinned to a CPU, or running while the
# test does something else): dev, frame in hex, count (0: until timeout),
# timeout in seconds. Prints how many frames it sent. Stops quietly when
# the device goes away.
SENDER = r"""
import errno, socket, sys, time
dev, frame = sys.argv[1], bytes.fromhex(sys.argv[2])
count, timeout = int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
sent = 0
end = time.monotonic() + timeout
while (count == 0 or sent < count) and time.monotonic() < end:
    try:
        s.send(frame)
        sent += 1
    except OSError as e:
        if e.errno == errno.ENOBUFS:
            continue
        if e.errno in (errno.ENXIO, errno.ENODEV, errno.ENETDOWN):
            break
        raise
print(sent)
"""


def sender_cmd(ns: str, dev: str, frame: bytes, count: int, timeout: float = 120,
               cpu: int | None = None) -> list[str]:
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    return [*pin, "ip", "netns", "exec", ns, sys.executable, "-c", SENDER, dev, frame.hex(),
            str(count), str(timeout)]


def counters(nest: dict[str, Any] | None) -> dict[str, int]:
    nest = nest or {}
    return {name: int(nest.get(name, 0)) for name in COUNTERS}


@dataclass
class XdpStats:
    total: dict[str, int]
    queues: dict[int, dict[str, int]]

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> XdpStats:
        queues = {int(q["queue-id"]): counters(q) for q in reply.get("queue", [])}
        return cls(counters(reply.get("total")), queues)

    def queue_sum(self) -> dict[str, int]:
        return {name: sum(q[name] for q in self.queues.values()) for name in COUNTERS}

    def frames(self) -> int:
        """Program runs: every frame counts in exactly one action."""
        return sum(v for k, v in self.total.items() if k != "redirect-errors")

    def __sub__(self, base: XdpStats) -> XdpStats:
        zero = dict.fromkeys(COUNTERS, 0)
        return XdpStats(
            {k: v - base.total[k] for k, v in self.total.items()},
            {q: {k: v - base.queues.get(q, zero)[k] for k, v in c.items()}
             for q, c in self.queues.items()})


def expect(nonzero: dict[str, int] | None = None, **kw: int) -> dict[str, int]:
    """All counters zero but the ones given (redirect_errors for the dash)."""
    out = dict.fromkeys(COUNTERS, 0)
    for key, value in {**(nonzero or {}), **kw}.items():
        assert key.replace("_", "-") in out, key
        out[key.replace("_", "-")] = value
    return out


def link(ns: str | None, dev: str) -> dict[str, Any]:
    """`ip -d link show` of dev: ifindex, address, num_rx_queues, xdp, ..."""
    pre = ["-n", ns] if ns else []
    return json.loads(sh("ip", *pre, "-d", "-j", "link", "show", "dev", dev))[0]


def virtio_nic_name() -> str:
    """The guest's virtio-net NIC (scripts/vm-run gives it one), in this netns."""
    for path in sorted(Path("/sys/class/net").glob("*/device/driver")):
        if path.resolve().name == "virtio_net":
            return path.parts[4]
    pytest.fail("the guest has no virtio-net NIC: scripts/vm-run should have given it one")


def _ynl_lib() -> Any:
    path = str(ktree() / "tools/net/ynl")
    if path not in sys.path:
        sys.path.insert(0, path)
    import lib as ynl_lib  # the kernel's tools/net/ynl/lib

    return ynl_lib


class Ethnl:
    """The ethtool family through the kernel's own YNL library, in a netns.

    In-process (one spec load, no interpreter start per request) for the
    checks that poll or loop; `Netns.ynl()` runs the kernel's YNL CLI for
    the checks of what a user sees.
    """

    def __init__(self, ns: str | None) -> None:
        lib = _ynl_lib()
        self.NlError = lib.NlError
        self.ynl = in_netns(ns, lambda: lib.YnlFamily(str(ethtool_spec()), schema=""))

    def set(self, dev: str, enabled: int) -> None:
        self.ynl.do("xdp-set", {"header": {"dev-name": dev}, "stats-enabled": enabled})

    def enabled(self, dev: str) -> int:
        return self.ynl.do("xdp-get", {"header": {"dev-name": dev}})["stats-enabled"]

    def stats(self, dev: str) -> XdpStats:
        return XdpStats.from_reply(
            self.ynl.do("xdp-stats-get", {"header": {"dev-name": dev}}))

    def stats_dump(self) -> dict[str, XdpStats]:
        return {r["header"]["dev-name"]: XdpStats.from_reply(r)
                for r in self.ynl.dump("xdp-stats-get", {})}

    def wait_frames(self, dev: str, frames: int, timeout: float = 30) -> XdpStats:
        """Stats once `frames` program runs were counted (or the timeout
        passed), read again after a pause so that extra counts show."""
        end = time.monotonic() + timeout
        st = self.stats(dev)
        while st.frames() < frames and time.monotonic() < end:
            time.sleep(0.05)
            st = self.stats(dev)
        time.sleep(0.3)
        return self.stats(dev)


def ynl_cli(ns: str | None, *args: str, nobody: bool = False, schema: bool = False,
            spec: Path | None = None,
            cli: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The kernel's YNL CLI on the ethtool spec, as root or as nobody."""
    spec = spec or ethtool_spec()
    cli = cli or ktree() / "tools/net/ynl/cli.py"
    py = "/usr/bin/python3" if nobody else sys.executable
    cmd = [py, str(cli), "--spec", str(spec), *([] if schema else ["--no-schema"]), *args]
    if nobody:
        cmd = [*NOBODY, *cmd]
    if ns is not None:
        cmd = ["ip", "netns", "exec", ns, *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, check=False,
                          cwd="/" if nobody else REPO)


def dmesg() -> str:
    return subprocess.run(["dmesg"], capture_output=True, text=True, check=False).stdout


def dmesg_problems(before: str) -> list[str]:
    """Problem lines the kernel logged since `before` (an earlier dmesg())."""
    now = dmesg()
    new = now[len(before):] if now.startswith(before) else now
    return [line for line in new.splitlines() if DMESG_PROBLEMS.search(line)]


@pytest.fixture
def clean_dmesg() -> Iterator[None]:
    """Fail the test itself (not only the run) when the kernel complained."""
    before = dmesg()
    yield
    problems = dmesg_problems(before)
    assert not problems, "guest kernel log:\n" + "\n".join(problems)


@pytest.fixture
def quiet_netns(netns: Netns) -> Netns:
    """A netns where nothing but the test sends: IPv6 off for every device
    made in it or moved into it (no router/neighbour solicitations), lo up."""
    for conf in ("all", "default"):
        netns.run("sysctl", "-qw", f"net.ipv6.conf.{conf}.disable_ipv6=1")
    netns.run("ip", "link", "set", "dev", "lo", "up")
    return netns


@pytest.fixture(scope="session")
def xdp_act_obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bpf_obj(XDP_ACT_SRC, tmp_path_factory)


@pytest.fixture(scope="session")
def bpffs() -> Iterator[Path]:
    """A bpffs of its own under /tmp: `ip netns exec` remounts /sys, so a
    program pinned under /sys/fs/bpf would not be seen inside a netns."""
    path = Path(tempfile.mkdtemp(prefix="xdpvm-bpffs-"))
    sh("mount", "-t", "bpf", "bpf", str(path))
    yield path
    subprocess.run(["umount", str(path)], check=False)
    path.rmdir()


@pytest.fixture(scope="session")
def ynl_public() -> Iterator[tuple[Path, Path]]:
    """A copy of the kernel's YNL CLI and ethtool spec that `nobody` can
    read (the kernel tree lives under /root): (cli.py, ethtool.yaml)."""
    src = ktree() / "tools/net/ynl"
    root = Path(tempfile.mkdtemp(prefix="xdpvm-ynl-"))
    shutil.copy(src / "cli.py", root / "cli.py")
    shutil.copytree(src / "lib", root / "lib", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ethtool_spec(), root / "ethtool.yaml")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root / "cli.py", root / "ethtool.yaml"
    shutil.rmtree(root)
