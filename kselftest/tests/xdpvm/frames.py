"""Frames for kselftest/bpf/xdp_act.c and AF_PACKET senders."""

from __future__ import annotations

import errno
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence

from xdpvm.netns import _enter_netns, in_netns

# What kselftest/bpf/xdp_act.c returns for a frame of ETH_P_XDPACT: the
# action byte as-is; 7 is not an XDP action and counts as "unknown".
ETH_P_XDPACT = 0x88B5


ACTIONS = {"aborted": 0, "drop": 1, "pass": 2, "tx": 3, "redirect": 4, "unknown": 7}


MARK_TX = 0x1


def xdp_frame(dst: str, action: int, ifindex: int = 0, flags: int = 0,
              src: str = "02:00:00:00:00:01", size: int = 60) -> bytes:
    """A frame kselftest/bpf/xdp_act.c answers with `action`."""
    hdr = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))
    body = struct.pack(">HBIB", ETH_P_XDPACT, action, ifindex, flags)
    return (hdr + body).ljust(size, b"\0")


def packet_socket(ns: str | None, dev: str) -> socket.socket:
    def make() -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((dev, 0))
        return s
    return in_netns(ns, make)


def received(ns: str, dev: str, send: Callable[[], None], quiet: float = 0.5) -> int:
    """Call send(), then count the xdp_act frames (ETH_P_XDPACT) that dev
    receives until none came for `quiet` seconds."""
    def receiver() -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_XDPACT))
        s.bind((dev, 0))
        s.settimeout(quiet)
        return s

    with in_netns(ns, receiver) as rx:
        send()
        got = 0
        while True:
            try:
                rx.recv(2048)
                got += 1
            except TimeoutError:
                return got


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
