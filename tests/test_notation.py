"""The notation module: every formula prints in every style, whatever the parameters are called.

The regression tests render a derived network in every format; the property
tests build random expressions from the engine's own building blocks (its
FloorDiv and CeilDiv, min, max, Mod, relations, symbols with the assumptions
the engine gives, named like placeholders and like SymPy's own names) and
print each in every style. sympify and parse_latex read only printer output.
"""

from __future__ import annotations

import json
import operator
import re
import string
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError
from rich.console import Console
from sympy import (
    Add,
    And,
    Eq,
    Ge,
    Gt,
    Integer,
    Le,
    Lt,
    Max,
    Min,
    Mod,
    Mul,
    Ne,
    Or,
    Piecewise,
    Pow,
    Rational,
    S,
    Symbol,
    ceiling,
    floor,
    sympify,
)
from sympy.parsing.latex import parse_latex

import symcnn
from symcnn import notation
from symcnn.exporters import explain, json_format, markdown, table
from symcnn.exporters import latex as latex_exporter
from symcnn.intdiv import CeilDiv, FloorDiv
from symcnn.layers import FACTOR_ORDER
from symcnn.notation import (
    STYLES,
    latex,
    latex_name,
    printer,
    put_in,
    sympy_locals,
    sympy_str,
    textbook,
    to_ascii,
)

OPERATORS = {Ge: operator.ge, Gt: operator.gt, Le: operator.le, Lt: operator.lt}  # how SymPy syntax writes them

# The mission's own example: every parameter shares its name with a legend placeholder.
NFPS = (Path(__file__).resolve().parent.parent / "examples" / "mission.cnn").read_text(encoding="utf-8")


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


def test_a_marked_placeholder_reads_in_ascii_and_latex():
    network = symcnn.loads(NFPS, symbolic=["N", "F", "P", "S"])
    assert "floor((N' + 2P' - F')/S') + 1 -> floor((N + 2 x P - F)/S) + 1" in to_ascii(explain.render(network))
    assert r"\frac{N' + 2P' - F'}{S'}" in latex_exporter.render(network)


def test_a_placeholder_keeps_its_name_when_no_parameter_takes_it():
    text = explain.render(symcnn.loads(NFPS.replace("N", "H")))
    assert "′" not in text
    assert "⌊(N + 2P − F)/S⌋ + 1" in text


def test_a_squared_floor_prints_in_latex():
    network = symcnn.loads(NFPS, symbolic=["N"])
    assert r"\right\rfloor^{2}" in network._repr_latex_()


def test_integers_past_pythons_digit_limit_print():
    huge = Integer(2 * 10 ** (29 * 150))  # str() of a Python int refuses past 4,300 digits
    digits = "2" + "0" * (29 * 150)
    assert textbook(huge).replace(",", "") == digits
    assert latex(huge).replace(r"\,", "") == digits
    assert json_format.Strings().json(huge) == digits  # too long for a JSON int


def test_derived_sizes_past_the_value_limit_are_an_input_error():
    with pytest.raises(symcnn.SymcnnError, match="too large"):
        symcnn.loads("input 1, 2, 2\nrepeat 150 { upsample 100000000000000000000000000000 }\n")


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
    assert params == in_sympy_functions(network.display_form(network.totals["params"]))
    height = sympify(document["layers"][-3]["output_shape"][1], locals=local)
    assert height == in_sympy_functions(network.display_form(network.rows[-3].output.dims[1]))
    assert {s.name for s in height.free_symbols} == {name, "F"}


def in_sympy_functions(expr):
    """`expr` as SymPy builds it from its SymPy syntax: FloorDiv(a, b) is floor(a/b), a >= b is Python's >=."""
    if expr.is_Atom:
        return expr
    args = [in_sympy_functions(arg) for arg in expr.args]
    if isinstance(expr, FloorDiv):
        return floor(args[0] / args[1])
    if isinstance(expr, CeilDiv):
        return ceiling(args[0] / args[1])
    if type(expr) in OPERATORS:
        return OPERATORS[type(expr)](*args)
    return expr.func(*args)


# Property tests -------------------------------------------------------------------------------------------------
# Random expressions from the engine's building blocks, printed in every style.

# The assumptions symcnn.derive gives parameters, and names that collide with placeholders and with SymPy.
ASSUMPTIONS = [
    {"integer": True, "positive": True},
    {"integer": True, "nonnegative": True},
    {"integer": True},
    {"positive": True},
    {"real": True},
]
NAMES = ["N", "F", "P", "S", "C_in", "d", "g", "m", "n_in", "P_l", "bias", "H", "W", "H_3", "alpha", "width"]
NAMES = list(dict.fromkeys(NAMES + SYMPY_NAMES + ["Eq", "Integer", "Symbol", "sqrt", "x_", "lambda_", "_x", "print"]))

