"""One module per command: its model, kernel calls, rendering and a Typer
``app`` holding the command (or group of subcommands).

xdptool.cli loads a module only when its command runs (or help lists it), so
a command pays the import time of its own dependencies and no one else's.
Adding a command: a module here with ``app = new_app(...)``, and its name in
COMMANDS (a "-" in the command is a "_" in the module's name).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

# Module names, in the order `xdptool --help` lists them.
COMMANDS = ("features", "stats", "tx", "redirect-target", "devmap", "attach", "detach",
            "policy")


def new_app(**settings: Any) -> typer.Typer:
    """A Typer app with xdptool's conventions: -h as well as --help, plain
    help text (no Rich markup), no tracebacks of Typer's own."""
    settings.setdefault("rich_markup_mode", None)
    settings.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
    settings.setdefault("add_completion", False)
    return typer.Typer(pretty_exceptions_enable=False, **settings)


def complete_device(incomplete: str) -> list[str]:
    """Shell completion of DEV: interface names of this network namespace
    (sysfs), the printable ones; a name with odd bytes is typed quoted anyway."""
    import os

    try:
        names = os.listdir("/sys/class/net")
    except OSError:
        return []
    return sorted(name for name in names if name.startswith(incomplete) and name.isprintable())


# --json of every command that prints a report.
JsonOption = Annotated[
    bool, typer.Option("--json", "-j", help="Print JSON (schema: docs/cli.md).")
]

# The DEV argument of every command that acts on one device.
DeviceArgument = Annotated[
    str,
    typer.Argument(metavar="DEV", show_default=False, autocompletion=complete_device,
                   help="The interface."),
]


class DeviceVerbGroup(TyperGroup):
    """A `show`/`set` group in ethtool's order: `xdptool CMD DEV [--json]`
    shows, `xdptool CMD DEV set ...` changes."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if len(args) >= 2 and args[1] == "set":
            args = ["set", args[0], *args[2:]]
        elif not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["show", *args]  # and without DEV, show says it is missing
        return super().parse_args(ctx, args)
