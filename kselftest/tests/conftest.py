"""Fixtures for the tests that run in the guest on the patched kernel; the
helpers they use are the package xdpvm (kselftest/tests/xdpvm/)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from xdpvm.dmesg import dmesg, dmesg_problems
from xdpvm.host import XDP_ACT_SRC, XDP_PASS_SRC, bpf_obj, ethtool_spec, sh, ynl_dir
from xdpvm.netns import Netns, quiet


@pytest.fixture
def netns(request: pytest.FixtureRequest) -> Iterator[Netns]:
    ns = Netns(f"xdpvm-{uuid.uuid4().hex[:8]}")
    sh("ip", "netns", "add", ns.name)
    request.addfinalizer(lambda: subprocess.run(["ip", "netns", "del", ns.name], check=False))
    yield ns


@pytest.fixture(scope="session")
def xdp_pass_obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bpf_obj(XDP_PASS_SRC, tmp_path_factory)


@pytest.fixture
def clean_dmesg() -> Iterator[None]:
    """Fail the test itself (not only the run) when the kernel complained."""
    before = dmesg()
    yield
    problems = dmesg_problems(before)
    assert not problems, "guest kernel log:\n" + "\n".join(problems)


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
    src = ynl_dir()
    root = Path(tempfile.mkdtemp(prefix="xdpvm-ynl-"))
    shutil.copytree(src / "lib", root / "lib", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ethtool_spec(), root / "ethtool.yaml")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    shutil.rmtree(root)
