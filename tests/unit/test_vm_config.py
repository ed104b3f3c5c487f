"""kselftest/vm.config is kselftest/config with kernel BTF, nothing else:
the VM's kernel and the series' build checks must not drift apart."""

from __future__ import annotations

from pathlib import Path

KSELFTEST = Path(__file__).resolve().parents[2] / "kselftest"


def options(name: str) -> list[str]:
    return [line for line in (KSELFTEST / name).read_text().splitlines()
            if line and not line.startswith("#")]


def test_vm_config_is_the_suite_config_with_btf() -> None:
    base = options("config")
    vm = options("vm.config")
    assert [o for o in base if o != "CONFIG_DEBUG_INFO_NONE=y"] == \
        [o for o in vm if o not in ("CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y",
                                    "CONFIG_DEBUG_INFO_BTF=y")]
    assert "CONFIG_DEBUG_INFO_NONE=y" in base
    assert "CONFIG_DEBUG_INFO_BTF=y" in vm
