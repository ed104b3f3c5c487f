"""Shared fixtures: a fake host for unit tests; root gating for integration tests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from xdptool import attach_policy, bpfinfo, drvinfo, links, netdev_source, tx_config
from xdptool.attach_policy import Policy
from xdptool.links import Attachment, Link
from xdptool.netdev_source import NetdevFeatures
from xdptool.ynl.generated.ethtool import XdpTx


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN): netns + XDP")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Under XDPTOOL_SKIP_FAILS=1 (scripts/test-all) a skip is a failure:
    there, everything a test needs is installed, so a skip hides a gap."""
    report: pytest.TestReport = yield
    strict = os.environ.get("XDPTOOL_SKIP_FAILS") == "1"
    if strict and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under XDPTOOL_SKIP_FAILS=1: {reason}"
    return report


@dataclass
class FakeHost:
    """What the data sources answer; tests edit it before running the code."""

    links: list[Link] = field(default_factory=list)
    features: dict[int, NetdevFeatures] | None = field(default_factory=dict)
    drivers: dict[str, str | None] = field(default_factory=dict)
    prog_names: dict[int, str | None] = field(default_factory=dict)
    # Set to an exception to make the rtnetlink dump fail with it.
    links_error: BaseException | None = None
    # The xdptool series' tx nests by ifindex; None: a kernel without the series.
    series_tx: dict[int, XdpTx] | None = None
    # The xdptool series' attach policies by ifindex; None: no series.
    policies: dict[int, Policy] | None = None

    def add(self, ifindex: int, ifname: str, driver: str | None, xdp: list[str] | None,
            rx_meta: list[str] | None = None, xsk: list[str] | None = None,
            zc: int | None = None,
            attached: tuple[Attachment, ...] = ()) -> None:
        self.links.append(Link(ifindex, ifname, list(attached)))
        self.drivers[ifname] = driver
        if self.features is not None:
            self.features[ifindex] = NetdevFeatures(ifindex, xdp, zc, rx_meta or [], xsk or [])


def _standard(host: FakeHost) -> None:
    # veth and virtio_net as this 6.18 host reports them (tests/integration checks veth).
    meta = ["timestamp", "hash", "vlan-tag"]
    host.add(1, "lo", None, [])
    host.add(2, "veth0", "veth", ["basic", "redirect", "rx-sg"], rx_meta=meta,
             attached=(Attachment("native", 8),))
    host.add(3, "veth1", "veth", ["basic", "redirect", "ndo-xmit", "rx-sg", "ndo-xmit-sg"],
             rx_meta=meta)
    host.add(4, "eth0", "virtio_net", ["basic", "redirect", "xsk-zerocopy", "rx-sg"], zc=1,
             attached=(Attachment("generic", 9),))
    host.add(5, "nfp0", "nfp", ["basic", "hw-offload", "bit-8"],
             xsk=["tx-timestamp", "tx-checksum"],
             attached=(Attachment("native", 10), Attachment("offload", 11)))
    host.prog_names = {8: "xdp_pass", 9: None, 10: "xdp_lb", 11: "xdp_lb_hw"}


@pytest.fixture
def fake_host(monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    """Five devices covering native/generic/multi attach, zero-copy, unknown bits."""
    host = FakeHost()
    _standard(host)

    def list_links() -> list[Link]:
        if host.links_error is not None:
            raise host.links_error
        return sorted(host.links, key=lambda link: link.ifindex)

    monkeypatch.setattr(links, "list_links", list_links)
    monkeypatch.setattr(netdev_source, "dump_features", lambda: host.features)
    monkeypatch.setattr(drvinfo, "driver_name", lambda ifname: host.drivers[ifname])
    monkeypatch.setattr(bpfinfo, "prog_name", lambda prog_id: host.prog_names.get(prog_id))
    monkeypatch.setattr(tx_config, "dump_series_tx", lambda: host.series_tx)
    monkeypatch.setattr(attach_policy, "dump_policies", lambda: host.policies)
    return host


@pytest.fixture
def no_family_host(fake_host: FakeHost) -> FakeHost:
    """The same host on a kernel without the netdev genetlink family."""
    fake_host.features = None
    return fake_host