# One symbol per name, as in a network, where parameter names are unique; the assumptions go round.
SYMBOLS = [Symbol(name, **ASSUMPTIONS[index % len(ASSUMPTIONS)]) for index, name in enumerate(NAMES)]
symbols = st.sampled_from(SYMBOLS)
positive_symbols = st.sampled_from([s for s in SYMBOLS if s.is_integer and s.is_positive])
integers = st.one_of(st.integers(-50, 50), st.integers(-(10**30), 10**30))  # longer: see the digit-limit test
numbers = st.one_of(integers.map(Integer), st.builds(Rational, st.integers(-20, 20), st.integers(1, 12)))
divisors = st.one_of(
    st.integers(1, 9).map(Integer), positive_symbols, st.builds(Mul, positive_symbols, positive_symbols)
)


def _power(base, exponent: int):
    """base**exponent, but no reciprocal of what may be 0 (zoo, which Max and Min refuse)."""
    return Pow(base, exponent) if exponent > 0 or base.is_zero is False else base


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: Add(*xs)),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: Mul(*xs)),
        st.builds(_power, children, st.sampled_from([2, 3, -1])),
        st.builds(FloorDiv, children, divisors),
        st.builds(CeilDiv, children, divisors),
        st.builds(Max, children, children),
        st.builds(Min, children, children),
        st.builds(Mod, children, divisors),
    )


expressions = st.recursive(st.one_of(symbols, numbers), _extend, max_leaves=8)
RELATIONS = [Ge, Le, Gt, Lt, Eq, Ne]
relations = st.builds(lambda r, a, b: r(a, b, evaluate=False), st.sampled_from(RELATIONS), expressions, expressions)
conditions = st.one_of(relations, st.builds(And, relations, relations), st.builds(Or, relations, relations))
formulas = st.one_of(expressions, conditions)

_PAIRS = {")": "(", "]": "[", "}": "{", "⌋": "⌊", "⌉": "⌈"}


def balanced(text: str) -> bool:
    r"""Brackets nest (LaTeX's \{ and \} are text, not brackets), and every \left has its \right."""
    stack = []
    for char in re.sub(r"\\[{}]", "", text):
        if char in "([{⌊⌈":
            stack.append(char)
        elif char in _PAIRS and (not stack or stack.pop() != _PAIRS[char]):
            return False
    return not stack and text.count(r"\left") == text.count(r"\right")


def every_style(expr) -> dict[str, str]:
    texts = {style: printer(style).doprint(expr) for style in STYLES}
    texts |= {"textbook": textbook(expr), "ascii textbook": textbook(expr, unicode=False), "put_in": put_in(expr)}
    return texts | {"latex()": latex(expr), "sympy_str": sympy_str(expr)}


def safe_build(strategy):
    """Only expressions SymPy keeps finite: a random 0 to a negative power is zoo."""
    return strategy.filter(lambda e: not e.has(S.ComplexInfinity, S.NaN))


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(safe_build(formulas))
def test_every_formula_prints_in_every_style_with_balanced_brackets(expr):
    for style, text in every_style(expr).items():
        assert text and balanced(text), (style, text)


@PROPERTY
@given(safe_build(formulas), st.randoms(use_true_random=False))
def test_sympy_syntax_reads_back_as_the_same_expression(expr, rng):
    text = sympy_str(expr)
    read_back = sympify(text, locals=sympy_locals(expr.free_symbols))
    expected = in_sympy_functions(expr)
    if read_back == expected:
        return
    # Reading -(F + N)*x, SymPy distributes the minus first: the same expression in another form.
    for _ in range(4):
        point = {s: Integer(rng.randint(1, 30)) for s in expr.free_symbols}
        assert read_back.xreplace(point) == expected.xreplace(point), text


# LaTeX that parse_latex reads: one-letter names (not e, i, E, I, which it may read as constants) and alpha.
LATEX_NAMES = [c for c in string.ascii_letters if c not in "eEiIOS"] + ["alpha", "beta", "H_1"]
latex_symbols = st.builds(lambda n: Symbol(n, integer=True, positive=True), st.sampled_from(LATEX_NAMES))
latex_divisors = st.one_of(st.integers(1, 9).map(Integer), latex_symbols)


def _latex_extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: Add(*xs)),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: Mul(*xs)),
        st.builds(Pow, children, st.sampled_from([2, 3]).map(Integer)),
        st.builds(FloorDiv, children, latex_divisors),
        st.builds(CeilDiv, children, latex_divisors),
        st.builds(Max, children, children),
    )


latex_expressions = st.recursive(
    st.one_of(latex_symbols, st.integers(-3000, 3000).map(Integer)), _latex_extend, max_leaves=6
)


