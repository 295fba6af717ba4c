"""symcnn explain: each layer's derivation, step by step, as in the CNN notes."""

from __future__ import annotations

import click

from ..errors import SymcnnError
from ..exporters import explain, markdown
from ..notation import to_ascii
from . import exit_status, load_network, network_options, unicode_ok

FORMATS = {"text": explain.render, "markdown": markdown.render_explanation}


@click.command(epilog=exit_status())
@network_options()
@click.option("--layer", metavar="NAME", help="Explain only this layer.")
@click.option("--format", "-f", "format_", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
def command(file, set_, symbolic, formula_limit, layer, format_) -> None:
    """How each layer's output shape and parameters of FILE follow from its formula and values.

    With --layer, that layer is explained even when a later one is invalid; the error follows (exit 2).
    """
    try:
        network, error = load_network(file, set_, symbolic, formula_limit), None
    except SymcnnError as failure:
        if layer is None:
            raise
        network, error = load_network(file, set_, symbolic, formula_limit, until=layer), failure
    text = FORMATS[format_](network, layer)
    click.echo(text if unicode_ok() else to_ascii(text), nl=False)
    if error is not None:
        raise error


command.name = "explain"
