"""The maintainer loop (kernel-tree, series-export) on a tiny git "kernel".

No build here: these check that applying is idempotent, that export is
deterministic and round-trips the cover letter, and that a patch that does
not apply is named with its failing hunk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def run(
    *args: str | Path, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], env=env, text=True, capture_output=True, check=check
    )


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        text=True, capture_output=True, check=True,
    ).stdout


@pytest.fixture
def loop(tmp_path: Path) -> dict[str, Path | dict[str, str]]:
    base = tmp_path / "upstream"
    base.mkdir()
    git(base, "init", "-q", "-b", "main")
    (base / "net.c").write_text("int a;\nint b;\nint c;\n")
    git(base, "add", "-A")
    git(base, "commit", "-q", "-m", "base")
    patches = tmp_path / "patches"
    patches.mkdir()
    (patches / "BASE").write_text("package=none\nversion=0\nkernelversion=0\n")
    env = dict(os.environ, XDPTOOL_PATCHES=str(patches), XDPTOOL_KTREE=str(tmp_path / "tree"),
               XDPTOOL_CACHE=str(tmp_path / "cache"))
    return {"base": base, "patches": patches, "tree": tmp_path / "tree", "env": env}


def tree_args(loop: dict) -> list[str | Path]:
    return [SCRIPTS / "kernel-tree", "--base-git", loop["base"]]


def snapshot(d: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(d.glob("*.patch"))}


def test_empty_series_cover_letter_round_trip(loop: dict) -> None:
    env, tree = loop["env"], loop["tree"]
    run(*tree_args(loop), env=env)
    git(tree, "config", "branch.xdptool.description", "xdp: a subject\n\nBody line one.\n\nTwo.")
    out = run(SCRIPTS / "series-export", env=env)
    assert re.search(r"^wrote    \S*patches/0000-cover-letter.patch$", out.stdout, re.M)
    cover = (loop["patches"] / "0000-cover-letter.patch").read_text()
    assert "Subject: [PATCH 0/0] xdp: a subject\n\nBody line one.\n\nTwo.\n\nbase-commit: " in cover

    # A fresh tree gets the description back from the cover letter.
    shutil.rmtree(tree)
    run(*tree_args(loop), env=env)
    description = git(tree, "config", "branch.xdptool.description")
    assert description == "xdp: a subject\n\nBody line one.\n\nTwo.\n"


def test_apply_export_is_idempotent_and_deterministic(loop: dict) -> None:
    env, tree, patches = loop["env"], loop["tree"], loop["patches"]
    run(*tree_args(loop), env=env)
    # a subject long enough that format-patch folds it onto a second line
    subject = "xdp: two patches, and a subject as long as a real series' (ethtool, qstats)"
    git(tree, "config", "branch.xdptool.description", f"{subject}\n\nCover text.")
    for i, line in enumerate(["int b2;", "int c2;"]):
        src = (tree / "net.c").read_text().splitlines()
        src[i + 1] = line
        (tree / "net.c").write_text("\n".join(src) + "\n")
        message = f"net: change line {i + 2}\n\nWhy it matters.\n\nSigned-off-by: t <t@t>"
        git(tree, "commit", "-q", "-am", message)
    run(SCRIPTS / "series-export", env=env)
    first = snapshot(patches)
    assert sorted(first) == ["0000-cover-letter.patch", "0001-net-change-line-2.patch",
                             "0002-net-change-line-3.patch"]
    assert "Subject: [PATCH 0/2] xdp: two patches, and a subject as long as a real series'\n" \
        " (ethtool, qstats)\n" in first["0000-cover-letter.patch"]

    # Rebuild the tree from patches/ alone, export again: byte-identical.
    shutil.rmtree(tree)
    run(*tree_args(loop), env=env)
    assert (tree / "net.c").read_text() == "int a;\nint b2;\nint c2;\n"
    assert git(tree, "config", "branch.xdptool.description") == f"{subject}\n\nCover text.\n"
    again = run(SCRIPTS / "series-export", env=env)
    assert "already matches" in again.stderr
    assert snapshot(patches) == first

    # Nothing changed: kernel-tree leaves the tree alone.
    assert "up to date" in run(*tree_args(loop), env=env).stderr


def test_unexported_commits_are_not_dropped(loop: dict) -> None:
    env, tree = loop["env"], loop["tree"]
    run(*tree_args(loop), env=env)
    (tree / "net.c").write_text("changed\n")
    git(tree, "commit", "-q", "-am", "local work")
    res = run(*tree_args(loop), env=env, check=False)
    assert res.returncode == 1
    assert "has commits or a checkout not in patches/" in res.stderr
    assert (tree / "net.c").read_text() == "changed\n"


def test_patch_that_does_not_apply_is_named(loop: dict) -> None:
    env, patches = loop["env"], loop["patches"]
    (patches / "0001-net-bad.patch").write_text(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: t <t@t>\nDate: Sat, 1 Jan 2000 00:00:00 +0000\nSubject: [PATCH] net: bad\n\n"
        "---\n net.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
        "diff --git a/net.c b/net.c\n--- a/net.c\n+++ b/net.c\n"
        "@@ -1,3 +1,3 @@\n int a;\n-int nope;\n+int yes;\n int c;\n"
    )
    res = run(*tree_args(loop), env=env, check=False)
    assert res.returncode == 1
    assert "patches/0001-net-bad.patch does not apply" in res.stderr
    assert "patch failed: net.c:1" in res.stderr
    # Fixing the patch and re-running recovers without --force.
    (patches / "0001-net-bad.patch").write_text(
        (patches / "0001-net-bad.patch").read_text().replace("-int nope;", "-int b;")
    )
    run(*tree_args(loop), env=env)
    assert (loop["tree"] / "net.c").read_text() == "int a;\nint yes;\nint c;\n"


def test_help_for_every_script() -> None:
    for name in ["kernel-tree", "kernel-build", "vm-run", "series-export", "series-check",
                 "series-build", "clean-root-check", "install-deps", "test-all",
                 "bench-series-build", "bench-startup", "xdptool-help-cache",
                 "base-fetch", "series-rebase", "series-version", "kasan-run"]:
        res = subprocess.run([SCRIPTS / name, "--help"], text=True, capture_output=True)
        assert res.returncode == 0, name
        assert res.stdout.startswith(f"Usage: {name} "), name


@pytest.mark.parametrize(("args", "error"), [
    (["--icount", "x"], "vm-run: error: --icount needs a number, not 'x'"),
    (["--icount", "0", "--kvm"], "vm-run: error: --icount needs TCG, not --kvm"),
    (["--config", "/nonexistent"], "kernel-build: error: no such fragment: /nonexistent"),
    (["--cpu", "2"], "vm-run: error: unknown option: --cpu (the guest's command goes after --)"),
    (["--timeout"], "vm-run: error: --timeout needs a value"),
])
def test_bad_options_are_one_line_errors(args: list[str], error: str) -> None:
    script, rest = ("kernel-build", []) if args[0] == "--config" else ("vm-run", ["--", "true"])
    if args == ["--timeout"]:
        rest = []
    res = subprocess.run([SCRIPTS / script, *args, *rest], text=True, capture_output=True)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1] == error


# Stands in for scripts/kernel-build in a tiny tree: "builds" net.c, which
# fails on a line "error", warns on a line "warn", and counts its runs.
FAKE_BUILD = """#!/bin/sh
tree=$2
echo run >>"$XDPTOOL_TEST_BUILDS"
if grep -qx error "$tree/net.c"; then echo "net.c:1: error: broken" >&2; exit 1; fi
# A header's warning, once per object that includes it: a long log.
if grep -qx warn "$tree/net.c"; then
  for i in $(seq 5000); do echo "net.c:2: warning: odd (object $i)"; done >&2
