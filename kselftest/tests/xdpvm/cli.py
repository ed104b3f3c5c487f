"""xdptool's command line, run in-process in a network namespace (Typer's
CliRunner: a new interpreter costs about a minute under TCG)."""

from __future__ import annotations

from dataclasses import dataclass

from xdpvm.netns import Netns, in_netns


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def xdptool(ns: str | None, *args: str, caps: bool = True) -> Result:
    """xdptool ARGS in netns ``ns`` (None: this one); caps=False drops CAP_NET_ADMIN from the
    thread that runs it."""
    from typer.testing import CliRunner

    from xdptool.cli import app

    res = in_netns(ns, lambda: CliRunner().invoke(app, list(args)), cap_net_admin=caps)
    return Result(res.exit_code, res.stdout, res.stderr)


@dataclass
class CliRig:
    """A test's netns, where xdptool runs."""

    ns: Netns

    def xdptool(self, *args: str) -> Result:
        return xdptool(self.ns.name, *args)

    def ok(self, *args: str) -> str:
        """xdptool ARGS, which must succeed and print nothing on stderr."""
        res = self.xdptool(*args)
        assert (res.returncode, res.stderr) == (0, ""), res
        return res.stdout
