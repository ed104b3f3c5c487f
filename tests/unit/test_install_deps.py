"""scripts/install-deps installs every tool and header the suite uses.

A machine where one was installed by hand passes its own CI and hides the
gap until CI runs on a new machine (it happened with libbpf-dev). Each tool
and header the suite needs is listed here with the Debian package that
provides it: that package must be in scripts/deps/apt-packages, and where
the tool is installed, dpkg must agree that the package owns it. Running as
root (scripts/test-all, CI), each must also be installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xdptool.commands import COMMANDS

REPO = Path(__file__).resolve().parents[2]
APT_PACKAGES = REPO / "scripts" / "deps" / "apt-packages"

# What the suite and the scripts run or include, and its Debian 12 package.
TOOLS = {
    "ip": "iproute2", "tc": "iproute2", "ethtool": "ethtool", "sysctl": "procps",
    "setpriv": "util-linux", "mountpoint": "util-linux", "unshare": "util-linux",
    "setsid": "util-linux", "flock": "util-linux",
    "clang": "clang", "llc": "llvm", "bpftool": "bpftool", "objdump": "binutils",
    "gcc": "gcc", "make": "make", "flex": "flex", "bison": "bison", "bc": "bc",
    "pahole": "pahole", "cpio": "cpio", "rsync": "rsync", "ccache": "ccache",
    "git": "git", "xz": "xz-utils", "perl": "perl-base",
    "qemu-system-x86_64": "qemu-system-x86", "busybox": "busybox-static",
    "udevadm": "udev", "debootstrap": "debootstrap", "xdp-loader": "xdp-tools",
}
HEADERS = {
    "/usr/include/bpf/bpf_helpers.h": "libbpf-dev",
    "/usr/include/bpf/bpf_endian.h": "libbpf-dev",
    "/usr/include/libelf.h": "libelf-dev",
    "/usr/include/openssl/ssl.h": "libssl-dev",
    "/usr/include/linux/bpf.h": "linux-libc-dev",
    "/usr/lib/x86_64-linux-gnu/libbpf.so.1": "libbpf1",
    "/usr/lib/x86_64-linux-gnu/libxdp.so.1": "libxdp1",
    "/usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o": "libxdp1",
}
# Packages that come in as dependencies of a listed one (build-essential
# pulls gcc, make and binutils; perl needs perl-base; libbpf-dev needs
# linux-libc-dev through libc6-dev).
PULLED_IN = {"pahole": "dwarves", "gcc": "build-essential", "make": "build-essential",
             "binutils": "build-essential", "perl-base": "perl",
             "linux-libc-dev": "build-essential"}


def listed() -> set[str]:
    lines = (re.sub(r"#.*", "", line).strip() for line in APT_PACKAGES.read_text().splitlines())
    return {line for line in lines if line}


def dpkg_owner(path: str) -> str | None:
    """The package dpkg says owns path, or None. Debian 12 merges /bin into
    /usr/bin, but dpkg records the path the package shipped (/sbin/ip)."""
    real = os.path.realpath(path)
    names = [path, real, *(re.sub(r"^/usr/s?bin/", d, p) for p in (path, real)
                           for d in ("/bin/", "/sbin/"))]
    for candidate in dict.fromkeys(names):
        res = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True,
                             check=False)
        if res.returncode == 0:
            return res.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def required() -> list[tuple[str, str]]:
    return [*TOOLS.items(), *HEADERS.items()]


@pytest.mark.parametrize(("what", "package"), required())
def test_package_is_installed_by_install_deps(what: str, package: str) -> None:
    assert package in listed() or PULLED_IN.get(package) in listed(), (
        f"{what} comes from {package}, which scripts/deps/apt-packages does not list")


@pytest.mark.parametrize(("what", "package"), required())
def test_tool_is_there_and_from_that_package(what: str, package: str) -> None:
    path = what if what.startswith("/") else shutil.which(what)
    present = path is not None and Path(path).exists()
    if os.geteuid() == 0:  # the suite runs as root; install-deps ran first
        assert present, f"{what} is missing: scripts/install-deps should have installed {package}"
    if not present or shutil.which("dpkg-query") is None:
        pytest.skip(f"{what} not installed here (not root: install-deps may not have run)")
    assert path is not None
    owner = dpkg_owner(path)
    # Versioned packages own the real file (clang-14 for clang, llvm-14 for llc).
    assert owner is not None and (owner == package or owner.startswith(f"{package}-")), (
        f"{path} belongs to {owner}, not {package}")


def test_the_suite_uses_no_unlisted_command() -> None:
    """Every command the tests start by name through sh() or subprocess is listed."""
    used: set[str] = set()
    pattern = re.compile(r'(?:sh|run|check_output)\(\s*\[?\s*"([a-z][a-z0-9_.+-]*)"')
    for src in [*REPO.glob("tests/**/*.py"), *REPO.glob("kselftest/**/*.py")]:
        used.update(pattern.findall(src.read_text()))
    # Subcommands and arguments of the helpers above, and Python itself.
    # (cat, grep, dmesg, mount: Debian essential packages, on every system.)
    not_tools = {*COMMANDS, "python3", "sh", "cat", "grep", "dmesg", "mount",
                 "umount", "sysctl"} | {"dpkg-query"}
    missing = sorted(used - not_tools - set(TOOLS))
    assert not missing, f"tests run {missing}: add them to TOOLS with their package"
