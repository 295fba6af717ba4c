"""Validity conditions are simplified, and every simplification is equivalent to what it replaces.

Equivalence is checked by brute force: at every point of a grid of small values
(those the symbols' assumptions allow), the simplified conditions all hold
exactly where the original does.
"""

import itertools
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Add, Eq, Ge, Gt, Le, Lt, Max, Min, Mod, Mul, Pow, Symbol, false, true

import symcnn
from symcnn.closedform import decide_equal
from symcnn.conditions import reduce_condition, summarize
from symcnn.intdiv import CeilDiv, FloorDiv
from symcnn.notation import textbook

ROOT = Path(__file__).resolve().parent.parent
MISSION = (Path(__file__).resolve().parent.parent / "examples" / "mission.cnn").read_text(encoding="utf-8")

A = Symbol("A", integer=True, positive=True)
B = Symbol("B", integer=True, positive=True)
Q = Symbol("Q", integer=True, nonnegative=True)
Z = Symbol("Z", integer=True)
GRID = {A: range(1, 7), B: range(1, 7), Q: range(6), Z: range(-4, 5)}


def grid(symbols):
    """Every assignment of the symbols' grid values (at most a few thousand points)."""
    symbols = sorted(symbols, key=str)
    for values in itertools.product(*(GRID.get(s, range(1, 7)) for s in symbols)):
        yield dict(zip(symbols, values))


_OPERATIONS = {
    Add: sum,
    Mul: math.prod,
    Pow: lambda args: args[0] ** args[1],
    FloorDiv: lambda args: math.floor(Fraction(args[0]) / args[1]),
    CeilDiv: lambda args: math.ceil(Fraction(args[0]) / args[1]),
    Min: min,
    Max: max,
    Mod: lambda args: args[0] % args[1],
    Ge: lambda args: args[0] >= args[1],
    Le: lambda args: args[0] <= args[1],
    Gt: lambda args: args[0] > args[1],
    Lt: lambda args: args[0] < args[1],
    Eq: lambda args: args[0] == args[1],
}


def compiled(expr):
    """A function of a point giving the expression's exact value by Python's own arithmetic
    (SymPy's is too slow for thousands of points), so also an independent check of FloorDiv and CeilDiv."""
    if expr is true or expr is false or isinstance(expr, bool):
        return lambda point, result=bool(expr): result
    if expr.is_Symbol:
        return lambda point: point[expr]
    if expr.is_Integer:
        return lambda point, result=int(expr): result
    if expr.is_Rational:
        return lambda point, result=Fraction(int(expr.p), int(expr.q)): result
    operation = next(op for kind, op in _OPERATIONS.items() if isinstance(expr, kind))
    parts = [compiled(arg) for arg in expr.args]
    return lambda point: operation([part(point) for part in parts])


def check(function, point) -> bool:
    result = function(point)
    assert isinstance(result, bool), result
    return result


def assert_equivalent(original, simplified, symbols, point_domain=grid):
    whole, parts = compiled(original), [compiled(p) for p in simplified]
    for point in point_domain(symbols):
        assert check(whole, point) == all(check(part, point) for part in parts), (original, simplified, point)


# Random conditions from the engine's own building blocks --------------------------------------

coefficients = st.integers(-3, 3)
linear = st.builds(
    lambda a, b, q, z, c: a * A + b * B + q * Q + z * Z + c,
    coefficients,
    coefficients,
    coefficients,
    coefficients,
    st.integers(-8, 8),
)
divisors = st.sampled_from([1, 2, 3, 4, A, B, 2 * A, A + 1])


def _division(numerator, divisor, ceiling):
    return (CeilDiv if ceiling else FloorDiv)(numerator, divisor)


divisions = st.builds(_division, linear, divisors, st.booleans())
terms = st.recursive(
    divisions,
    lambda inner: st.one_of(
        st.builds(lambda k, d, rest: k * d + rest, st.integers(-3, 3).filter(bool), inner, linear),
        st.builds(lambda a, b, c: Min(a, b) + c, inner, inner, st.integers(-4, 4)),
        st.builds(_division, st.builds(lambda d, rest: d + rest, inner, linear), divisors, st.booleans()),
    ),
    max_leaves=3,
)
predicates = st.builds(
    lambda lhs, relation, rhs: (Ge if relation else Le)(lhs, rhs),
    terms,
    st.booleans(),
    st.one_of(st.integers(-6, 6), linear),
)


@settings(max_examples=200, deadline=None)
@given(predicates)
def test_reduced_conditions_are_equivalent_on_a_grid(predicate):
    if predicate in (True, False):
        return
    reduced = reduce_condition(predicate)
    assert_equivalent(predicate, reduced, predicate.free_symbols)


@pytest.mark.parametrize(
    "predicate, expected",
    [
        (Ge(FloorDiv(A + 2 * Q - B, 3) + 1, 1), ["A + 2Q ≥ B"]),
        (Ge(FloorDiv(A + 2 * Q - B, A) + 1, 1), ["A + 2Q ≥ B"]),  # a symbolic positive divisor
        (Ge(FloorDiv(35, A) + 1, 1), []),  # always true
        (Ge(CeilDiv(A - 3, B), 1), ["A ≥ 4"]),  # ceil(x/S) >= 1  <=>  x >= 1
        (Ge(2 * FloorDiv(A - 1, 4), 3), ["A ≥ 9"]),  # k·floor >= m for k > 0
        (Ge(Min(FloorDiv(A - 3, 2), FloorDiv(B - 5, 2)) + 1, 1), ["A ≥ 3", "B ≥ 5"]),
        (Ge(Q + 1, 1), []),
        # always true once each division is bounded by its worst case: U-Net's crop to its up-conv's size
        (Ge(FloorDiv(A - 60, 8), 2 * FloorDiv(A - 124, 16)), []),
        (Ge(A + 3, 4 * CeilDiv(A, 4)), []),
        (Ge(A + 2, 4 * CeilDiv(A, 4)), ["A + 2 ≥ 4·⌈A/4⌉"]),  # false at A = 3: kept
    ],
)
def test_rules(predicate, expected):
    assert [textbook(p) for p in reduce_condition(predicate)] == expected
    assert_equivalent(predicate, reduce_condition(predicate), predicate.free_symbols)


