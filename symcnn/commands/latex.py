"""symcnn latex: the network as LaTeX for a paper: a booktabs table, the equations, the totals."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import SymcnnError
from ..exporters import latex
from . import exit_status, load_network, network_options


@click.command(epilog=exit_status())
@network_options()
@click.option("--output", "-o", metavar="OUT.tex", help="Write to this file instead of standard output.")
@click.option(
    "--standalone", is_flag=True, help="A complete document (amsmath and booktabs) instead of a fragment to \\input."
)
def command(file, set_, symbolic, formula_limit, output, standalone) -> None:
    """FILE's table, per-layer equations and totals as LaTeX."""
    network = load_network(file, set_, symbolic, formula_limit)
    text = latex.render(network, standalone=standalone)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise SymcnnError(f"cannot write {output}: {error.strerror}", hint="check that its folder exists") from None
    else:
        click.echo(text, nl=False)


command.name = "latex"
