"""Adapter over the netdev genetlink family: the only module that imports the
generated bindings (xdptool.ynl.generated.netdev).

Everything else sees spec flag names as plain lists of strings, so the
bindings can change shape without touching the CLI, and unit tests fake this
one function.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdptool.errors import PermissionDeniedError, XdptoolError
from xdptool.ynl.generated.netdev import Dev, Netdev, XdpAct, XdpRxMetadata, XskFlags
from xdptool.ynl.runtime import FamilyNotFoundError, YnlError

NO_FAMILY_NOTE = ("XDP feature flags unknown: this kernel has no netdev netlink family "
                  "(needs Linux >= 6.3)")


@dataclass(frozen=True)
class NetdevFeatures:
    """One device's netdev-family answer as spec names (lowest bit first, bits
    the spec does not know as "bit-N"); None = attribute not reported."""

    ifindex: int
    xdp_features: list[str] | None
    xdp_zc_max_segs: int | None
    xdp_rx_metadata_features: list[str] | None
    xsk_features: list[str] | None


def from_dev(dev: Dev) -> NetdevFeatures:
    return NetdevFeatures(
        ifindex=dev.ifindex,
        xdp_features=None if dev.xdp_features is None else XdpAct.names(dev.xdp_features),
        xdp_zc_max_segs=dev.xdp_zc_max_segs,
        xdp_rx_metadata_features=(None if dev.xdp_rx_metadata_features is None
                                  else XdpRxMetadata.names(dev.xdp_rx_metadata_features)),
        xsk_features=None if dev.xsk_features is None else XskFlags.names(dev.xsk_features),
    )


def dump_features() -> dict[int, NetdevFeatures] | None:
    """Features of every device in the current netns, by ifindex.

    Returns None when the kernel has no netdev family (Linux < 6.3), so callers
    can say "unknown" rather than "no".
    """
    try:
        with Netdev() as netdev:
            devs = netdev.dev_get_dump()
    except FamilyNotFoundError:
        return None
    except YnlError as err:
        if err.is_permission_error:
            raise PermissionDeniedError("reading the netdev netlink family",
                                        "CAP_NET_ADMIN") from err
        raise XdptoolError(f"netdev netlink family: {err}") from err
    return {dev.ifindex: from_dev(dev) for dev in devs}
