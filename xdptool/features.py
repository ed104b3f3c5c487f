"""The `features` model: one report per device, merged from three sources.

- netdev genetlink family: what the driver can do (xdp-features & co.);
- rtnetlink: what is attached right now, in which mode;
- ethtool ioctl + bpf(2): driver name and program names.

Tri-state booleans (None = unknown) keep "the kernel cannot tell us" apart
from "no": a kernel without the netdev family must never read as "no XDP".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdptool import bpfinfo, drvinfo, links, netdev_source
from xdptool.errors import NoSuchDeviceError
from xdptool.netdev_source import NetdevFeatures

NO_FAMILY_NOTE = ("XDP feature flags unknown: this kernel has no netdev netlink family "
                  "(needs Linux >= 6.3)")


@dataclass(frozen=True)
class AttachedProg:
    mode: str  # "native" | "generic" | "offload"
    prog_id: int
    prog_name: str | None  # None when bpf(2) would not tell us


@dataclass(frozen=True)
class DeviceReport:
    ifname: str
    ifindex: int
    driver: str | None
    # Raw flag names from the netdev family; None = family missing/device not reported.
    xdp_features: list[str] | None
    xdp_rx_metadata_features: list[str] | None
    xsk_features: list[str] | None
    # Only reported by the kernel for zero-copy capable devices.
    xdp_zc_max_segs: int | None
    attached: list[AttachedProg] = field(default_factory=list)

    def _has(self, names: list[str] | None, name: str) -> bool | None:
        return None if names is None else name in names

    # The verdicts, named after what the sysadmin asks, not after the bit.
    @property
    def native_xdp(self) -> bool | None:
        return self._has(self.xdp_features, "basic")

    @property
    def redirect(self) -> bool | None:
        return self._has(self.xdp_features, "redirect")

    @property
    def redirect_target(self) -> bool | None:
        return self._has(self.xdp_features, "ndo-xmit")

    @property
    def redirect_target_sg(self) -> bool | None:
        return self._has(self.xdp_features, "ndo-xmit-sg")

    @property
    def rx_sg(self) -> bool | None:
        return self._has(self.xdp_features, "rx-sg")

    @property
    def xsk_zerocopy(self) -> bool | None:
        return self._has(self.xdp_features, "xsk-zerocopy")

    @property
    def hw_offload(self) -> bool | None:
        return self._has(self.xdp_features, "hw-offload")

    @property
    def rx_metadata_timestamp(self) -> bool | None:
        return self._has(self.xdp_rx_metadata_features, "timestamp")

    @property
    def rx_metadata_hash(self) -> bool | None:
        return self._has(self.xdp_rx_metadata_features, "hash")

    @property
    def rx_metadata_vlan_tag(self) -> bool | None:
        return self._has(self.xdp_rx_metadata_features, "vlan-tag")

    @property
    def xsk_tx_timestamp(self) -> bool | None:
        return self._has(self.xsk_features, "tx-timestamp")

    @property
    def xsk_tx_checksum(self) -> bool | None:
        return self._has(self.xsk_features, "tx-checksum")

    def notes(self) -> list[str]:
        """Actionable one-liners for the human output."""
        out = []
        if self.xdp_features is None:
            out.append(NO_FAMILY_NOTE)
            return out
        modes = {a.mode for a in self.attached}
        if not self.native_xdp:
            out.append("no native XDP in this driver: only generic (skb) mode, which is slow")
        elif "generic" in modes:
            out.append("generic XDP attached although the driver supports native mode: "
                       f"re-attach with `ip link set dev {self.ifname} xdpdrv ...`")
        if self.native_xdp and not self.redirect_target:
            if self.driver == "veth":
                out.append("not a redirect target now: attach a native XDP program to the "
                           "veth peer or enable GRO on it")
            else:
                out.append("not a redirect target now: most drivers set up XDP TX queues "
                           "only while a native XDP program is attached to the device")
        return out


def _report(link: links.Link, nd: NetdevFeatures | None) -> DeviceReport:
    # No family, or a device missing from its reply: every feature is unknown.
    nd = nd or NetdevFeatures(link.ifindex, None, None, None, None)
    return DeviceReport(
        ifname=link.ifname,
        ifindex=link.ifindex,
        driver=drvinfo.driver_name(link.ifname),
        xdp_features=nd.xdp_features,
        xdp_rx_metadata_features=nd.xdp_rx_metadata_features,
        xsk_features=nd.xsk_features,
        xdp_zc_max_segs=nd.xdp_zc_max_segs,
        attached=[AttachedProg(a.mode, a.prog_id, bpfinfo.prog_name(a.prog_id))
                  for a in link.attached],
    )


def collect(ifnames: Sequence[str] = ()) -> list[DeviceReport]:
    """Reports for the named devices (in the order given) or for all, by ifindex.

    Unknown names fail before anything else is queried.
    """
    all_links = links.list_links()
    if ifnames:
        by_name = {link.ifname: link for link in all_links}
        for name in ifnames:
            if name not in by_name:
                raise NoSuchDeviceError(name)
        selected = [by_name[name] for name in dict.fromkeys(ifnames)]
    else:
        selected = all_links
    features = netdev_source.dump_features() or {}
    return [_report(link, features.get(link.ifindex)) for link in selected]
