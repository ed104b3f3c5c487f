"""Command line (Typer): global options, error translation, the commands.

Each command lives in xdptool/commands/<name>.py (model, kernel calls,
rendering, Typer function) and is registered here. Every expected failure
becomes one line on stderr and exit status 1; usage errors are one line and
a pointer to --help, exit status 2; Ctrl-C exits 130. XDPTOOL_DEBUG=1 adds
the traceback, for bug reports.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer._click.exceptions import (  # Typer vendors click since 0.26
    ClickException,
    NoArgsIsHelpError,
    UsageError,
)
from typer.core import TyperGroup

from xdptool import __version__, netns, output
from xdptool.commands import COMMANDS, new_app
from xdptool.errors import XdptoolError
from xdptool.names import printable

# What the command group turns into one line on stderr.
EXPECTED_ERRORS = (XdptoolError, OSError)
DEBUG_VAR = "XDPTOOL_DEBUG"
EXIT_CODES = ("Exit status: 0 success, 1 error (one line on stderr), 2 usage error, "
              "130 interrupted (Ctrl-C). XDPTOOL_DEBUG=1 prints tracebacks.")


def _debug() -> bool:
    return os.environ.get(DEBUG_VAR, "") not in ("", "0")


def error_message(err: Exception) -> str:
    """The one-line message (without the `xdptool: ` prefix) for an expected error."""
    if isinstance(err, XdptoolError):
        return str(err)
    code = getattr(err, "errno", None)
    if code in (errno.EPERM, errno.EACCES):
        # Reading is unprivileged; what fails here is netlink/ioctl in a netns we
        # may not own, which the kernel checks against CAP_NET_ADMIN.
        return "permission denied: needs CAP_NET_ADMIN"
    if isinstance(err, OSError):
        return str(err.strerror or err)
    return str(err)


def _fail(message: str, status: int = 1) -> NoReturn:
    """One line on stderr (newlines and odd bytes escaped), exit ``status``."""
    if sys.stderr is not None:  # started with stderr closed: the status still tells
        sys.stderr.write(f"xdptool: {printable(message)}\n")
    raise typer.Exit(status)


def _usage_error(err: UsageError) -> NoReturn:
    ctx = err.ctx
    command = ctx.command_path if ctx is not None else "xdptool"
    message = "; ".join(line.strip() for line in err.format_message().splitlines()
                        if line.strip())
    _fail(f"{message} (see '{command} --help')", err.exit_code)


class Group(TyperGroup):
    """Runs the command line with xdptool's error contract, so the installed
    script, `python -m xdptool` and CliRunner in tests behave the same, and
    loads each command's module when it is needed (xdptool.commands)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(f"xdptool.commands.{cmd_name.replace('-', '_')}")
            command = typer.main.get_command(module.app)
            command.name = cmd_name
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:  # Typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as err:
            if isinstance(err, OSError) and err.errno == errno.EPIPE:
                raise  # Typer exits quietly on a closed pipe (`xdptool ... | head`)
            if _debug():
                traceback.print_exc()
            _fail(error_message(err))

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        try:
            status = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except NoArgsIsHelpError as err:
            err.show()  # the help, on stderr, exit status 2 (click's convention)
            status = err.exit_code
        except UsageError as err:
            try:
                _usage_error(err)
            except typer.Exit as done:
                status = done.exit_code
        except ClickException as err:
            try:
                _fail(err.format_message(), err.exit_code)
            except typer.Exit as done:
                status = done.exit_code
        except typer.Abort:
            status = 130
        except (typer.Exit, SystemExit):
            raise
        except EXPECTED_ERRORS as err:
            # raised while parsing (an eager option writing to a full disk,
            # --install-completion): the same one line as inside a command
            if isinstance(err, OSError) and err.errno == errno.EPIPE:
                raise
            try:
                _fail(error_message(err))
            except typer.Exit as done:
                status = done.exit_code
        except Exception as err:  # a bug: one line unless debugging
            if _debug():
                raise
            try:
                _fail(f"internal error: {type(err).__name__}: {err} "
                      f"({DEBUG_VAR}=1 shows the traceback)")
            except typer.Exit as done:
                status = done.exit_code
        sys.exit(output.flushed(status if isinstance(status, int) else 0))


app = new_app(
    name="xdptool",
    cls=Group,
    help="Inspect and control XDP on Linux network devices.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish)
)


def _version(value: bool) -> None:
    if value:
        print(f"xdptool {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    netns_name: Annotated[
        str | None,
        typer.Option("--netns", "-n", metavar="NAME", show_default=False,
                     help="Run inside network namespace NAME (like `ip -n`)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True,
                     help="Show the version and exit."),
    ] = False,
) -> None:
    if netns_name is not None:
        netns.enter(netns_name)


def main() -> None:
    """Run the command line on sys.argv (the installed script goes through
    xdptool.entry first, which answers --help without importing Typer)."""
    app(prog_name="xdptool")


def help_texts() -> dict[tuple[str, ...], str]:
    """What `xdptool [COMMAND...] --help` prints on a terminal of 80 columns or
    more, for every command and group; xdptool/_help.py caches it so that
    help needs no Typer import (scripts/xdptool-help-cache writes it)."""
    out: dict[tuple[str, ...], str] = {}

    def walk(command: Any, path: tuple[str, ...], parent: Any) -> None:
        name = path[-1] if path else "xdptool"
        with command.make_context(name, [], parent=parent, resilient_parsing=True,
                                  terminal_width=80) as ctx:
            out[path] = ctx.get_help() + "\n"
            for sub in command.list_commands(ctx) if hasattr(command, "list_commands") else ():
                walk(command.get_command(ctx, sub), (*path, sub), ctx)

    walk(typer.main.get_command(app), (), None)
    return out
