"""symcnn sweep: metrics over a grid of parameter values, as a table, CSV, JSON or a plot."""

from __future__ import annotations

import sys

import click

from ..errors import Span
from ..exporters import sweep as exporter
from . import exit_status, network_options, parse_overrides, unicode_ok

PROGRESS_POINTS = 200_000  # sweeps this large take long enough for a progress bar


@click.command(epilog=exit_status())
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
    if format_ == "csv":
        with _ProgressBar("writing") as bar:
            exporter.write_csv(result, sys.stdout, progress=bar)
    else:
        click.echo(
            exporter.render_json(result) if format_ == "json" else exporter.render(result, unicode_ok()), nl=False
        )


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
            from rich.console import Console
            from rich.progress import Progress

            self.progress = Progress(console=Console(file=sys.stderr), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=total)
        self.progress.update(self.task, completed=done)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


command.name = "sweep"
