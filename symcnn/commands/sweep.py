"""symcnn sweep: metrics over a grid of parameter values, as a table, CSV, JSON or a plot."""

from __future__ import annotations

import re
import sys
from fractions import Fraction

import click

from ..errors import Span, WhatIfError
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
@click.option(
    "--budget",
    multiple=True,
    metavar="METRIC=LIMIT",
    help="Draw a limit on a metric's plot (macs=5e9) and mark the largest value within it; repeatable.",
)
def command(file, set_, vary, metric, format_, plot_path, x, series, log, budget) -> None:
    """Evaluate metrics of FILE exactly at every combination of the --vary values.

    Invalid points (some layer's output below 1) are marked with the first failing layer.
    """
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
    limits = dict(parse_budget(item) for item in budget)
    if limits and not plot_path:
        raise WhatIfError("--budget is drawn on a plot", hint="add --plot OUT.png")
    with _ProgressBar("evaluating") as bar:
        result = sweep(file, values, metrics, overrides=parse_overrides(set_), progress=bar)
    if plot_path:
        result.plot(x=x, series=series, log=log or "", path=plot_path, budget=limits)
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


_SCIENTIFIC = re.compile(r"^\s*(\d+)(?:\.(\d+))?[eE]\+?(\d{1,3})\s*$")


def parse_budget(item: str) -> tuple[str, int | Fraction]:
    """METRIC=LIMIT, the limit a number as --vary takes it, or in scientific notation (5e9, 2.5e6), exactly."""
    from ..whatif.spec import parse_values, split_item

    name, text, offset = split_item(item, "--budget", "macs=5e9")
    match = _SCIENTIFIC.match(text)
    if match:
        whole, fraction, exponent = match.groups()
        value = Fraction(int(whole + (fraction or "")), 10 ** len(fraction or "")) * 10 ** int(exponent)
        return name, int(value) if value.denominator == 1 else value
    values = parse_values(text, "--budget", item, offset)
    if len(values) != 1:
        raise WhatIfError(
            "a budget is one number", Span("--budget", 1, offset + 1, len(item) + 1, text=item), "e.g. macs=5e9"
        )
    return name, values[0]


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
