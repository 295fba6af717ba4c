"""`symcnn sensitivity` as terminal text: each layer's share, the totals' growth, and their derivatives."""

from __future__ import annotations

from sympy import Integer

from ..notation import textbook, to_ascii
from .text import table_lines, title_dot, value_text

NAMES = {"params": "params", "macs": "MACs"}


def render(result, unicode: bool = True, title: str = "") -> str:
    """The sensitivity (symcnn.whatif.sensitivity.Sensitivity) under `title`."""
    at = ", ".join(f"{name} = {value}" for name, value in result.values.items())
    lines = [f"{title}{title_dot(unicode)}shares" + (f" at {at}" if at else "")]
    lines += _share_table(result, unicode)
    totals = {share.quantity: share.total for share in result.shares if share.total.free_symbols}
    if totals:
        lines.append("A layer's share as a formula is its entry above over the total:")
        lines += [f"  total {NAMES[q]} = {textbook(total, unicode)}" for q, total in totals.items()]
    if result.growth:
        lines.append("\nGrowth to leading order (floors taken as exact division):")
        for growth in result.growth:
            where = f"in {growth.parameter}" if growth.parameter else "in all together"
            if growth.degree is None:
                lines.append(f"  {NAMES[growth.quantity]} {where}: not a polynomial")
                continue
            trend = (
                "does not grow"
                if growth.degree == 0
                else f"degree {growth.degree}, ~ {textbook(growth.leading, unicode)}"
            )
            lines.append(f"  {NAMES[growth.quantity]} {where}: {trend}")
    if result.derivatives:
        lines.append("\nDerivatives (floors taken as exact division), and the exact change for +1, at the values:")
        partial = "∂" if unicode else "d"
        for d in result.derivatives:
            step = "" if d.step is None else f"; exact change for {d.parameter} + 1: {value_text(Integer(d.step))}"
            formula = "" if d.formula.is_Number else f"{textbook(d.formula, unicode)} = "
            name = NAMES[d.quantity]
            lines.append(f"  {partial}{name}/{partial}{d.parameter} = {formula}{value_text(d.value, unicode)}{step}")
    text = "\n".join(lines) + "\n"
    return text if unicode else to_ascii(text)


def _share_table(result, unicode: bool) -> list[str]:
    by_layer: dict[str, dict] = {}
    for share in result.shares:
        by_layer.setdefault(share.layer, {})[share.quantity] = share
    rows = []
    for layer, shares in by_layer.items():
        cells = [layer]
        for quantity in ("params", "macs"):
            share = shares.get(quantity)
            cells += ["0", ""] if share is None else [value_text(share.value, unicode), _percent(share.percent)]
        rows.append(cells)
    return table_lines(("Layer", "Params", "share", "MACs", "share"), rows, (False, True, True, True, True), unicode)


def _percent(fraction) -> str:
    if fraction is None:
        return ""
    tenths = round(fraction * 10)  # exact rounding of an exact ratio
    return f"{tenths // 10}.{tenths % 10}%"
