"""The `symcnn` command: registers the subcommands and turns errors into exit codes.

This is the only place that turns a SymcnnError into text and an exit code:
0 success, 1 a false claim or a solve target no value meets, 2 bad input,
and 3, which should never happen, a bug in symcnn. No traceback reaches the user.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from . import __version__, commands
from .commands import unicode_ok
from .errors import SymcnnError
from .notation import to_ascii

EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3
SOURCE_CONTEXT = 60


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="symcnn")
def app() -> None:
    """Exact symbolic shapes, parameter counts and MACs of convolutional networks.

    Exit status: 0 success; 1 only for a false claim (check) or a target no value meets (solve);
    2 an input error, with FILE:LINE:COL where there is one.
    """


for _module in pkgutil.iter_modules(commands.__path__):
    app.add_command(importlib.import_module(f"{commands.__name__}.{_module.name}").command)


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
    print(text if unicode_ok(stream) else to_ascii(text), file=stream)


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


def main() -> None:
    for stream in (sys.stdout, sys.stderr):  # never crash on a character the terminal cannot show
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        # Outside standalone mode click raises its errors to us instead of exiting itself.
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
        print(
            f"internal error: {type(error).__name__}: {error}\nplease report this with the input file", file=sys.stderr
        )
        sys.exit(EXIT_INTERNAL_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
