"""XDP action statistics read through the kernel's own YNL library and CLI."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xdpvm.host import _ynl_cli_module, _ynl_lib, ethtool_spec, netdev_spec
from xdpvm.netns import NOBODY, in_netns

COUNTERS = ("aborted", "drop", "pass", "tx", "redirect", "unknown", "redirect-errors")
# The device's counters as a redirect target, in the same stats nest.
TARGET_COUNTERS = ("xmit", "xmit-drops")
ETHTOOL_FLAG_STATS = 1 << 2


class NotCounted(Exception):
    """The device does not count XDP actions."""


def counters(nest: dict[str, Any] | None) -> dict[str, int]:
    nest = nest or {}
    return {name: int(nest.get(name, 0)) for name in COUNTERS}


@dataclass
class XdpStats:
    total: dict[str, int]
    queues: dict[int, dict[str, int]]

    @classmethod
    def from_replies(cls, xdp_get: dict[str, Any],
                     qstats: list[dict[str, Any]]) -> XdpStats:
        """From xdp-get's stats nest (the device totals) and the device's
        qstats dump (scope queue: the active RX queues)."""
        if "stats" not in xdp_get:
            raise NotCounted(xdp_get["header"]["dev-name"])
        queues = {int(q["queue-id"]): {name: int(q.get("rx-xdp-" + name, 0))
                                       for name in COUNTERS}
                  for q in qstats if q["queue-type"] == "rx" and "rx-xdp-drop" in q}
        return cls(counters(xdp_get["stats"]), queues)

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


def expect_nest(xmit: int = 0, xmit_drops: int = 0, **kw: int) -> dict[str, int]:
    """xdp-get's whole stats nest: expect(**kw) and the target's counters."""
    return {**expect(**kw), "xmit": xmit, "xmit-drops": xmit_drops}


_FAMILIES: dict[Path, Any] = {}


def _family(spec: Path) -> Any:
    """A YNL family, its spec parsed once per session (seconds under TCG)."""
    if spec not in _FAMILIES:
        _FAMILIES[spec] = _ynl_lib().YnlFamily(str(spec), schema="")
    return _FAMILIES[spec]


class Ethnl:
    """The ethtool family through the kernel's own YNL library, in a netns.

    In-process: the parsed spec is shared, each instance has its own
    netlink socket, opened in `ns` (and without CAP_NET_ADMIN if asked).
    """

    def __init__(self, ns: str | None, cap_net_admin: bool = True) -> None:
        lib = _ynl_lib()
        self.NlError = lib.NlError
        nl = lib.Netlink

        def in_ns(base: Any) -> Any:
            def open_socket() -> socket.socket:
                sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                     base.nlproto.proto_num)
                for opt in (nl.NETLINK_CAP_ACK, nl.NETLINK_EXT_ACK, nl.NETLINK_GET_STRICT_CHK):
                    sock.setsockopt(nl.SOL_NETLINK, opt, 1)
                return sock

            fam = copy.copy(base)
            fam.sock = in_netns(ns, open_socket, cap_net_admin)
            fam.async_msg_queue = []
            return fam

        self.ynl = in_ns(_family(ethtool_spec()))
        self.netdev = in_ns(_family(netdev_spec()))

    def set(self, dev: str, enabled: int) -> None:
        self.ynl.do("xdp-set", {"header": {"dev-name": dev}, "stats-enabled": enabled})

    def get(self, dev: str, stats: bool = False) -> dict[str, Any]:
        flags = ETHTOOL_FLAG_STATS if stats else 0
        return self.ynl.do("xdp-get", {"header": {"dev-name": dev, "flags": flags}})

    def enabled(self, dev: str) -> int:
        return self.get(dev)["stats-enabled"]

    def qstats(self, ifindex: int) -> list[dict[str, Any]]:
        return self.netdev.dump("qstats-get", {"ifindex": ifindex, "scope": "queue"})

    def stats(self, dev: str) -> XdpStats:
        """The device's totals and per-queue counters; NotCounted unless it
        counts."""
        reply = self.get(dev, stats=True)
        if "stats" not in reply:
            raise NotCounted(dev)
        return XdpStats.from_replies(reply, self.qstats(reply["header"]["dev-index"]))

    def stats_dump(self) -> dict[str, XdpStats]:
        """Every device of the netns that counts."""
        replies = self.ynl.dump("xdp-get", {"header": {"flags": ETHTOOL_FLAG_STATS}})
        return {r["header"]["dev-name"]:
                XdpStats.from_replies(r, self.qstats(r["header"]["dev-index"]))
                for r in replies if "stats" in r}

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


def ynl_cli(ns: str | None, *args: str) -> tuple[int, str]:
    """The kernel's YNL CLI (xdpvm.host.ynl_dir()) on the ethtool spec, run
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
# what xdp-set, xdp-get (with statistics) and its dump answer, as JSON.
NOBODY_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily, NlError
ynl = YnlFamily(sys.argv[2], schema="")
hdr = {"header": {"dev-name": sys.argv[3]}}
stats = {"header": {"dev-name": sys.argv[3], "flags": 4}}
out = {}
for key, op, attrs, dump in (("set", "xdp-set", {**hdr, "stats-enabled": int(sys.argv[4])}, False),
                             ("get", "xdp-get", stats, False),
                             ("dump", "xdp-get", {"header": {"flags": 4}}, True)):
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
