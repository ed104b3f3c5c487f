"""scripts/ynl-specs-match: the subset-versus-kernel-spec checker."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "ynl-specs-match"
# The primary base's work tree, wherever the scripts put it.
KTREE = Path(
    os.environ.get("XDPTOOL_KTREE")
    or Path(os.environ.get("XDPTOOL_CACHE") or Path.home() / ".cache" / "xdptool") / "linux"
)
KERNEL_ETHTOOL = KTREE / "Documentation" / "netlink" / "specs" / "ethtool.yaml"

KERNEL = """\
    name: demo
    protocol: genetlink-legacy
    doc: Demo family.
    definitions:
      - name: mode
        type: enum
        entries: [ off, on ]
      - name: other
        type: flags
        entries: [ a ]
    attribute-sets:
      - name: header
        attributes:
          - name: dev-index
            type: u32
      - name: thing
        attributes:
          - name: header
            type: nest
            nested-attributes: header
          - name: count
            type: u64
            doc: How many.
      - name: unrelated
        attributes:
          - name: x
            type: u8
    operations:
      enum-model: directional
      list:
        - name: unrelated-get
          attribute-set: unrelated
          do:
            request:
              value: 1
              attributes: [ x ]
        - name: thing-get
          attribute-set: thing
          do: &thing-get
            request:
              value: 46
              attributes: [ header ]
            reply:
              value: 47
              attributes: &thing [ header, count ]
          dump: *thing-get
"""

# The subset: fewer elements, aliases written out (equal as parsed YAML).
SUBSET = """\
    # SPDX-License-Identifier: BSD-3-Clause
    name: demo
    protocol: genetlink-legacy
    doc: Demo family.
    definitions:
      - name: mode
        type: enum
        entries: [ off, on ]
    attribute-sets:
      - name: header
        attributes:
          - name: dev-index
            type: u32
      - name: thing
        attributes:
          - name: header
            type: nest
            nested-attributes: header
          - name: count
            type: u64
            doc: How many.
    operations:
      enum-model: directional
      list:
        - name: thing-get
          attribute-set: thing
          do:
            request:
              value: 46
              attributes: [ header ]
            reply:
              value: 47
              attributes: [ header, count ]
          dump:
            request:
              value: 46
              attributes: [ header ]
            reply:
              value: 47
              attributes: [ header, count ]
    mcast-groups:
      list:
        - name: monitor
