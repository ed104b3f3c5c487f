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
KTREE = Path.home() / ".cache" / "xdptool" / "linux"
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
     "attribute-sets[thing].attributes[1].doc: ynl-specs has 'How many?', "
     "the kernel spec has 'How many.'"),
    ("type: u64", "type: u32",
     "attribute-sets[thing].attributes[1].type: ynl-specs has 'u32', "
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
    assert ("demo.yaml: attribute-sets[thing].attributes[1].display-hint: only in the kernel "
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


def test_repo_subset_matches_real_kernel_tree() -> None:
    if not KERNEL_ETHTOOL.is_file():
        pytest.skip(f"no kernel tree: {KERNEL_ETHTOOL} missing (run scripts/kernel-tree)")
    if "xdp-stats-get" not in KERNEL_ETHTOOL.read_text():
        pytest.skip(f"the series is not applied in {KTREE}: its ethtool.yaml has no "
                    "xdp-stats-get (run scripts/kernel-tree)")
    result = run("--tree", KTREE)
    assert result.returncode == 0, result.stdout + result.stderr
