"""scripts/ynl-gen-python (xdptool.ynl.gen): validation, --check, determinism, generic code paths.

The generic paths (nests, multi-attr, every scalar type, enums with gaps,
events) are exercised with the made-up spec tests/data/ynl-test-specs/.
"""

from __future__ import annotations

import importlib.util
import inspect
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from xdptool.ynl import runtime as rt
from xdptool.ynl.gen import kernel
from xdptool.ynl.gen import main as gen

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "ynl-gen-python"
SPEC_DIR = REPO / "ynl-specs"
SCHEMA_DIR = SPEC_DIR / "schema"
GEN_DIR = REPO / "xdptool" / "ynl" / "generated"
TEST_SPECS = REPO / "tests" / "data" / "ynl-test-specs"


def run_main(*args: str | Path) -> int:
    return gen.main([str(a) for a in args])


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of ynl-specs/ (with its schema) and of the generated modules."""
    specs = tmp_path / "ynl-specs"
    out = tmp_path / "generated"
    shutil.copytree(SPEC_DIR, specs)
    shutil.copytree(GEN_DIR, out, ignore=shutil.ignore_patterns("__pycache__"))
    return specs, out


def check(specs: Path, out: Path) -> int:
    return run_main("--check", "--spec-dir", specs, "--out-dir", out)


# ---------------------------------------------------------------------------
# --check and determinism


def test_check_passes_on_committed_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main("--check") == 0
    assert "up to date" in capsys.readouterr().out


def test_script_help_and_check_via_executable() -> None:
    res = subprocess.run([SCRIPT, "--help"], capture_output=True, text=True, check=False)
    assert res.returncode == 0
    assert "--check" in res.stdout and "--spec-dir" in res.stdout
    res = subprocess.run([SCRIPT, "--check", "-q"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


def test_check_fails_when_doc_edited(
    tree: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    specs, out = tree
    assert check(specs, out) == 0
    spec = specs / "netdev.yaml"
    text = spec.read_text()
    assert "The netdev supports XDP_REDIRECT" in text
    spec.write_text(text.replace("The netdev supports XDP_REDIRECT", "Edited doc"))
    before = (out / "netdev.py").read_text()
    assert check(specs, out) == 1
    err = capsys.readouterr().err
    assert "netdev.py: stale" in err and "netdev.yaml changed" in err
    assert (out / "netdev.py").read_text() == before  # --check writes nothing
    # regenerating fixes it
    assert run_main("--spec-dir", specs, "--out-dir", out, "-q") == 0
    assert check(specs, out) == 0
    assert "Edited doc" in (out / "netdev.py").read_text()


def test_check_fails_when_flag_added(
    tree: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    specs, out = tree
    spec = specs / "netdev.yaml"
    text = spec.read_text()
    anchor = "          Launch time HW offload is supported by the driver.\n"
    assert anchor in text
    new = anchor + "      -\n        name: tx-made-up\n        doc: A flag upstream adds.\n"
    spec.write_text(text.replace(anchor, new))
    assert check(specs, out) == 1
    assert "netdev.py: stale" in capsys.readouterr().err
    assert run_main("--spec-dir", specs, "--out-dir", out, "-q") == 0
    assert "TX_LAUNCH_TIME_FIFO = 4" in (out / "netdev.py").read_text()


def test_check_reports_missing_and_extra(
    tree: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    specs, out = tree
    (out / "netdev.py").rename(out / "old_family.py")
    assert check(specs, out) == 1
    err = capsys.readouterr().err
    assert "netdev.py: missing" in err
    assert "old_family.py: extra" in err
    # a normal run writes the missing module and removes the orphan
    assert run_main("--spec-dir", specs, "--out-dir", out, "-q") == 0
    assert not (out / "old_family.py").exists()
    assert check(specs, out) == 0


def test_hand_written_files_are_not_extra(tree: tuple[Path, Path]) -> None:
    specs, out = tree
    (out / "helper.py").write_text("# not generated\n")
    assert check(specs, out) == 0


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = gen.generate(SPEC_DIR, tmp_path, SCHEMA_DIR)
    second = gen.generate(SPEC_DIR, tmp_path, SCHEMA_DIR)
    assert [o.text for o in first] == [o.text for o in second]
    for o in first:  # one module per spec (ethtool.py, netdev.py, ...)
        assert o.text == (GEN_DIR / o.path.name).read_text()
    # the header names the spec by its repo-relative path, never by tmp paths
    copy = tmp_path / "ynl-specs"
    shutil.copytree(SPEC_DIR, copy)
    again = gen.generate(copy, tmp_path, copy / "schema")
    assert [o.text for o in again] == [o.text for o in first]


def test_generated_header() -> None:
    lines = (GEN_DIR / "netdev.py").read_text().splitlines()
    assert lines[0] == (
        "# SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)"
    )
    assert lines[1] == (
        "# Generated by scripts/ynl-gen-python from ynl-specs/netdev.yaml. Do not edit."
    )


def test_schema_is_verbatim_kernel_copy() -> None:
    text = (SCHEMA_DIR / "genetlink.yaml").read_text()
    assert text.startswith("# SPDX-License-Identifier:")
    assert "title: Protocol" in text


# ---------------------------------------------------------------------------
# Validation errors


def write_spec(directory: Path, text: str, name: str = "bad.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def netdev_with(old: str, new: str) -> str:
    text = (SPEC_DIR / "netdev.yaml").read_text()
    assert old in text
    return text.replace(old, new, 1)


def expect_error(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    specs = tmp_path / "specs"
    write_spec(specs, text)
    rc = run_main(
        "--spec-dir", specs, "--schema-dir", SCHEMA_DIR, "--out-dir", tmp_path / "out"
    )
    assert rc == 2
    assert not (tmp_path / "out").exists()
    err = capsys.readouterr().err
    assert "bad.yaml" in err
    return err


def test_schema_violation_names_file_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = netdev_with("        type: u32\n        checks:", "        type: u33\n        checks:")
    err = expect_error(tmp_path, text, capsys)
    assert "attribute-sets[0].attributes[0].type" in err
    assert "schema validation failed" in err and "'u33'" in err


def test_schema_violation_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = netdev_with("      dump:\n", "      dumpp:\n")
    err = expect_error(tmp_path, text, capsys)
    assert "operations.list[0]" in err and "dumpp" in err


def test_semantic_error_unknown_reply_attribute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = netdev_with("            - xsk-features\n", "            - xsk-featurez\n")
    err = expect_error(tmp_path, text, capsys)
    assert "operations.list[0].do.reply.attributes[4]" in err
    assert "'xsk-featurez' is not in attribute set 'dev'" in err


def test_semantic_error_unknown_enum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = netdev_with("        enum: xsk-flags\n", "        enum: xsk-flagz\n")
    err = expect_error(tmp_path, text, capsys)
    assert "attribute-sets[0].attributes[5].enum" in err and "xsk-flagz" in err


def test_unsupported_type_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = netdev_with("        type: pad\n", "        type: indexed-array\n")
    err = expect_error(tmp_path, text, capsys)
    assert "attributes[1].type" in err and "not supported" in err


def test_missing_spdx_and_bad_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SPEC_DIR / "netdev.yaml").read_text().split("\n", 1)[1]
    assert "SPDX" in expect_error(tmp_path, text, capsys)
    err = expect_error(tmp_path / "2", "# SPDX-License-Identifier: GPL-2.0\nname: [\n", capsys)
    assert "invalid YAML" in err


def test_recursive_nest_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = """# SPDX-License-Identifier: GPL-2.0-only
name: loop
doc: Loops.
attribute-sets:
  - name: a
    attributes:
      - name: b
        type: nest
        nested-attributes: a