"""


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, check=False, env=env)


def pair(tmp_path: Path, subset: str, kernel: str = KERNEL) -> tuple[Path, Path]:
    ours, theirs = tmp_path / "demo.yaml", tmp_path / "kernel-demo.yaml"
    ours.write_text(textwrap.dedent(subset))
    theirs.write_text(textwrap.dedent(kernel))
    return ours, theirs


def test_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "--tree" in result.stdout and "XDPTOOL_KTREE" in result.stdout
    assert os.access(SCRIPT, os.X_OK)


def test_equal_subset_passes(tmp_path: Path) -> None:
    ours, theirs = pair(tmp_path, SUBSET)
    result = run("--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo.yaml matches" in result.stdout
    # mcast-groups is ours only: a note, not a failure
    assert "note: mcast-groups: only in ynl-specs" in result.stdout


@pytest.mark.parametrize(("old", "new", "message"), [
    ("doc: How many.", "doc: How many?",
     "attribute-sets[thing].attributes[count].doc: ynl-specs has 'How many?', "
     "the kernel spec has 'How many.'"),
    ("type: u64", "type: u32",
     "attribute-sets[thing].attributes[count].type: ynl-specs has 'u32', "
     "the kernel spec has 'u64'"),
    ("entries: [ off, on ]", "entries: [ off, on, auto ]",
     "definitions[mode].entries: 3 items in ynl-specs, 2 in the kernel spec"),
    ("              value: 47\n              attributes: [ header, count ]\n          dump:",
     "              value: 48\n              attributes: [ header, count ]\n          dump:",
     "operations[thing-get].do.reply.value: ynl-specs has 48, the kernel spec has 47"),
    ("- name: thing-get\n", "- name: thing-set\n",
     "operations[thing-set]: missing from the kernel spec"),
    ("doc: Demo family.", "doc: Demo.",
     "doc: ynl-specs has 'Demo.', the kernel spec has 'Demo family.'"),
    ("enum-model: directional", "enum-model: unified",
     "operations.enum-model: ynl-specs has 'unified', the kernel spec has 'directional'"),
])
def test_mismatch_is_reported(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SUBSET
    ours, theirs = pair(tmp_path, SUBSET.replace(old, new, 1))
    result = run("--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 1
    assert f"demo.yaml: {message}" in result.stdout.splitlines()
    assert "does not match" in result.stderr


def test_key_only_in_kernel_is_a_mismatch(tmp_path: Path) -> None:
    kernel = KERNEL.replace("            doc: How many.\n",
                            "            doc: How many.\n            display-hint: hex\n")
    ours, theirs = pair(tmp_path, SUBSET, kernel)
    result = run("--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 1
    assert ("demo.yaml: attribute-sets[thing].attributes[count].display-hint: only in the kernel "
            "spec ('hex')") in result.stdout


def test_mcast_groups_compared_when_kernel_has_them(tmp_path: Path) -> None:
    kernel = KERNEL + "    mcast-groups:\n      list:\n        - name: events\n"
    ours, theirs = pair(tmp_path, SUBSET, kernel)
    result = run("--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 1
    assert "demo.yaml: mcast-groups[monitor]: missing from the kernel spec" in result.stdout


def test_tree_option_and_env(tmp_path: Path) -> None:
    ours, _ = pair(tmp_path, SUBSET)
    specs = tmp_path / "linux" / "Documentation" / "netlink" / "specs"
    specs.mkdir(parents=True)
    (specs / "demo.yaml").write_text(textwrap.dedent(KERNEL))
    assert run("--spec", ours, "--tree", tmp_path / "linux").returncode == 0
    env = {**os.environ, "XDPTOOL_KTREE": str(tmp_path / "linux")}
    assert run("--spec", ours, env=env).returncode == 0
    missing = run("--spec", ours, "--tree", tmp_path / "nowhere")
    assert missing.returncode == 2 and "error:" in missing.stderr


def test_repo_subsets_match_real_kernel_tree() -> None:
    if not KERNEL_ETHTOOL.is_file():
        pytest.skip(f"no kernel tree: {KERNEL_ETHTOOL} missing (run scripts/kernel-tree)")
    if "name: xdp-stat\n" not in KERNEL_ETHTOOL.read_text():
        pytest.skip(f"the series is not applied in {KTREE}: its ethtool.yaml has no "
                    "xdp-stat attribute set (run scripts/kernel-tree)")
    result = run("--tree", KTREE)  # every ynl-specs/*.yaml
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ethtool.yaml matches" in result.stdout
    assert "netdev.yaml matches" in result.stdout


# ---------------------------------------------------------------------------
# Partial attribute sets, placeholder operations, numbers

UNIFIED = """\
    name: uni
    doc: Unified ids.
    attribute-sets:
      - name: stats
        doc: Counters.
        attributes:
          - name: ifindex
            type: u32
          - name: scope
            type: uint
          - name: rx-packets
            type: uint
            value: 8
          - name: rx-bytes
            type: uint
          - name: rx-xdp-drop
            type: uint
            value: 200
          - name: rx-xdp-pass
            type: uint
    operations:
      list:
        - name: dev-get
          doc: Get a device.
          attribute-set: stats
          dump:
            reply:
              attributes: [ ifindex ]
        - name: pool-get
          doc: Get a pool.
          attribute-set: stats
          config-cond: pools
          dump:
            reply:
              attributes: [ ifindex ]
        - name: stats-get
          doc: Get statistics.
          attribute-set: stats
          dump:
            request:
              attributes: [ ifindex, scope ]
            reply:
              attributes: [ ifindex, rx-xdp-drop ]
"""

UNIFIED_SUBSET = """\
    # SPDX-License-Identifier: BSD-3-Clause
    name: uni
    doc: Unified ids.
    attribute-sets:
      - name: stats
        doc: Counters.
        attributes:
          - name: ifindex
            type: u32
          - name: scope
            type: uint
          - name: rx-xdp-drop
            type: uint
            value: 200
    operations:
      list:
        - name: dev-get
          doc: Get a device.
          attribute-set: stats
          dump:
            reply:
              attributes: [ ifindex ]
        - name: pool-get
          doc: Get a pool.
        - name: stats-get
          doc: Get statistics.
          attribute-set: stats
          dump:
            request:
              attributes: [ ifindex, scope ]
            reply:
              attributes: [ ifindex, rx-xdp-drop ]
