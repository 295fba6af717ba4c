"""symcnn diff: two networks, or one at two settings, layer by layer."""

from __future__ import annotations

import click

from ..exporters import diff as exporter
from . import exit_status, parse_overrides, parse_symbolic, unicode_ok
from .summary import blocks, depth_option, units_option


@click.command(epilog=exit_status())
@click.argument("file_a", metavar="A")
@click.argument("file_b", metavar="[B]", required=False)
@click.option("--set-a", multiple=True, metavar="NAME=VALUE", help="Override a parameter in A only; repeatable.")
@click.option("--set-b", multiple=True, metavar="NAME=VALUE", help="Override a parameter in B only; repeatable.")
@click.option("--set", "set_", multiple=True, metavar="NAME=VALUE", help="Override a parameter in both.")
@click.option(
    "--symbolic",
    multiple=True,
    metavar="NAME[,NAME...]|all",
    help="Keep parameters symbolic in both: differences become formulas.",
)
@click.option("--all", "show_all", is_flag=True, help="List the layers that did not change too.")
@click.option("--format", "-f", "format_", type=click.Choice(exporter.FORMATS), default="table", show_default=True)
@depth_option
@units_option
def command(file_a, file_b, set_a, set_b, set_, symbolic, show_all, format_, depth, units) -> None:
    """Compare network A with B (or with itself at --set-b), layer by layer and in total.

    Shapes, params and MACs; Δ is B − A, a formula where parameters are kept symbolic.
    """
    from ..whatif.diff import diff

    overrides = (parse_overrides(items) for items in (set_a, set_b, set_))
    comparison = diff(file_a, file_b, *overrides, parse_symbolic(symbolic), blocks(depth))
    label_a = file_a + "".join(f" {item}" for item in set_a)
    label_b = (file_b or file_a) + "".join(f" {item}" for item in set_b)
    if format_ == "json":
        text = exporter.render_json(comparison, label_a, label_b, show_all)
    elif format_ == "markdown":
        text = exporter.render_markdown(comparison, label_a, label_b, show_all, units)
    elif format_ == "latex":
        text = exporter.render_latex(comparison, label_a, label_b, show_all, units)
    else:
        text = exporter.render(comparison, unicode_ok(), label_a, label_b, show_all, units)
    click.echo(text, nl=False)


command.name = "diff"
