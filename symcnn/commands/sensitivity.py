"""symcnn sensitivity: each layer's share of the totals, and how the totals grow with each parameter."""

from __future__ import annotations

import click

from ..exporters import sensitivity as exporter
from . import exit_status, network_options, parse_overrides, parse_symbolic, unicode_ok
from .summary import blocks, depth_option, units_option


@click.command(epilog=exit_status())
@network_options(formula_limit=False)
@click.option(
    "--wrt",
    multiple=True,
    metavar="NAME",
    help="Growth and derivatives in these parameters only [default: every symbolic one].",
)
@click.option("--format", "-f", "format_", type=click.Choice(exporter.FORMATS), default="table", show_default=True)
@depth_option
@units_option
def command(file, set_, symbolic, wrt, format_, depth, units) -> None:
    """Each layer's share of params and MACs, the totals' leading-order growth, and their derivatives.

    Every parameter is symbolic unless --symbolic or the file's `symbolic` names some. Percentages and
    derivatives are taken at the parameters' values (the file's, or --set).
    """
    from ..whatif.sensitivity import sensitivity

    result = sensitivity(file, parse_symbolic(symbolic), parse_overrides(set_), wrt, blocks(depth))
    if format_ == "json":
        text = exporter.render_json(result, file)
    elif format_ == "markdown":
        text = exporter.render_markdown(result, file, units)
    elif format_ == "latex":
        text = exporter.render_latex(result, file, units)
    else:
        text = exporter.render(result, unicode_ok(), file, units)
    click.echo(text, nl=False)


command.name = "sensitivity"
