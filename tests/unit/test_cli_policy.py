"""`xdptool policy DEV [set ...]` through the real Typer app, on a faked
ethtool family (the series' xdp-get/xdp-set with and without the policy
attributes), and the policy in `xdptool features`."""

from __future__ import annotations

import errno
import json
from typing import TYPE_CHECKING

import pytest
from genl_fake import (
    SERIES_XDP_SET_POLICY,
    SERIES_XDP_SET_TX,
    FakeSeriesFamily,
)
from typer.testing import CliRunner

from xdptool import attach_policy, cli, links
from xdptool.attach_policy import NO_POLICY_PATCHES_NOTE, NO_SERIES_NOTE, Policy
from xdptool.ynl.generated.ethtool import Header, Xdp, XdpFeatureCheck, XdpImplicitGeneric
from xdptool.ynl.runtime import YnlError

if TYPE_CHECKING:
    from click.testing import Result

    from tests.conftest import FakeHost

runner = CliRunner()
SET_USAGE = "[feature-check off|enforce] [implicit-generic allow|deny]"


def run(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="xdptool")


class FakePolicyKernel(FakeSeriesFamily):
    """The series' ethtool family; veth0 (ifindex 2) enforces, lo (1) does not."""

    def __init__(self, with_policy: bool = True) -> None:
        super().__init__(SERIES_XDP_SET_POLICY if with_policy else SERIES_XDP_SET_TX)
        self.state = {1: (0, 0), 2: (1, 1)}
        self.sets: list[tuple[int | None, object, object]] = []
        self.set_error: YnlError | None = None

    def _reply(self, ifindex: int) -> Xdp:
        check, generic = self.state[ifindex]
        return Xdp(header=Header(dev_index=ifindex), stats_enabled=0,
                   feature_check=check, implicit_generic=generic)

    def xdp_get(self, header: Header) -> Xdp:
        assert header.dev_index is not None
        return self._reply(header.dev_index)

    def xdp_get_dump(self, header: Header) -> list[Xdp]:
        return [self._reply(ifindex) for ifindex in sorted(self.state)]

    def xdp_set(self, *, header: Header, feature_check: object = None,
                implicit_generic: object = None) -> None:
        assert header.dev_index is not None
        self.sets.append((header.dev_index, feature_check, implicit_generic))
        if self.set_error is not None:
            raise self.set_error


@pytest.fixture
def kernel(fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch) -> FakePolicyKernel:
    fake = FakePolicyKernel()
    monkeypatch.setattr(attach_policy, "open_family", fake)
    monkeypatch.setattr(links, "ifindex_of",
                        lambda name: {"lo": 1, "veth0": 2, "veth1": 3}[name])
    return fake


def test_show_text_and_json(kernel: FakePolicyKernel) -> None:
    result = run("policy", "veth0")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("XDP attach policy for veth0:\n"
                             "Feature check:\t\tenforce\n"
                             "Implicit generic:\tdeny\n")
    lo = run("policy", "lo").stdout.splitlines()
    assert lo[1:3] == ["Feature check:\t\toff", "Implicit generic:\tallow"]
    assert lo[3].startswith("note: a program using features the device lacks attaches")
    assert lo[4].startswith("note: an attach without a mode falls back to generic XDP")
    assert json.loads(run("policy", "veth0", "--json").stdout) == {
        "ifname": "veth0", "ifindex": 2, "feature_check": "enforce", "implicit_generic": "deny"}
    assert kernel.open_sockets == 0


def test_set_sends_only_what_was_asked(kernel: FakePolicyKernel) -> None:
    result = run("policy", "lo", "set", "feature-check", "enforce", "implicit-generic", "deny")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert kernel.sets == [(1, XdpFeatureCheck.ENFORCE, XdpImplicitGeneric.DENY)]
    run("policy", "lo", "set", "implicit-generic", "allow")
    assert kernel.sets[-1] == (1, None, XdpImplicitGeneric.ALLOW)
    assert kernel.open_sockets == 0


