"""Every exported shape formula, evaluated at random values, gives the engine's number.

The JSON strings are read back with sympify (they are symcnn's own output, not
user text); the LaTeX strings with SymPy's LaTeX parser (lark backend), after
undoing the thin spaces that group digits. What that parser cannot read
(upright names such as C_{\\mathrm{in}}) is compared with the engine's
expression printed through the same printer.
"""

import random
import re
from pathlib import Path

import pytest
from lark.exceptions import LarkError
from sympy import Integer, Symbol, sympify
from sympy.parsing.latex import parse_latex

import symcnn
from symcnn.errors import SymcnnError
from symcnn.exporters.json_format import document
from symcnn.notation import latex, latex_name
from symcnn.views.summary import row_value

SEED = Path(__file__).resolve().parent.parent / "examples" / "seed.cnn"
NETWORKS = {
    "seed": (SEED.read_text(encoding="utf-8"), {"H": (31, 300), "W": (31, 300)}),
    "torch": (
        "K = 3\nS = 2\nP = 1\nd = 1\nH = 64\nW = 48\n"
        "input 3, H, W\n"
        "conv 8, K, stride=S, padding=P, dilation=d\n"
        "maxpool 3, stride=2, padding=1, ceil_mode=true\n"
        "conv 8, 3, stride=S\n"
        "avgpool 2\n",
        {"K": (1, 5), "S": (1, 3), "P": (0, 2), "d": (1, 2), "H": (20, 200), "W": (20, 200)},
    ),
    "keras": (
        "convention keras\nH = 39\nW = 31\nS = 2\n"
        "input H, W, 1\n"
        "conv 5, 3, stride=S, padding=same\n"
        "maxpool 2, padding=same\n"
        "conv 7, 3\n",
        {"H": (3, 300), "W": (3, 300), "S": (1, 4)},
    ),
}
SAMPLES = 4
_THIN_SPACE = re.compile(r"(?<=\d)\\,(?=\d)")


def _evaluate(expr, values: dict[str, int], names) -> Integer:
    """`expr` at `values`, its symbols matched by `names` (symbol -> parameter name)."""
    return expr.xreplace({s: Integer(values[names(s)]) for s in expr.free_symbols})


def _samples(ranges, seed):
    rng = random.Random(seed)
    return [{name: rng.randint(*bounds) for name, bounds in ranges.items()} for _ in range(SAMPLES * 4)]


@pytest.mark.parametrize("name", NETWORKS)
def test_every_exported_shape_formula_gives_the_engines_number(name):
    text, ranges = NETWORKS[name]
    network = symcnn.loads(text, symbolic="all")
    exported, identifiers = document(network)["layers"], document(network)["symbols"]
    by_latex_name = {latex_name(p): p for p in ranges}
    names = {i: Symbol(i) for i in identifiers}  # the JSON's identifiers: S_ for S, which is SymPy's S
    checked = parsed = 0
    for values in _samples(ranges, seed=name):
        try:
            concrete = symcnn.loads(text, overrides=values)
        except SymcnnError:  # these values make the network invalid: no number to compare
            continue
        for layer, row in zip(exported, concrete.rows):
            engine = [int(d) for d in row.output.dims]
            from_json = [
                int(_evaluate(sympify(s, locals=names), values, lambda s: identifiers[str(s)]))
                if isinstance(s, str)
                else s
                for s in layer["output_shape"]
            ]
            assert from_json == engine, (layer["name"], values)
            symbolic_dims = row_value(network, network.row(layer["name"]), "output_shape")
            for tex, dim, number in zip(layer["latex"]["output_shape"], symbolic_dims, engine):
                try:
                    read_back = parse_latex(_THIN_SPACE.sub("", tex), backend="lark")
                except LarkError:
                    assert tex == latex(dim)
                    continue
                assert _evaluate(read_back, values, lambda s: by_latex_name[str(s)]) == number, (
                    layer["name"],
                    tex,
                    values,
                )
                parsed += 1
            checked += 1
        if checked >= SAMPLES * len(exported):
            break
    assert checked >= 2 * len(exported), "too few valid random samples"
    assert parsed > 0
