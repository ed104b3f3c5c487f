"""Fixtures for the tests that run in the guest on the patched kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
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
        out = subprocess.run(
            ["ip", "netns", "exec", self.name, sys.executable, "-m", "xdptool",
             "features", "--json", *args],
            capture_output=True, text=True, cwd=REPO, check=False,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def kernel_dev_get(self) -> dict[int, dict[str, Any]]:
        """The netdev family read by the kernel's own YNL CLI, by ifindex."""
        tree = Path(os.environ["XDPTOOL_KTREE"])
        out = self.run(sys.executable, str(tree / "tools/net/ynl/cli.py"),
                       "--spec", str(tree / "Documentation/netlink/specs/netdev.yaml"),
                       "--dump", "dev-get", "--output-json")
        return {dev["ifindex"]: dev for dev in json.loads(out)}


@pytest.fixture
def netns(request: pytest.FixtureRequest) -> Iterator[Netns]:
    ns = Netns(f"xdpvm-{uuid.uuid4().hex[:8]}")
    sh("ip", "netns", "add", ns.name)
    request.addfinalizer(lambda: subprocess.run(["ip", "netns", "del", ns.name], check=False))
    yield ns


@pytest.fixture(scope="session")
def xdp_pass_obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    obj = tmp_path_factory.mktemp("bpf") / "xdp_pass.o"
    sh("clang", "-O2", "-target", "bpf", "-c", str(XDP_PASS_SRC), "-o", str(obj))
    return obj


def by_name(devs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {dev["ifname"]: dev for dev in devs}
