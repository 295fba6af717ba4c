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

import functools
import json

from sympy import Basic

from ..notation import latex, machine_name, short_integer, sympy_str
from ..views.summary import View, memory_lines, row_value
from .bulk import renders_in_bulk

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


class Strings:
    """Numbers and formulas as JSON values and as LaTeX, each distinct expression printed once per document.

    A deep network repeats many: a layer's input shape is the previous one's
    output, its trainable parameters are often all its parameters.
    """

    def __init__(self):
        self.text = functools.cache(sympy_str)
        self.tex = functools.cache(latex)

    def json(self, value):
        """Integers as numbers, formulas as SymPy strings, shapes as lists."""
        if isinstance(value, tuple):
            return [self.json(v) for v in value]
        if isinstance(value, Basic):
            return int(value) if value.is_Integer and short_integer(value) else self.text(value)
        return value

    def latex(self, value):
        """`value` as `json` shapes it, with LaTeX strings in place of numbers and formulas."""
        if isinstance(value, tuple):
            return [self.latex(v) for v in value]
        return self.tex(value) if isinstance(value, Basic) else value


def document(network, dtype: str = "float32") -> dict:
    strings = Strings()
    jsonable, latex_strings, latex_of = strings.json, strings.latex, strings.tex
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
    totals = {key: network.display_form(network.totals[key]) for key in TOTAL_KEYS} | memory
    conditions = [c.predicate for c in network.requirements]
    claims = network.claim_results
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
            {"symbol": machine_name(b.symbol), "expr": strings.text(b.expr), "layer": b.layer} for b in network.bindings
        ],
        "conditions": [strings.text(c) for c in conditions],
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
            "conditions": [latex_of(c) for c in conditions],
            "bindings": [{"symbol": latex_of(b.symbol), "expr": latex_of(b.expr)} for b in network.bindings],
            "claims": [{"expected": latex_strings(r.expected), "derived": latex_strings(r.derived)} for r in claims],
        },
    }


@renders_in_bulk
def render(network, unicode: bool = True, view: View = View(), units: str = "exact") -> str:
    """The JSON document; its values are always exact, whatever `units` the text formats are asked for."""
    return json.dumps(document(network, view.dtype), indent=2, ensure_ascii=False)
