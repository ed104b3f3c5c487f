"""scripts/series-rebase on tiny git "kernels": one conflict of each kind.

The old base and the new one differ the way kernels do between releases:
upstream appended an enum constant, a spec operation, a documentation table
row, a word to a Makefile list, regenerated a file from its spec, and
changed a line the series also changes. The series (two commits, exported
from the old base's tree like a maintainer would) must arrive on the new
base with the mechanical conflicts resolved by the tool, and stop on the
one that is not, with the hunk shown; --continue finishes after a person
resolved it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

REGEN = """#!/bin/sh
# Stand-in for the kernel's ynl-regen.sh: gen.h lists the spec's operations.
set -e
{
  echo "/* Do not edit directly, auto-generated from: spec.yaml */"
  sed -n '/^mcast-groups:/q; s/^ *- name: *//p' Documentation/netlink/specs/fam.yaml |
    while read -r op; do echo "#define OP_$op"; done
} > include/uapi/gen.h
"""

FILES = {
    "include/uapi/msg.h": "enum msg {\n\tMSG_A,\n\tMSG_B,\n\n\t__MSG_CNT\n};\n",
    "Documentation/netlink/specs/fam.yaml": "operations:\n  list:\n    - name: get\n",
    "Documentation/msgs.rst": "Messages\n\n  ``MSG_A``  a\n  ``MSG_B``  b\n\nEnd.\n",
    "net/Makefile": "obj-y := a.o b.o\n",
    "net/core.c": "int core(void)\n{\n\treturn 1;\n}\n",
    "net/ops.c": "static const struct op ops[] = {\n\t{\n\t\t.cmd\t= MSG_A,\n\t},\n};\n",
    "net/ops.h": "extern const struct op_req a_ops;\n\nvoid ops_init(void);\n",
    "tools/net/ynl/ynl-regen.sh": REGEN,
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        text=True,
        capture_output=True,
        check=True,
    ).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if name.endswith(".sh"):
            path.chmod(0o755)
    subprocess.run(["sh", str(root / "tools/net/ynl/ynl-regen.sh")], cwd=root, check=True)


def upstream(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    write(path, files)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "release")
    return path


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], env=env, text=True, capture_output=True, check=False
    )


@pytest.fixture
def setup(tmp_path: Path) -> dict:
    old = upstream(tmp_path / "old", FILES)
    new_files = dict(FILES)
    new_files["include/uapi/msg.h"] = FILES["include/uapi/msg.h"].replace(
        "\tMSG_B,\n", "\tMSG_B,\n\tMSG_C,\n"
    )
    # Upstream appended an operation and a section after the list.
    new_files["Documentation/netlink/specs/fam.yaml"] = (
        FILES["Documentation/netlink/specs/fam.yaml"]
        + "    - name: set\n\nmcast-groups:\n  list:\n    - name: monitor\n"
    )
    # A table row, and a section whose heading underline is longer than
    # git's conflict markers.
    new_files["Documentation/msgs.rst"] = (
        FILES["Documentation/msgs.rst"].replace(
            "  ``MSG_B``  b\n", "  ``MSG_B``  b\n  ``MSG_C``  c\n"
        )
        + "\nTSCONFIG_GET\n============\n\nUpstream.\n"
    )
    new_files["net/Makefile"] = "obj-y := a.o b.o c.o\n"
    new_files["net/core.c"] = "int core(void)\n{\n\treturn 2;\n}\n"
    new_files["net/ops.c"] = FILES["net/ops.c"].replace(
        "\t},\n};", "\t},\n\t{\n\t\t.cmd\t= MSG_C,\n\t\t.flags\t= ADMIN,\n\t},\n};"
    )
    new_files["net/ops.h"] = FILES["net/ops.h"].replace(
        "a_ops;\n", "a_ops;\nextern const struct op_req c_ops;\n"
    )
    new = upstream(tmp_path / "new", new_files)

    series = tmp_path / "patches"
    (series / "backport-old").mkdir(parents=True)
    (series / "BASE").write_text(f"name=new\ngit={new}\n")
    (series / "backport-old" / "BASE").write_text(f"name=old\ngit={old}\n")
    env = dict(
        os.environ,
        XDPTOOL_PATCHES=str(series),
        XDPTOOL_CACHE=str(tmp_path / "cache"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t",
    )
    env.pop("XDPTOOL_KTREE", None)
    env.pop("XDPTOOL_SERIES_ROOT", None)
    res = run(env, SCRIPTS / "kernel-tree", "--base", "old")
    assert res.returncode == 0, res.stderr
    tree = tmp_path / "cache" / "linux-old"
    # The series, made in the old base's tree.
    msg = tree / "include/uapi/msg.h"
    msg.write_text(msg.read_text().replace("\tMSG_B,\n", "\tMSG_B,\n\tMSG_XDP_GET = 200,\n"))
    spec = tree / "Documentation/netlink/specs/fam.yaml"
    spec.write_text(spec.read_text() + "    - name: xdp-get\n")
    rst = tree / "Documentation/msgs.rst"
    row = "  ``MSG_B``  b\n"
    # A section whose underline is exactly a git conflict separator.
    rst.write_text(
        rst.read_text().replace(row, row + "  ``MSG_XDP_GET``  x\n")
        + "\nXDP_GET\n=======\n\nSeries.\n"
    )
    (tree / "net/Makefile").write_text("obj-y := a.o b.o xdp.o\n")
    ops = tree / "net/ops.c"
    ops.write_text(
        ops.read_text().replace(
            "\t},\n};", "\t},\n\t{\n\t\t/* why */\n\t\t.cmd\t= MSG_XDP_GET,\n\t},\n};"
        )
    )
    ops_h = tree / "net/ops.h"
    xdp_ops = "extern const struct op_req xdp_ops;\n"
    ops_h.write_text(ops_h.read_text().replace("a_ops;\n", "a_ops;\n" + xdp_ops))
    subprocess.run(["sh", "tools/net/ynl/ynl-regen.sh"], cwd=tree, check=True)
    git(tree, "commit", "-q", "-a", "-m", "net: add XDP_GET")
    core = tree / "net/core.c"
    core.write_text(core.read_text().replace("return 1;", "return 1 + xdp();"))
    git(tree, "commit", "-q", "-a", "-m", "net: call xdp() from core()")
    git(tree, "config", "branch.xdptool.description", "net: XDP\n\nThe cover letter.")
    res = run(env, SCRIPTS / "series-export", "--base", "old")
    assert res.returncode == 0, res.stderr
    assert len(list((series / "backport-old").glob("000[12]-*.patch"))) == 2
    return {"env": env, "series": series, "new_tree": tmp_path / "cache" / "linux"}


def test_mechanical_conflicts_resolved_the_rest_stops_then_continues(setup: dict) -> None:
    env, series, tree = setup["env"], setup["series"], setup["new_tree"]
    res = run(env, SCRIPTS / "series-rebase", "--onto", "new", "--from", "old", "--no-check")
    assert res.returncode == 1, res.stderr
    err = res.stderr
    # The first commit: every conflict was mechanical, and each is named.
    assert "include/uapi/msg.h: both sides added list entries" in err
    assert "Documentation/netlink/specs/fam.yaml: both sides added list entries" in err
    assert "Documentation/msgs.rst: both sides added list entries" in err
    assert "net/Makefile: both sides changed a Makefile list" in err
    assert "include/uapi/gen.h: generated from a YNL spec" in err
    assert "net/ops.c: both sides added list entries" in err
    assert "net/ops.h: both sides added list entries" in err
    assert "regenerated the YNL-generated files" in err
    # The second stops, with the hunk.
    assert "stopped: a conflict that is not mechanical" in err
    assert "\treturn 2;\n||||||| old base\n\treturn 1;\n=======\n\treturn 1 + xdp();\n" in err
    assert "scripts/series-rebase --continue" in err

    first = git(tree, "show", "HEAD:include/uapi/msg.h")
    # Upstream's constants first: the series' explicit numbers renumber nothing.
    assert first == FILES["include/uapi/msg.h"].replace(
        "\tMSG_B,\n", "\tMSG_B,\n\tMSG_C,\n\tMSG_XDP_GET = 200,\n"
    )
    assert git(tree, "show", "HEAD:net/Makefile") == "obj-y := a.o b.o c.o xdp.o\n"
    assert git(tree, "show", "HEAD:net/ops.c") == (
        "static const struct op ops[] = {\n\t{\n\t\t.cmd\t= MSG_A,\n\t},\n"
        "\t{\n\t\t.cmd\t= MSG_C,\n\t\t.flags\t= ADMIN,\n\t},\n"
        "\t{\n\t\t/* why */\n\t\t.cmd\t= MSG_XDP_GET,\n\t},\n};\n"
    )
    assert git(tree, "show", "HEAD:net/ops.h") == (
        "extern const struct op_req a_ops;\nextern const struct op_req c_ops;\n"
        "extern const struct op_req xdp_ops;\n\nvoid ops_init(void);\n"
    )
    assert git(tree, "show", "HEAD:include/uapi/gen.h").splitlines()[1:] == [
        "#define OP_get",
        "#define OP_set",
        "#define OP_xdp-get",
    ]
    # The series' operation stays in the operations list.
    assert git(tree, "show", "HEAD:Documentation/netlink/specs/fam.yaml") == (
        "operations:\n  list:\n    - name: get\n    - name: set\n    - name: xdp-get\n"
        "\nmcast-groups:\n  list:\n    - name: monitor\n"
    )
    rst = git(tree, "show", "HEAD:Documentation/msgs.rst")
    assert "``MSG_C``  c\n  ``MSG_XDP_GET``  x\n" in rst
    assert rst.endswith(
        "End.\n\nTSCONFIG_GET\n============\n\nUpstream.\n\nXDP_GET\n=======\n\nSeries.\n"
    )

    # --continue before the file is resolved stops again, with the hunk.
    res = run(env, SCRIPTS / "series-rebase", "--continue", "--no-check")
    assert res.returncode == 1
    assert "\treturn 2;\n||||||| old base\n\treturn 1;\n" in res.stderr

    (tree / "net/core.c").write_text("int core(void)\n{\n\treturn 2 + xdp();\n}\n")
    git(tree, "add", "net/core.c")
    res = run(env, SCRIPTS / "series-rebase", "--continue", "--no-check")
    assert res.returncode == 0, res.stderr
    # range-diff of old against new, then the export into the new base's directory.
    assert "net: call xdp() from core()" in res.stdout + res.stderr
    patches = sorted(p.name for p in series.glob("*.patch"))
    assert patches == [
        "0000-cover-letter.patch",
        "0001-net-add-XDP_GET.patch",
        "0002-net-call-xdp-from-core.patch",
    ]
    assert "+\treturn 2 + xdp();" in (series / "0002-net-call-xdp-from-core.patch").read_text()
    assert git(tree, "log", "--format=%s", "xdptool/base..xdptool").splitlines() == [
        "net: call xdp() from core()",
        "net: add XDP_GET",
    ]
    # The old base's series is untouched.
    assert len(list((series / "backport-old").glob("000[12]-*.patch"))) == 2


def test_rerere_replays_a_resolution(setup: dict) -> None:
    """The second rebase of the same series onto the same base needs no
    person: git rerere recorded the first resolution."""
    env, tree = setup["env"], setup["new_tree"]
    run(env, SCRIPTS / "series-rebase", "--onto", "new", "--from", "old", "--no-check")
    (tree / "net/core.c").write_text("int core(void)\n{\n\treturn 2 + xdp();\n}\n")
    git(tree, "add", "net/core.c")
    assert run(env, SCRIPTS / "series-rebase", "--continue", "--no-check").returncode == 0
    res = run(env, SCRIPTS / "series-rebase", "--onto", "new", "--from", "old", "--no-check")
    assert res.returncode == 0, res.stderr
    assert git(tree, "show", "HEAD:net/core.c") == "int core(void)\n{\n\treturn 2 + xdp();\n}\n"


def test_abort_and_unknown_base(setup: dict) -> None:
    env, tree = setup["env"], setup["new_tree"]
    assert (
        run(
            env, SCRIPTS / "series-rebase", "--onto", "new", "--from", "old", "--no-check"
        ).returncode
        == 1
    )
    res = run(env, SCRIPTS / "series-rebase", "--onto", "new", "--from", "old")
    assert res.returncode == 1
    assert "a rebase is in progress" in res.stderr
    res = run(env, SCRIPTS / "series-rebase", "--abort")
    assert res.returncode == 0, res.stderr
    assert git(tree, "rev-parse", "HEAD") == git(tree, "rev-parse", "xdptool/base")
    res = run(env, SCRIPTS / "series-rebase", "--onto", "7.9")
    assert res.returncode == 1
    assert res.stderr.strip().endswith("unknown base '7.9'; the bases are: new old")


def test_version_bump_opens_a_changelog_and_prefixes_subjects(setup: dict) -> None:
    env, series = setup["env"], setup["series"] / "backport-old"
    tree = Path(env["XDPTOOL_CACHE"]) / "linux-old"
    (series / "SERIES").write_text("version=1\nsubject-prefix=PATCH net-next\n")
    assert run(env, SCRIPTS / "series-export", "--base", "old").returncode == 0
    cover = series / "0000-cover-letter.patch"
    assert "Subject: [PATCH net-next 0/2] net: XDP\n" in cover.read_text()
    res = run(env, SCRIPTS / "series-version", "--base", "old")
    assert res.stdout == "v1: [PATCH net-next 0/N]\n"

    res = run(env, SCRIPTS / "series-version", "--base", "old", "--bump")
    assert res.returncode == 0, res.stderr
    assert (series / "SERIES").read_text() == "version=2\nsubject-prefix=PATCH net-next\n"
    assert git(tree, "rev-parse", "xdptool/v1") == git(tree, "rev-parse", "xdptool")
    assert git(tree, "config", "branch.xdptool.description") == (
        "net: XDP\n\nThe cover letter.\n\n"
        "Changes in v2 (git range-diff against xdptool/v1):\n"
        " - EDITME: what changed, and why\n"
    )
    assert run(env, SCRIPTS / "series-export", "--base", "old").returncode == 0
    text = cover.read_text()
    assert "Subject: [PATCH net-next v2 0/2] net: XDP\n" in text
    assert "Changes in v2 (git range-diff against xdptool/v1):\n" in text
    first = next(series.glob("0001-*.patch")).read_text()
    assert "Subject: [PATCH net-next v2 1/2] net: add XDP_GET\n" in first
