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
from rich.live import Live
from typer.core import TyperGroup

from xdptool import __version__, features, netns, render, stats, stats_render, stats_source
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


class _StatsGroup(TyperGroup):
    """`xdptool stats DEV ...` means `xdptool stats show DEV ...`: anything that
    is not a subcommand name (or --help) gets `show` put in front of it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["show", *args]
        return super().parse_args(ctx, args)


stats_app = typer.Typer(
    name="stats",
    cls=_StatsGroup,
    help="Per-action XDP statistics (kernels with the xdptool series).\n\n"
    "`xdptool stats DEV` is short for `xdptool stats show DEV`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(stats_app)

_DEV = Annotated[str, typer.Argument(metavar="DEV", help="Network device.")]


@stats_app.command("show")
def stats_show_cmd(
    device: _DEV,
    per_queue: Annotated[
        bool, typer.Option("--per-queue", help="One row per RX queue, and the total.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (schema: docs/cli.md).")]
    = False,
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Show rates per second, refreshed in place.")
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option("--interval", "-i", min=0.1, metavar="SECONDS",
                     help="With --watch: seconds between refreshes (default 1)."),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-c", min=1, metavar="N",
                     help="With --watch: stop after N refreshes (default: until Ctrl-C)."),
    ] = None,
) -> None:
    """Counters of XDP program verdicts on DEV: aborted, drop, pass, tx,
    redirect, unknown, redirect-errors."""
    if not watch and (interval is not None or count is not None):
        raise typer.BadParameter("--interval and --count go with --watch")
    if watch:
        _stats_watch(device, 1.0 if interval is None else interval, count, per_queue, json_out)
        return
    result = stats_source.get_stats(device)
    if json_out:
        sys.stdout.write(stats_render.to_json(result))
    elif per_queue:
        stats_render.console_for_stdout().print(stats_render.queue_table(result))
    else:
        sys.stdout.write(stats_render.text(result))


def _stats_watch(device: str, interval: float, count: int | None, per_queue: bool,
                 json_out: bool) -> None:
    stats_source.ifindex_of(device)
    try:
        with stats_source.StatsSource() as source:
            samples = stats.watch(lambda: source.get(device), interval, count)
            if json_out:
                for sample in samples:
                    sys.stdout.write(stats_render.sample_to_json_line(sample))
                    sys.stdout.flush()
                return
            console = stats_render.console_for_stdout()
            if not console.is_terminal:
                # Piped: one table per refresh, nothing to redraw in place.
                for sample in samples:
                    console.print(stats_render.watch_table(sample, interval, per_queue))
                    console.print()
                return
            waiting = f"XDP actions on {device}: first rates in {interval:g} s (Ctrl-C quits)"
            with Live(waiting, console=console, auto_refresh=False) as live:
                for sample in samples:
                    live.update(stats_render.watch_table(sample, interval, per_queue),
                                refresh=True)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@stats_app.command("enable")
def stats_enable_cmd(device: _DEV) -> None:
    """Start counting XDP verdicts on DEV (needs CAP_NET_ADMIN)."""
    stats_source.set_enabled(device, True)


@stats_app.command("disable")
def stats_disable_cmd(device: _DEV) -> None:
    """Stop counting XDP verdicts on DEV (needs CAP_NET_ADMIN)."""
    stats_source.set_enabled(device, False)


def main() -> None:
    """Console-script entry point (`xdptool`, `python -m xdptool`)."""
    try:
        app(prog_name="xdptool")
    except EXPECTED_ERRORS as err:
        # Safety net for anything raised outside the command group (e.g. while
        # Typer builds the context); the group handles the common cases.
        print(f"xdptool: {error_message(err)}", file=sys.stderr)
        sys.exit(1)
