"""Fixtures for the tests that run in the guest on the patched kernel."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import errno
import functools
import importlib.util
import io
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
from collections.abc import Callable, Iterator, Sequence
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


CAP_NET_ADMIN = 12


def _enter_netns(ns: str) -> None:
    """Move the calling thread into network namespace ns."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/var/run/netns/{ns}") as f:
        if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {ns}: {os.strerror(err)}")


def _drop_cap_net_admin() -> None:
    """Drop CAP_NET_ADMIN (effective and permitted) from the calling thread
    only: capabilities are per thread, and sockets remember the
    credentials of the thread that opened them."""
    libc = ctypes.CDLL(None, use_errno=True)
    hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # 2 x {effective, permitted, inheritable}
    if libc.capget(hdr, data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    data[0] &= ~(1 << CAP_NET_ADMIN)
    data[1] &= ~(1 << CAP_NET_ADMIN)
    if libc.capset(hdr, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def in_netns(ns: str | None, fn: Callable[[], Any], cap_net_admin: bool = True) -> Any:
    """Call fn in a thread that joined network namespace ns (None: this one),
    without CAP_NET_ADMIN if asked.

    Sockets keep the namespace they were made in, so this is how the test
    process gets netlink and AF_PACKET sockets inside a test's netns; a
    thread of this process costs nothing, a new interpreter about a minute
    under TCG.
    """
    if ns is None and cap_net_admin:
        return fn()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            if ns is not None:
                _enter_netns(ns)
            if not cap_net_admin:
                _drop_cap_net_admin()
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


def _send(s: socket.socket, frame: bytes, count: int,
          stop: threading.Event | None = None) -> int:
    """Send frame count times (0: until stop), every one of them: a frame
    the driver refuses (ENOBUFS: a full veth ring) is sent again. Returns
    how many were sent; stops quietly when the device goes away."""
    sent = 0
    while (count == 0 or sent < count) and not (stop and stop.is_set()):
        try:
            s.send(frame)
            sent += 1
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                time.sleep(0.0005)
                continue
            if stop is not None and e.errno in (errno.ENXIO, errno.ENODEV, errno.ENETDOWN):
                break
            raise
    return sent


def send_frames(ns: str | None, dev: str, frame: bytes, count: int) -> None:
    """Send exactly count copies of frame out of dev with AF_PACKET."""
    with packet_socket(ns, dev) as s:
        assert _send(s, frame, count) == count


class Senders:
    """AF_PACKET senders in threads of this process, one pinned to each of
    `cpus`, started together. socket.send() releases the GIL, so the
    kernel sides run at the same time on their CPUs. count=0: until stop()."""

    def __init__(self, ns: str, dev: str, frame: bytes, cpus: Sequence[int],
                 count: int = 0) -> None:
        self.stop_event = threading.Event()
        self.sent: dict[int, int] = {}
        self.errors: list[BaseException] = []
        go = threading.Barrier(len(cpus))

        def run(cpu: int) -> None:
            try:
                _enter_netns(ns)
                os.sched_setaffinity(0, {cpu})
                with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
                    s.bind((dev, 0))
                    go.wait(timeout=60)
                    self.sent[cpu] = _send(s, frame, count,
                                           self.stop_event if count == 0 else None)
            except BaseException as e:
                self.errors.append(e)

        self.threads = [threading.Thread(target=run, args=(cpu,)) for cpu in cpus]
        for t in self.threads:
            t.start()

    def join(self, timeout: float = 600) -> int:
        """Total frames sent; raises what a sender raised."""
        for t in self.threads:
            t.join(timeout)
        if self.errors:
            raise self.errors[0]
        return sum(self.sent.values())

    def stop(self) -> int:
        self.stop_event.set()
        return self.join()


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


_ETHTOOL: Any = None


def _ethtool_family() -> Any:
    """The ethtool family, its spec parsed once per session (seconds under TCG)."""
    global _ETHTOOL
    if _ETHTOOL is None:
        _ETHTOOL = _ynl_lib().YnlFamily(str(ethtool_spec()), schema="")
    return _ETHTOOL


class Ethnl:
    """The ethtool family through the kernel's own YNL library, in a netns.

    In-process: the parsed spec is shared, each instance has its own
    netlink socket, opened in `ns` (and without CAP_NET_ADMIN if asked).
    """

    def __init__(self, ns: str | None, cap_net_admin: bool = True) -> None:
        lib = _ynl_lib()
        self.NlError = lib.NlError
        base = _ethtool_family()
        nl = lib.Netlink

        def open_socket() -> socket.socket:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, base.nlproto.proto_num)
            for opt in (nl.NETLINK_CAP_ACK, nl.NETLINK_EXT_ACK, nl.NETLINK_GET_STRICT_CHK):
                sock.setsockopt(nl.SOL_NETLINK, opt, 1)
            return sock

        self.ynl = copy.copy(base)
        self.ynl.sock = in_netns(ns, open_socket, cap_net_admin)
        self.ynl.async_msg_queue = []

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


@functools.cache
def _ynl_cli_module() -> Any:
    """tools/net/ynl/cli.py as a module, loaded once."""
    _ynl_lib()
    spec = importlib.util.spec_from_file_location("ynl_cli", ktree() / "tools/net/ynl/cli.py")
    assert spec and spec.loader
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    return cli


def ynl_cli(ns: str | None, *args: str) -> tuple[int, str]:
    """The kernel's YNL CLI (tools/net/ynl/cli.py) on the ethtool spec, run
    in-process in ns: (exit status, what it printed)."""
    cli = _ynl_cli_module()
    argv = ["cli.py", "--spec", str(ethtool_spec()), "--no-schema", *args]

    def run() -> tuple[int, str]:
        out = io.StringIO()
        old = sys.argv
        sys.argv = argv
        try:
            with contextlib.redirect_stdout(out):
                cli.main()
            return 0, out.getvalue()
        except SystemExit as e:
            return int(e.code or 0), out.getvalue()
        finally:
            sys.argv = old

    return in_netns(ns, run)


# Run as nobody (one interpreter: each start costs seconds under TCG) with
# the kernel's YNL library copied where nobody can read it (ynl_public):
# what xdp-set, xdp-get, xdp-stats-get and its dump answer, as JSON.
NOBODY_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily, NlError
ynl = YnlFamily(sys.argv[2], schema="")
hdr = {"header": {"dev-name": sys.argv[3]}}
out = {}
for key, op, attrs, dump in (("set", "xdp-set", {**hdr, "stats-enabled": int(sys.argv[4])}, False),
                             ("get", "xdp-get", hdr, False),
                             ("stats", "xdp-stats-get", hdr, False),
                             ("dump", "xdp-stats-get", {}, True)):
    try:
        out[key] = ynl.dump(op, attrs) if dump else ynl.do(op, attrs)
    except NlError as e:
        out[key] = {"errno": e.error, "extack": e.nl_msg.extack}
print(json.dumps(out))
"""


def ynl_as_nobody(ns: str, ynl_dir: Path, dev: str, set_to: int) -> dict[str, Any]:
    res = subprocess.run(
        ["ip", "netns", "exec", ns, *NOBODY, "/usr/bin/python3", "-c", NOBODY_SCRIPT,
         str(ynl_dir), str(ynl_dir / "ethtool.yaml"), dev, str(set_to)],
        capture_output=True, text=True, check=False, cwd="/")
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(res.stdout)


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


def quiet(ns: Netns) -> Netns:
    """Make ns a netns where nothing but the test sends: IPv6 off for every
    device made in it or moved into it (no router/neighbour solicitations),
    lo up."""
    for conf in ("all", "default"):
        ns.run("sysctl", "-qw", f"net.ipv6.conf.{conf}.disable_ipv6=1")
    ns.run("ip", "link", "set", "dev", "lo", "up")
    return ns


@pytest.fixture
def quiet_netns(netns: Netns) -> Netns:
    return quiet(netns)


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
def ynl_public() -> Iterator[Path]:
    """A copy of the kernel's YNL library and ethtool spec that `nobody` can
    read (the kernel tree lives under /root): DIR with lib/, ethtool.yaml."""
    src = ktree() / "tools/net/ynl"
    root = Path(tempfile.mkdtemp(prefix="xdpvm-ynl-"))
    shutil.copytree(src / "lib", root / "lib", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ethtool_spec(), root / "ethtool.yaml")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    shutil.rmtree(root)
