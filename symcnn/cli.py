"""The `symcnn` command. Commands are thin: load, derive, hand to an exporter.

This is the only place that turns a SymcnnError into text and an exit code:
0 success, 1 a claim failed, 2 bad input. No traceback reaches the user.
"""

from __future__ import annotations

import re
import sys

import click
from rich.console import Console

from . import __version__
from .api import load
from .claims import check_claims
from .closedform import DEFAULT_FORMULA_LIMIT
from .errors import SymcnnError
from .exporters import EXPORTERS
from .exporters.text import value_text
from .printing import to_ascii

EXIT_CLAIM_FAILED = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3
_SET_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)
FORMATS = ("table", "json", "markdown")
SOURCE_CONTEXT = 60


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="symcnn")
def app() -> None:
    """Exact symbolic shapes, parameter counts and MACs of convolutional networks."""


file_argument = click.argument("file", metavar="FILE")
set_option = click.option(
    "--set", "set_", multiple=True, metavar="NAME=VALUE", help="Override a parameter with an integer expression; repeatable."
)
symbolic_option = click.option(
    "--symbolic", multiple=True, metavar="NAME[,NAME...]|all", help="Keep these parameters as symbols; formulas are shown."
)
limit_option = click.option(
    "--formula-limit",
    type=click.IntRange(1, 100_000),
    default=DEFAULT_FORMULA_LIMIT,
    show_default=True,
    help="Longest closed form (SymPy operations) shown before per-layer equations.",
)


def _unicode_ok(stream) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return encoding.startswith("utf")


def _console(stream=None) -> Console:
    stream = stream or sys.stdout
    terminal = stream.isatty()
    # Piped output is not wrapped at 80 columns: formulas stay on one line for grep and diff.
    return Console(file=stream, width=None if terminal else 200, highlight=False, soft_wrap=not terminal)


def _overrides(items) -> dict[str, str]:
    overrides = {}
    for item in items or []:
        match = _SET_ITEM.match(item)
        if not match:
            raise SymcnnError(f"--set expects NAME=VALUE, got '{item}'", hint="e.g. --set H=64")
        overrides[match.group(1)] = match.group(2).strip()
    return overrides


def _symbolic(items):
    names = [name.strip() for item in items or [] for name in item.split(",") if name.strip()]
    return "all" if "all" in names else names


def _load(file: str, set_, symbolic, formula_limit: int = DEFAULT_FORMULA_LIMIT):
    return load(file, overrides=_overrides(set_), symbolic=_symbolic(symbolic), formula_limit=formula_limit)


def report_error(error: SymcnnError, stream=None) -> None:
    """FILE:LINE:COL: error: message, the source line with a caret, and the hint."""
    stream = stream or sys.stderr
    span = error.span
    where = f"{span}: " if span else ""
    lines = [f"{where}error: {error.message}"]
    source = _source_line(span)
    if source is not None:
        start = max(span.column - 1 - SOURCE_CONTEXT, 0)  # keep long lines readable around the column
        excerpt = ("…" if start else "") + source[start : start + 2 * SOURCE_CONTEXT]
        caret_column = span.column - 1 - start + (1 if start else 0)
        width = min(max((span.end_column or span.column + 1) - span.column, 1), 2 * SOURCE_CONTEXT)
        gutter = f"{span.line:>5} | "
        lines.append(gutter + excerpt)
        lines.append(" " * (len(gutter) - 2) + "| " + " " * caret_column + "^" * width)
    if error.hint:
        lines.append(f"hint: {error.hint}")
    text = "\n".join(lines)
    print(text if _unicode_ok(stream) else to_ascii(text), file=stream)


def _source_line(span) -> str | None:
    if span is None:
        return None
    if span.text is not None:
        return span.text or None
    if span.file.startswith("-") or span.file.startswith("<"):
        return None
    try:
        with open(span.file, encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if number == span.line:
                    return line.rstrip("\n").rstrip("\r").expandtabs(1)
    except OSError:
        return None
    return None


@app.command()
@file_argument
@set_option
@symbolic_option
@click.option("--format", "-f", "format_", type=click.Choice(FORMATS), default="table", show_default=True)
@limit_option
def summary(file, set_, symbolic, format_, formula_limit) -> None:
    """Per-layer output shapes, parameters and MACs of FILE, with totals (FILE may be - for stdin)."""
    network = _load(file, set_, symbolic, formula_limit)
    _console().print(EXPORTERS[format_](network, unicode=_unicode_ok(sys.stdout)))


@app.command()
@file_argument
@set_option
@click.option("--verbose", "-v", is_flag=True, help="List the claims that hold too.")
def check(file, set_, verbose) -> None:
    """Check the file's `expect` claims against the derived values (exit 1 if any fails)."""
    network = _load(file, set_, None)
    unicode = _unicode_ok(sys.stdout)
    results = check_claims(network)
    failed = [r for r in results if r.ok is not True]
    for result in results:
        if result.ok is True and not verbose:
            continue
        mark = {True: "ok", False: "FAIL", None: "UNDECIDED"}[result.ok]
        print(f"{network.file}:{result.line}: {mark}: {result.claim.text}")
        if result.ok is not True:
            print(f"    claimed: {value_text(result.expected, unicode)}")
            print(f"    derived: {value_text(result.derived, unicode)}")
    if not results:
        print(f"{network.file}: no claims to check (add 'expect' lines)")
    else:
        print(f"{len(results) - len(failed)} of {len(results)} claims hold" + (f"; {len(failed)} failed" if failed else ""))
    if failed:
        sys.exit(EXIT_CLAIM_FAILED)


def main() -> None:
    for stream in (sys.stdout, sys.stderr):  # never crash on a character the terminal cannot show
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        # Outside standalone mode click raises its errors to us instead of printing tracebacks itself.
        code = app.main(prog_name="symcnn", standalone_mode=False)
    except SymcnnError as error:
        report_error(error)
        sys.exit(EXIT_INPUT_ERROR)
    except (click.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_INPUT_ERROR)
    except RecursionError:
        print("error: the input is nested too deeply to process", file=sys.stderr)
        sys.exit(EXIT_INPUT_ERROR)
    except Exception as error:  # a bug in symcnn, not in the input: say so without a traceback
        print(f"internal error: {type(error).__name__}: {error}\nplease report this with the input file", file=sys.stderr)
        sys.exit(EXIT_INTERNAL_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