operations:
  list:
    - name: get
      doc: Get.
      attribute-set: a
      dump:
        reply:
          attributes: [ b ]
"""
    assert "recursive nesting" in expect_error(tmp_path, text, capsys)


# ---------------------------------------------------------------------------
# Model details that mirror the kernel's nlspec.py


def test_directional_numbering_like_nlspec(tmp_path: Path) -> None:
    spec: dict[str, Any] = {
        "name": "dir",
        "doc": "Directional ids.",
        "attribute-sets": [{"name": "a", "attributes": [{"name": "x", "type": "u32"}]}],
        "operations": {
            "enum-model": "directional",
            "list": [
                {
                    "name": "one-get",
                    "doc": "1",
                    "attribute-set": "a",
                    "do": {
                        "request": {"value": 5, "attributes": ["x"]},
                        "reply": {"value": 7, "attributes": ["x"]},
                    },
                },
                {
                    "name": "two-set",
                    "doc": "2",
                    "attribute-set": "a",
                    "do": {"request": {"attributes": ["x"]}},
                },
                {"name": "one-ntf", "doc": "3", "notify": "one-get"},
            ],
        },
    }
    path = tmp_path / "dir.yaml"
    path.write_text("# SPDX-License-Identifier: GPL-2.0\n" + yaml.safe_dump(spec))
    family = gen.load_family(path, None)
    values = {op.name: (op.req_value, op.rsp_value) for op in family.ops}
    assert values == {"one-get": (5, 7), "two-set": (6, None), "one-ntf": (None, 8)}


UPSTREAM_QSTATS = (
    "rx-alloc-fail", "rx-hw-drops", "rx-hw-drop-overruns", "rx-csum-complete",
    "rx-csum-unnecessary", "rx-csum-none", "rx-csum-bad", "rx-hw-gro-packets",
    "rx-hw-gro-bytes", "rx-hw-gro-wire-packets", "rx-hw-gro-wire-bytes",
    "rx-hw-drop-ratelimits", "tx-hw-drops", "tx-hw-drop-errors", "tx-csum-none",
    "tx-needs-csum", "tx-hw-gso-packets", "tx-hw-gso-bytes", "tx-hw-gso-wire-packets",
    "tx-hw-gso-wire-bytes", "tx-hw-drop-ratelimits", "tx-stop", "tx-wake",
)


def test_netdev_model_numbers() -> None:
    family = gen.load_family(SPEC_DIR / "netdev.yaml", SCHEMA_DIR)
    dev = family.attr_sets["dev"]
    assert [(a.name, a.value, a.c_name) for a in dev.attrs] == [
        ("ifindex", 1, "NETDEV_A_DEV_IFINDEX"),
        ("pad", 2, "NETDEV_A_DEV_PAD"),
        ("xdp-features", 3, "NETDEV_A_DEV_XDP_FEATURES"),
        ("xdp-zc-max-segs", 4, "NETDEV_A_DEV_XDP_ZC_MAX_SEGS"),
        ("xdp-rx-metadata-features", 5, "NETDEV_A_DEV_XDP_RX_METADATA_FEATURES"),
        ("xsk-features", 6, "NETDEV_A_DEV_XSK_FEATURES"),
    ]
    qstats = family.attr_sets["qstats"]
    assert [(a.name, a.value) for a in qstats.attrs] == [
        ("ifindex", 1), ("queue-type", 2), ("queue-id", 3), ("scope", 4),
        ("rx-packets", 8), ("rx-bytes", 9), ("tx-packets", 10), ("tx-bytes", 11),
        # The rest of upstream's qstats (7.x: qstats-get's reply names them).
        *[(name, value) for value, name in enumerate(UPSTREAM_QSTATS, start=12)],
        ("rx-xdp-aborted", 200), ("rx-xdp-drop", 201), ("rx-xdp-pass", 202),
        ("rx-xdp-tx", 203), ("rx-xdp-redirect", 204), ("rx-xdp-unknown", 205),
        ("rx-xdp-redirect-errors", 206),
    ]
    # the operations between dev-change-ntf and qstats-get are placeholders
    # (name and doc) that hold their ids: qstats-get is 12, as in Linux 6.12
    assert [(op.name, op.req_value, op.do is not None or op.dump is not None)
            for op in family.ops] == [
        ("dev-get", 1, True),
        ("dev-add-ntf", 2, False),
        ("dev-del-ntf", 3, False),
        ("dev-change-ntf", 4, False),
        ("page-pool-get", 5, False),
        ("page-pool-add-ntf", 6, False),
        ("page-pool-del-ntf", 7, False),
        ("page-pool-change-ntf", 8, False),
        ("page-pool-stats-get", 9, False),
        ("queue-get", 10, False),
        ("napi-get", 11, False),
        ("qstats-get", 12, True),
    ]
    assert family.mcast_groups == ["mgmt"]


def test_placeholder_ops_get_no_methods() -> None:
    from xdptool.ynl.generated import netdev

    assert netdev.OP_MODES["queue-get"] == ()
    assert not hasattr(netdev.Netdev, "queue_get")
    assert not hasattr(netdev, "page_pool_get_do_request")
    assert netdev.OP_MODES["qstats-get"] == ("dump",)
    assert hasattr(netdev.Netdev, "qstats_get_dump")


def test_subset_numbers_equal_the_kernel_specs() -> None:
    """Every operation and attribute the bindings keep has the number the
    kernel tree's full spec gives it (a subset must not renumber)."""
    specs = kernel.kernel_tree() / "Documentation" / "netlink" / "specs"
    if not (specs / "ethtool.yaml").is_file():
        pytest.skip(f"no kernel tree: {specs} missing (run scripts/kernel-tree)")
    if "name: xdp-stat\n" not in (specs / "ethtool.yaml").read_text():
        pytest.skip(f"the series is not applied in {specs.parent.parent.parent}")
    nlspec = kernel.nlspec()
    for name in ("ethtool", "netdev"):
        module = generated_module(GEN_DIR / f"{name}.py", f"_gen_full_{name}")
        kfam = nlspec.SpecFamily(str(specs / f"{name}.yaml"), schema_path="")
        for op, ids in module.OPS.items():
            kop = kfam.msgs[op]
            assert (kop.req_value, kop.rsp_value) == ids, (name, op)
        for set_name, attrs in module.ATTR_NAMES.items():
            kattrs = kfam.attr_sets[set_name].attrs
            assert {num: attr for num, attr in attrs.items()} == {
                kattrs[attr].value: attr for attr in attrs.values()}, (name, set_name)


