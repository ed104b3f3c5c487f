"""The XDP attach policy of the xdptool kernel series: the ethtool family's
xdp-get/xdp-set `feature-check` and `implicit-generic`, for the `policy`
command and `features` (docs/cli.md).

feature-check enforce: the kernel refuses to attach a program that uses XDP
features the device lacks (as its verifier recorded them), with an extack
naming them. implicit-generic deny: an attach without a mode flag on a
device without native XDP fails instead of falling back to generic XDP.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xdptool import links, series
from xdptool.errors import (
    KernelUnsupportedError,
    XdptoolError,
)
from xdptool.names import shown
from xdptool.ynl.generated.ethtool import Ethtool, Header, Xdp, XdpFeatureCheck, XdpImplicitGeneric
from xdptool.ynl.runtime import YnlError

NO_SERIES_NOTE = (
    "the XDP attach policy needs the xdptool kernel series; this kernel attaches "
    "any program and falls back to generic XDP when no mode is asked for"
)
NO_POLICY_PATCHES_NOTE = (
    "this kernel's xdptool series predates the XDP attach policy (no feature-check "
    "in ETHTOOL_MSG_XDP_SET): it attaches any program and falls back to generic XDP"
)

# The ethtool family bindings; tests replace them with fakes of the same shape.
open_family: Callable[[], Any] = Ethtool


@dataclass(frozen=True)
class Policy:
    """A device's attach policy, as the spec names the values."""

    feature_check: str  # "off" | "enforce"
    implicit_generic: str  # "allow" | "deny"


@dataclass(frozen=True)
class PolicySettings:
    feature_check: XdpFeatureCheck | None = None
    implicit_generic: XdpImplicitGeneric | None = None


class PolicyRefusedError(series.RequestRefusedError):
    """The kernel refused a policy; ``errno`` says why (EOPNOTSUPP: an
    attached program uses features the device lacks)."""


def open_policy_family() -> Any:
    """The verified ethtool family of a kernel whose series has the policy.

    Raises KernelUnsupportedError saying what the kernel lacks.
    """
    return series.open_part(open_family, {series.FEATURE_CHECK, series.IMPLICIT_GENERIC},
                            NO_SERIES_NOTE, NO_POLICY_PATCHES_NOTE)


def _request_error(err: YnlError, ifname: str, doing: str) -> XdptoolError:
    return series.request_error(err, ifname, doing, PolicyRefusedError)


def policy_of(reply: Xdp) -> Policy | None:
    """The policy in an xdp-get reply (None when the kernel sent none)."""
    if reply.feature_check is None or reply.implicit_generic is None:
        return None
    return Policy(XdpFeatureCheck(reply.feature_check).spec_name,
                  XdpImplicitGeneric(reply.implicit_generic).spec_name)


def read_policy(ifname: str) -> Policy:
    """One device's policy; KernelUnsupportedError on a kernel without it."""
    ifindex = links.ifindex_of(ifname)
    family = open_policy_family()
    with contextlib.closing(family):
        try:
            reply = family.xdp_get(Header(dev_index=ifindex))
        except YnlError as err:
            raise _request_error(err, ifname, "reading the XDP attach policy") from err
    policy = policy_of(reply)
    if policy is None:
        raise XdptoolError(f"{shown(ifname)}: reading the XDP attach policy failed: "
                           "the kernel sent none")
    return policy


def dump_policies() -> dict[int, Policy] | None:
    """Every device's policy by ifindex; None when the kernel has none."""
    try:
        family = open_policy_family()
    except KernelUnsupportedError:
        return None
    with contextlib.closing(family):
        try:
            replies = family.xdp_get_dump(header=Header())
        except YnlError as err:
            raise _request_error(err, "xdp-get", "reading the XDP attach policy") from err
    out = {}
    for reply in replies:
        policy = policy_of(reply)
        if reply.header.dev_index is not None and policy is not None:
            out[reply.header.dev_index] = policy
    return out


def apply_policy(ifname: str, settings: PolicySettings) -> None:
    """The series' xdp-set with the policy; the kernel's refusal in one line."""
    ifindex = links.ifindex_of(ifname)
    family = open_policy_family()
    with contextlib.closing(family):
        try:
            family.xdp_set(header=Header(dev_index=ifindex),
                           feature_check=settings.feature_check,
                           implicit_generic=settings.implicit_generic)
        except YnlError as err:
            raise _request_error(err, ifname, "setting the XDP attach policy") from err
