"""The JSON contract for scripts: concrete quantities as integers, symbolic ones as SymPy-syntax strings.

`symbols` maps each identifier the formulas use to its parameter's name (a name
that sympify would misread gets a _: lambda_), so `sympify(text,
locals=notation.sympy_locals(network.symbols))` reads a formula back. An
integer too long for Python's str() (over 4,300 digits) is a string of digits.

Each layer, and the document itself, also has a `latex` object: the same keys
with every quantity as a LaTeX string (a list of them for a shape; for
`bindings` and `claims`, a list of objects with their formulas' keys).
"""

from __future__ import annotations

import json

from sympy import Basic

from ..claims import check_claims
from ..notation import latex, machine_name, short_integer, sympy_str
from ..report import View, display, memory_lines, requirements, row_value

LAYER_KEYS = (
    "input_shape",
    "output_shape",
    "params",
    "weights",
    "bias",
    "trainable_params",
    "non_trainable_params",
    "macs",
    "flops",
    "activations",
    "activation_bytes",
    "receptive_field",
)
TOTAL_KEYS = ("params", "weights", "bias", "trainable_params", "non_trainable_params", "macs", "flops", "activations")


def jsonable(value):
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Basic):
        return int(value) if value.is_Integer and short_integer(value) else sympy_str(value)
    return value


def latex_strings(value):
    """`value` as `jsonable` shapes it, with LaTeX strings in place of numbers and formulas."""
    if isinstance(value, tuple):
        return [latex_strings(v) for v in value]
    return latex(value) if isinstance(value, Basic) else value


def document(network, dtype: str = "float32") -> dict:
    layers = []
    for row in network.rows:
        entry = {"name": row.name, "type": row.title}
        values = {key: row_value(network, row, key, dtype) for key in LAYER_KEYS}
        entry.update({key: jsonable(value) for key, value in values.items()})
        entry["latex"] = {key: latex_strings(value) for key, value in values.items()}
        entry["line"] = row.span.line
        entry["path"] = list(row.path)
        layers.append(entry)
    memory = dict(zip(("param_bytes", "activation_bytes"), (value for _, value in memory_lines(network, dtype))))
    totals = {key: display(network, network.totals[key]) for key in TOTAL_KEYS} | memory
    conditions = [c.predicate for c in requirements(network)]
    claims = check_claims(network)
    return {
        "file": network.file,
        "convention": network.convention,
        "layout": network.layout,
        "input_shape": jsonable(network.input.dims),
        "layers": layers,
        "totals": {key: jsonable(value) for key, value in totals.items()},
        "dtype": dtype,
        "blocks": [
            {
                "name": c.name,
                "type": c.title,
                "path": list(c.path),
                "layers": [row.name for row in network.rows[c.start : c.end]],
            }
            for c in network.containers
        ],
        # identifier in the formulas -> the parameter's name: lambda_ -> lambda (notation.machine_name)
        "symbols": {machine_name(symbol): symbol.name for symbol in network.symbols},
        "bindings": [
            {"symbol": machine_name(b.symbol), "expr": sympy_str(b.expr), "layer": b.layer} for b in network.bindings
        ],
        "conditions": [sympy_str(c) for c in conditions],
        "claims": [
            {
                "line": result.line,
                "text": result.claim.text,
                "expected": jsonable(result.expected),
                "derived": jsonable(result.derived),
                "ok": result.ok,
            }
            for result in claims
        ],
        "latex": {
            "input_shape": latex_strings(network.input.dims),
            "totals": {key: latex_strings(value) for key, value in totals.items()},
            "conditions": [latex(c) for c in conditions],
            "bindings": [{"symbol": latex(b.symbol), "expr": latex(b.expr)} for b in network.bindings],
            "claims": [{"expected": latex_strings(r.expected), "derived": latex_strings(r.derived)} for r in claims],
        },
    }


def render(network, unicode: bool = True, view: View = View()) -> str:
    return json.dumps(document(network, view.dtype), indent=2, ensure_ascii=False)
