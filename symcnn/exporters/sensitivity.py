"""`symcnn sensitivity` as a table, JSON, Markdown or LaTeX: each layer's share, the totals' growth, and their
derivatives.

Formulas are in the network's parameters; a fractional value comes with its
decimal (2495626533/2 = 1247813266.5). JSON keeps exact values whatever
`units` the other formats use.
"""

from __future__ import annotations

import json

from ..notation import decimal, latex, latex_name, sympy_str, tex_text, textbook, to_ascii
from .latex import WIDTHS, align, chain_rows
from .markdown import cell as markdown_cell
from .markdown import math as markdown_math
from .text import number_text, table_lines, title_dot, value_text

FORMATS = ("table", "json", "markdown", "latex")
NAMES = {"params": "params", "macs": "MACs"}
QUANTITIES = ("params", "macs")


def share_rows(result) -> list[tuple[str, dict]]:
    """(layer, {quantity: Share}) in the network's order."""
    by_layer: dict[str, dict] = {}
    for share in result.shares:
        by_layer.setdefault(share.layer, {})[share.quantity] = share
    return list(by_layer.items())


def formula_totals(result) -> dict:
    """The totals that are formulas, by quantity: a share as a formula is the layer's entry over its total."""
    # One total per quantity, however many shares: free_symbols walks the whole total and SymPy does not cache it.
    totals = {share.quantity: share.total for share in result.shares}
    return {quantity: total for quantity, total in totals.items() if total.free_symbols}


def at_text(result) -> str:
    return ", ".join(f"{name} = {value}" for name, value in result.values.items())


def with_decimal(value, text: str) -> str:
    """`text` of a value, and its decimal when it is a fraction: 2495626533/2 = 1247813266.5."""
    if value.is_Rational and not value.is_Integer:
        shown = decimal(value)
        return f"{text} {shown}" if shown.startswith("≈") else f"{text} = {shown}"
    return text


def render(result, unicode: bool = True, title: str = "", units: str = "exact") -> str:
    """The sensitivity (symcnn.whatif.sensitivity.Sensitivity) under `title`, as terminal text."""
    at = at_text(result)
    lines = [f"{title}{title_dot(unicode)}shares" + (f" at {at}" if at else "")]
    rows = []
    for layer, shares in share_rows(result):
        cells = [layer]
        for quantity in QUANTITIES:
            share = shares.get(quantity)
            cells += ["0", ""] if share is None else [value_text(share.value, unicode, units=units), percent(share)]
        rows.append(cells)
    lines += table_lines(("Layer", "Params", "share", "MACs", "share"), rows, (False, True, True, True, True), unicode)
    totals = formula_totals(result)
    if totals:
        lines.append("A layer's share as a formula is its entry above over the total:")
        lines += [f"  total {NAMES[q]} = {textbook(total, unicode)}" for q, total in totals.items()]
    if result.growth:
        lines.append("\nGrowth to leading order (floors taken as exact division):")
        lines += [
            f"  {NAMES[g.quantity]} {growth_where(g)}: {growth_text(g, lambda e: textbook(e, unicode))}"
            for g in result.growth
        ]
    if result.derivatives:
        lines.append("\nDerivatives (floors taken as exact division), and the exact change for +1, at the values:")
        partial = "∂" if unicode else "d"
        for d in result.derivatives:
            step = "" if d.step is None else f"; exact change for {d.parameter} + 1: {number_text(d.step, units)}"
            formula = "" if d.formula.is_Number else f"{textbook(d.formula, unicode)} = "
            value = with_decimal(d.value, value_text(d.value, unicode, units=units))
            lines.append(f"  {partial}{NAMES[d.quantity]}/{partial}{d.parameter} = {formula}{value}{step}")
    text = "\n".join(lines) + "\n"
    return text if unicode else to_ascii(text)


def growth_where(growth) -> str:
    return f"in {growth.parameter}" if growth.parameter else "in all together"


def growth_text(growth, show) -> str:
    if growth.degree is None:
        return "not a polynomial"
    return "does not grow" if growth.degree == 0 else f"degree {growth.degree}, ~ {show(growth.leading)}"


