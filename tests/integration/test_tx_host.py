"""`xdptool tx` against the running kernel (no series: the configuration
reads n/a), in a throwaway netns: a veth becomes a redirect target when its
peer gets NAPI (GRO), and xdptool's answer follows the kernel's ndo-xmit bit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout, installed or not


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"xdptx-{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "-n", name, "link", "add", "tx0", "type", "veth", "peer", "name", "tx1")
        for dev in ("tx0", "tx1"):
            sh("ip", "-n", name, "link", "set", "dev", dev, "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def tx(ns: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xdptool", "--netns", ns, "tx", *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        check=False,
    )


def test_veth_becomes_a_target_when_its_peer_has_napi(netns: str) -> None:
    before = tx(netns, "tx0", "--json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout) == {
        "ifname": "tx0",
        "ifindex": json.loads(sh("ip", "-n", netns, "-j", "link", "show", "tx0"))[0]["ifindex"],
        "redirect_target": False,
        "redirect_target_sg": False,
        "configurable": False,
        "mode": None,
        "count": None,
        "max_count": None,
        "selection": None,
    }
    assert "note: not a redirect target now" in tx(netns, "tx0").stdout

    sh("ip", "netns", "exec", netns, "ethtool", "-K", "tx1", "gro", "on")
    after = json.loads(tx(netns, "tx0", "--json").stdout)
    assert (after["redirect_target"], after["redirect_target_sg"]) == (True, True)
    text = tx(netns, "tx0").stdout.splitlines()
    assert text[:2] == ["XDP TX parameters for tx0:", "Redirect target:\tyes"]
    assert not any(line.startswith("note: not a redirect target") for line in text)


def test_unknown_device(netns: str) -> None:
    res = tx(netns, "nope0")
    assert (res.returncode, res.stdout, res.stderr) == (1, "", 'xdptool: no such device: "nope0"\n')