@pytest.mark.parametrize(("args", "message"), [
    (("feature-check",), f'"feature-check" has no value: expected {SET_USAGE}'),
    (("feature-check", "on"), 'feature-check: "on" is not one of off|enforce'),
    (("implicit-generic", "yes"), 'implicit-generic: "yes" is not one of allow|deny'),
    (("feature-check", "off", "feature-check", "enforce"), '"feature-check" given twice'),
    (("mode", "native"), f'unknown setting "mode": expected {SET_USAGE}'),
    (("feature-check", "\udcff"), 'feature-check: "\\xff" is not one of off|enforce'),
])
def test_set_bad_input_is_a_usage_error(kernel: FakePolicyKernel, args: tuple[str, ...],
                                        message: str) -> None:
    result = run("policy", "veth0", "set", *args)
    assert result.exit_code == 2
    assert result.stderr == (f"xdptool: Invalid value: {message} "
                             "(see 'xdptool policy set --help')\n")
    assert kernel.sets == []


def test_set_refusal_is_the_kernels_extack(kernel: FakePolicyKernel) -> None:
    kernel.set_error = YnlError(errno.EOPNOTSUPP, op="xdp-set",
                                extack="XDP features missing on device: redirect")
    result = run("policy", "veth0", "set", "feature-check", "enforce")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("xdptool: veth0: setting the XDP attach policy failed: Operation "
                             "not supported: XDP features missing on device: redirect\n")
    kernel.set_error = YnlError(errno.EPERM, op="xdp-set")
    assert run("policy", "veth0", "set", "feature-check", "off").stderr == (
        "xdptool: permission denied: setting the XDP attach policy needs CAP_NET_ADMIN in "
        "the initial user namespace\n")
    assert kernel.open_sockets == 0


def test_kernel_without_the_series(fake_host: FakeHost,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The host's kernel (no series): n/a and why; set fails in one line."""
    monkeypatch.setattr(links, "ifindex_of", lambda name: 2)
    result = run("policy", "veth0")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "Feature check:\t\tn/a", "Implicit generic:\tn/a", f"note: {NO_SERIES_NOTE}"]
    assert json.loads(run("policy", "veth0", "-j").stdout)["feature_check"] is None
    result = run("policy", "veth0", "set", "feature-check", "enforce")
    assert (result.exit_code, result.stderr) == (1, f"xdptool: {NO_SERIES_NOTE}\n")


def test_series_without_policy_patches(fake_host: FakeHost,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakePolicyKernel(with_policy=False)
    monkeypatch.setattr(attach_policy, "open_family", kernel)
    monkeypatch.setattr(links, "ifindex_of", lambda name: 2)
    assert run("policy", "veth0").stdout.splitlines()[-1] == f"note: {NO_POLICY_PATCHES_NOTE}"
    result = run("policy", "veth0", "set", "implicit-generic", "deny")
    assert (result.exit_code, result.stderr) == (1, f"xdptool: {NO_POLICY_PATCHES_NOTE}\n")
    assert kernel.sets == [] and kernel.open_sockets == 0


def test_unknown_device_one_line(fake_host: FakeHost) -> None:
    result = run("policy", "nope0")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == 'xdptool: no such device: "nope0"\n'


def test_features_shows_the_policy(fake_host: FakeHost) -> None:
    fake_host.policies = {2: Policy("enforce", "deny"), 3: Policy("off", "allow")}
    block = run("features", "veth0").stdout.splitlines()
    assert "feature-check:         enforce" in block
    assert "implicit-generic:      deny" in block
    (veth1,) = json.loads(run("features", "veth1", "--json").stdout)
    assert (veth1["feature_check"], veth1["implicit_generic"]) == ("off", "allow")
    (lo,) = json.loads(run("features", "lo", "--json").stdout)
    assert (lo["feature_check"], lo["implicit_generic"]) == (None, None)
