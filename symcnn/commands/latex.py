"""symcnn latex: the network as LaTeX for a paper: a table that fits, the equations, the totals."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import SymcnnError
from ..exporters import latex
from . import exit_status, load_network, network_options
from .summary import columns_option, depth_option, parse_columns


@click.command(epilog=exit_status())
@network_options()
@click.option("--output", "-o", metavar="OUT.tex", help="Write to this file instead of standard output.")
@click.option(
    "--standalone",
    is_flag=True,
    help="A complete document (amsmath, booktabs, tabularx) instead of a fragment to \\input.",
)
@depth_option
@columns_option(latex.PAPER_COLUMNS)
@click.option(
    "--label-prefix",
    metavar="PREFIX",
    help="Start of every \\label (eq:PREFIX-conv1-H), so that two networks in one document never clash "
    "[default: the file's name without its extension].",
)
@click.option("--caption", metavar="TEXT", help="The table's caption (LaTeX) [default: Layers of FILE].")
@click.option(
    "--equations",
    type=click.Choice(latex.EQUATIONS),
    default="all",
    show_default=True,
    help="Equations of no layer, of each table row (a block as one), or of every layer.",
)
@click.option(
    "--width",
    type=click.Choice(sorted(latex.WIDTHS)),
    default="column",
    show_default=True,
    help="Fit the table and equations to a column of a two-column paper, or to the page.",
)
def command(
    file, set_, symbolic, formula_limit, output, standalone, depth, columns, label_prefix, caption, equations, width
) -> None:
    """FILE's table, equations and totals as LaTeX that fits a paper's column (or page)."""
    network = load_network(file, set_, symbolic, formula_limit)
    stem = Path(file).stem if file != "-" else "net"
    options = latex.Options(
        depth=depth,
        label_prefix=latex.label_prefix(label_prefix or stem),
        caption=caption,
        columns=parse_columns(columns, latex.PAPER_COLUMNS),
        equations=equations,
        width=width,
    )
    text = latex.render(network, standalone=standalone, options=options)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise SymcnnError(f"cannot write {output}: {error.strerror}", hint="check that its folder exists") from None
    else:
        click.echo(text, nl=False)


command.name = "latex"
