"""symcnn sensitivity: each layer's share of the totals, and how the totals grow with each parameter."""

from __future__ import annotations

import click
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..exporters.text import value_text
from ..notation import textbook, to_ascii
from . import console, network_options, parse_overrides, parse_symbolic, unicode_ok

NAMES = {"params": "params", "macs": "MACs"}


@click.command()
@network_options(formula_limit=False)
@click.option(
    "--wrt",
    multiple=True,
    metavar="NAME",
    help="Growth and derivatives in these parameters only [default: every symbolic one].",
)
def command(file, set_, symbolic, wrt) -> None:
    """Each layer's share of params and MACs, the totals' leading-order growth, and their derivatives.

    Every parameter is symbolic unless --symbolic names some. Percentages and
    derivatives are taken at the parameters' values (the file's, or --set).
    """
    from ..whatif.sensitivity import sensitivity

    result = sensitivity(file, parse_symbolic(symbolic) or "all", parse_overrides(set_), wrt)
    unicode = unicode_ok()
    text = (lambda s: s) if unicode else to_ascii
    at = ", ".join(f"{name} = {value}" for name, value in result.values.items())
    parts = [_share_table(result, unicode, f"{file} · shares" + (f" at {at}" if at else ""))]
    totals = {share.quantity: share.total for share in result.shares if share.total.free_symbols}
    if totals:
        parts.append(Text(text("A layer's share as a formula is its entry above over the total:")))
        parts.extend(Text(text(f"  total {NAMES[q]} = {textbook(total, unicode)}")) for q, total in totals.items())
    if result.growth:
        parts.append(Text(text("\nGrowth to leading order (floors taken as exact division):")))
        for growth in result.growth:
            where = f"in {growth.parameter}" if growth.parameter else "in all together"
            if growth.degree is None:
                parts.append(Text(f"  {NAMES[growth.quantity]} {where}: not a polynomial"))
                continue
            trend = (
                "does not grow"
                if growth.degree == 0
                else f"degree {growth.degree}, ~ {textbook(growth.leading, unicode)}"
            )
            parts.append(Text(text(f"  {NAMES[growth.quantity]} {where}: {trend}")))
    if result.derivatives:
        parts.append(
            Text(text("\nDerivatives (floors taken as exact division), and the exact change for +1, at the values:"))
        )
        for d in result.derivatives:
            step = (
                ""
                if d.step is None
                else f"; exact change for {d.parameter} + 1: {value_text(_integer(d.step), unicode)}"
            )
            formula = "" if d.formula.is_Number else f"{textbook(d.formula, unicode)} = "
            partial = "∂" if unicode else "d"
            line = (
                f"  {partial}{NAMES[d.quantity]}/{partial}{d.parameter} = {formula}{value_text(d.value, unicode)}{step}"
            )
            parts.append(Text(text(line)))
    console().print(Group(*parts))


def _share_table(result, unicode: bool, title: str) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD if unicode else box.ASCII2,
        title=title if unicode else to_ascii(title),
        title_justify="left",
    )
    for header in ("Layer", "Params", "share", "MACs", "share"):
        table.add_column(header, justify="left" if header == "Layer" else "right")
    by_layer: dict[str, dict] = {}
    for share in result.shares:
        by_layer.setdefault(share.layer, {})[share.quantity] = share
    for layer, shares in by_layer.items():
        cells = [layer]
        for quantity in ("params", "macs"):
            share = shares.get(quantity)
            cells += ["0", ""] if share is None else [value_text(share.value, unicode), _percent(share.percent)]
        table.add_row(*(cell if unicode else to_ascii(cell) for cell in cells))
    return table


def _percent(fraction) -> str:
    if fraction is None:
        return ""
    tenths = round(fraction * 10)  # exact rounding of an exact ratio
    return f"{tenths // 10}.{tenths % 10}%"


def _integer(value: int):
    from sympy import Integer

    return Integer(value)


command.name = "sensitivity"