@settings(PROPERTY, max_examples=60)  # parse_latex is slow
@given(latex_expressions, st.randoms(use_true_random=False))
def test_latex_reads_back_with_parse_latex_to_the_same_values(expr, rng):
    tex = re.sub(r"(?<=\d)\\,(?=\d)", "", latex(expr))  # thin spaces group digits: 64\,320
    try:
        read_back = parse_latex(tex, backend="lark")
    except LarkError:
        return  # outside what the lark grammar reads; the other properties still cover it
    by_name = {name: s for s in expr.free_symbols for name in (s.name, latex_name(s.name))}
    point = {s: Integer(rng.randint(1, 40)) for s in expr.free_symbols}
    at_point = {s: point[by_name[str(s)]] for s in read_back.free_symbols}
    assert read_back.xreplace(at_point) == expr.xreplace(point), tex


def test_the_rules_for_each_node_in_text_latex_and_sympy_syntax():
    x, y = Symbol("x", integer=True, positive=True), Symbol("lambda", integer=True, positive=True)
    cases = {
        FloorDiv(x, 2) ** 2: ("⌊x/2⌋²", r"\left\lfloor \frac{x}{2} \right\rfloor^{2}", "floor((x)/2)**2"),
        Mod(x, 3): ("x mod 3", r"x \bmod 3", "Mod(x, 3)"),
        Max(x, y): ("max(lambda, x)", r"\max\left(\lambda, x\right)", "Max(lambda_, x)"),
        Ne(x, y): ("x ≠ lambda", r"x \neq \lambda", "Ne(x, lambda_)"),
        And(Ge(x, 3), Lt(y, x)): ("x ≥ 3 and lambda < x", r"x \geq 3 \wedge \lambda < x", "(x >= 3) & (lambda_ < x)"),
        Piecewise((x, Ge(x, 3)), (y, True)): (
            "(x if x ≥ 3, else lambda)",
            None,
            "Piecewise((x, x >= 3), (lambda_, True))",
        ),
        2 * Mod(x + 1, 3): (
            "2·((x + 1) mod 3)",
            r"2 \cdot \left(\left(x + 1\right) \bmod 3\right)",
            "2*(Mod(x + 1, 3))",
        ),
        Rational(-3, 2) * x: ("−3x/2", r"-\frac{3x}{2}", "-3*x/2"),
        1 / (x * y): ("1/(lambda·x)", r"\frac{1}{\lambda \cdot x}", "1/(lambda_*x)"),
    }
    for expr, (text, tex, machine) in cases.items():
        assert (textbook(expr), sympy_str(expr)) == (text, machine)
        assert tex is None or latex(expr) == tex


# A general formula in placeholders, with values put in that may hold a parameter of the same name.
PLACEHOLDER_NAMES = {p.name for p in FACTOR_ORDER}
placeholders = st.sampled_from(FACTOR_ORDER).flatmap(lambda p: st.sampled_from([p, p.marked()]))
general = st.recursive(st.one_of(placeholders, st.integers(-3, 3).map(Integer)), _extend, max_leaves=6)
put_in_values = st.dictionaries(placeholders, st.one_of(expressions, st.sampled_from(SYMBOLS)), max_size=6)


@PROPERTY
@given(safe_build(general), put_in_values, st.booleans())
def test_values_put_in_print_in_text_and_latex(formula, values, plain):
    for render in (put_in, latex):
        text = render(formula, values, FACTOR_ORDER, plain)
        assert text and balanced(text), text


# Sums of monomials, as deep networks have thousands of: the printers take shortcuts for them.
monomials = st.builds(
    lambda c, factors: Mul(c, *(Pow(b, e) for b, e in factors)),
    st.integers(-300, 300).filter(bool).map(Integer),
    st.lists(st.tuples(st.one_of(symbols, placeholders), st.integers(-1, 3).filter(bool)), max_size=4),
)
polynomials = st.lists(st.one_of(monomials, expressions), min_size=1, max_size=6).map(lambda xs: Add(*xs))
# A count in bytes: the sum times the size, unevaluated (views.summary.in_bytes).
scaled = st.builds(
    lambda c, x: Mul(c, x, evaluate=False),
    st.sampled_from([2, 4, 8]).map(Integer),
    polynomials.filter(lambda x: x.is_Add),
)


@PROPERTY
@given(safe_build(st.one_of(polynomials, scaled, formulas)), put_in_values)
def test_the_monomial_shortcuts_print_what_the_general_rules_print(expr, values):
    """With the shortcuts turned off, every style prints the same text, character for character."""

    def every_printer():
        texts = [printer(style).doprint(expr) for style in STYLES]
        texts += [printer(style, factor_order=tuple(FACTOR_ORDER)).doprint(expr) for style in ("unicode", "latex")]
        return texts + [printer("latex", values=values, factor_order=tuple(FACTOR_ORDER)).doprint(expr)]

    with_shortcuts = every_printer()
    no = mock.patch.multiple(
        notation, _monomial_powers=lambda term: None, _monomial_factor=lambda f: False, _plain_term=lambda t: False
    )
    with no:
        assert every_printer() == with_shortcuts
