"""`symcnn explain` as terminal text: each layer's derivation in the CNN notes' three steps.

    height        ⌊(N + 2P − F)/S⌋ + 1 → (39 − 4)/1 + 1 → 36

Rendered in Unicode; the command turns it into ASCII (notation.to_ascii)
when the terminal cannot take it.
"""

from __future__ import annotations

import textwrap

from sympy import Basic

from ..notation import decimal, group_digits, put_in
from ..views.explanation import explain, legend
from ..views.summary import MACS_NOTE, TOTAL_LINES, heading
from .bulk import renders_in_bulk

LABEL = 14  # width of the label column
INDENT = " " * (2 + LABEL)
LEGEND_WIDTH = 100


def value(expr) -> str:
    """An integer with grouped digits, else the formula with × between factors."""
    return group_digits(int(expr)) if isinstance(expr, Basic) and expr.is_Integer else put_in(expr)


def shape(dims) -> str:
    items = [group_digits(int(d), "") if d.is_Integer else value(d) for d in dims]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _line(label: str, text: str) -> str:
    return f"  {label:<{LABEL}}{text}".rstrip()


def _equation_lines(equation) -> list[str]:
    formula = equation.formula(put_in)
    values = equation.put_in(put_in, equation.plain)
    result = value(equation.result)
    chain = [formula, values]
    if equation.exact is not None and equation.plain:
        chain[-1] += f" = {decimal(equation.exact)}"
        result += f" (the {equation.rounding} is taken)"
    if result != values:
        chain.append(result)
    text = " → ".join(chain)
    named = equation.quantity != "params" and not equation.result.is_Atom
    if named:
        text += f" = {put_in(equation.name)}"
    lines = [_line(equation.quantity, text)]
    if equation.closed is not None:
        prefix = f"{put_in(equation.name)} = " if named else ""
        lines.append(f"{INDENT}in the inputs: {prefix}{value(equation.closed)}")
    return lines


def layer_lines(explanation) -> list[str]:
    row = explanation.row
    lines = [f"{row.name} · {row.title}{f' ({row.activation})' if row.activation else ''} · line {row.span.line}"]
    lines.append(_line("input shape", shape(row.input.dims)))
    shapes = [e for e in explanation.equations if e.quantity != "params"]
    params = [e for e in explanation.equations if e.quantity == "params"]
    for equation in shapes:
        lines.extend(_equation_lines(equation))
    lines.append(_line("output shape", shape(row.output.dims)))
    for equation in params:
        lines.extend(_equation_lines(equation))
    if not params:
        lines.append(_line("params", "0"))
    lines.append(_line("MACs", value(explanation.macs)))
    if explanation.macs_closed is not None:
        lines.append(f"{INDENT}in the inputs: {value(explanation.macs_closed)}")
    for claim in explanation.failed_claims:
        lines.append(_line("claim", f"line {claim.line} is false: {claim.claim.text} (derived {value(claim.derived)})"))
    return lines


def legend_lines(explanations) -> list[str]:
    meanings = ", ".join(f"{put_in(symbol)} {meaning}" for symbol, meaning in legend(explanations))
    lines = ["Each step: the general formula → this layer's values put in → the result."]
    if meanings:
        lines.extend(textwrap.wrap(meanings + ".", LEGEND_WIDTH))
    return lines


def total_lines(network, explanations) -> list[str]:
    lines = ["Totals"]
    width = max(len(label) for _, label in TOTAL_LINES) + 2
    for key, label in TOTAL_LINES:
        lines.append(f"  {label:<{width}}{value(network.display_form(network.totals[key]))}")
    lines.append(f"  {MACS_NOTE}")
    conditions = network.requirements
    if conditions:
        lines.append("")
        lines.append("Valid when")
        lines.extend(f"  {value(c.predicate)}   [{', '.join(c.layers)}]" for c in conditions)
    if any(e.too_long for x in explanations for e in x.equations):
        lines.append("")
        lines.append(f"Closed forms over {network.formula_limit} operations are not shown; see --formula-limit.")
    results = network.claim_results
    if results:
        held = sum(r.ok is True for r in results)
        false = sum(r.ok is False for r in results)
        undecided = len(results) - held - false
        counts = [f"{held} of {len(results)} hold"]
        counts += [f"{undecided} undecided with symbols left free"] if undecided else []
        counts += [f"{false} false"] if false else []
        lines.append("")
        lines.append("Claims: " + "; ".join(counts) + ".")
    return lines


@renders_in_bulk
def render(network, layer: str | None = None) -> str:
    """The whole derivation, or one layer's; Unicode text."""
    explanations = explain(network, layer)
    lines = [heading(network), *legend_lines(explanations)]
    for explanation in explanations:
        lines.append("")
        lines.extend(layer_lines(explanation))
    if layer is None:
        lines.append("")
        lines.extend(total_lines(network, explanations))
    return "\n".join(lines) + "\n"
