"""One module per subcommand; each defines `command`, a click command that symcnn.cli registers.

What commands share lives here: the options every command that reads a
network takes, and how output reaches the terminal.
"""

from __future__ import annotations

import re
import sys

import click

from ..api import load
from ..closedform import DEFAULT_FORMULA_LIMIT
from ..errors import SymcnnError

EXIT_CLAIM_FAILED = 1  # also a solve target that no value meets


def exit_status(one: str | None = None) -> str:
    """The exit status contract, for a command's --help: what exit status 1 means there, if anything."""
    status = "0 success" + (f", 1 {one}" if one else "")
    return f"Exit status: {status}, 2 an input error (with FILE:LINE:COL where there is one)."


_SET_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)


def network_options(symbolic: bool = True, formula_limit: bool = True):
    """FILE, --set and (by default) --symbolic and --formula-limit, passed on as `source`."""

    def decorate(function):
        options = [
            click.argument("file", metavar="FILE"),
            click.option(
                "--set",
                "set_",
                multiple=True,
                metavar="NAME=VALUE",
                help="Override a parameter with an integer expression; repeatable.",
            ),
        ]
        if symbolic:
            options.append(
                click.option(
                    "--symbolic",
                    multiple=True,
                    metavar="NAME[,NAME...]|all|none",
                    help="Keep these parameters as symbols; formulas are shown [default: the file's `symbolic`].",
                )
            )
        if formula_limit:
            options.append(
                click.option(
                    "--formula-limit",
                    type=click.IntRange(1, 100_000),
                    default=DEFAULT_FORMULA_LIMIT,
                    show_default=True,
                    help="Longest closed form (SymPy operations) shown before per-layer equations.",
                )
            )
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def load_network(file: str, set_=(), symbolic=(), formula_limit: int = DEFAULT_FORMULA_LIMIT, until=None):
    """The derived network for a command's FILE and options (up to the layer `until`, if given)."""
    return load(
        file,
        overrides=parse_overrides(set_),
        symbolic=parse_symbolic(symbolic),
        formula_limit=formula_limit,
        until=until,
    )


def parse_overrides(items) -> dict[str, str]:
    """--set NAME=VALUE items as a name -> text mapping (the text is parsed later, by the grammar)."""
    overrides = {}
    for item in items or ():
        match = _SET_ITEM.match(item)
        if not match:
            raise SymcnnError(f"--set expects NAME=VALUE, got '{item}'", hint="e.g. --set H=64")
        overrides[match.group(1)] = match.group(2).strip()
    return overrides


def parse_symbolic(items):
    """--symbolic's names, "all", [] for `--symbolic none`, or None when not given: the file's `symbolic` then."""
    names = [name.strip() for item in items or () for name in item.split(",") if name.strip()]
    if not names:
        return None
    return "all" if "all" in names else [] if names == ["none"] else names


def unicode_ok(stream=None) -> bool:
    encoding = (getattr(stream or sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding.startswith("utf")
