"""symcnn diff: two networks, or one at two settings, layer by layer."""

from __future__ import annotations

import click

from ..exporters import diff as exporter
from . import exit_status, parse_overrides, parse_symbolic, unicode_ok


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
def command(file_a, file_b, set_a, set_b, set_, symbolic, show_all) -> None:
    """Compare network A with B (or with itself at --set-b), layer by layer and in total.

    Shapes, params and MACs; Δ is B − A, a formula where parameters are kept symbolic.
    """
    from ..whatif.diff import diff

    comparison = diff(
        file_a, file_b, parse_overrides(set_a), parse_overrides(set_b), parse_overrides(set_), parse_symbolic(symbolic)
    )
    label_a = file_a + "".join(f" {item}" for item in set_a)
    label_b = (file_b or file_a) + "".join(f" {item}" for item in set_b)
    click.echo(exporter.render(comparison, unicode_ok(), label_a, label_b, show_all), nl=False)


command.name = "diff"
