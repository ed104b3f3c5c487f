"""Paths, shell commands, BPF objects and the kernel tree's YNL library."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]


XDP_PASS_SRC = REPO / "tests" / "integration" / "bpf" / "xdp_pass.c"


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def bpf_obj(src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """src compiled: by the host (kselftest/build-bpf, $XDPTOOL_BPF_DIR),
    else here; clang takes half a minute under TCG."""
    prebuilt = Path(os.environ.get("XDPTOOL_BPF_DIR", "/nonexistent")) / f"{src.stem}.o"
    if prebuilt.exists():
        return prebuilt
    obj = tmp_path_factory.mktemp("bpf") / f"{src.stem}.o"
    # BTF for programs with BTF maps or kfunc externs, as kselftest/build-bpf
    sh("clang", "-O2", "-g", "-target", "bpf", "-idirafter", "/usr/include/x86_64-linux-gnu",
       "-c", str(src), "-o", str(obj))
    return obj


def by_name(devs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {dev["ifname"]: dev for dev in devs}


XDP_ACT_SRC = REPO / "kselftest" / "bpf" / "xdp_act.c"


def ktree() -> Path:
    return Path(os.environ["XDPTOOL_KTREE"])


def ethtool_spec() -> Path:
    return ktree() / "Documentation/netlink/specs/ethtool.yaml"


def netdev_spec() -> Path:
    return ktree() / "Documentation/netlink/specs/netdev.yaml"


def ynl_dir() -> Path:
    """The kernel's Python YNL (lib/ and cli.py): tools/net/ynl/pyynl since
    6.14, tools/net/ynl before."""
    pyynl = ktree() / "tools/net/ynl/pyynl"
    return pyynl if pyynl.is_dir() else ktree() / "tools/net/ynl"


def _ynl_lib() -> Any:
    path = str(ynl_dir())
    if path not in sys.path:
        sys.path.insert(0, path)
    import lib as ynl_lib  # the kernel's YNL library

    return ynl_lib


@functools.cache
def _ynl_cli_module() -> Any:
    """The kernel's YNL cli.py as a module, loaded once."""
    _ynl_lib()
    spec = importlib.util.spec_from_file_location("ynl_cli", ynl_dir() / "cli.py")
    assert spec and spec.loader
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    return cli