"""


def unified_pair(tmp_path: Path, subset: str) -> tuple[Path, Path]:
    ours, theirs = tmp_path / "uni.yaml", tmp_path / "kernel-uni.yaml"
    ours.write_text(textwrap.dedent(subset))
    theirs.write_text(textwrap.dedent(UNIFIED))
    return ours, theirs


def test_partial_set_and_placeholder_op_pass(tmp_path: Path) -> None:
    ours, theirs = unified_pair(tmp_path, UNIFIED_SUBSET)
    result = run("--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("old", "new", "message"), [
    # leaving out the placeholder renumbers the next operation
    ("        - name: pool-get\n          doc: Get a pool.\n", "",
     "operations[stats-get]: ids (2, 2) in ynl-specs, (3, 3) in the kernel spec "
     "(keep the operations before it: name and doc suffice)"),
    # a placeholder keeps its doc verbatim too
    ("          doc: Get a pool.\n", "          doc: Get pools.\n",
     "operations[pool-get].doc: ynl-specs has 'Get pools.', the kernel spec has 'Get a pool.'"),
    # a placeholder is name and doc only: any other key makes it a full copy
    ("          doc: Get a pool.\n", "          doc: Get a pool.\n          attribute-set: stats\n",
     "operations[pool-get].config-cond: only in the kernel spec ('pools')"),
    # the set's own keys are compared
    ("        doc: Counters.\n", "        doc: Counter.\n",
     "attribute-sets[stats].doc: ynl-specs has 'Counter.', the kernel spec has 'Counters.'"),
    ("          - name: rx-xdp-drop\n", "          - name: rx-xdp-dropped\n",
     "attribute-sets[stats].attributes[rx-xdp-dropped]: missing from the kernel spec"),
])
def test_subset_mismatch_is_reported(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in UNIFIED_SUBSET
    ours, theirs = unified_pair(tmp_path, UNIFIED_SUBSET.replace(old, new, 1))
    result = run("--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 1, result.stdout
    assert f"uni.yaml: {message}" in result.stdout.splitlines()


def test_attribute_left_out_before_an_implicit_number(tmp_path: Path) -> None:
    subset = UNIFIED_SUBSET.replace(
        "          - name: rx-xdp-drop\n            type: uint\n            value: 200\n",
        "          - name: rx-packets\n            type: uint\n            value: 8\n"
        "          - name: rx-xdp-drop\n            type: uint\n            value: 200\n"
        "          - name: rx-xdp-pass\n            type: uint\n")
    ours, theirs = unified_pair(tmp_path, subset)
    assert run("--spec", ours, "--kernel-spec", theirs).returncode == 0
    gap = subset.replace("          - name: scope\n            type: uint\n"
                         "          - name: rx-packets\n            type: uint\n"
                         "            value: 8\n", "          - name: scope\n"
                         "            type: uint\n          - name: rx-bytes\n"
                         "            type: uint\n")
    ours, theirs = unified_pair(tmp_path, gap)
    result = run("--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 1
    assert ("uni.yaml: attribute-sets[stats].attributes[rx-bytes]: number 3 in ynl-specs, "
            "9 in the kernel spec (keep the attributes before it)") in result.stdout


def test_kernel_spec_needs_one_spec(tmp_path: Path) -> None:
    ours, theirs = unified_pair(tmp_path, UNIFIED_SUBSET)
    result = run("--spec", ours, "--spec", ours, "--kernel-spec", theirs)
    assert result.returncode == 2 and "exactly one --spec" in result.stderr
    assert run("--kernel-spec", theirs).returncode == 2


def test_number_port_agrees_with_nlspec() -> None:
    """The script numbers like the kernel's YNL model (nlspec.py) does."""
    if not (KTREE / "tools" / "net" / "ynl").is_dir():
        pytest.skip(f"no kernel tree at {KTREE} (run scripts/kernel-tree)")
    import importlib.machinery
    import importlib.util

    import yaml  # type: ignore[import-untyped]

    from xdptool.ynl.gen import kernel

    loader = importlib.machinery.SourceFileLoader("_ynl_specs_match", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    match = importlib.util.module_from_spec(spec)
    loader.exec_module(match)
    nlspec = kernel.nlspec(KTREE)
    paths = [KTREE / "Documentation" / "netlink" / "specs" / name
             for name in ("ethtool.yaml", "netdev.yaml")]
    paths += sorted((REPO / "ynl-specs").glob("*.yaml"))
    for path in paths:
        data = yaml.safe_load(path.read_text())
        family = nlspec.SpecFamily(str(path), schema_path="")
        ops = match.op_numbers(data["operations"])
        assert ops == {name: (op.req_value, op.rsp_value) for name, op in family.msgs.items()}
        for aset in data["attribute-sets"]:
            if "subset-of" in aset:
                continue
            kset = family.attr_sets[aset["name"]]
            assert match.attr_numbers(aset) == {n: a.value for n, a in kset.attrs.items()}