fi
exit 0
"""


def commit_lines(tree: Path, lines: list[str]) -> None:
    for line in lines:
        (tree / "net.c").write_text((tree / "net.c").read_text() + line + "\n")
        git(tree, "commit", "-q", "-am", f"net: add {line}")


def series_build(loop: dict, *args: str) -> subprocess.CompletedProcess[str]:
    fake = loop["tree"].parent / "fake-build"
    fake.write_text(FAKE_BUILD)
    fake.chmod(0o755)
    env = dict(loop["env"], XDPTOOL_KERNEL_BUILD=str(fake),
               XDPTOOL_TEST_BUILDS=str(loop["tree"].parent / "builds"))
    return run(SCRIPTS / "series-build", "-j", "1", *args, env=env, check=False)


def builds(loop: dict) -> int:
    counter = loop["tree"].parent / "builds"
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_series_build_remembers_verified_commits(loop: dict) -> None:
    tree = loop["tree"]
    run(*tree_args(loop), env=loop["env"])
    commit_lines(tree, ["int d;", "int e;"])
    res = series_build(loop)
    assert res.returncode == 0, res.stderr
    assert "building 2 of 2 commits" in res.stderr
    assert [re.sub(r"^ok   [0-9a-f]+ (.*) \(\d+s\)$", r"\1", line)
            for line in res.stdout.splitlines()] == ["net: add int d;", "net: add int e;"]
    assert builds(loop) == 2
    # The main tree stays on the series branch, at its head.
    assert git(tree, "symbolic-ref", "--short", "HEAD").strip() == "xdptool"

    # Unchanged series: nothing is built again.
    res = series_build(loop)
    assert res.returncode == 0
    assert "all 2 commits already verified" in res.stderr
    assert builds(loop) == 2
    # A new patch on top: only it is built.
    commit_lines(tree, ["int f;"])
    listing = series_build(loop, "--list").stdout.splitlines()
    assert [line[:9].strip() for line in listing] == ["verified", "verified", "to build"]
    assert "building 1 of 3 commits" in series_build(loop).stderr
    assert builds(loop) == 3
    # --force builds them all.
    assert series_build(loop, "--force").returncode == 0
    assert builds(loop) == 6

    # Squashing the first two patches: same source as the old second
    # commit, but it changes more files: built again.
    git(tree, "reset", "-q", "--soft", "HEAD~3")
    git(tree, "commit", "-q", "-m", "net: squashed")
    assert "building 1 of 1 commits" in series_build(loop).stderr
    assert builds(loop) == 7
    # Not a worktree: refused, not removed.
    (loop["tree"].parent / "data").mkdir()
    res = series_build(loop, "--force", "--worktree", str(loop["tree"].parent / "data"))
    assert res.returncode == 1
    assert "exists and is not a git worktree" in res.stderr
    assert (loop["tree"].parent / "data").is_dir()
    res = series_build(loop, "--force", "--worktree", str(tree / "sub"))
    assert res.stderr.strip() == \
        "series-build: error: --worktree must be outside the kernel tree: its checkouts are forced"

    # The kernel tree made again: the old worktree is replaced, not trusted.
    shutil.rmtree(tree)
    run(*tree_args(loop), env=loop["env"])
    commit_lines(tree, ["int g;"])
    res = series_build(loop)
    assert res.returncode == 0, res.stderr
    assert "tree-series-build is not a worktree of" in res.stderr
    assert builds(loop) == 8


def test_series_build_names_the_broken_and_the_warning_patch(loop: dict) -> None:
    tree = loop["tree"]
    run(*tree_args(loop), env=loop["env"])
    # The second patch fixes the build, the third the warning the second
    # added: the head builds cleanly, only per-patch builds find them.
    commit_lines(tree, ["error"])
    for text, subject in [("warn\n", "net: warn"), ("int a;\n", "net: fix")]:
        (tree / "net.c").write_text(text)
        git(tree, "commit", "-q", "-am", subject)
    res = series_build(loop)
    assert res.returncode == 1
    fails = [line for line in res.stdout.splitlines() if line.startswith("FAIL")]
    assert fails[0].startswith("FAIL does not build: ") and fails[0].endswith(" net: add error")
    assert fails[1].startswith("FAIL new warning in net.c: ") and fails[1].endswith(" net: warn")
    assert len(fails) == 2
    assert "net.c:1: error: broken" in res.stderr
    assert "net.c:2: warning: odd (object 5000)" in res.stderr
    assert res.stderr.strip().splitlines()[-1] == \
        "series-build: error: some commits of the series do not build cleanly (see FAIL above)"
    # Only the good commit is remembered.
    assert [line[:9].strip() for line in series_build(loop, "--list").stdout.splitlines()] == \
        ["to build", "to build", "verified"]
