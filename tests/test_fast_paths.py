"""The fast paths give what SymPy's own slow ones give.

A long sum's terms are ordered as str() orders them, in linear time
(`notation.lex_ordered_terms` against SymPy's `as_ordered_terms`); a printer
that remembers subexpressions prints each formula as a fresh one does;
`closedform.operations` counts as SymPy's `count_ops` does, stopping past a limit; and
`quantities.scaled` builds a multiple as SymPy does.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Add, Integer, Mul, Pow, Rational, Symbol, count_ops, preorder_traversal
from test_notation import expressions, safe_build

from symcnn.closedform import operations
from symcnn.intdiv import CeilDiv, FloorDiv
from symcnn.notation import STYLES, lex_ordered_terms, printer
from symcnn.quantities import scaled

NAMES = ["H", "W", "K1", "K10", "K2", "P_3", "St", "alpha", "C_in", "x"]
SYMBOLS = [Symbol(name, integer=True, positive=True) for name in NAMES] + [Symbol("r", real=True)]
symbols = st.sampled_from(SYMBOLS)
bases = st.one_of(
    symbols,
    st.builds(lambda a, c, d: FloorDiv(a + c, d), symbols, st.integers(-3, 3), st.integers(2, 4)),
    st.builds(CeilDiv, symbols, symbols),
)
factors = st.builds(Pow, bases, st.sampled_from([1, 2, 3, -1, -2, Rational(1, 2)]))
terms = st.builds(
    lambda c, fs: Mul(c, *fs),
    st.builds(Rational, st.integers(-9, 9), st.sampled_from([1, 1, 2, 3])),
    st.lists(factors, max_size=3),
)
sums = st.lists(terms, min_size=1, max_size=12).map(lambda ts: Add(*ts)).filter(lambda e: e.is_Add)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(sums)
def test_a_sum_is_ordered_as_sympy_orders_it(expr):
    assert lex_ordered_terms(expr) == expr.as_ordered_terms()


@PROPERTY
@given(sums)
def test_sympy_syntax_orders_a_sum_as_str_does(expr):
    assert printer("sympy").doprint(expr) == str(expr)  # the names here are safe identifiers


@PROPERTY
@given(terms, st.lists(sums, min_size=1, max_size=3))
def test_sympy_syntax_prints_a_product_of_sums_as_str_does(term, factors):
    expr = Mul(term, *factors)
    assert printer("sympy").doprint(expr) == str(expr)


@PROPERTY
@given(st.lists(st.one_of(sums, terms), min_size=1, max_size=4), st.sampled_from(STYLES))
def test_a_printer_that_remembers_prints_as_a_fresh_one(exprs, style):
    remembering = printer(style)
    for expr in exprs:  # every subexpression printed first, as a deep network's formulas print its dims first
        for part in preorder_traversal(expr):
            remembering.doprint(part)
    for expr in [*exprs, Add(*exprs), Mul(*exprs[:2]), Integer(7) * exprs[0]]:
        assert remembering.doprint(expr) == printer(style).doprint(expr)


@PROPERTY
@given(safe_build(expressions), st.integers(0, 20))  # the notation tests' random formulas
def test_operations_are_counted_as_count_ops_counts_them(expr, limit):
    exact = count_ops(expr)
    assert operations(expr, 10**9) == exact
    assert (operations(expr, limit) > limit) == (exact > limit)


@PROPERTY
@given(st.one_of(terms, safe_build(expressions)), st.sampled_from([1, 2, 4, 8]))
def test_a_scaled_quantity_is_what_sympy_builds(expr, number):
    assert scaled(number, expr) == number * expr
