"""Output for `features`: ethtool-like text, a Rich summary table, JSON.

The JSON field names are a stable interface documented in docs/cli.md;
add fields, never rename them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from xdptool.features import NO_FAMILY_NOTE, AttachedProg, DeviceReport

# (text key, JSON key / DeviceReport attribute), in output order.
_VERDICTS = (
    ("native-xdp", "native_xdp"),
    ("redirect", "redirect"),
    ("redirect-target", "redirect_target"),
    ("redirect-target-sg", "redirect_target_sg"),
    ("rx-sg", "rx_sg"),
    ("xsk-zerocopy", "xsk_zerocopy"),
    ("hw-offload", "hw_offload"),
    ("rx-metadata-timestamp", "rx_metadata_timestamp"),
    ("rx-metadata-hash", "rx_metadata_hash"),
    ("rx-metadata-vlan-tag", "rx_metadata_vlan_tag"),
    ("xsk-tx-timestamp", "xsk_tx_timestamp"),
    ("xsk-tx-checksum", "xsk_tx_checksum"),
)


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


def text_block(report: DeviceReport) -> list[str]:
    rows: list[tuple[str, str]] = [
        ("ifindex", str(report.ifindex)),
        ("driver", report.driver if report.driver is not None else "unknown"),
    ]
    for key, attr in _VERDICTS:
        rows.append((key, yes_no(getattr(report, attr))))
        if key == "xsk-zerocopy":
            rows.append(("xdp-zc-max-segs", _zc_max_segs_text(report)))
    rows.append(("attached", _attached_text(report.attached)))
    width = max(len(key) for key, _ in rows) + 1
    lines = [f"Features for {report.ifname}:"]
    lines += [f"{key + ':':<{width}} {value}" for key, value in rows]
    lines += [f"note: {note}" for note in report.notes()]
    return lines


def text(reports: Sequence[DeviceReport]) -> str:
    return "\n\n".join("\n".join(text_block(r)) for r in reports) + "\n"


def _xdp_mode_cell(report: DeviceReport) -> str:
    if report.native_xdp is None:
        return "unknown"
    return "native" if report.native_xdp else "generic only"


def table(reports: Sequence[DeviceReport]) -> Table:
    tbl = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("Interface", "Index", "Driver", "XDP", "Redirect target", "Zero-copy",
                "Attached"):
        tbl.add_column(col, justify="right" if col == "Index" else "left")
    for r in reports:
        attached = ", ".join(
            f"{p.mode} {p.prog_name or '?'} ({p.prog_id})" for p in r.attached
        ) or "-"
        tbl.add_row(r.ifname, str(r.ifindex), r.driver or "-", _xdp_mode_cell(r),
                    yes_no(r.redirect_target), yes_no(r.xsk_zerocopy), attached)
    return tbl


def print_table(reports: Sequence[DeviceReport], console: Console) -> None:
    with console.capture() as capture:
        console.print(table(reports))
    # Rich pads every cell to the column width; trailing blanks only hurt grep/diff.
    console.file.write("".join(line.rstrip() + "\n" for line in capture.get().splitlines()))
    if any(r.xdp_features is None for r in reports):
        console.print(f"note: {NO_FAMILY_NOTE}", highlight=False, soft_wrap=True)


def to_dict(report: DeviceReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ifname": report.ifname,
        "ifindex": report.ifindex,
        "driver": report.driver,
    }
    for _, attr in _VERDICTS:
        out[attr] = getattr(report, attr)
    out["xdp_zc_max_segs"] = report.xdp_zc_max_segs
    out["xdp_features"] = report.xdp_features
    out["xdp_rx_metadata_features"] = report.xdp_rx_metadata_features
    out["xsk_features"] = report.xsk_features
    out["attached"] = [
        {"mode": p.mode, "prog_id": p.prog_id, "prog_name": p.prog_name}
        for p in report.attached
    ]
    return out


def to_json(reports: Sequence[DeviceReport]) -> str:
    return json.dumps([to_dict(r) for r in reports], indent=2) + "\n"
