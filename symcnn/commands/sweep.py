"""symcnn sweep: metrics over a grid of parameter values, as a table, CSV, JSON or a plot."""

from __future__ import annotations

import json
import sys

import click
from rich import box
from rich.table import Table

from ..errors import Span
from ..notation import group_digits, to_ascii
from . import console, network_options, parse_overrides, unicode_ok

TABLE_ROWS = 1_000  # a terminal table longer than this is unreadable: CSV and JSON carry every point
PROGRESS_POINTS = 200_000  # sweeps this large take long enough for a progress bar


@click.command()
@network_options(symbolic=False, formula_limit=False)
@click.option(
    "--vary",
    multiple=True,
    required=True,
    metavar="NAME=START:STOP[:STEP]|NAME=V1,V2,...",
    help="Values of a parameter (both ends of a range included); repeat for a grid.",
)
@click.option(
    "--metric",
    "-m",
    "metric",
    multiple=True,
    metavar="NAME[,NAME...]",
    help="params, macs, flops, activations, memory, shape, or LAYER.QUANTITY as in expect claims [default: params,macs].",
)
@click.option(
    "--format",
    "-f",
    "format_",
    type=click.Choice(["table", "csv", "json"]),
    help="Output format [default: table, none with --plot].",
)
@click.option(
    "--plot", "plot_path", metavar="OUT.png|OUT.svg", help="Plot each metric against a parameter (needs symcnn[plot])."
)
@click.option("--x", "x", metavar="NAME", help="The plot's x axis [default: the parameter with most values].")
@click.option("--series", metavar="NAME", help="One line per value of this parameter [default: the other one].")
@click.option("--log", type=click.Choice(["x", "y", "xy"]), help="Logarithmic plot axes.")
def command(file, set_, vary, metric, format_, plot_path, x, series, log) -> None:
    """Evaluate metrics of FILE exactly at every combination of the --vary values.

    Invalid points (some layer's output below 1) are marked with the first failing layer.
    """
    from ..errors import WhatIfError
    from ..whatif.spec import split_item
    from ..whatif.sweep import DEFAULT_METRICS, sweep

    values = {}
    for item in vary:
        name, text, _ = split_item(item, "--vary", "H=32:256:32")
        if name in values:
            raise WhatIfError(
                f"{name} is varied twice",
                Span("--vary", 1, 1, len(name) + 1, text=item),
                "give all its values in one --vary",
            )
        values[name] = text.strip()
    metrics = [name.strip() for item in metric for name in item.split(",") if name.strip()] or list(DEFAULT_METRICS)
    with _ProgressBar("evaluating") as bar:
        result = sweep(file, values, metrics, overrides=parse_overrides(set_), progress=bar)
    if plot_path:
        result.plot(x=x, series=series, log=log or "", path=plot_path)
        invalid = len(result) - int(result.valid.sum())
        print(
            f"wrote {plot_path}: {len(result):,} points" + (f", {invalid:,} invalid (left out)" if invalid else ""),
            file=sys.stderr,
        )
        if format_ is None:
            return
    {"table": _table, "csv": _csv, "json": _json}[format_ or "table"](result)


class _ProgressBar:
    """A rich progress bar on a terminal's stderr, for large sweeps only; nothing when piped."""

    def __init__(self, description: str):
        self.description = description
        self.progress = None
        self.task = None

    def __enter__(self):
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.progress is None:
            if total < PROGRESS_POINTS or not sys.stderr.isatty():
                return
            from rich.progress import Progress

            self.progress = Progress(console=console(sys.stderr), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=total)
        self.progress.update(self.task, completed=done)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


def _text(value) -> str:
    if value is None:
        return ""
    return group_digits(value) if isinstance(value, int) else str(value)


def _table(result) -> None:
    unicode = unicode_ok()
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII2, title=f"{result.file} · sweep", title_justify="left")
    names = list(result.columns)
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("note")
    for record in result.records(0, TABLE_ROWS):
        note = "" if record["valid"] else f"invalid: {record['failed_layer']}: {record['rule']}"
        table.add_row(*(_text(record[name]) for name in names), note if unicode else to_ascii(note))
    out = console()
    out.print(table)
    valid = int(result.valid.sum())
    summary = f"{len(result):,} points, {valid:,} valid"
    if len(result) > TABLE_ROWS:
        summary += f"; the first {TABLE_ROWS:,} are shown (--format csv or json gives all)"
    out.print(summary)


def _csv(result) -> None:
    with _ProgressBar("writing") as bar:
        result.write_csv(sys.stdout, progress=bar)


def _json(result) -> None:
    json.dump(result.to_json(), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


command.name = "sweep"
