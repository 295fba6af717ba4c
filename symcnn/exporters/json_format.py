"""The JSON contract for scripts: concrete quantities as integers, symbolic ones as SymPy str() strings."""

from __future__ import annotations

import json

from sympy import Basic

from ..claims import check_claims
from ..printing import sympy_str
from ..report import display, requirements, row_value

LAYER_KEYS = ("input_shape", "output_shape", "params", "weights", "bias", "trainable_params", "non_trainable_params", "macs", "flops")
TOTAL_KEYS = ("params", "weights", "bias", "trainable_params", "non_trainable_params", "macs", "flops")


def jsonable(value):
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Basic):
        return int(value) if value.is_Integer else sympy_str(value)
    return value


def document(network) -> dict:
    layers = []
    for row in network.rows:
        entry = {"name": row.name, "type": row.title}
        entry.update({key: jsonable(row_value(network, row, key)) for key in LAYER_KEYS})
        entry["line"] = row.span.line
        layers.append(entry)
    return {
        "file": network.file,
        "convention": network.convention,
        "layout": network.layout,
        "input_shape": jsonable(network.input.dims),
        "layers": layers,
        "totals": {key: jsonable(display(network, network.totals[key])) for key in TOTAL_KEYS},
        "symbols": [str(symbol) for symbol in network.symbols],
        "bindings": [{"symbol": str(b.symbol), "expr": sympy_str(b.expr), "layer": b.layer} for b in network.bindings],
        "conditions": [sympy_str(c.predicate) for c in requirements(network)],
        "claims": [
            {
                "line": result.line,
                "text": result.claim.text,
                "expected": jsonable(result.expected),
                "derived": jsonable(result.derived),
                "ok": result.ok,
            }
            for result in check_claims(network)
        ],
    }


def render(network, unicode: bool = True) -> str:
    return json.dumps(document(network), indent=2, ensure_ascii=False)
