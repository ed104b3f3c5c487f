"""`xdptool policy`, the policy in `features`, and `xdptool attach` against
a kernel that enforces, on the patched kernel (the kernel side is
tools/testing/selftests/drivers/net/xdp_policy.py, run by
test_intree_selftest_vm.py): a netdevsim device, which has no redirect
(nor basic on 6.12, whose netdevsim runs XDP only offloaded), and a veth
pair, which has everything."""

from __future__ import annotations

import glob
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from xdpvm.cli import CliRig
from xdpvm.host import REPO, bpf_obj, ktree, sh
from xdpvm.netns import Netns, link

NEEDS_SRC = REPO / "tests" / "integration" / "bpf" / "needs_progs.c"


def series_has_policy() -> bool:
    return (ktree() / "tools/testing/selftests/drivers/net/xdp_policy.py").exists()


@pytest.fixture(scope="module")
def needs_obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bpf_obj(NEEDS_SRC, tmp_path_factory)


@pytest.fixture
def rig(netns: Netns) -> Iterator[CliRig]:
    if not series_has_policy():
        pytest.skip("this base's series has no XDP attach policy yet (patches/*/)")
    dev_id = 500 + os.getpid() % 100
    sh("sh", "-c", f"echo {dev_id} 1 > /sys/bus/netdevsim/new_device")
    try:
        sh("udevadm", "settle")
        [path] = glob.glob(f"/sys/bus/netdevsim/devices/netdevsim{dev_id}/net/*")
        sh("ip", "link", "set", "dev", os.path.basename(path), "netns", netns.name)
        sh("ip", "-n", netns.name, "link", "set", "dev", os.path.basename(path), "name", "n0")
        sh("ip", "-n", netns.name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
        for dev in ("n0", "v0", "v1"):
            sh("ip", "-n", netns.name, "link", "set", "dev", dev, "up")
        yield CliRig(netns)
    finally:
        sh("sh", "-c", f"echo {dev_id} > /sys/bus/netdevsim/del_device")


def missing_for_redirect(rig: CliRig, dev: str) -> str:
    """The enforced features the kernel names missing on dev for a
    redirecting program (it needs basic and redirect)."""
    (info,) = json.loads(rig.ok("features", dev, "--json"))
    return ",".join(f for f in ("basic", "redirect") if f not in info["xdp_features"])


def attached(rig: CliRig, dev: str) -> str | None:
    xdp = link(rig.ns.name, dev).get("xdp")
    return None if not xdp or "prog" not in xdp else str(xdp["prog"]["name"])


def test_show_and_set(rig: CliRig) -> None:
    assert rig.ok("policy", "n0") == (
        "XDP attach policy for n0:\nFeature check:\t\toff\nImplicit generic:\tallow\n"
        "note: a program using features the device lacks attaches, and loses frames at run "
        "time (check one with `xdptool features --program OBJ`)\n"
        "note: an attach without a mode falls back to generic XDP where the driver has no "
        "native XDP\n")
    assert rig.ok("policy", "n0", "set", "feature-check", "enforce",
                  "implicit-generic", "deny") == ""
    assert json.loads(rig.ok("policy", "n0", "--json")) == {
        "ifname": "n0", "ifindex": link(rig.ns.name, "n0")["ifindex"],
        "feature_check": "enforce", "implicit_generic": "deny"}
    (n0,) = json.loads(rig.ok("features", "n0", "--json"))
    (v0,) = json.loads(rig.ok("features", "v0", "--json"))
    assert (n0["feature_check"], n0["implicit_generic"]) == ("enforce", "deny")
    assert (v0["feature_check"], v0["implicit_generic"]) == ("off", "allow")
    assert "feature-check:         enforce" in rig.ok("features", "n0").splitlines()


def test_the_kernel_refuses_what_attach_is_forced_to_try(rig: CliRig, needs_obj: Path) -> None:
    """--force skips xdptool's own check: the kernel's, with enforce, refuses
    and its message is quoted; nothing is left attached. veth takes it."""
    rig.ok("policy", "n0", "set", "feature-check", "enforce")
    res = rig.xdptool("attach", "n0", str(needs_obj), "--program", "xdp_redirect_direct",
                      "--force")
    assert (res.returncode, res.stdout) == (1, ""), res
    assert res.stderr == ('xdptool: attaching "xdp_redirect_direct" to n0 in native mode '
                          "failed: Operation not supported (XDP features missing on device: "
                          f"{missing_for_redirect(rig, 'n0')})\n")
    assert attached(rig, "n0") is None
    rig.ok("policy", "v0", "set", "feature-check", "enforce")
    rig.ok("attach", "v0", str(needs_obj), "--program", "xdp_redirect_direct")
    assert attached(rig, "v0") is not None
    rig.ok("detach", "v0")


def test_enforce_refused_while_an_attached_program_lacks(rig: CliRig, needs_obj: Path) -> None:
    # policy off: xdptool's own check needs --force, the kernel takes it
    rig.ok("attach", "n0", str(needs_obj), "--program", "xdp_redirect_direct", "--force")
    res = rig.xdptool("policy", "n0", "set", "feature-check", "enforce")
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == ("xdptool: n0: setting the XDP attach policy failed: Operation not "
                          "supported: XDP features missing on device: "
                          f"{missing_for_redirect(rig, 'n0')}\n")
    assert json.loads(rig.ok("policy", "n0", "--json"))["feature_check"] == "off"


def test_implicit_generic_deny(rig: CliRig, xdp_pass_obj: Path) -> None:
    """lo has no native XDP: ip's attach without a mode is refused under deny;
    xdptool never attaches without a mode anyway."""
    rig.ok("policy", "lo", "set", "implicit-generic", "deny")
    res = subprocess.run(["ip", "-n", rig.ns.name, "link", "set", "dev", "lo", "xdp", "obj",
                          str(xdp_pass_obj), "sec", "xdp"],
                         capture_output=True, text=True, check=False)
    assert res.returncode != 0
    assert "its XDP policy denies implicit generic mode" in res.stderr
    rig.ok("attach", "lo", str(xdp_pass_obj), "--mode", "generic")
    assert attached(rig, "lo") is not None
    rig.ok("detach", "lo")