# ---------------------------------------------------------------------------
# The made-up test family: nests, multi-attr, all scalar types


@pytest.fixture(scope="module")
def ynl_test(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = tmp_path_factory.mktemp("gen")
    rc = gen.main(
        ["--spec-dir", str(TEST_SPECS), "--schema-dir", str(SCHEMA_DIR), "--out-dir", str(out)]
    )
    assert rc == 0
    path = out / "ynl_test.py"
    spec = importlib.util.spec_from_file_location("ynl_test_generated", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.__dict__["__file__"] = str(path)
    return module


def test_generated_test_module_is_ruff_clean(ynl_test: ModuleType) -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff not installed")
    res = subprocess.run(
        [ruff, "check", "--config", str(REPO / "pyproject.toml"), str(ynl_test.__file__)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_enum_and_flags_values(ynl_test: ModuleType) -> None:
    color, caps = ynl_test.Color, ynl_test.Caps
    assert [(m.name, int(m)) for m in color] == [("RED", 1), ("GREEN", 2), ("BLUE", 5)]
    assert color.BLUE.spec_name == "blue" and color.RED.doc == "The colour red."
    assert color(9).spec_name == "value-9"  # a newer kernel's value, kept
    assert color.from_name("green") is color.GREEN
    assert [(m.name, int(m)) for m in caps] == [("READ", 1), ("WRITE", 2), ("EXEC", 16)]
    assert caps.names(0b10011) == ["read", "write", "exec"]
    assert ynl_test.MAX_ITEMS == 8
    assert ynl_test.OPS == {
        "obj-get": (1, 1),
        "obj-set": (2, 2),
        "obj-add-ntf": (3, 3),
        "item-ntf": (10, 10),
    }


def test_nla_map_numbers_and_types(ynl_test: ModuleType) -> None:
    assert ynl_test.ObjMsg.nla_map == (
        (1, "YNL_TEST_A_OBJ_ID", "uint32"),
        (2, "YNL_TEST_A_OBJ_PAD", "none"),
        (3, "YNL_TEST_A_OBJ_CAPS", "uint64"),
        (4, "YNL_TEST_A_OBJ_MAIN", "nest_item|nested"),
        (5, "YNL_TEST_A_OBJ_ITEMS", "nest_item|nested"),
        (6, "YNL_TEST_A_OBJ_TAGS", "uint32"),
        (7, "YNL_TEST_A_OBJ_NAMES", "asciiz"),
        (8, "YNL_TEST_A_OBJ_KEY", "nest_item_key|nested"),
        (10, "YNL_TEST_A_OBJ_CLASS", "uint8"),
        (11, "YNL_TEST_A_OBJ_TOTAL", "uint64"),
    )
    types = {name: kind for _, name, kind in ynl_test.ItemNla.nla_map}
    assert types["YNL_TEST_A_ITEM_PORT"] == "be16"
    assert types["YNL_TEST_A_ITEM_COUNTER"] == "ynl_uint"
    assert types["YNL_TEST_A_ITEM_ENABLED"] == "flag"
    assert types["YNL_TEST_A_ITEM_BLOB"] == "cdata"
    # a subset keeps its parent's attribute numbers and names
    assert ynl_test.ItemKeyNla.nla_map == ((1, "YNL_TEST_A_ITEM_ID", "uint16"),)


def test_signatures(ynl_test: ModuleType) -> None:
    fam = ynl_test.YnlTest
    assert str(inspect.signature(fam.obj_get)) == "(self, id: 'int') -> 'Obj'"
    assert str(inspect.signature(fam.obj_get_dump)) == (
        "(self, *, caps: 'Caps | int | None' = None) -> 'list[Obj]'"
    )
    params = inspect.signature(fam.obj_set).parameters
    assert list(params) == ["self", "id", "caps", "main", "items", "tags", "class_"]
    assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items() if name != "self")
    assert "CAP_NET_ADMIN" in (fam.obj_set.__doc__ or "")


def nlattr(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def genl(family_id: int, cmd: int, attrs: bytes, flags: int = 0, seq: int = 0) -> bytes:
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), family_id, flags, seq, 0) + body


def test_decode_hand_built_nested_multi_attr(ynl_test: ModuleType) -> None:
    item1 = nlattr(1, struct.pack("=H", 7)) + nlattr(2, b"first\0") + nlattr(4, b"")
    item1 += nlattr(9, struct.pack(">H", 443)) + nlattr(10, struct.pack("=Q", 1 << 40))
    item1 += nlattr(11, struct.pack("=i", -3)) + nlattr(8, struct.pack("=I", 9))
    item2 = nlattr(1, struct.pack("=H", 8)) + nlattr(6, struct.pack("=i", -1))
    attrs = nlattr(1, struct.pack("=I", 42))
    attrs += nlattr(3, struct.pack("=Q", 0b10011 | 1 << 40))
    attrs += nlattr(5 | 0x8000, item1) + nlattr(5 | 0x8000, item2)
    attrs += nlattr(6, struct.pack("=I", 10)) + nlattr(6, struct.pack("=I", 20))
    attrs += nlattr(7, b"a\0") + nlattr(7, b"bb\0")
    attrs += nlattr(8 | 0x8000, nlattr(1, struct.pack("=H", 99)))
    attrs += nlattr(10, b"\x05")
    attrs += nlattr(99, b"from a newer kernel")  # unknown attribute: ignored
    obj = ynl_test.Obj.from_bytes(genl(0x42, 1, attrs))

    assert obj.id == 42
    assert obj.caps == 0b10011 | 1 << 40
    assert ynl_test.Caps.names(obj.caps) == ["read", "write", "exec", "bit-40"]
    assert obj.main is None and obj.total is None
    first, second = obj.items
    assert first == ynl_test.Item(
        id=7, label="first", enabled=True, port=443, counter=1 << 40, offset=-3,
        color=ynl_test.Color(9),
    )
    assert first.color.spec_name == "value-9"
    assert second == ynl_test.Item(id=8, delta=-1)
    assert obj.tags == (10, 20)
    assert obj.names == ("a", "bb")
    assert obj.key == ynl_test.ItemKey(id=99)
    assert obj.class_ == 5
    assert rt.to_spec_dict(obj) == {
        "id": 42,
        "caps": ["read", "write", "exec", "bit-40"],
        "items": [
            {"id": 7, "label": "first", "enabled": True, "color": "value-9", "port": 443,
             "counter": 1 << 40, "offset": -3},
            {"id": 8, "delta": -1},
        ],
        "tags": [10, 20],
        "names": ["a", "bb"],
        "key": {"id": 99},
        "class": 5,
    }


def test_encode_nested_multi_attr_layout(ynl_test: ModuleType) -> None:
    item = ynl_test.Item
    msg = ynl_test.obj_set_do_request(
        id=3,
        main=item(id=1, label="m", enabled=True, port=80, counter=5, offset=-(1 << 40)),
        items=[item(id=2), item(small=1)],
        tags=[7, 8],
        caps=ynl_test.Caps.EXEC,
    )
    raw = rt.encode_message(msg, msg_type=0x42, flags=rt.NLM_F_REQUEST | rt.NLM_F_ACK, seq=9)
    main = nlattr(1, struct.pack("=H", 1)) + nlattr(2, b"m\0") + nlattr(4, b"")
    main += nlattr(9, struct.pack(">H", 80)) + nlattr(10, struct.pack("=I", 5))
    main += nlattr(11, struct.pack("=q", -(1 << 40)))
    attrs = nlattr(1, struct.pack("=I", 3)) + nlattr(3, struct.pack("=Q", 16))
    attrs += nlattr(4 | 0x8000, main)
    attrs += nlattr(5 | 0x8000, nlattr(1, struct.pack("=H", 2)))
    attrs += nlattr(5 | 0x8000, nlattr(5, b"\x01"))
    attrs += nlattr(6, struct.pack("=I", 7)) + nlattr(6, struct.pack("=I", 8))
    assert raw == genl(0x42, 2, attrs, flags=rt.NLM_F_REQUEST | rt.NLM_F_ACK, seq=9)


def test_round_trip_every_type(ynl_test: ModuleType) -> None:
    item = ynl_test.Item(
        id=65535, label="żółw", blob=b"\0\1\2", enabled=True, small=255, delta=-(1 << 31),
        big_signed=-(1 << 63), color=ynl_test.Color.BLUE, port=65535, counter=(1 << 64) - 1,
        offset=(1 << 63) - 1,
    )
    obj = ynl_test.Obj(
        id=1, caps=ynl_test.Caps.READ, main=item, items=(item, ynl_test.Item()), tags=(1, 2, 3),
        names=("x",), key=ynl_test.ItemKey(id=4), class_=200, total=(1 << 64) - 1,
    )
    msg = rt.new_request(ynl_test.ObjMsg, 1, obj.to_attrs())
    assert ynl_test.Obj.from_bytes(rt.encode_message(msg, msg_type=0x42)) == obj


def test_required_attribute_missing(ynl_test: ModuleType) -> None:
    with pytest.raises(rt.YnlDecodeError, match="YNL_TEST_A_OBJ_ID"):
        ynl_test.Obj.from_bytes(genl(0x42, 1, nlattr(11, struct.pack("=Q", 1))))


class FakeSocket:
    """Stands in for runtime.YnlSocket: canned replies, records requests."""

    family_id = 0x42

    def __init__(self, replies: list[bytes] | None = None, ntfs: list[bytes] | None = None):
        self.replies = replies or []
        self.ntfs = ntfs or []
        self.sent: list[tuple[bytes, dict[str, Any]]] = []
        self.groups: list[str] = []
        self.closed = False

    def request(self, msg: Any, **kwargs: Any) -> list[bytes]:
        self.sent.append((rt.encode_message(msg, msg_type=self.family_id), kwargs))
        return self.replies

    def subscribe(self, group: str) -> None:
        self.groups.append(group)

    def notifications(self, timeout: float | None = None) -> Any:
        yield from self.ntfs

    def close(self) -> None:
        self.closed = True


def test_family_class_with_fake_socket(ynl_test: ModuleType) -> None:
    reply = genl(0x42, 1, nlattr(1, struct.pack("=I", 5)) + nlattr(10, b"\x02"))
    sock = FakeSocket(
        replies=[reply],
        ntfs=[
            genl(0x42, 3, nlattr(1, struct.pack("=I", 6))),
            genl(0x42, 10, nlattr(1, struct.pack("=H", 2)) + nlattr(2, b"lbl\0")),
            genl(0x42, 1, nlattr(1, struct.pack("=I", 7))),  # not a notification: skipped
        ],
    )
    with ynl_test.YnlTest(sock=sock) as fam:
        assert fam.obj_get(5) == ynl_test.Obj(id=5, class_=2)
        raw, kwargs = sock.sent[-1]
        assert kwargs == {"dump": False, "ack": False, "op": "obj-get",
                          "attr_names": ynl_test.ATTR_NAMES["obj"]}
        assert raw == genl(0x42, 1, nlattr(1, struct.pack("=I", 5)), flags=rt.NLM_F_REQUEST)
        assert fam.obj_get_dump(caps=ynl_test.Caps.WRITE) == [ynl_test.Obj(id=5, class_=2)]
        assert sock.sent[-1][1]["dump"] is True
        sock.replies = []
        assert fam.obj_set(id=1, tags=[3]) is None
        assert sock.sent[-1][1]["ack"] is True
        fam.subscribe()
        assert sock.groups == ["events", "other"]
        with pytest.raises(ValueError, match="no multicast group"):
            fam.subscribe("nope")
        assert list(fam.notifications(0)) == [
            ("obj-add-ntf", ynl_test.Obj(id=6)),
            ("item-ntf", ynl_test.Item(id=2, label="lbl")),
        ]
    assert sock.closed


def test_do_with_wrong_reply_count(ynl_test: ModuleType) -> None:
    fam = ynl_test.YnlTest(sock=FakeSocket(replies=[]))
    with pytest.raises(rt.YnlDecodeError, match="expected one reply, got 0"):
        fam.obj_get(1)


# ---------------------------------------------------------------------------
# Against the kernel's own model: tools/net/ynl's nlspec.SpecFamily, loaded
# from the kernel tree, read independently of the generated code.


def generated_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def spec_cases(tmp_path: Path) -> list[tuple[Path, ModuleType]]:
    cases = [(SPEC_DIR / f"{m}.yaml", generated_module(GEN_DIR / f"{m}.py", f"_gen_{m}"))
             for m in ("netdev", "ethtool")]
    (out,) = gen.generate(TEST_SPECS, tmp_path, SCHEMA_DIR)
    out.path.write_text(out.text)
    cases.append((TEST_SPECS / "ynl-test.yaml", generated_module(out.path, "_gen_ynl_test")))
    return cases


def test_generated_numbers_equal_the_kernel_model(tmp_path: Path) -> None:
    nlspec = kernel.nlspec()
    for spec_path, module in spec_cases(tmp_path):
        kfam = nlspec.SpecFamily(str(spec_path), schema_path="")
        # operations: (request id, reply id) as the kernel numbers them
        assert {name: (op.req_value, op.rsp_value)
                              for name, op in kfam.msgs.items()} == module.OPS, spec_path.name
        # attributes of every set: number -> name
        for set_name, kset in kfam.attr_sets.items():
            expected_attrs = {attr.value: name for name, attr in kset.attrs.items()}
            assert module.ATTR_NAMES[set_name] == expected_attrs, (spec_path.name, set_name)
        # enums and flags: member values (flags as masks) and spec names
        for def_name, kdef in kfam.consts.items():
            if not isinstance(kdef, nlspec.SpecEnumSet):
                continue  # a const
            cls = getattr(module, "".join(p[:1].upper() + p[1:] for p in def_name.split("-")))
            expected = {entry.user_value(): name for name, entry in kdef.entries.items()}
            assert dict(cls._spec_names()) == expected, (spec_path.name, def_name)
        assert tuple(kfam.mcast_groups) == module.MCAST_GROUPS, spec_path.name


def test_kernel_model_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    kernel.nlspec.cache_clear()
    monkeypatch.setenv("XDPTOOL_KTREE", str(tmp_path))
    try:
        with pytest.raises(kernel.KernelModelError, match="run scripts/kernel-tree"):
            gen.load_family(SPEC_DIR / "netdev.yaml", None)
    finally:
        kernel.nlspec.cache_clear()
