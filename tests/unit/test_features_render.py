"""Rendering of `features`: exact text lines, table rows, JSON fields."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

from xdptool.commands import features as render
from xdptool.commands.features import NO_FAMILY_NOTE, DeviceReport, collect
from xdptool.ynl.generated.ethtool import XdpTx, XdpTxMode, XdpTxSelection

if TYPE_CHECKING:
    from tests.conftest import FakeHost


def test_text_block_native_with_program(fake_host: FakeHost) -> None:
    (veth0,) = collect(["veth0"])
    assert render.text_block(veth0) == [
        "Features for veth0:",
        "ifindex:               2",
        "driver:                veth",
        "native-xdp:            yes",
        "redirect:              yes",
        "redirect-target:       no",
        "redirect-target-sg:    no",
        "xdp-tx-mode:           n/a (no xdptool series)",
        "feature-check:         n/a (no xdptool series)",
        "implicit-generic:      n/a (no xdptool series)",
        "rx-sg:                 yes",
        "xsk-zerocopy:          no",
        "xdp-zc-max-segs:       n/a",
        "hw-offload:            no",
        "rx-metadata-timestamp: yes",
        "rx-metadata-hash:      yes",
        "rx-metadata-vlan-tag:  yes",
        "xsk-tx-timestamp:      no",
        "xsk-tx-checksum:       no",
        "attached:              native id 8 (xdp_pass)",
        "note: not a redirect target now: attach a native XDP program to the veth peer "
        "or enable GRO on it",
    ]


def test_text_block_zero_copy_unknown_name_and_multi(fake_host: FakeHost) -> None:
    eth0, nfp0 = collect(["eth0", "nfp0"])
    lines = dict(line.split(":", 1) for line in render.text_block(eth0)[1:] if ": " in line)
    assert lines["xsk-zerocopy"].strip() == "yes"
    assert lines["xdp-zc-max-segs"].strip() == "1"
    assert lines["attached"].strip() == "generic id 9 (name unknown)"
    assert ("attached:              native id 10 (xdp_lb), offload id 11 (xdp_lb_hw)"
            in render.text_block(nfp0))


def test_text_unknown_when_family_missing(no_family_host: FakeHost) -> None:
    (veth0,) = collect(["veth0"])
    assert render.text_block(veth0) == [
        "Features for veth0:",
        "ifindex:               2",
        "driver:                veth",
        "native-xdp:            unknown",
        "redirect:              unknown",
        "redirect-target:       unknown",
        "redirect-target-sg:    unknown",
        "xdp-tx-mode:           n/a (no xdptool series)",
        "feature-check:         n/a (no xdptool series)",
        "implicit-generic:      n/a (no xdptool series)",
        "rx-sg:                 unknown",
        "xsk-zerocopy:          unknown",
        "xdp-zc-max-segs:       unknown",
        "hw-offload:            unknown",
        "rx-metadata-timestamp: unknown",
        "rx-metadata-hash:      unknown",
        "rx-metadata-vlan-tag:  unknown",
        "xsk-tx-timestamp:      unknown",
        "xsk-tx-checksum:       unknown",
        "attached:              native id 8 (xdp_pass)",
        f"note: {NO_FAMILY_NOTE}",
    ]


def test_text_blocks_separated_by_blank_line(fake_host: FakeHost) -> None:
    out = render.text(collect(["veth1", "lo"]))
    assert out.endswith("\n")
    blocks = out.rstrip("\n").split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["Features for veth1:", "Features for lo:"]
    assert "driver:                -" in blocks[1].splitlines()


def _table(reports: Sequence[DeviceReport], width: int | None = 200) -> list[str]:
    return render.table_text(reports, width).splitlines()


def test_table_rows(fake_host: FakeHost) -> None:
    lines = _table(collect())
    assert [line.split() for line in lines] == [
        ["Interface", "Index", "Driver", "XDP", "Redirect", "target", "Zero-copy", "Attached"],
        ["lo", "1", "-", "generic", "only", "no", "no", "-"],
        ["veth0", "2", "veth", "native", "no", "no", "native", "xdp_pass", "(8)"],
        ["veth1", "3", "veth", "native", "yes", "no", "-"],
        ["eth0", "4", "virtio_net", "native", "no", "yes", "generic", "?", "(9)"],
        ["nfp0", "5", "nfp", "native", "no", "no", "native", "xdp_lb", "(10),", "offload",
         "xdp_lb_hw", "(11)"],
    ]
    assert all(line == line.rstrip() for line in lines)
    # Columns are aligned: every row's driver starts where the header's does.
    col = lines[0].index("Driver")
    assert [line[col:].split()[0] for line in lines[1:]] == [
        "-", "veth", "veth", "virtio_net", "nfp"]


def test_table_unknown_when_family_missing(no_family_host: FakeHost) -> None:
    lines = _table(collect())
    assert lines[2].split() == ["veth0", "2", "veth", "unknown", "unknown", "unknown",
                                "native", "xdp_pass", "(8)"]
    assert lines[-1] == f"note: {NO_FAMILY_NOTE}"


def test_json_fields(fake_host: FakeHost) -> None:
    data = json.loads(render.to_json(collect(["eth0"])))
    assert data == [{
        "ifname": "eth0",
        "ifindex": 4,
        "driver": "virtio_net",
        "native_xdp": True,
        "redirect": True,
        "redirect_target": False,
        "redirect_target_sg": False,
        "rx_sg": True,
        "xsk_zerocopy": True,
        "hw_offload": False,
        "rx_metadata_timestamp": False,
        "rx_metadata_hash": False,
        "rx_metadata_vlan_tag": False,
        "xsk_tx_timestamp": False,
        "xsk_tx_checksum": False,
        "xdp_zc_max_segs": 1,
        "xdp_features": ["basic", "redirect", "xsk-zerocopy", "rx-sg"],
        "xdp_rx_metadata_features": [],
        "xsk_features": [],
        "attached": [{"mode": "generic", "prog_id": 9, "prog_name": None}],
        "xdp_tx_mode": None,
        "feature_check": None,
        "implicit_generic": None,
    }]


def test_json_null_when_family_missing(no_family_host: FakeHost) -> None:
    (veth0,) = json.loads(render.to_json(collect(["veth0"])))
    assert veth0 == {
        "ifname": "veth0",
        "ifindex": 2,
        "driver": "veth",
        "native_xdp": None,
        "redirect": None,
        "redirect_target": None,
        "redirect_target_sg": None,
        "rx_sg": None,
        "xsk_zerocopy": None,
        "hw_offload": None,
        "rx_metadata_timestamp": None,
        "rx_metadata_hash": None,
        "rx_metadata_vlan_tag": None,
        "xsk_tx_timestamp": None,
        "xsk_tx_checksum": None,
        "xdp_zc_max_segs": None,
        "xdp_features": None,
        "xdp_rx_metadata_features": None,
        "xsk_features": None,
        "attached": [{"mode": "native", "prog_id": 8, "prog_name": "xdp_pass"}],
        "xdp_tx_mode": None,
        "feature_check": None,
        "implicit_generic": None,
    }


def test_series_tx_mode_next_to_redirect_target(fake_host: FakeHost) -> None:
    """With the series' XDP TX patches: the mode in every view, and a note
    that says how to make a configurable device a target."""
    fake_host.series_tx = {
        2: XdpTx(mode=XdpTxMode.AUTO, target=0, count=1, max_count=1,
                 selection=XdpTxSelection.SHARED),
        3: XdpTx(mode=XdpTxMode.ON, target=1, count=1, max_count=1,
                 selection=XdpTxSelection.SHARED),
        4: XdpTx(mode=XdpTxMode.AUTO, target=0),
    }
    veth0, veth1, eth0 = collect(["veth0", "veth1", "eth0"])
    block = render.text_block(veth0)
    assert "xdp-tx-mode:           auto" in block
    assert block[-1] == ("note: not a redirect target now: make it one with "
                         "`xdptool tx veth0 set mode on`")
    assert "xdp-tx-mode:           auto (not configurable)" in render.text_block(eth0)
    assert [json.loads(render.to_json([r]))[0]["xdp_tx_mode"] for r in (veth0, veth1, eth0)] \
        == ["auto", "on", "auto"]
    rows = {line.split()[0]: line for line in _table(collect())}
    assert "yes (tx on)" in rows["veth1"]
    assert "(tx on)" not in rows["veth0"] and rows["lo"].split()[5] == "no"


def test_json_field_order_is_stable(fake_host: FakeHost) -> None:
    (lo,) = json.loads(render.to_json(collect(["lo"])))
    assert list(lo) == [
        "ifname", "ifindex", "driver", "native_xdp", "redirect", "redirect_target",
        "redirect_target_sg", "rx_sg", "xsk_zerocopy", "hw_offload",
        "rx_metadata_timestamp", "rx_metadata_hash", "rx_metadata_vlan_tag",
        "xsk_tx_timestamp", "xsk_tx_checksum", "xdp_zc_max_segs", "xdp_features",
        "xdp_rx_metadata_features", "xsk_features", "attached", "xdp_tx_mode",
        "feature_check", "implicit_generic",
    ]


@pytest.mark.parametrize("width", [40, 80, 200, None])
def test_table_never_cuts_a_cell(fake_host: FakeHost, width: int | None) -> None:
    """At any width every cell is printed whole; narrow terminals get the
    columns folded into stacked tables that repeat the interface column."""
    reports = collect()
    lines = _table(reports, width)
    text = "\n".join(lines)
    for cell in ("virtio_net", "generic only", "Redirect target",
                 "native xdp_lb (10), offload xdp_lb_hw (11)"):
        assert cell in text
    if width is not None:
        # only a single cell wider than the terminal may make a line longer
        widest_cell = len("native xdp_lb (10), offload xdp_lb_hw (11)") + len("Interface  ")
        assert all(len(line) <= max(width, widest_cell) for line in lines)
    parts = text.split("\n\n")
    assert len(parts) == (1 if width in (200, None) else len(parts))
    for part in parts:
        rows = part.splitlines()
        assert rows[0].startswith("Interface")
        assert [row.split()[0] for row in rows[1:]] == ["lo", "veth0", "veth1", "eth0", "nfp0"]


def test_table_fold_at_40_columns(fake_host: FakeHost) -> None:
    lines = _table(collect(), 40)
    assert lines[:6] == [
        "Interface  Index  Driver",
        "lo             1  -",
        "veth0          2  veth",
        "veth1          3  veth",
        "eth0           4  virtio_net",
        "nfp0           5  nfp",
    ]
    assert lines[6] == ""
    assert lines[7] == "Interface  XDP           Redirect target"
    assert lines[-1] == "nfp0       native xdp_lb (10), offload xdp_lb_hw (11)"
