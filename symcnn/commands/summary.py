"""symcnn summary: the per-layer table with totals, in any summary format."""

from __future__ import annotations

import click

from ..exporters import EXPORTERS
from . import console, load_network, network_options, unicode_ok


@click.command()
@network_options()
@click.option("--format", "-f", "format_", type=click.Choice(sorted(EXPORTERS)), default="table", show_default=True)
def command(file, set_, symbolic, formula_limit, format_) -> None:
    """Per-layer output shapes, parameters and MACs of FILE, with totals (FILE may be - for stdin)."""
    network = load_network(file, set_, symbolic, formula_limit)
    console().print(EXPORTERS[format_](network, unicode=unicode_ok()))


command.name = "summary"