def render_markdown(result, title: str = "", units: str = "exact") -> str:
    at = at_text(result)
    lines = [f"**{title} · shares" + (f" at {at}" if at else "") + "**", ""]
    lines += ["| Layer | Params | share | MACs | share |", "|---|---:|---:|---:|---:|"]
    for layer, shares in share_rows(result):
        cells = [markdown_cell(layer)]
        for quantity in QUANTITIES:
            share = shares.get(quantity)
            cells += ["0", ""] if share is None else [markdown_cell(share.value, units), percent(share)]
        lines.append("| " + " | ".join(cells) + " |")
    math = lambda expr: markdown_math(latex(expr))  # noqa: E731
    totals = formula_totals(result)
    if totals:
        lines += ["", "A layer's share as a formula is its entry above over the total:", ""]
        lines += [f"- total {NAMES[q]} = {math(total)}" for q, total in totals.items()]
    if result.growth:
        lines += ["", "Growth to leading order (floors taken as exact division):", ""]
        lines += [f"- {NAMES[g.quantity]} {growth_where(g)}: {growth_text(g, math)}" for g in result.growth]
    if result.derivatives:
        lines += ["", "Derivatives (floors taken as exact division), and the exact change for +1, at the values:", ""]
        for d in result.derivatives:
            step = "" if d.step is None else f"; exact change for {d.parameter} + 1: {number_text(d.step, units)}"
            value = with_decimal(d.value, markdown_cell(d.value, units))
            formula = "" if d.formula.is_Number else f"{math(d.formula)} = "
            lines.append(f"- ∂{NAMES[d.quantity]}/∂{d.parameter} = {formula}{value}{step}")
    return "\n".join(lines) + "\n"


def render_latex(result, title: str = "", units: str = "exact") -> str:
    """A fragment (amsmath, booktabs, tabularx): the shares, then totals and derivatives broken to fit a column."""

    def number(value) -> str:
        if value.is_Integer and units != "exact":
            return number_text(int(value), units).replace(" ", "~")
        return f"${latex(value)}$"

    at = at_text(result)
    lines = [
        f"% symcnn sensitivity: {tex_text(title)}",
        r"% needs \usepackage{amsmath}, \usepackage{booktabs} and \usepackage{tabularx}",
        rf"\noindent Shares of \texttt{{{tex_text(title)}}}" + (f" at ${tex_text(at)}$" if at else "") + ".",
        r"\par\smallskip{\footnotesize\setlength{\tabcolsep}{2pt}",
        r"\noindent\begin{tabularx}{\linewidth}{@{}l>{\raggedright\arraybackslash}Xr>{\raggedright\arraybackslash}Xr@{}}",
        r"\toprule",
        r"Layer & Params & share & MACs & share \\",
        r"\midrule",
    ]
    for layer, shares in share_rows(result):
        cells = [rf"\texttt{{{tex_text(layer)}}}"]
        for quantity in QUANTITIES:
            share = shares.get(quantity)
            cells += ["0", ""] if share is None else [number(share.value), percent(share).replace("%", r"\%")]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabularx}}"]
    width = WIDTHS["column"]
    rows = [
        row
        for q, total in formula_totals(result).items()
        for row in chain_rows(rf"\text{{total {NAMES[q]}}}", [total], width)
    ]
    for d in result.derivatives:
        lhs = rf"\frac{{\partial\, \text{{{NAMES[d.quantity]}}}}}{{\partial {latex_name(d.parameter)}}}"
        steps = [d.formula] if not d.formula.is_Number else []
        value = latex(d.value) if d.value.is_Integer else with_decimal(d.value, latex(d.value)).replace("≈", r"\approx")
        rows += chain_rows(lhs, [*steps, value], width)
    if rows:
        lines += [r"\noindent Totals, and their derivatives with floors taken as exact division, at the values:"]
        lines += align(rows)
    return "\n".join(lines) + "\n"


def render_json(result, title: str = "") -> str:
    """Exact values: integers as numbers, formulas and fractions as SymPy strings, percentages as fractions."""

    def exact(value):
        if value is None:
            return None
        return int(value) if value.is_Integer else sympy_str(value)

    document = {
        "file": title,
        "at": {name: exact(value) for name, value in result.values.items()},
        "shares": [
            {
                "layer": s.layer,
                "quantity": s.quantity,
                "value": exact(s.value),
                "percent": None if s.percent is None else str(s.percent),
            }
            for s in result.shares
        ],
        "totals": {q: exact(total) for q, total in formula_totals(result).items()},
        "growth": [
            {"quantity": g.quantity, "parameter": g.parameter, "degree": g.degree, "leading": exact(g.leading)}
            for g in result.growth
        ],
        "derivatives": [
            {
                "quantity": d.quantity,
                "parameter": d.parameter,
                "formula": exact(d.formula),
                "value": exact(d.value),
                "step": d.step,
            }
            for d in result.derivatives
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def percent(share) -> str:
    if share.percent is None:
        return ""
    tenths = round(share.percent * 10)  # exact rounding of an exact ratio
    return f"{tenths // 10}.{tenths % 10}%"


__all__ = ["FORMATS", "render", "render_json", "render_latex", "render_markdown"]
