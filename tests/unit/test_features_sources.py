"""The low-level sources' struct layouts and their never-raise contracts."""

from __future__ import annotations

import ctypes

from xdptool import bpfinfo, drvinfo


def test_ethtool_drvinfo_layout() -> None:
    # sizeof(struct ethtool_drvinfo) in include/uapi/linux/ethtool.h
    assert drvinfo._DRVINFO.size == 196


def test_bpf_prog_info_layout() -> None:
    # offsetof(struct bpf_prog_info, name) in include/uapi/linux/bpf.h
    assert bpfinfo._ProgInfo.name.offset == 64
    assert ctypes.sizeof(bpfinfo._ProgInfo) == 80


def test_driver_name_of_missing_device_is_none() -> None:
    assert drvinfo.driver_name("xdpt-none0") is None


def test_prog_name_of_missing_program_is_none() -> None:
    # ENOENT as root, EPERM otherwise: either way "unknown", never an exception.
    assert bpfinfo.prog_name(0xFFFFFFF0) is None
