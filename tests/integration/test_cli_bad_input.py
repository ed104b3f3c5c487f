"""The error contract of the installed command, on a real kernel: odd bytes
in interface names, empty names, closed stdout, Ctrl-C during start-up, a
stale /run/netns entry, unknown options. Each case: one line on stderr (or
nothing), the documented exit status, never a traceback.

Runs `python -m xdptool` of this checkout, as a separate process, so that
signals and closed file descriptors are real.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
ENV.pop("XDPTOOL_DEBUG", None)
XDPTOOL = [sys.executable, "-m", "xdptool"]

# Interface names as bytes: not UTF-8, a backslash, valid UTF-8 beyond ASCII.
ODD = b"odd\xff0"
BACKSLASH = b"bs\\x41"
UTF8 = "v\u00e9th0".encode()


def run(*args: str | bytes, stdin: int | None = subprocess.DEVNULL,
        **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*XDPTOOL, *args], env=ENV, cwd=REPO, capture_output=True,
                          stdin=stdin, check=False, **kwargs)  # type: ignore[call-overload]


def ip(*args: str | bytes) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def netns() -> Iterator[str]:
    """A netns with dummy devices whose names are ODD, BACKSLASH and UTF8."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace")
    name = f"xdpt-bad-{uuid.uuid4().hex[:8]}"
    ip("netns", "add", name)
    try:
        for dev in (ODD, BACKSLASH, UTF8):
            ip("-n", name, "link", "add", dev, "type", "veth", "peer", "name",
               b"p" + dev[:10])
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def assert_error(result: subprocess.CompletedProcess[bytes], status: int, line: str) -> None:
    assert result.returncode == status, result.stderr
    assert result.stderr.decode() == f"xdptool: {line}\n"
    assert result.stdout == b""


# ---------------------------------------------------------------------------
# Names are bytes


def test_odd_names_in_json(netns: str) -> None:
    result = run("-n", netns, "features", "--json")
    assert result.returncode == 0, result.stderr
    names = [dev["ifname"] for dev in json.loads(result.stdout)]
    # escaped where not printable, backslash doubled: reversible, and valid JSON text
    assert {"odd\\xff0", "bs\\\\x41", "v\u00e9th0"} <= set(names)


def test_odd_names_in_table_and_text(netns: str) -> None:
    table = run("-n", netns, "features")
    assert table.returncode == 0, table.stderr
    first_column = [line.split()[0] for line in table.stdout.decode().splitlines()[1:]]
    assert {"odd\\xff0", "bs\\\\x41", "v\u00e9th0"} <= set(first_column)
    for raw, shown in ((ODD, "odd\\xff0"), (BACKSLASH, "bs\\\\x41"), (UTF8, "v\u00e9th0")):
        text = run("-n", netns, "features", raw)  # the bytes, as a shell passes them
        assert text.returncode == 0, text.stderr
        lines = text.stdout.decode().splitlines()
        assert lines[0] == f"Features for {shown}:"
        assert "driver:                veth" in lines


def test_odd_name_in_stats_reaches_the_kernel_question(netns: str) -> None:
    # The device is found by its bytes; what fails is the host kernel, which
    # has no series (the VM suite runs stats on one that has).
    result = run("-n", netns, "stats", ODD)
    assert_error(result, 1, "this kernel has no XDP action statistics (ETHTOOL_MSG_XDP_*): "
                 "boot a kernel with the xdptool series (patches/) applied")


def test_unknown_odd_name_is_escaped_in_the_error(netns: str) -> None:
    assert_error(run("-n", netns, "features", b"nosuch\xff\n"), 1,
                 'no such device: "nosuch\\xff\\x0a"')


@pytest.mark.parametrize("argv", [("features", ""), ("stats", ""), ("stats", "enable", "")])
def test_empty_name(argv: tuple[str, ...]) -> None:
    assert_error(run(*argv), 1, 'no such device: ""')


