"""`xdptool features`: one report per device, merged from three sources,
rendered as ethtool-like text, an aligned table or JSON from one field table.

- netdev genetlink family: what the driver can do (xdp-features & co.);
- rtnetlink: what is attached right now, in which mode;
- ethtool ioctl + bpf(2): driver name and program names.

Tri-state booleans (None = unknown) keep "the kernel cannot tell us" apart
from "no": a kernel without the netdev family must never read as "no XDP".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from xdptool import attach_policy, bpfinfo, drvinfo, links, netdev_source, output, table, tx_config
from xdptool.attach_policy import Policy
from xdptool.commands import JsonOption, complete_device, new_app
from xdptool.errors import NoSuchDeviceError
from xdptool.names import quoted, shown
from xdptool.netdev_source import NetdevFeatures
from xdptool.prog_needs import Needs
from xdptool.ynl.generated.ethtool import XdpTx

NO_FAMILY_NOTE = netdev_source.NO_FAMILY_NOTE


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
    # The xdptool series' XDP TX mode ("auto", "on"); None without the series.
    xdp_tx_mode: str | None = None
    # Its driver sets XDP TX up without a program (None: unknown).
    xdp_tx_configurable: bool | None = None
    # The series' attach policy; None without the series.
    policy: Policy | None = None

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
                       f"re-attach with `ip link set dev {shown(self.ifname)} xdpdrv ...`")
        if self.native_xdp and not self.redirect_target:
            if self.xdp_tx_configurable:
                out.append("not a redirect target now: make it one with "
                           f"`xdptool tx {shown(self.ifname)} set mode on`")
            elif self.driver == "veth":
                out.append("not a redirect target now: attach a native XDP program to the "
                           "veth peer or enable GRO on it")
            else:
                out.append("not a redirect target now: most drivers set up XDP TX queues "
                           "only while a native XDP program is attached to the device")
        return out


def _report(link: links.Link, nd: NetdevFeatures | None, tx: XdpTx | None,
            policy: Policy | None) -> DeviceReport:
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
        xdp_tx_mode=None if tx is None or tx.mode is None else tx.mode.spec_name,
        xdp_tx_configurable=None if tx is None else tx.max_count is not None,
        policy=policy,
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
    series_tx = tx_config.dump_series_tx() or {}
    policies = attach_policy.dump_policies() or {}
    return [_report(link, features.get(link.ifindex), series_tx.get(link.ifindex),
                    policies.get(link.ifindex))
            for link in selected]


# ---------------------------------------------------------------------------
# Rendering. The JSON field names are a stable interface documented in
# docs/cli.md: add fields, never rename them.


def yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _attached_text(progs: Sequence[AttachedProg]) -> str:
    if not progs:
        return "none"
    return ", ".join(
        f"{p.mode} id {p.prog_id} ({p.prog_name if p.prog_name is not None else 'name unknown'})"
        for p in progs
    )


def _zc_max_segs_text(report: DeviceReport) -> str:
    if report.xdp_zc_max_segs is not None:
        return str(report.xdp_zc_max_segs)
    # The kernel only reports it for zero-copy capable devices.
    return "unknown" if report.xdp_features is None else "n/a"


def _tx_mode_text(report: DeviceReport) -> str:
    if report.xdp_tx_mode is None:
        return "n/a (no xdptool series)"
    if report.xdp_tx_configurable is False:
        return f"{report.xdp_tx_mode} (not configurable)"
    return report.xdp_tx_mode


def _policy_text(report: DeviceReport, attr: str) -> str:
    if report.policy is None:
        return "n/a (no xdptool series)"
    return str(getattr(report.policy, attr))


def _policy_field(text_key: str) -> Field:
    attr = text_key.replace("-", "_")
    return Field(attr, lambda r: None if r.policy is None else getattr(r.policy, attr),
                 text_key, lambda r: _policy_text(r, attr))


def _verdict(attr: str) -> Callable[[DeviceReport], bool | None]:
    return lambda report: getattr(report, attr)


@dataclass(frozen=True)
class Field:
    """One field of a report: its JSON key, its key in the text blocks and how
    it reads there (None: JSON only)."""

    json_key: str
    value: Callable[[DeviceReport], Any]
    text_key: str | None = None
    text: Callable[[DeviceReport], str] | None = None


def _verdict_field(text_key: str) -> Field:
    attr = text_key.replace("-", "_")
    get = _verdict(attr)
    return Field(attr, get, text_key, lambda r: yes_no(get(r)))


# Output order of text and JSON (JSON also starts with ifname).
FIELDS: tuple[Field, ...] = (
    Field("ifindex", lambda r: r.ifindex, "ifindex", lambda r: str(r.ifindex)),
    Field("driver", lambda r: r.driver, "driver", lambda r: r.driver or "-"),
    *(_verdict_field(key) for key in (
        "native-xdp", "redirect", "redirect-target", "redirect-target-sg")),
    Field("xdp_tx_mode", lambda r: r.xdp_tx_mode, "xdp-tx-mode", _tx_mode_text),
    _policy_field("feature-check"),
    _policy_field("implicit-generic"),
    *(_verdict_field(key) for key in ("rx-sg", "xsk-zerocopy")),
    Field("xdp_zc_max_segs", lambda r: r.xdp_zc_max_segs, "xdp-zc-max-segs", _zc_max_segs_text),
    *(_verdict_field(key) for key in (
        "hw-offload", "rx-metadata-timestamp", "rx-metadata-hash", "rx-metadata-vlan-tag",
        "xsk-tx-timestamp", "xsk-tx-checksum")),
    Field("xdp_features", lambda r: r.xdp_features),
    Field("xdp_rx_metadata_features", lambda r: r.xdp_rx_metadata_features),
    Field("xsk_features", lambda r: r.xsk_features),
    Field("attached",
          lambda r: [{"mode": p.mode, "prog_id": p.prog_id, "prog_name": p.prog_name}
                     for p in r.attached],
          "attached", lambda r: _attached_text(r.attached)),
)


def _json_order() -> tuple[str, ...]:
    """FIELDS' order, but xdp_zc_max_segs after the last verdict and fields
    added later at the end (docs/cli.md)."""
    later = ("xdp_tx_mode", "feature_check", "implicit_generic")
    keys = [f.json_key for f in FIELDS if f.json_key not in ("xdp_zc_max_segs", *later)]
    keys.insert(keys.index("xsk_tx_checksum") + 1, "xdp_zc_max_segs")
    return (*keys, *later)


_JSON_ORDER = _json_order()
_BY_JSON_KEY = {f.json_key: f for f in FIELDS}


def text_block(report: DeviceReport) -> list[str]:
    rows = [(f.text_key, f.text(report)) for f in FIELDS
            if f.text_key is not None and f.text is not None]
    width = max(len(key) for key, _ in rows) + 1
    lines = [f"Features for {shown(report.ifname)}:"]
    lines += [f"{key + ':':<{width}} {value}" for key, value in rows]
    lines += [f"note: {note}" for note in report.notes()]
    return lines


def text(reports: Sequence[DeviceReport]) -> str:
    return "\n\n".join("\n".join(text_block(r)) for r in reports) + "\n"


def _xdp_mode_cell(report: DeviceReport) -> str:
    if report.native_xdp is None:
        return "unknown"
    return "native" if report.native_xdp else "generic only"


# The summary table: (header, right-aligned, cell).
COLUMNS: tuple[tuple[str, bool, Callable[[DeviceReport], str]], ...] = (
    ("Interface", False, lambda r: shown(r.ifname)),
    ("Index", True, lambda r: str(r.ifindex)),
    ("Driver", False, lambda r: r.driver or "-"),
    ("XDP", False, _xdp_mode_cell),
    ("Redirect target", False, lambda r: yes_no(r.redirect_target)
     + (" (tx on)" if r.xdp_tx_mode == "on" else "")),
    ("Zero-copy", False, lambda r: yes_no(r.xsk_zerocopy)),
    ("Attached", False, lambda r: ", ".join(
        f"{p.mode} {p.prog_name or '?'} ({p.prog_id})" for p in r.attached) or "-"),
)


def table_text(reports: Sequence[DeviceReport], width: int | None) -> str:
    """The summary table (folded to ``width`` columns when given), and the note
    when the kernel could not tell the features."""
    out = table.render([c[0] for c in COLUMNS],
                       [[cell(r) for _, _, cell in COLUMNS] for r in reports],
                       right=[c[1] for c in COLUMNS], width=width)
    if any(r.xdp_features is None for r in reports):
        out += f"note: {NO_FAMILY_NOTE}\n"
    return out


def to_dict(report: DeviceReport) -> dict[str, Any]:
    out: dict[str, Any] = {"ifname": shown(report.ifname)}
    out.update((key, _BY_JSON_KEY[key].value(report)) for key in _JSON_ORDER)
    return out


def to_json(reports: Sequence[DeviceReport]) -> str:
    return json.dumps([to_dict(r) for r in reports], indent=2) + "\n"


# ---------------------------------------------------------------------------
# --program: can this program run natively here?


def program_verdict(report: DeviceReport, needs: Needs) -> tuple[str, list[str]]:
    """("yes" | "no" | "unknown", what is missing) for running a program
    with these needs natively on the device."""
    if report.xdp_features is None:
        return "unknown", []
    if not report.native_xdp:
        return "no", ["native XDP"]
    missing = needs.missing(report.xdp_features, report.xdp_rx_metadata_features)
    return ("no" if missing else "yes"), missing


def needs_text(needs: Needs) -> str:
    wanted = [*needs.xdp_features, *(f"xdp-rx-metadata {m}" for m in needs.rx_metadata)]
    return ", ".join(["native XDP", *wanted])


def program_table(name: str, path: str, needs: Needs, reports: Sequence[DeviceReport],
                  width: int | None) -> str:
    head = f"{quoted(name)} in {quoted(path)} needs: {needs_text(needs)}"
    if needs.frags:
        head += " (takes multi-buffer frames: single-buffer ones only where rx-sg is missing)"
    rows = []
    for r in reports:
        verdict, missing = program_verdict(r, needs)
        rows.append([shown(r.ifname), verdict, ", ".join(missing) or "-"])
    out = head + "\n" + table.render(["DEV", "NATIVE", "MISSING"], rows, right=[False] * 3,
                                     width=width)
    if any(r.xdp_features is None for r in reports):
        out += f"note: {NO_FAMILY_NOTE}\n"
    return out


def program_json(name: str, path: str, needs: Needs, reports: Sequence[DeviceReport]) -> str:
    devices = []
    for r in reports:
        verdict, missing = program_verdict(r, needs)
        devices.append({"ifname": shown(r.ifname), "ifindex": r.ifindex, "verdict": verdict,
                        "missing": missing})
    return json.dumps({
        "program": name, "object": shown(path),
        "needs": {"xdp-features": list(needs.xdp_features),
                  "xdp-rx-metadata": list(needs.rx_metadata), "frags": needs.frags,
                  "helpers": list(needs.helpers), "kfuncs": list(needs.kfuncs)},
        "devices": devices}, indent=2) + "\n"


# ---------------------------------------------------------------------------
# The command


app = new_app()


@app.command("features")
def command(
    devices: Annotated[
        list[str] | None,
        typer.Argument(metavar="DEV...", show_default=False, autocompletion=complete_device,
                       help="Interfaces to show (default: all)."),
    ] = None,
    json_out: JsonOption = False,
    long: Annotated[
        bool,
        typer.Option("--long", "-l", help="Full per-device blocks even without DEV."),
    ] = False,
    program: Annotated[
        str | None,
        typer.Option("--program", metavar="OBJ",
                     help="Can this program (a BPF object file) run natively on each "
                     "device: the verdict and what is missing."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME",
                     help="With --program: which of the object's programs (default: its "
                     "first XDP program)."),
    ] = None,
) -> None:
    """What XDP each device supports, and what is attached now; with
    --program, whether that program can run natively on each device."""
    if name is not None and program is None:
        raise typer.BadParameter("--name needs --program OBJ", param_hint="--name")
    if program is not None:
        from xdptool.attach import read_program  # libbpf: only for --program

        prog_name, needs = read_program(program, name)
    reports = collect(devices or ())
    if program is not None:
        output.write(program_json(prog_name, program, needs, reports) if json_out
                     else program_table(prog_name, program, needs, reports,
                                        table.terminal_width()))
        return
    if json_out:
        output.write(to_json(reports))
    elif devices or long:
        output.write(text(reports))
    else:
        output.write(table_text(reports, table.terminal_width()))
