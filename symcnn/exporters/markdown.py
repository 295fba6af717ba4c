"""GitHub-flavoured Markdown: the summary table, and `explain`'s derivation, with $…$ math.

Integers are written plainly (64,320); formulas, and shapes that contain any,
as LaTeX between dollars.
"""

from __future__ import annotations

from sympy import Basic

from ..notation import decimal, latex, latex_value
from ..views.explanation import explain, legend
from ..views.summary import (
    COLUMNS,
    MACS_NOTE,
    View,
    heading,
    row_value,
    summary_items,
    summary_totals,
)
from .bulk import renders_in_bulk
from .table import MEMORY_COLUMNS
from .text import value_text


def math(tex: str) -> str:
    # A bar would end the table cell.
    return "$" + tex.replace("|", r"\vert ") + "$"


def cell(value, units: str = "exact", memory: bool = False) -> str:
    """A string as it is, a concrete value as text (in `units`), anything with a formula as math."""
    if isinstance(value, str):
        return value.replace("|", r"\|")
    items = value if isinstance(value, tuple) else (value,)
    if all(isinstance(v, Basic) and v.is_Integer for v in items):
        return value_text(value, units=units, memory=memory)
    return math(latex_value(value))


@renders_in_bulk
def render(network, unicode: bool = True, view: View = View(), units: str = "exact") -> str:
    columns = [COLUMNS[key] for key in view.columns]
    lines = [f"**{heading(network)}**", ""]
    lines.append("| " + " | ".join(c.header for c in columns) + " |")
    lines.append("|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|")
    for item in summary_items(network, view.depth):
        cells = [item.name if c.key == "name" else row_value(network, item, c.key, view.dtype) for c in columns]
        memory = [c.key in MEMORY_COLUMNS for c in columns]
        lines.append("| " + " | ".join(cell(value, units, m) for value, m in zip(cells, memory)) + " |")
    lines.append("")
    lines.extend(_totals(network, view.dtype, units))
    return "\n".join(lines) + "\n"


def _totals(network, dtype: str = "float32", units: str = "exact") -> list[str]:
    lines = [f"- {label}: {cell(value, units, 'memory' in label)}" for label, value in summary_totals(network, dtype)]
    lines.append(f"- {MACS_NOTE}")
    conditions = network.requirements
    if conditions:
        lines.append(
            "- Valid when: " + ", ".join(f"{math(latex(c.predicate))} ({', '.join(c.layers)})" for c in conditions)
        )
    return lines


def _equation_row(equation) -> str:
    """| quantity | formula | values put in | result |, as the text form has them (→ not =)."""
    values = equation.put_in(latex, equation.plain)
    if equation.result.is_Integer:
        result = value_text(equation.result)
        if equation.exact is not None and equation.plain:
            values += f" = {decimal(equation.exact)}"
            result += f" (the {equation.rounding} is taken)"
    else:
        result = math(latex(equation.closed if equation.closed is not None else equation.result))
    quantity = equation.quantity if equation.result.is_Integer else f"{equation.quantity} {math(latex(equation.name))}"
    return f"| {quantity} | {math(equation.formula(latex))} | {math(values)} | {result} |"


def layer_section(explanation) -> list[str]:
    """One layer of `explain` as a heading, its shapes and a table of its equations."""
    row = explanation.row
    activation = f" ({row.activation})" if row.activation else ""
    lines = [f"### {row.name} · {row.title}{activation}", ""]
    lines.append(f"Input shape {cell(row.input.dims)} → output shape {cell(row.output.dims)}.")
    lines += ["", "| | formula | values put in | result |", "|---|---|---|---:|"]
    lines.extend(_equation_row(e) for e in explanation.equations)
    macs = explanation.macs_closed if explanation.macs_closed is not None else explanation.macs
    lines.append(f"| MACs | | | {cell(macs)} |")
    for claim in explanation.failed_claims:
        lines += ["", f"The claim on line {claim.line} is false: `{claim.claim.text}` (derived {cell(claim.derived)})."]
    return lines


@renders_in_bulk
def render_explanation(network, layer: str | None = None) -> str:
    """`explain` as Markdown: a table of equations per layer, then the totals."""
    explanations = explain(network, layer)
    meanings = ", ".join(f"{math(latex(symbol))} {meaning}" for symbol, meaning in legend(explanations))
    lines = [f"**{heading(network)}**", "", "Each row: the general formula, this layer's values put in, the result."]
    if meanings:
        lines[-1] += f" {meanings}."
    for explanation in explanations:
        lines += ["", *layer_section(explanation)]
    if layer is None:
        lines += ["", "### Totals", ""]
        lines.extend(_totals(network))
    return "\n".join(lines) + "\n"
