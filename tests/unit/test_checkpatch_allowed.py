"""scripts/checkpatch-allowed: only the listed checkpatch false positives pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts/checkpatch-allowed"

EXPORT = """\
WARNING:EXPORT_SYMBOL: EXPORT_SYMBOL(foo); should immediately follow its function/variable
#519: FILE: net/core/xdp.c:925:
+EXPORT_SYMBOL_GPL(xdp_stats_key);

"""
REPEATED = """\
WARNING:REPEATED_WORD: Possible repeated word: 'on'
#364: FILE: tools/testing/selftests/drivers/net/xdp_stats.py:238:
+    the redirect helper (the target advertises ndo_xdp_xmit: GRO is on on

"""
TOTAL = "total: 0 errors, 1 warnings, 0 checks, 637 lines checked\n"


def run(text: str, allow: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), str(allow)], input=text, capture_output=True,
                          text=True, check=False)


def allow_file(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "allow"
    path.write_text("# comment\n\n" + "".join(e + "\n" for e in entries))
    return path


def test_listed_false_positive_passes(tmp_path: Path) -> None:
    allow = allow_file(tmp_path, "EXPORT_SYMBOL\tnet/core/xdp.c\t"
                                 "EXPORT_SYMBOL_GPL(xdp_stats_key);\tcheckpatch's pattern")
    res = run(EXPORT + TOTAL, allow)
    assert res.returncode == 0, res.stdout
    assert res.stdout == (f"allowed ({allow}): WARNING:EXPORT_SYMBOL: EXPORT_SYMBOL(foo); "
                          "should immediately follow its function/variable\n")


def test_indented_line_matches_squeezed_entry(tmp_path: Path) -> None:
    """The list cannot hold tabs (its separator): indentation is dropped and
    inner whitespace runs are one space, on both sides."""
    finding = ("WARNING:LONG_LINE_STRING: line length of 120 exceeds 100 columns\n"
               "#9: FILE: net/core/dev.c:10:\n"
               "+\t\tNL_SET_ERR_MSG(extack,\t\"a  long message\");\n\n")
    allow = allow_file(tmp_path, "LONG_LINE_STRING\tnet/core/dev.c\t"
                                 'NL_SET_ERR_MSG(extack, "a long message");\tnot split')
    assert run(finding + TOTAL, allow).returncode == 0
    # the words must still be the same
    assert run(finding.replace("long", "longer") + TOTAL, allow).returncode == 1


def test_anything_else_fails_and_is_shown(tmp_path: Path) -> None:
    allow = allow_file(tmp_path, "EXPORT_SYMBOL\tnet/core/xdp.c\t"
                                 "EXPORT_SYMBOL_GPL(xdp_stats_key);\tcheckpatch's pattern")
    res = run(EXPORT + REPEATED + TOTAL, allow)
    assert res.returncode == 1
    assert "REPEATED_WORD" in res.stdout and "GRO is on on" in res.stdout
    # Same type and file, another line: not allowed.
    res = run(EXPORT.replace("xdp_stats_key", "other_key") + TOTAL, allow)
    assert res.returncode == 1
    assert "other_key" in res.stdout


NEW_FILE = ("WARNING:FILE_PATH_CHANGES: added, moved or deleted file(s), does MAINTAINERS "
            "need updating?\n#4: \nnew file mode 100755\n\n")
PATCH = """\
Subject: [PATCH] a patch

diff --git a/tools/x/a.py b/tools/x/a.py
new file mode 100755
index 0000000..1111111
"""


def test_finding_without_a_file_is_tied_to_the_patch(tmp_path: Path) -> None:
    """FILE_PATH_CHANGES names no file: with the patch, the diff its line is in."""
    allow = allow_file(tmp_path, "FILE_PATH_CHANGES\ttools/x/a.py\tnew file mode 100755\t"
                                 "MAINTAINERS has a pattern for it")
    patch = tmp_path / "p.patch"
    patch.write_text(PATCH)
    res = subprocess.run([str(SCRIPT), str(allow), str(patch)], input=NEW_FILE + TOTAL,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout
    # without the patch, or for another file, it is not allowed
    assert run(NEW_FILE + TOTAL, allow).returncode == 1
    patch.write_text(PATCH.replace("tools/x/a.py", "tools/x/b.py"))
    res = subprocess.run([str(SCRIPT), str(allow), str(patch)], input=NEW_FILE + TOTAL,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 1 and "FILE_PATH_CHANGES" in res.stdout


def test_clean_output_passes(tmp_path: Path) -> None:
    res = run("", allow_file(tmp_path))
    assert (res.returncode, res.stdout) == (0, "")


def test_malformed_allow_file_is_an_error(tmp_path: Path) -> None:
    res = run(EXPORT, allow_file(tmp_path, "EXPORT_SYMBOL net/core/xdp.c no tabs"))
    assert res.returncode == 1
    assert "want TYPE<TAB>FILE<TAB>CODE<TAB>REASON" in res.stderr


def test_the_series_list_names_real_lines() -> None:
    """Every entry of patches/checkpatch-allow is a line the series adds."""
    entries = [line.split("\t") for line in
               (REPO / "patches/checkpatch-allow").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert entries
    series = "".join(p.read_text() for p in sorted((REPO / "patches").glob("0*.patch")))
    for kind, path, code, reason in entries:
        assert f"+++ b/{path}\n" in series, path
        if kind == "FILE_PATH_CHANGES":  # a diff header line, not added code
            assert f"diff --git a/{path} b/{path}\n{code}\n" in series, code
        else:  # the list drops indentation and squeezes whitespace
            added = {" ".join(line[1:].split()) for line in series.splitlines()
                     if line.startswith("+") and not line.startswith("+++")}
            assert code in added, code
        assert kind.isupper() and reason
