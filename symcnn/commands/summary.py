"""symcnn summary: the per-layer table with totals, in any summary format."""

from __future__ import annotations

import click

from ..errors import Span, unknown
from ..exporters import EXPORTERS
from ..exporters.text import UNITS
from ..quantities import DTYPE_BYTES
from ..views.summary import COLUMNS, View, summary_items
from . import exit_status, load_network, network_options, unicode_ok

depth_option = click.option(
    "--depth", type=click.IntRange(1, 100), default=None, help="Show blocks nested at most this deep, collapsed below."
)


units_option = click.option(
    "--units",
    type=click.Choice(UNITS),
    default="exact",
    show_default=True,
    help="Concrete counts exact, in SI (25.6 M, 4.09 G), or with memory in bytes (KiB, MiB, GiB); JSON stays exact.",
)


def columns_option(default: tuple[str, ...]):
    """--columns NAME,... (read by `parse_columns`), for every command that shows the summary's table."""
    return click.option(
        "--columns",
        default=",".join(default),
        show_default=True,
        metavar="NAME,...",
        help=f"Columns to show, from: {', '.join(COLUMNS)}.",
    )


@click.command(epilog=exit_status())
@network_options()
@click.option("--format", "-f", "format_", type=click.Choice(sorted(EXPORTERS)), default="table", show_default=True)
@depth_option
@columns_option(View.columns)
@click.option(
    "--dtype", type=click.Choice(sorted(DTYPE_BYTES)), default="float32", show_default=True, help="For memory in bytes."
)
@units_option
def command(file, set_, symbolic, formula_limit, format_, depth, columns, dtype, units) -> None:
    """Per-layer output shapes, parameters and MACs of FILE, with totals (FILE may be - for stdin)."""
    view = View(depth, parse_columns(columns), dtype)
    network = load_network(file, set_, symbolic, formula_limit)
    click.echo(EXPORTERS[format_](network, unicode=unicode_ok(), view=view, units=units), nl=False)


def blocks(depth: int | None):
    """What a what-if command compares at --depth: the layers and blocks summary --depth shows (None: layers)."""
    return None if depth is None else (lambda network: summary_items(network, depth))


def parse_columns(text: str, default: tuple[str, ...] = View.columns) -> tuple[str, ...]:
    """--columns NAME,... checked against the summary's columns (an empty list: `default`)."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        if name not in COLUMNS:
            raise unknown("column", name, COLUMNS, Span("--columns", 1, text.index(name) + 1, text=text))
    return names or default


command.name = "summary"