# Real networks: the summary is equivalent to the conditions the derivation kept ---------------


def network_grid(network):
    """Grid points over the network's symbols, by their assumptions."""

    def points(symbols):
        ranges = []
        for s in sorted(symbols, key=str):
            default = int(network.parameters[s.name].default)
            low = 1 if s.is_positive else 0
            ranges.append(sorted({*range(low, low + 4), *range(max(low, default - 2), default + 3)}))
        for values in itertools.product(*ranges):
            yield dict(zip(sorted(symbols, key=str), values))

    return points


@pytest.mark.parametrize(
    "text, symbolic",
    [
        (MISSION, ["N", "F", "P", "S"]),
        ((ROOT / "examples" / "whatif.cnn").read_text(), ["H", "F", "S"]),
        ((ROOT / "examples" / "whatif.cnn").read_text(), ["W", "P", "C"]),
        ((ROOT / "examples" / "seed.cnn").read_text(), ["H", "W"]),
        ("R = 4\nK = 2\ninput 1, 2 * R, 3 * R\nmaxpool K, ceil_mode=true\nconv 2, R, padding=same\n", ["R", "K"]),
        ("st = 2\nK = 3\ninput 1, 36, 36\nconv 1, K, stride=st\navgpool K, stride=st, padding=1\n", ["st", "K"]),
    ],
)
def test_network_summaries_are_equivalent_to_their_conditions(text, symbolic):
    network = symcnn.loads(text, symbolic=symbolic)
    original = [network.closed_form(c.predicate) for c in network.conditions]
    summary = [r.predicate for r in summarize(network)]
    assert len(summary) <= len(original)
    assert_conjunctions_equivalent(original, summary, set(network.symbols), network_grid(network))


def assert_conjunctions_equivalent(original, simplified, symbols, points):
    whole, parts = [compiled(p) for p in original], [compiled(p) for p in simplified]
    for point in points(symbols):
        assert all(check(f, point) for f in whole) == all(check(f, point) for f in parts), point


def test_the_mission_example_reads_as_the_textbook():
    network = symcnn.loads(MISSION, symbolic=["N", "F", "P", "S"])
    texts = [textbook(r.predicate) for r in summarize(network)]
    assert texts[0] == "N + 2P ≥ F"
    assert not any("⌊" in t for t in texts[:1])


def test_a_condition_that_always_holds_is_dropped():
    network = symcnn.loads("st = 2\ninput 1, 36, 36\nconv 1, 1, stride=st\n", symbolic=["st"])
    assert network.conditions  # ⌊35/st⌋ + 1 ≥ 1 was kept by the derivation ...
    assert summarize(network) == []  # ... and is always true


def test_true_is_no_condition():
    assert reduce_condition(true) == []


# Claims compared as formulas (symcnn.closedform.decide_equal) ----------------------------------


def _shifted(expr, shift):
    """`expr` with every integer division's constant moved out by `shift` whole divisors:
    floor((x + c)/d) written as floor((x + c - shift*d)/d) + shift, the same function."""
    return expr.replace(
        lambda e: isinstance(e, (FloorDiv, CeilDiv)) and e.args[1].is_Integer,
        lambda e: type(e)(e.args[0] - shift * e.args[1], e.args[1], evaluate=False) + shift,
    )


@settings(max_examples=150, deadline=None)
@given(terms, st.integers(-3, 3), st.integers(-2, 2))
def test_decide_equal_is_right_where_it_decides(expr, shift, offset):
    other = _shifted(expr, shift) + offset
    verdict = decide_equal(expr, other)
    if offset == 0:
        assert verdict is True, (expr, other)
    else:
        assert verdict is not True
    first, second = compiled(expr), compiled(other)
    for point in grid(expr.free_symbols | other.free_symbols):
        if verdict is True:
            assert first(point) == second(point), point
        elif verdict is False:
            assert first(point) != second(point), point


def test_a_bound_its_assumptions_imply_is_dropped_past_the_formula_limit(symcnn_cli):
    """GoogLeNet's conditions on per-layer symbols include H_153 >= 1, which SymPy makes True."""
    googlenet = Path(__file__).resolve().parent.parent / "examples" / "zoo" / "googlenet.cnn"
    network = symcnn.load(str(googlenet), symbolic=["R"])
    assert all(requirement.predicate != True for requirement in network.requirements)  # noqa: E712
    code, out, err = symcnn_cli("solve", googlenet)
    assert code == 0 and "R ≥ 15" in out and "internal error" not in err


def test_unet_crops_that_always_fit_add_no_condition():
    """Each crop to an up-conv's size holds whatever R: the summary is one bound, equivalent to all of them."""
    network = symcnn.load(str(ROOT / "examples" / "zoo" / "unet.cnn"), symbolic=["R"])
    (resolution,) = network.symbols
    original = [network.closed_form(c.predicate) for c in network.conditions]
    assert any(c.layer.startswith("crop") for c in network.conditions)
    summary = [r.predicate for r in summarize(network)]
    assert len(summary) == 1 and summary[0].lhs == resolution, summary
    every_r = lambda symbols: ({resolution: value} for value in range(1, 700))
    assert_conjunctions_equivalent(original, summary, {resolution}, every_r)