def test_netns_name_too_long() -> None:
    name = "n" * 300
    assert_error(run("-n", name, "features"), 1,
                 f'cannot open network namespace "{name}": File name too long')


def test_empty_and_odd_netns_names() -> None:
    assert_error(run("-n", "", "features"), 1, 'invalid network namespace name: ""')
    assert_error(run("-n", b"nosuch\xff", "features"), 1,
                 'no such network namespace: "nosuch\\xff" (see `ip netns list`)')


# ---------------------------------------------------------------------------
# Output that cannot be written


@pytest.mark.parametrize("argv", [("features", "--json"), ("features",), ("--help",),
                                  ("features", "--help")])
def test_closed_stdout_exits_1_quietly(argv: tuple[str, ...]) -> None:
    result = subprocess.run([*XDPTOOL, *argv], env=ENV, cwd=REPO, stdout=None,
                            stderr=subprocess.PIPE, check=False,
                            preexec_fn=lambda: os.close(1))
    assert (result.returncode, result.stderr) == (1, b"")


@pytest.mark.parametrize("argv", [("features", "--json"), ("--help",), ("-V",)])
@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_full_disk_is_one_line(argv: tuple[str, ...], unbuffered: str) -> None:
    env = {k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:  # the error at the write, else at the flush when exiting
        env["PYTHONUNBUFFERED"] = unbuffered
    with open("/dev/full", "wb") as full:
        result = subprocess.run([*XDPTOOL, *argv], env=env, cwd=REPO, stdout=full,
                                stderr=subprocess.PIPE, check=False)
    assert (result.returncode, result.stderr) == (
        1, b"xdptool: cannot write output: No space left on device\n")


def test_usage_error_with_stderr_closed_still_exits_2() -> None:
    result = subprocess.run([*XDPTOOL, "nosuchcommand"], env=ENV, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=None, check=False,
                            preexec_fn=lambda: os.close(2))
    assert (result.returncode, result.stdout) == (2, b"")


@pytest.mark.parametrize("argv", [("features", "--json"), ("features",), ("--help",)])
@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_reader_gone_exits_quietly(argv: tuple[str, ...], unbuffered: str) -> None:
    # `xdptool features --json | head -c1`: the reader is gone before the
    # output is written (unbuffered) or flushed at exit (buffered, the default)
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    result = subprocess.run([*XDPTOOL, *argv], env=env, cwd=REPO,
                            stdout=write, stderr=subprocess.PIPE, check=False)
    os.close(write)
    assert (result.returncode, result.stderr) == (1, b"")


# ---------------------------------------------------------------------------
# Ctrl-C


# Runs xdptool's entry point with SIGINT delivered DELAY seconds after the
# first line of xdptool runs (a timer, so the moment is exact, not a race with
# process start-up). Before that line, the interpreter itself is starting
# (site, the console script's own imports; ~10 ms): a Ctrl-C there is
# Python's to report, documented in docs/cli.md.
LAUNCH = ("import os, signal, sys\n"
          "from xdptool.entry import main\n"
          "signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))\n"
          "delay = float(sys.argv.pop(1))\n"
          "sys.argv[0] = 'xdptool'\n"
          "try:\n"
          "    signal.setitimer(signal.ITIMER_REAL, delay); main()\n"
          "finally:\n"
          "    signal.setitimer(signal.ITIMER_REAL, 0)\n")


def sigint_as_at_a_terminal() -> None:
    """Run in the child: SIGINT's default action. A suite started in the
    background (nohup, `cmd &` in a script) hands its children SIGINT
    ignored, and Python then leaves it ignored; a user's Ctrl-C reaches a
    program whose SIGINT is the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("delay", [0.0001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08])
def test_sigint_at_any_moment_exits_130(delay: float) -> None:
    result = subprocess.run([sys.executable, "-c", LAUNCH, str(delay), "features", "--json"],
                            env=ENV, cwd=REPO, capture_output=True, check=False,
                            preexec_fn=sigint_as_at_a_terminal)
    if delay <= 0.02:  # features --json takes longer than that: the signal lands
        assert result.returncode == 130
    elif result.returncode == 0:  # finished before the timer fired
        return
    assert (result.returncode, result.stderr.decode()) == (130, "")


# xdptool's entry point, started by a launcher that says on a pipe (its fd
# number is the first argument) when it is about to call it, so that the
# test's SIGINT comes from outside (kill(2)) but never lands in the
# interpreter's own start-up.
LAUNCH_READY = ("import os, sys\n"
                "from xdptool.entry import main\n"
                "ready = int(sys.argv.pop(1))\n"
                "sys.argv[0] = 'xdptool'\n"
                "os.write(ready, b'x'); os.close(ready)\n"
                "main()\n")


# From 10 ms after the launcher's word on: it calls main() microseconds after.
@pytest.mark.parametrize("delay", [0.01, 0.02, 0.04, 0.07])
def test_sigint_from_outside(delay: float) -> None:
    ready_r, ready_w = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH_READY, str(ready_w), "features",
                             "--json"], env=ENV, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, pass_fds=(ready_w,),
                            preexec_fn=sigint_as_at_a_terminal)
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"x"
    os.close(ready_r)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    if delay <= 0.02:  # features --json is still running then: the signal lands
        assert (proc.returncode, err.decode()) == (130, "")
    # 130 from xdptool; 0 if it had finished; killed by the signal (a shell
    # shows 130 too) if it came while the interpreter was shutting down.
    assert (proc.returncode in (0, 130, -signal.SIGINT), err.decode()) == (True, "")


# ---------------------------------------------------------------------------
# Namespaces and options


def test_stale_netns_entry() -> None:
    name = f"xdpt-stale-{uuid.uuid4().hex[:8]}"
    path = Path("/run/netns") / name
    path.parent.mkdir(exist_ok=True)
    path.touch()  # what a failed `ip netns add` leaves: a file, no namespace mounted on it
    try:
        assert_error(run("-n", name, "features"), 1,
                     f'"{path}" is not a network namespace '
                     f'(a stale entry? `ip netns delete "{name}"` removes it)')
    finally:
        path.unlink()


@pytest.mark.parametrize(("argv", "line"), [
    (("features", "--bogus"),
     "No such option: --bogus (Possible options: --long) (see 'xdptool features --help')"),
    (("--bogus",), "No such option: --bogus (see 'xdptool --help')"),
    (("bogus",), "No such command 'bogus'. (see 'xdptool --help')"),
    (("stats", "lo", "--count", "2"),
     "Invalid value: --interval and --count go with --watch "
     "(see 'xdptool stats show --help')"),
    (("stats", "lo", "-w", "--count", "x"),
     "Invalid value for '--count' / '-c': 'x' is not a valid int range. "
     "(see 'xdptool stats show --help')"),
    (("features", "-n"), "No such option: -n (see 'xdptool features --help')"),
])
def test_usage_errors_are_one_line(argv: tuple[str, ...], line: str) -> None:
    assert_error(run(*argv), 2, line)


def test_debug_switch_shows_the_traceback() -> None:
    result = subprocess.run([*XDPTOOL, "features", "nosuch0"], env={**ENV, "XDPTOOL_DEBUG": "1"},
                            cwd=REPO, capture_output=True, check=False)
    assert result.returncode == 1
    assert b"Traceback" in result.stderr
    assert result.stderr.endswith(b'xdptool: no such device: "nosuch0"\n')


def test_h_and_j_short_options(netns: str) -> None:
    assert run("-h").stdout == run("--help").stdout != b""
    assert run("stats", "show", "-h").stdout.startswith(b"Usage: xdptool stats show")
    assert json.loads(run("-n", netns, "features", "-j").stdout)
