"""The kernel series' ethtool messages: what they must be, and the check that
the running kernel's are them, before xdptool sends them anything.

The series adds two requests to the ethtool generic netlink family, xdp-get
(message 200, do and dump) and xdp-set (201, do), in a range it keeps for
itself until netdev takes it. The ethtool family numbers its commands in one
enum that grows with every kernel, so an id proves nothing: an older version
of the series used 46..48, which are TSCONFIG_GET, TSCONFIG_SET and RSS_SET
on Linux 6.18, and a request sent to the wrong command could change the
device. So before the first request, :func:`verify` asks the kernel what
those two messages are: their modes (CTRL_CMD_GETFAMILY, read when the
socket opens) and their request policies (CTRL_CMD_GETPOLICY, from the
controller, nothing sent to ethtool), and compares them with what the series
defines (:data:`SERIES`). Nothing is cached: each run asks again.

The ids, modes and attribute numbers come from the generated bindings (the
spec, ynl-specs/ethtool.yaml); the types and ranges from the series' C
policies (net/ethtool/xdp.c), which the spec does not state: xdp-get's
header accepts the stats flag (ethnl_header_policy_stats), xdp-set's
stats-enabled is a u8 of at most 1. Of the header (upstream's policy, which
may grow) only what xdptool sends is checked: dev-index, and flags.

Later patches of the series add optional parts: xdp-set's ``tx`` nest (XDP
TX resources) is not in a kernel built from the first four patches, its
``feature-check`` and ``implicit-generic`` (the attach policy) not in one
built from the first ten. verify() accepts a kernel without an
optional part and says which it has; when one is there, it must be the
series' own too.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from xdptool.errors import (
    KernelUnsupportedError,
    NoSuchDeviceError,
    PermissionDeniedError,
    XdptoolError,
)
from xdptool.names import shown
from xdptool.ynl.generated import ethtool
from xdptool.ynl.runtime import (
    GENL_CMD_CAP_DO,
    GENL_CMD_CAP_DUMP,
    GENL_CMD_CAP_HASPOL,
    FamilyNotFoundError,
    NlAttrType,
    OpPolicy,
    Policy,
    PolicyAttr,
    YnlError,
    nl_attr_type_name,
)

NO_SERIES = ("this kernel has no XDP action statistics (ETHTOOL_MSG_XDP_*): "
             "boot a kernel with the xdptool series (patches/) applied")


@dataclass(frozen=True)
class ExpectedAttr:
    """What the series' policy accepts for one request attribute.

    ``max_value``: the range must end there; ``accepts``: bits a mask (or
    range) must let through, ``accepts_name`` what they mean; ``nested``:
    attributes a nest must take, at least these (the ethtool header's
    policy is upstream's and may grow); ``optional``: a kernel may lack it
    (a part of the series added by a later patch).
    """

    name: str
    type: NlAttrType
    max_value: int | None = None
    accepts: int = 0
    accepts_name: str = ""
    nested: Mapping[int, ExpectedAttr] = field(default_factory=dict)
    optional: bool = False

    def describe(self) -> str:
        text = nl_attr_type_name(self.type)
        if self.max_value is not None:
            text += f" max {self.max_value}"
        if self.accepts:
            what = f"{self.accepts_name}=" if self.accepts_name else ""
            text += f" accepting {what}{self.accepts:#x}"
        return text

    def matches(self, got: PolicyAttr) -> bool:
        """Same type, same upper bound, the bits let through (nests not looked into)."""
        if got.type != self.type:
            return False
        if self.max_value is not None and got.max_value != self.max_value:
            return False
        if self.accepts:
            if got.mask is not None:
                return got.mask & self.accepts == self.accepts
            return got.max_value is None or got.max_value >= self.accepts
        return True


@dataclass(frozen=True)
class ExpectedOp:
    """One request of the series: its id, its modes and its request attributes
    (exactly these at the top level)."""

    name: str
    cmd: int
    modes: tuple[str, ...]
    attrs: Mapping[int, ExpectedAttr]


def _num(attr_set: str, name: str) -> int:
    (num,) = (n for n, spec_name in ethtool.ATTR_NAMES[attr_set].items() if spec_name == name)
    return num


def _request(op: str) -> tuple[str, int, tuple[str, ...]]:
    cmd = ethtool.OPS[op][0]
    assert cmd is not None
    return op, cmd, ethtool.OP_MODES[op]


# The header attributes xdptool sends: the device by index, and (xdp-get) the stats flag.
_DEV_INDEX = {_num("header", "dev-index"): ExpectedAttr("dev-index", NlAttrType.U32)}
XDP_GET = ExpectedOp(*_request("xdp-get"), attrs={
    _num("xdp", "header"): ExpectedAttr("header", NlAttrType.NESTED, nested={
        **_DEV_INDEX,
        _num("header", "flags"): ExpectedAttr(
            "flags", NlAttrType.U32, accepts=int(ethtool.HeaderFlags.STATS),
            accepts_name=ethtool.HeaderFlags.STATS.spec_name),
    }),
})
# XDP TX resources: what xdptool sets in the tx nest (max-count and target are read-only).
TX = "tx"
# The attach policy (patch 12 on): two enums, set one at a time or together.
FEATURE_CHECK = "feature-check"
IMPLICIT_GENERIC = "implicit-generic"
XDP_SET = ExpectedOp(*_request("xdp-set"), attrs={
    _num("xdp", "header"): ExpectedAttr("header", NlAttrType.NESTED, nested=_DEV_INDEX),
    _num("xdp", "stats-enabled"): ExpectedAttr("stats-enabled", NlAttrType.U8, max_value=1),
    _num("xdp", TX): ExpectedAttr(TX, NlAttrType.NESTED, optional=True, nested={
        _num("xdp-tx", "mode"): ExpectedAttr(
            "mode", NlAttrType.U32, max_value=max(ethtool.XdpTxMode)),
        _num("xdp-tx", "count"): ExpectedAttr("count", NlAttrType.U32),
        _num("xdp-tx", "selection"): ExpectedAttr(
            "selection", NlAttrType.U32, max_value=max(ethtool.XdpTxSelection)),
    }),
    _num("xdp", FEATURE_CHECK): ExpectedAttr(
        FEATURE_CHECK, NlAttrType.U32, optional=True,
        max_value=max(ethtool.XdpFeatureCheck)),
    _num("xdp", IMPLICIT_GENERIC): ExpectedAttr(
        IMPLICIT_GENERIC, NlAttrType.U32, optional=True,
        max_value=max(ethtool.XdpImplicitGeneric)),
})
SERIES: tuple[ExpectedOp, ...] = (XDP_GET, XDP_SET)
"""The series' requests, in the order they are checked."""


class SeriesMismatchError(KernelUnsupportedError):
    """A message id of the series is there, but it is not the series' request."""

    def __init__(self, op: ExpectedOp, differences: Sequence[str]) -> None:
        super().__init__(
            f"ethtool message {op.cmd} on this kernel is not the XDP series' {op.name} "
            f"({'; '.join(differences)}): this kernel's series is a version xdptool "
            "does not speak")
        self.op = op
        self.differences = tuple(differences)


class Family(Protocol):
    """What verify() needs of the ethtool family (the generated Ethtool class)."""

    def kernel_ops(self) -> dict[int, int]: ...

    def get_policy(self, op: str | int) -> OpPolicy: ...


def _modes(flags: int) -> tuple[str, ...]:
    return tuple(mode for mode, cap in (("do", GENL_CMD_CAP_DO), ("dump", GENL_CMD_CAP_DUMP))
                 if flags & cap)


def _modes_text(modes: Sequence[str]) -> str:
    if not modes:
        return "neither do nor dump"
    return " and ".join(modes) if len(modes) > 1 else f"{modes[0]} only"


def _attrs_text(attrs: Mapping[int, ExpectedAttr]) -> str:
    return ", ".join(f"{num} {attr.name}{' (optional)' if attr.optional else ''}"
                     for num, attr in sorted(attrs.items()))


def policy_differences(policy: OpPolicy, op: ExpectedOp,
                       found: set[str] | None = None) -> list[str]:
    """How the kernel's request policy of ``op.cmd`` differs from ``op``'s ([] if not).

    Adds to ``found`` the optional attributes of ``op`` that the policy takes.
    """
    out: list[str] = []
    checked: set[int] = set()
    for mode in op.modes:
        table = policy.policy(mode)
        if table is None:
            out.append(f"no policy for {mode} requests, expected attributes "
                       f"{_attrs_text(op.attrs)}")
            continue
        idx = policy.do if mode == "do" else policy.dump
        assert idx is not None
        if idx in checked:
            continue  # do and dump share it (ethtool's default ops)
        checked.add(idx)
        out += _table_differences(policy, table, op.attrs, op.name, exact=True)
        if found is not None:
            found.update(a.name for num, a in op.attrs.items() if a.optional and num in table)
    return out


def _table_differences(policy: OpPolicy, table: Policy, expected: Mapping[int, ExpectedAttr],
                       op_name: str, exact: bool, path: str = "",
                       names: str = "") -> list[str]:
    out: list[str] = []
    for num, want in sorted(expected.items()):
        where = f"attribute {path}{num} {names}{want.name}"
        got = table.get(num)
        if got is None and want.optional:
            continue
        if got is None:
            out.append(f"{where}: not taken, expected {want.describe()}")
        elif not want.matches(got):
            out.append(f"{where}: {got.describe()}, expected {want.describe()}")
        elif want.nested:
            out += _table_differences(policy, policy.nested(got), want.nested, op_name,
                                      exact=False, path=f"{path}{num}.",
                                      names=f"{names}{want.name}.")
    extra = sorted(set(table) - set(expected)) if exact else []
    if extra:
        listed = ", ".join(f"{path}{num} ({table[num].describe()})" for num in extra)
        out.append(f"attribute{'s' if len(extra) > 1 else ''} {listed}: "
                   f"not in {op_name}'s request")
    return out


def op_differences(family: Family, kernel_ops: Mapping[int, int], op: ExpectedOp,
                   ops: Sequence[ExpectedOp] = SERIES,
                   found: set[str] | None = None) -> list[str]:
    """How the kernel's message ``op.cmd`` differs from the series' ``op`` ([] if it is it).

    Asks for the request policy (CTRL_CMD_GETPOLICY) only when the modes
    match; sends nothing to the family itself. Adds to ``found`` the
    optional attributes of ``op`` the kernel has.
    """
    flags = kernel_ops.get(op.cmd)
    if flags is None:
        present = [o.cmd for o in ops if o.cmd in kernel_ops]
        there = f", while message {present[0]} is there" if present else ""
        return [f"absent{there}"]
    modes = _modes(flags)
    if modes != op.modes:
        return [f"{_modes_text(modes)}, expected {_modes_text(op.modes)}"]
    if not flags & GENL_CMD_CAP_HASPOL:
        return [f"no request policy, expected attributes {_attrs_text(op.attrs)}"]
    try:
        policy = family.get_policy(op.cmd)
    except YnlError as err:
        if err.errno == errno.ENODATA:  # the kernel's "this op has no policy"
            return [f"no request policy, expected attributes {_attrs_text(op.attrs)}"]
        raise XdptoolError(
            f"ethtool netlink family: reading the policy of message {op.cmd}: {err}") from err
    return policy_differences(policy, op, found)


def verify(family: Family, ops: Sequence[ExpectedOp] = SERIES) -> frozenset[str]:
    """Return, when the kernel's messages ``op.cmd`` are the series' requests,
    the names of the optional attributes it has (e.g. {"tx"}).

    Raises KernelUnsupportedError(NO_SERIES) when none of the ids exists (a
    kernel without the series), SeriesMismatchError for the first one that
    differs (another version of the series, or another command on that id).
    """
    kernel_ops = family.kernel_ops()
    if not any(op.cmd in kernel_ops for op in ops):
        raise KernelUnsupportedError(NO_SERIES)
    parts: set[str] = set()
    for op in ops:
        differences = op_differences(family, kernel_ops, op, ops, parts)
        if differences:
            raise SeriesMismatchError(op, differences)
    return frozenset(parts)


class ClosableFamily(Family, Protocol):
    def close(self) -> None: ...


F = TypeVar("F", bound=ClosableFamily)


def open_verified(opener: Callable[[], F]) -> tuple[F, frozenset[str]]:
    """The ethtool family from ``opener`` once verify() has passed, and the
    optional parts of the series the kernel has; the socket is closed again
    when it fails.

    Raises KernelUnsupportedError (no ethtool family, no series, another
    version of it) or XdptoolError (the family did not answer).
    """
    try:
        family = opener()
    except FamilyNotFoundError:
        # CONFIG_ETHTOOL_NETLINK=n: no ethtool family at all
        raise KernelUnsupportedError(NO_SERIES) from None
    except YnlError as err:
        raise XdptoolError(f"ethtool netlink family: {err}") from err
    try:
        return family, verify(family)
    except YnlError as err:
        family.close()
        raise XdptoolError(f"ethtool netlink family: {err}") from err
    except BaseException:
        family.close()
        raise


def open_part(opener: Callable[[], F], parts: Collection[str], no_series_note: str,
              predates_note: str) -> F:
    """The verified family of a kernel whose series has all of ``parts``
    (optional attributes of :data:`SERIES`, e.g. {TX}).

    Raises KernelUnsupportedError: ``no_series_note`` without the series,
    ``predates_note`` when its series lacks one of the parts.
    """
    try:
        family, have = open_verified(opener)
    except KernelUnsupportedError as err:
        if str(err) == NO_SERIES:
            raise KernelUnsupportedError(no_series_note) from None
        raise
    if not set(parts) <= have:
        family.close()
        raise KernelUnsupportedError(predates_note)
    return family


# xdp-set needs it (GENL_ADMIN_PERM: checked in the initial user namespace).
SET_CAPABILITY = "CAP_NET_ADMIN in the initial user namespace"


class RequestRefusedError(XdptoolError):
    """The kernel refused a request of the series; ``errno`` says why."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.errno = code


def request_error(err: YnlError, ifname: str, doing: str,
                  refused: type[RequestRefusedError] = RequestRefusedError) -> XdptoolError:
    """One line for a failed request of the series, with the kernel's extack."""
    if err.is_permission_error:
        return PermissionDeniedError(doing, SET_CAPABILITY)
    if err.errno == errno.ENODEV:  # gone in between
        return NoSuchDeviceError(ifname)
    return refused(f"{shown(ifname)}: {doing} failed: {err.detail}", err.errno)
