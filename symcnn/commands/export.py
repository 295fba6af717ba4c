"""symcnn export: the network as runnable framework code (`--to torch`, `--to keras`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import load_program
from ..exporters import keras_code, torch_code
from . import load_network

GENERATORS = {"torch": torch_code.render, "keras": keras_code.render}


@click.command()
@click.argument("file", metavar="FILE")
@click.option("--to", "target", type=click.Choice(sorted(GENERATORS)), required=True, help="The framework.")
@click.option("--output", "-o", metavar="PATH", default=None, help="Write the module here instead of standard output.")
def command(file, target, output) -> None:
    """Write FILE as a self-contained Python module: a class (torch) or function (keras) per block, and build(**parameters)."""
    network = load_network(file, symbolic=["none"])  # the code is built from the values
    source = GENERATORS[target](load_program(file), network)
    if output is None:
        click.echo(source, nl=False)
    else:
        Path(output).write_text(source, encoding="utf-8")


command.name = "export"
