"""The notation module: every formula prints in every style, whatever the parameters are called.

The regression tests render a derived network in every format; the property
tests build random expressions from the engine's own building blocks.
"""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from sympy import ceiling, floor, sympify

import symcnn
from symcnn.exporters import explain, json_format, markdown, table
from symcnn.exporters import latex as latex_exporter
from symcnn.intdiv import CeilDiv, FloorDiv
from symcnn.notation import sympy_locals
from symcnn.report import display

# The mission's own example: every parameter shares its name with a legend placeholder.
NFPS = """\
N = 32
F = 3
P = 1
S = 1
input 3, N, N
conv 16, F, stride=S, padding=P
maxpool 2
conv 32, F, stride=S, padding=P
flatten
dense 10
"""


def every_format(network) -> dict[str, str]:
    """The network in every output format, as text."""
    console = Console(record=True, width=200, file=open("/dev/null", "w"))  # noqa: SIM115 - closed with the test
    console.print(table.render(network))
    return {
        "table": console.export_text(),
        "json": json_format.render(network),
        "markdown": markdown.render(network),
        "explain": explain.render(network),
        "explain markdown": markdown.render_explanation(network),
        "latex": latex_exporter.render(network, standalone=True),
        "notebook latex": network._repr_latex_(),
        "notebook markdown": network._repr_markdown_(),
        "notebook html": network._repr_html_(),
        "row latex": network.rows[0]._repr_latex_(),
    }


@pytest.mark.parametrize("symbolic", ["N", "N,F,P,S", "F", "S", "P"])
def test_parameters_named_like_placeholders_print_in_every_format(symbolic):
    every_format(symcnn.loads(NFPS, symbolic=symbolic.split(",")))


def test_a_placeholder_is_renamed_when_a_parameter_takes_its_name():
    text = explain.render(symcnn.loads(NFPS, symbolic=["N", "F", "P", "S"]))
    # The placeholders are marked; the user's N, F, S and P keep their names.
    assert "height        ⌊(N′ + 2P′ − F′)/S′⌋ + 1 → ⌊(N + 2 × P − F)/S⌋ + 1 → ⌊(N + 2P − F)/S⌋ + 1 = H_1" in text
    assert "N′ input size, F′ kernel size, S′ stride, P′ padding per side" in text
    # Placeholders nobody took keep theirs.
    assert "C_in input channels" in text


def test_a_placeholder_keeps_its_name_when_no_parameter_takes_it():
    text = explain.render(symcnn.loads(NFPS.replace("N", "H")))
    assert "′" not in text
    assert "⌊(N + 2P − F)/S⌋ + 1" in text


def test_a_squared_floor_prints_in_latex():
    network = symcnn.loads(NFPS, symbolic=["N"])
    assert r"\right\rfloor^{2}" in network._repr_latex_()


def test_integers_past_pythons_digit_limit_print():
    network = symcnn.loads("input 1, 2, 2\nrepeat 150 { upsample 100000000000000000000000000000 }\n")
    outputs = every_format(network)
    digits = "2" + "0" * (29 * 150)
    assert digits in outputs["explain"].replace(",", "")
    assert json.loads(outputs["json"])["layers"][-1]["output_shape"][-1] == digits  # too long for a JSON int


SYMPY_NAMES = ["lambda", "floor", "ceiling", "Min", "Max", "S", "N", "E", "I", "Q", "O", "beta", "gamma", "pi", "Mod"]


@pytest.mark.parametrize("name", SYMPY_NAMES)
def test_json_formulas_read_back_whatever_the_parameters_are_called(name):
    source = f"{name} = 32\nF = 3\ninput 3, {name}, {name}\nconv 16, F, padding=1\nmaxpool 2\nflatten\ndense 10\n"
    network = symcnn.loads(source, symbolic=[name, "F"])
    document = json.loads(json_format.render(network))
    names = document["symbols"]
    assert sorted(names.values()) == sorted(s.name for s in network.symbols)
    local = sympy_locals(network.symbols)
    assert set(local) == set(names)
    # sympify only on the printer's output, never on user text
    params = sympify(document["totals"]["params"], locals=local)
    assert params == in_sympy_functions(display(network, network.totals["params"]))
    height = sympify(document["layers"][-3]["output_shape"][1], locals=local)
    assert height == in_sympy_functions(display(network, network.rows[-3].output.dims[1]))
    assert {s.name for s in height.free_symbols} == {name, "F"}


def in_sympy_functions(expr):
    """`expr` as SymPy would build it from its SymPy syntax: FloorDiv(a, b) is floor(a/b)."""
    if expr.is_Atom:
        return expr
    args = [in_sympy_functions(arg) for arg in expr.args]
    if isinstance(expr, FloorDiv):
        return floor(args[0] / args[1])
    if isinstance(expr, CeilDiv):
        return ceiling(args[0] / args[1])
    return expr.func(*args)
