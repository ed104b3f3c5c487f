#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Toggle a static key on the XDP receive path while frames flow through it:
the experiment behind the "Oops: int3" question (docs/int3.md).

Usage (in the guest): static_key_toggle.py generic|stats [ITERATIONS] [XDP_PASS_OBJ]

  generic  attach and detach a generic (skb) XDP program on the receiving
           veth: upstream's generic_xdp_needed_key flips 0 -> 1 -> 0 each
           time, and every frame received tests it (works on any kernel);
  stats    switch XDP statistics on and off on a veth running a native XDP
           program: the series' key (kernels with the series only).

Frames are sent without pause from one vCPU (AF_PACKET, veth: the receive
path runs on the sender's CPU), while the key is flipped from the other.
The key's text is patched with int3 breakpoints and IPIs (text_poke_bp) at
every flip. The run ends after ITERATIONS flips (default 200); a kernel that
Oopses says so in its log, which scripts/vm-run checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from xdpvm.frames import Senders
from xdpvm.host import sh
from xdpvm.netns import Netns, link, quiet


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("generic", "stats"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    obj = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        os.environ.get("XDPTOOL_BPF_DIR", "/nonexistent"), "xdp_pass.o")
    tx, rx = Netns("sk-tx"), Netns("sk-rx")
    for ns in (tx, rx):
        sh("ip", "netns", "add", ns.name)
        quiet(ns)
    sh("ip", "-n", tx.name, "link", "add", "ska", "type", "veth", "peer", "name", "skb",
       "netns", rx.name)
    sh("ip", "-n", tx.name, "link", "set", "ska", "up")
    sh("ip", "-n", rx.name, "link", "set", "skb", "up")
    dst = link(rx.name, "skb")["address"]
    frame = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex("020000000001") + \
        b"\x88\xb5" + bytes(46)

    def flip_generic(on: bool) -> None:
        if on:
            sh("ip", "-n", rx.name, "link", "set", "dev", "skb", "xdpgeneric", "obj", obj,
               "sec", "xdp")
        else:
            sh("ip", "-n", rx.name, "link", "set", "dev", "skb", "xdpgeneric", "off")

    flip = flip_generic
    if mode == "stats":
        from xdpvm.stats import Ethnl

        sh("ip", "-n", rx.name, "link", "set", "dev", "skb", "xdpdrv", "obj", obj, "sec", "xdp")
        ethnl = Ethnl(rx.name)

        def flip_stats(on: bool) -> None:
            ethnl.set("skb", int(on))

        flip = flip_stats

    os.sched_setaffinity(0, {1})
    senders = Senders(tx.name, "ska", frame, cpus=[0])
    start = time.monotonic()
    try:
        for i in range(iterations):
            flip(i % 2 == 0)
    finally:
        sent = senders.stop()
        flip(False)
        for ns in (tx, rx):
            subprocess.run(["ip", "netns", "del", ns.name], check=False)
    print(f"{mode}: {iterations} flips in {time.monotonic() - start:.1f} s "
          f"with {sent} frames sent meanwhile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
