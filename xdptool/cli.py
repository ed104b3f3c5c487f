"""Command line (Typer). Every expected failure becomes one line on stderr and
exit status 1; usage errors exit 2 (click's convention, as ethtool's)."""

from __future__ import annotations

import errno
import os
import sys
from typing import Annotated, Any, NoReturn

import typer
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]
from rich.console import Console
from typer.core import TyperGroup

from xdptool import __version__, features, netns, render
from xdptool.errors import XdptoolError

# What main() and the command group turn into one line on stderr.
EXPECTED_ERRORS = (XdptoolError, NetlinkError, OSError)


def error_message(err: Exception) -> str:
    """The one-line message (without the `xdptool: ` prefix) for an expected error."""
    if isinstance(err, XdptoolError):
        return str(err)
    code = err.code if isinstance(err, NetlinkError) else getattr(err, "errno", None)
    if code in (errno.EPERM, errno.EACCES):
        # Reading is unprivileged; what fails here is netlink/ioctl in a netns we
        # may not own, which the kernel checks against CAP_NET_ADMIN.
        return "permission denied: needs CAP_NET_ADMIN"
    if isinstance(err, NetlinkError):
        return f"netlink error: {os.strerror(err.code)}"
    return str(err.strerror or err) if isinstance(err, OSError) else str(err)


def _fail(message: str) -> NoReturn:
    """One line on stderr, exit status 1 (like ethtool)."""
    typer.echo(f"xdptool: {message}", err=True)
    raise typer.Exit(1)


class _Group(TyperGroup):
    """Translates expected failures into one line inside the command group, so
    the installed script, `python -m xdptool` and CliRunner in tests all behave
    the same and never show a traceback."""

    def invoke(self, ctx: Any) -> Any:  # Typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as err:
            if isinstance(err, OSError) and err.errno == errno.EPIPE:
                raise  # Typer exits quietly on a closed pipe (`xdptool ... | head`)
            _fail(error_message(err))


app = typer.Typer(
    name="xdptool",
    cls=_Group,
    help="Inspect and control XDP on Linux network devices.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"xdptool {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    netns_name: Annotated[
        str | None,
        typer.Option("--netns", "-n", metavar="NAME",
                     help="Operate inside the named network namespace (like `ip -n`)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True,
                     help="Show the version and exit."),
    ] = False,
) -> None:
    if netns_name is not None:
        netns.enter(netns_name)


@app.command("features")
def features_cmd(
    devices: Annotated[
        list[str] | None,
        typer.Argument(metavar="DEV", help="Interfaces to show (default: all)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (schema: docs/cli.md).")]
    = False,
    long: Annotated[
        bool,
        typer.Option("--long", "-l", help="Full per-device blocks even without DEV."),
    ] = False,
) -> None:
    """What XDP each device supports, and what is attached now."""
    reports = features.collect(devices or ())
    if json_out:
        sys.stdout.write(render.to_json(reports))
    elif devices or long:
        sys.stdout.write(render.text(reports))
    else:
        console = Console()
        if not console.is_terminal:
            # Piped: Rich would wrap at 80 columns; a script wants one line per device.
            console = Console(width=512)
        render.print_table(reports, console)


def main() -> None:
    """Console-script entry point (`xdptool`, `python -m xdptool`)."""
    try:
        app(prog_name="xdptool")
    except EXPECTED_ERRORS as err:
        # Safety net for anything raised outside the command group (e.g. while
        # Typer builds the context); the group handles the common cases.
        print(f"xdptool: {error_message(err)}", file=sys.stderr)
        sys.exit(1)
