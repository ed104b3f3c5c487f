# SPDX-License-Identifier: GPL-2.0
"""The engine of scripts/series-rebase: pick the series onto a new base,
resolving what is mechanical.

Each commit is cherry-picked with a 3-way merge (diff3 markers) and git
rerere (a resolution made once is replayed on the next rebase). In each
conflicted file, a hunk is resolved here when it is mechanical:

- both sides inserted lines at the same place (nothing of the base in
  between) and the lines are list entries: enum constants or array
  initialisers in C, list items and keys in a YAML spec, table rows or
  paragraphs in reStructuredText, words of a Makefile list. The result
  is the new base's lines, then the series' lines: the series keeps its
  entries last (its UAPI numbers are explicit and private, so the order
  changes no value);
- a Makefile list line both sides extended: the new base's line plus the
  words the series added;
- a file generated from a YNL spec ("Do not edit directly,
  auto-generated"): the new base's version is taken, and once the commit
  is picked tools/net/ynl/ynl-regen.sh -f regenerates every generated file
  from the merged specs (for every commit that touches a spec, conflict
  or not) and the commit is amended with the result.

Anything else stops with the hunk shown; after resolving by hand and
`git add`, `series-rebase --continue` resumes. State lives in the work
tree's .git (xdptool-rebase.json next to git's own sequencer state).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENERATED_MARK = re.compile(r"Do not edit directly, auto-generated from", re.I)
SPEC_DIR = "Documentation/netlink/specs/"
REGEN = "tools/net/ynl/ynl-regen.sh"

# One line of a list in C: an enum constant, an array or struct initialiser
# (also one spread over lines: braces, designated fields), a declaration,
# a comment.
C_LIST_LINE = re.compile(
    r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*(?:=\s*[^;{}]+)?,"
    r"|\[[^\]]+\]\s*=\s*[^;]+,"
    r"|\.[A-Za-z_][A-Za-z0-9_]*\s*=\s*[^;]+,?"
    r"|\{[^;]*\}?,?|\},?"
    r"|extern\s[^{}]*;"
    r"|/\*.*\*/|/\*.*|\*.*|)\s*(?:/\*.*\*/)?\s*$"
)
MAKE_LIST = re.compile(r"^\s*[A-Za-z0-9_.$()-]+\s*[:+]?=\s*|^\s*(?=[A-Za-z0-9_./-]+\.o\b)")


class Stop(Exception):
    """A conflict that needs a person."""


@dataclass
class Hunk:
    ours: list[str]
    base: list[str]
    theirs: list[str]


Piece = str | Hunk


# Conflict markers longer than git's 7: documentation has lines of seven
# "=" (a heading underline) that would read as a separator.
MARKER_SIZE = 32
OURS, BASE, SEP, THEIRS = (
    "<" * MARKER_SIZE + " ",
    "|" * MARKER_SIZE + " ",
    "=" * MARKER_SIZE,
    ">" * MARKER_SIZE + " ",
)


def parse_conflicts(text: str) -> list[Piece]:
    """Lines and diff3 conflict hunks of a file, in order."""
    out: list[Piece] = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        if not lines[i].startswith(OURS):
            out.append(lines[i])
            i += 1
            continue
        parts: list[list[str]] = [[], [], []]
        part = 0
        i += 1
        while i < len(lines) and not lines[i].startswith(THEIRS):
            if lines[i].startswith(BASE) and part == 0:
                part = 1
            elif lines[i].rstrip("\n") == SEP and part in (0, 1):
                part = 2
            else:
                parts[part].append(lines[i])
            i += 1
        if i == len(lines):
            raise Stop("unterminated conflict marker")
        i += 1
        out.append(Hunk(*parts))
    return out


def file_kind(path: str) -> str:
    name = os.path.basename(path)
    if name in ("Makefile", "Kbuild") or name.startswith("Makefile."):
        return "make"
    if name == "config" and "/selftests/" in path:
        return "kconfig"
    return os.path.splitext(name)[1].lstrip(".")


def is_list_insertion(kind: str, lines: list[str]) -> bool:
    """Whether inserted lines are entries of a list (mergeable by union)."""
    if not lines:
        return True
    if kind in ("c", "h"):
        return all(C_LIST_LINE.match(line) for line in lines)
    if kind in ("yaml", "yml", "rst", "txt", "kconfig"):
        return True
    if kind == "make":
        return all(MAKE_LIST.match(line) or line.strip() == "" for line in lines)
    return False


def make_words(lines: list[str]) -> list[str]:
    words: list[str] = []
    for line in lines:
        line = MAKE_LIST.sub("", line.rstrip("\n").rstrip("\\"), count=1)
        words += line.split()
    return words


def resolve_make_list(h: Hunk) -> list[str] | None:
    """Both sides changed the same Makefile list, the series only adding
    words: the new base's lines (with whatever it added, moved or removed)
    plus the words the series added, at the end of its last line."""
    base, ours, theirs = make_words(h.base), make_words(h.ours), make_words(h.theirs)
    if not h.base or [w for w in theirs if w in base] != base:
        return None
    added = [w for w in theirs if w not in base and w not in ours]
    if not h.ours:
        return None
    if not added:
        return list(h.ours)
    last = h.ours[-1].rstrip("\n")
    cont = last.endswith("\\")
    last = last.rstrip("\\").rstrip()
    return [*h.ours[:-1], f"{last} {' '.join(added)}" + (" \\" if cont else "") + "\n"]


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def yaml_union(h: Hunk) -> list[str]:
    """The series' entries go into the list they were added to: after the
    new base's lines that are still in it (indented at least as deep as
    the series' first line), before any later section the new base added
    (e.g. a list that ended the file, now followed by another key)."""
    first = next((line for line in h.theirs if line.strip()), None)
    if first is None:
        return h.ours + h.theirs
    depth = indent(first)
    cut = len(h.ours)
    for i, line in enumerate(h.ours):
        if line.strip() and indent(line) < depth and not line.lstrip().startswith("-"):
            cut = i
            # Keep the blank lines that separate the sections after the entries.
            while cut > 0 and not h.ours[cut - 1].strip():
                cut -= 1
            break
    return [*h.ours[:cut], *h.theirs, *h.ours[cut:]]


def resolve_hunk(path: str, h: Hunk) -> tuple[list[str], str] | None:
    kind = file_kind(path)
    if not h.base and is_list_insertion(kind, h.ours) and is_list_insertion(kind, h.theirs):
        if kind in ("yaml", "yml"):
            return yaml_union(h), "both sides added list entries: the base's, then the series'"
        return h.ours + h.theirs, "both sides added list entries: the base's, then the series'"
    if kind == "make":
        merged = resolve_make_list(h)
        if merged is not None:
            return merged, "both sides changed a Makefile list: the series' words appended"
    return None


def show_hunk(path: str, h: Hunk) -> str:
    return "".join(
        [
            f"<<<<<<< new base ({path})\n",
            *h.ours,
            "||||||| old base\n",
            *h.base,
            "=======\n",
            *h.theirs,
            ">>>>>>> series\n",
        ]
    )


class Tree:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.git_dir = Path(self.git("rev-parse", "--absolute-git-dir").strip())
        self.state_file = self.git_dir / "xdptool-rebase.json"
        # The tree is the scripts' own: its conflicts get long markers.
        attributes = self.git_dir / "info" / "attributes"
        line = f"* conflict-marker-size={MARKER_SIZE}\n"
        have = attributes.read_text() if attributes.exists() else ""
        if line not in have:
            attributes.parent.mkdir(exist_ok=True)
            attributes.write_text(have + line)

    def git(self, *args: str, check: bool = True) -> str:
        res = self.run(*args)
        if check and res.returncode:
            raise subprocess.CalledProcessError(res.returncode, args, res.stdout, res.stderr)
        return res.stdout

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "git",
                "-C",
                str(self.path),
                "-c",
                "merge.conflictStyle=diff3",
                "-c",
                "rerere.enabled=true",
                "-c",
                "rerere.autoUpdate=true",
                "-c",
                "core.editor=true",
                *args,
            ],
            text=True,
            capture_output=True,
            check=False,
        )

    def unmerged(self) -> list[str]:
        out = self.git("diff", "--name-only", "--diff-filter=U")
        return [p for p in out.splitlines() if p]


def log(msg: str) -> None:
    print(f"series-rebase: {msg}", file=sys.stderr)


def resolve_file(tree: Tree, path: str, regen: bool) -> list[str]:
    """Resolves path if every hunk is mechanical; returns the hunks left."""
    full = tree.path / path
    ours = tree.git("show", f":2:{path}", check=False)
    if regen and GENERATED_MARK.search(ours[:2000]):
        tree.git("checkout", "--ours", "--", path)
        tree.git("add", "--", path)
        log(f"  {path}: generated from a YNL spec: the new base's, regenerated after the pick")
        return []
    if not full.exists():
        return [f"{path}: deleted on one side, changed on the other"]
    try:
        pieces = parse_conflicts(full.read_text())
    except (Stop, UnicodeDecodeError) as e:
        return [f"{path}: {e}"]
    out: list[str] = []
    left: list[str] = []
    notes = set()
    for p in pieces:
        if isinstance(p, str):
            out.append(p)
            continue
        res = resolve_hunk(path, p)
        if res is None:
            left.append(show_hunk(path, p))
            continue
        out += res[0]
        notes.add(res[1])
    if left:
        return left
    full.write_text("".join(out))
    tree.git("add", "--", path)
    for note in sorted(notes):
        log(f"  {path}: {note}")
    return []


def touches_spec(tree: Tree, rev: str) -> bool:
    files = tree.git("diff-tree", "--no-commit-id", "--name-only", "-r", rev).splitlines()
    return any(f.startswith(SPEC_DIR) for f in files)


def regenerate(tree: Tree) -> None:
    """ynl-regen -f into HEAD: the generated files follow the merged specs."""
    if not (tree.path / REGEN).exists():
        return
    res = subprocess.run(
        [f"./{REGEN}", "-f"], cwd=tree.path, text=True, capture_output=True, check=False
    )
    # ynl-regen.sh goes on (and exits 0) when one spec fails to generate.
    if res.returncode or "Traceback" in res.stdout + res.stderr:
        raise Stop(f"\n{REGEN} -f failed:\n{res.stdout}{res.stderr}")
    if tree.git("status", "--porcelain", "--untracked-files=no").strip():
        tree.git("commit", "-q", "-a", "--amend", "--no-edit")
        log("  regenerated the YNL-generated files from the merged specs (commit amended)")


def picked(tree: Tree, state: dict[str, Any]) -> None:
    """The commit at HEAD is the next one of the series: regenerate,
    record."""
    if state["regen"] and touches_spec(tree, "HEAD"):
        regenerate(tree)
    state["todo"].pop(0)
    state["head"] = tree.git("rev-parse", "HEAD").strip()
    save(tree, state)


def pick_all(tree: Tree, state: dict[str, Any]) -> None:
    """Picks the commits one at a time: each is regenerated on its own and
    a stop names one commit."""
    while state["todo"]:
        rev = state["todo"][0]
        pick_head = tree.git_dir / "CHERRY_PICK_HEAD"
        if not pick_head.exists():
            if tree.git("rev-parse", "HEAD").strip() != state["head"]:
                # Committed by hand after a stop (git cherry-pick --continue).
                picked(tree, state)
                continue
            subject = tree.git("log", "-1", "--format=%s", rev).strip()
            log(f"picking {rev[:12]} {subject}")
            res = tree.run("cherry-pick", "--allow-empty", rev)
            if res.returncode == 0:
                picked(tree, state)
                continue
            if not pick_head.exists():
                raise Stop(f"\ngit cherry-pick {rev}:\n{res.stdout}{res.stderr}")
        files = tree.unmerged()
        if files:
            subject = tree.git("log", "-1", "--format=%s", "CHERRY_PICK_HEAD").strip()
            log(f"conflicts in '{subject}': {', '.join(files)}")
            left: list[str] = []
            for f in files:
                left += resolve_file(tree, f, state["regen"])
            if left:
                raise Stop("".join(f"\n{h}" for h in left))
        res = tree.run("cherry-pick", "--continue")
        if res.returncode:
            raise Stop(f"\ngit cherry-pick --continue:\n{res.stdout}{res.stderr}")
        picked(tree, state)


def save(tree: Tree, state: dict[str, Any]) -> None:
    tree.state_file.write_text(json.dumps(state, indent=1))


def main() -> int:
    ap = argparse.ArgumentParser(prog="series_rebase.py")
    ap.add_argument("--tree", type=Path, required=True)
    sub = ap.add_mutually_exclusive_group(required=True)
    sub.add_argument(
        "--start",
        nargs=2,
        metavar=("OLD_BASE", "OLD_TIP"),
        help="pick OLD_BASE..OLD_TIP onto the tree's HEAD",
    )
    sub.add_argument("--continue", dest="cont", action="store_true")
    ap.add_argument("--no-regen", action="store_true")
    args = ap.parse_args()
    tree = Tree(args.tree)
    if args.start:
        if tree.state_file.exists():
            log(f"a rebase is in progress in {tree.path}: --continue or --abort")
            return 2
        old_base, old_tip = args.start
        todo = tree.git("rev-list", "--reverse", f"{old_base}..{old_tip}").split()
        state = {
            "todo": todo,
            "regen": not args.no_regen,
            "head": tree.git("rev-parse", "HEAD").strip(),
        }
        save(tree, state)
    else:
        if not tree.state_file.exists():
            log(f"no rebase in progress in {tree.path}")
            return 2
        state = json.loads(tree.state_file.read_text())
    try:
        pick_all(tree, state)
    except Stop as e:
        log(f"stopped: a conflict that is not mechanical{e}")
        log(
            "resolve it in the work tree and git add the files, then run:"
            " scripts/series-rebase --continue"
        )
        return 1
    tree.state_file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
