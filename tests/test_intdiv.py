"""FloorDiv/CeilDiv: exact evaluation, and the nested-merge rule that keeps closed forms short."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integer, Rational, Symbol

from symcnn.intdiv import CeilDiv, FloorDiv, absorb_constant
from symcnn.notation import textbook

x = Symbol("x", integer=True)
b = Symbol("b", integer=True)
a = Symbol("a", integer=True, positive=True)
c = Symbol("c", integer=True, positive=True)

ints = st.integers(-(10**12), 10**12)
positives = st.integers(1, 10**6)


@given(ints, st.integers(-(10**6), 10**6).filter(bool))
def test_concrete_values_match_python(n, d):
    assert FloorDiv(n, d) == n // d
    assert CeilDiv(n, d) == math.ceil(Rational(n, d))


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), positives, positives)
@settings(max_examples=300)
def test_nested_floors_merge_and_keep_their_value(xv, bv, av, cv):
    nested = FloorDiv(FloorDiv(x, a) + b, c)
    # merged at construction: a single floor over x
    assert nested == FloorDiv(x + a * b, a * c)
    values = {x: xv, a: av, b: bv, c: cv}
    assert nested.xreplace(values) == ((xv // av) + bv) // cv


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), positives, positives)
@settings(max_examples=300)
def test_nested_ceilings_merge_and_keep_their_value(xv, bv, av, cv):
    nested = CeilDiv(CeilDiv(x, a) + b, c)
    assert nested == CeilDiv(x + a * b, a * c)
    expected = -(-(-(-xv // av) + bv) // cv)
    assert nested.xreplace({x: xv, a: av, b: bv, c: cv}) == expected


def test_trivial_cases_evaluate():
    assert FloorDiv(x, 1) == x
    assert FloorDiv(0, a) == 0
    assert FloorDiv(2 * x + 6, 2) == x + 3
    assert FloorDiv(Rational(15, 2), 2) == 3  # exact rationals floor too


def test_non_integer_numerator_stays_unevaluated():
    alpha = Symbol("alpha", positive=True)
    assert isinstance(FloorDiv(32 * alpha, 1), FloorDiv)


@given(st.integers(-500, 500), positives, st.integers(-50, 50))
def test_absorbing_a_constant_keeps_the_value(xv, d, k):
    expr = FloorDiv(x, d) + k
    absorbed = absorb_constant(expr)
    assert absorbed.xreplace({x: xv}) == xv // d + k


def test_notes_chain_reaches_one_floor():
    H = Symbol("H", integer=True, positive=True)
    h = H - 3  # conv 4x4
    for kernel in (3, 3, 2):
        h = FloorDiv(h - 2, 2) + 1  # maxpool 2
        h = h - (kernel - 1)  # conv
    assert absorb_constant(h) == FloorDiv(H - 23, 8)
    assert textbook(absorb_constant(h)) == "⌊(H − 23)/8⌋"
    assert textbook(absorb_constant(h), unicode=False) == "floor((H - 23)/8)"
    assert str(absorb_constant(h)) == "floor((H - 23)/8)"


def test_integer_results_are_sympy_integers():
    assert isinstance(FloorDiv(7, 2), Integer)


@given(st.integers(-30, 30), st.integers(1, 30), st.integers(-5, 5).filter(bool), st.integers(1, 5))
def test_a_division_whose_factors_cancel_is_its_quotient_and_keeps_its_value(kv, rv, m, n):
    """floor(m·K·R/(n·R)) is m·K/n when that is an integer expression, and keeps its value at every point."""
    K, R = Symbol("K", integer=True), Symbol("R", integer=True, positive=True)
    for division, rounding in ((FloorDiv, lambda p, q: p // q), (CeilDiv, lambda p, q: -(-p // q))):
        expr = division(m * K * R, n * R)
        if m % n == 0:
            assert expr == (m // n) * K
        assert expr.xreplace({K: kv, R: rv}) == rounding(m * kv * rv, n * rv)
    assert FloorDiv(R, R) == 1 and CeilDiv(2 * R, R) == 2
    assert isinstance(FloorDiv(R, K), FloorDiv)  # K may be 0 or not divide R
