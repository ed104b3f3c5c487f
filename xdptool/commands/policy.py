"""`xdptool policy DEV`: a device's XDP attach policy, printed like
`ethtool -l`; `xdptool policy DEV set feature-check off|enforce
implicit-generic allow|deny`, like `ethtool -L`.

The xdptool kernel series keeps it in the ethtool family's xdp-get/xdp-set
(xdptool.attach_policy). On a kernel without it both read n/a and the
command says so; `set` fails there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from xdptool import attach_policy, links, output
from xdptool.attach_policy import Policy, PolicySettings
from xdptool.commands import DeviceArgument, DeviceVerbGroup, JsonOption, new_app
from xdptool.errors import KernelUnsupportedError
from xdptool.names import quoted, shown
from xdptool.ynl.generated.ethtool import XdpFeatureCheck, XdpImplicitGeneric


@dataclass(frozen=True)
class PolicyReport:
    ifname: str
    ifindex: int
    policy: Policy | None
    # Why there is no policy (None when the kernel has it).
    series_note: str | None = None

    def notes(self) -> list[str]:
        if self.series_note is not None:
            return [self.series_note]
        assert self.policy is not None
        out = []
        if self.policy.feature_check == "off":
            out.append("a program using features the device lacks attaches, and loses "
                       "frames at run time (check one with `xdptool features --program OBJ`)")
        if self.policy.implicit_generic == "allow":
            out.append("an attach without a mode falls back to generic XDP where the "
                       "driver has no native XDP")
        return out


def collect(ifname: str) -> PolicyReport:
    ifindex = links.ifindex_of(ifname)
    try:
        policy = attach_policy.read_policy(ifname)
    except KernelUnsupportedError as err:
        return PolicyReport(ifname, ifindex, None, str(err))
    return PolicyReport(ifname, ifindex, policy)


# ---------------------------------------------------------------------------
# Setting: `set KEY VALUE ...`, like ethtool -L

SET_USAGE = "[feature-check off|enforce] [implicit-generic allow|deny]"
_KEYS: dict[str, type[XdpFeatureCheck] | type[XdpImplicitGeneric]] = {
    "feature-check": XdpFeatureCheck,
    "implicit-generic": XdpImplicitGeneric,
}


def parse_settings(words: Sequence[str]) -> PolicySettings:
    """`feature-check enforce implicit-generic deny` (any order, each key once)."""
    if not words:
        raise typer.BadParameter(f"nothing to set: expected {SET_USAGE}")
    if len(words) % 2:
        raise typer.BadParameter(f"{quoted(words[-1])} has no value: expected {SET_USAGE}")
    values: dict[str, Any] = {}
    for key, word in zip(words[::2], words[1::2], strict=True):
        enum = _KEYS.get(key)
        if enum is None:
            raise typer.BadParameter(f"unknown setting {quoted(key)}: expected {SET_USAGE}")
        if key.replace("-", "_") in values:
            raise typer.BadParameter(f"{quoted(key)} given twice")
        member = next((m for m in enum if m.spec_name == word), None)
        if member is None:
            choices = "|".join(m.spec_name for m in enum)
            raise typer.BadParameter(f"{key}: {quoted(word)} is not one of {choices}")
        values[key.replace("-", "_")] = member
    return PolicySettings(**values)


# ---------------------------------------------------------------------------
# Rendering. The JSON field names are a stable interface documented in
# docs/cli.md: add fields, never rename them.


def text(report: PolicyReport) -> str:
    policy = report.policy
    lines = [
        f"XDP attach policy for {shown(report.ifname)}:",
        f"Feature check:\t\t{policy.feature_check if policy else 'n/a'}",
        f"Implicit generic:\t{policy.implicit_generic if policy else 'n/a'}",
    ]
    lines += [f"note: {note}" for note in report.notes()]
    return "\n".join(lines) + "\n"


def to_dict(report: PolicyReport) -> dict[str, Any]:
    policy = report.policy
    return {
        "ifname": shown(report.ifname),
        "ifindex": report.ifindex,
        "feature_check": policy.feature_check if policy else None,
        "implicit_generic": policy.implicit_generic if policy else None,
    }


# ---------------------------------------------------------------------------
# The commands


def show_command(
    device: DeviceArgument,
    json_out: JsonOption = False,
) -> None:
    """A device's XDP attach policy: what the kernel refuses to attach."""
    report = collect(device)
    if json_out:
        output.write(json.dumps(to_dict(report), indent=2) + "\n")
    else:
        output.write(text(report))


def set_command(
    device: DeviceArgument,
    settings: Annotated[
        list[str],
        typer.Argument(metavar=SET_USAGE, show_default=False,
                       help="What to change; the rest stays."),
    ],
) -> None:
    """Change the XDP attach policy (kernels with the xdptool series; needs
    CAP_NET_ADMIN). `feature-check enforce` refuses programs that use XDP
    features DEV lacks (and fails if an attached one does);
    `implicit-generic deny` refuses an attach without a mode on a device
    without native XDP. Prints nothing on success."""
    attach_policy.apply_policy(device, parse_settings(settings))


app = new_app(
    name="policy",
    cls=DeviceVerbGroup,
    help="XDP attach policy: what the kernel refuses to attach to DEV.\n\n"
    "`xdptool policy DEV` shows it; "
    f"`xdptool policy DEV set {SET_USAGE}` changes it.",
)
app.command("show")(show_command)
app.command("set")(set_command)
