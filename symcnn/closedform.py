"""Closed forms on demand: per-layer bindings inlined into formulas in the inputs.

Nested floors merge as they are built (symcnn.intdiv), so a closed form has
one floor per dim for a chain of fixed-stride layers. Formulas longer than a
limit are not built at all: beyond it a reader is better served by the
per-layer equations, and building them would make deep networks quadratic.
"""

from __future__ import annotations

from sympy import Basic, Derivative, Expr, Integral, S, Sum, count_ops, expand
from sympy.core.function import _coeff_isneg
from sympy.core.operations import LatticeOp
from sympy.simplify.radsimp import fraction

from .intdiv import CeilDiv, FloorDiv, absorb_constant

# Operations (SymPy's count_ops) a closed form may have before the per-layer form is shown instead.
DEFAULT_FORMULA_LIMIT = 60


class ClosedForms:
    def __init__(self, bindings, limit: int = DEFAULT_FORMULA_LIMIT):
        self._bindings = bindings
        self._limit = limit
        self._forms: dict = {}  # symbol -> closed form, or None when over the limit
        self._done = 0
        self._bound: set = set()  # symbols of the first `_seen` bindings; the list may still grow
        self._seen = 0

    def _extend_to(self, symbols) -> None:
        """Inline bindings in order until every symbol in `symbols` has its form."""
        while self._done < len(self._bindings) and any(s not in self._forms for s in symbols):
            binding = self._bindings[self._done]
            self._forms[binding.symbol] = self._inline(binding.expr)
            self._done += 1

    def _inline(self, expr: Basic, symbols=None) -> Basic | None:
        bound = [s for s in (expr.free_symbols if symbols is None else symbols) if s in self._forms]
        if any(self._forms[s] is None for s in bound):
            return None
        form = absorb_constant(expr.xreplace({s: self._forms[s] for s in bound}))
        return form if operations(form, self._limit) <= self._limit else None

    def of(self, expr: Basic) -> Basic | None:
        """`expr` with every binding inlined, or None if that is over the limit."""
        symbols = expr.free_symbols
        pending = [s for s in symbols if s not in self._forms]
        if pending:
            # Kept up to date rather than rebuilt: exporters ask once per layer, which made deep networks quadratic.
            for binding in self._bindings[self._seen :]:
                self._bound.add(binding.symbol)
            self._seen = len(self._bindings)
            self._extend_to([s for s in pending if s in self._bound])
        return self._inline(expr, symbols)


def operations(expr: Basic, limit: int) -> int:
    """SymPy's `count_ops(expr)`, or a number past `limit` as soon as the count passes it.

    The same walk as count_ops, which is quadratic on a long total (it adds up
    a symbol per operation, ADD + SUB + ...) and builds each negative term's
    negation; here it is a running integer. A negative term is not negated:
    counting it directly counts its NEG too, so the Add subtracts one for it
    in advance, and the running count never exceeds the final one.
    """
    if not isinstance(expr, Expr) or expr.is_Relational:
        return count_ops(expr)
    count, stack = 0, [expr]
    while stack and count <= limit:
        a = stack.pop()
        if a.is_Rational:
            if a is not S.One:
                count += (a.p < 0) + (a.q != 1)  # -1/3 = NEG + DIV
            continue
        if a.is_Mul and all(_plain_factor(f) for f in a.args):  # 64*H*K**2: fraction() would find no denominator
            count += len(a.args) - 1
            stack.extend(a.args)
            continue
        if a.is_Mul or a.is_MatMul:
            if _coeff_isneg(a):
                count += 1
                a = a.as_two_terms()[1] if a.args[0] is S.NegativeOne else -a
            numerator, denominator = fraction(a)
            if numerator.is_Integer:
                count += 1 + bool(numerator < 0)
                stack.append(denominator)
                continue
            if denominator is not S.One:
                if not denominator.is_Integer:
                    stack.append(denominator)
                count += 1
                stack.append(numerator)
                continue
        elif a.is_Add or a.is_MatAdd:
            negatives = sum(1 for term in a.args if _coeff_isneg(term))
            count += len(a.args) - 1 + (negatives == len(a.args)) - negatives  # -x - y = NEG + SUB
            stack.extend(a.args)
            continue
        if a.is_Pow and a.exp is S.NegativeOne:
            count += 1
            stack.append(a.base)
            continue
        if a is S.Exp1:
            count += 1
            continue
        if a.is_Pow and a.base is S.Exp1:
            count += 1
            stack.append(a.exp)
            continue
        if a.is_Mul or isinstance(a, LatticeOp):
            count += len(a.args) - 1
        elif a.args and (a.is_Pow or a.is_Function or isinstance(a, (Derivative, Integral, Sum))):
            count += 1
        if not a.is_Symbol:
            stack.extend(a.args)
    return count


def _plain_factor(factor) -> bool:
    """A positive integer, a name, or a name to a positive integer power."""
    if factor.is_Integer:
        return factor.p > 0
    return factor.is_Symbol or (factor.is_Pow and factor.base.is_Symbol and factor.exp.is_Integer and factor.exp.p > 0)


def decide_equal(a: Basic, b: Basic) -> bool | None:
    """Whether two closed forms are equal for every value of their symbols: True, False
    (they differ by a constant), or None (it depends on the values, or it cannot be told)."""
    difference = expand(a - b)
    if not difference.is_Number and difference.has(FloorDiv, CeilDiv):
        # floor((H - 31)/8) + 1 and floor((H - 23)/8) are one formula written two ways.
        difference = expand(difference.replace(lambda e: isinstance(e, (FloorDiv, CeilDiv)), _least_constant))
    if difference == 0:
        return True
    if difference.is_Number:
        return False
    return None


def _least_constant(division: Basic) -> Basic:
    """floor((x + c)/d) as floor((x + r)/d) + q with c = q*d + r, 0 <= r < d, for an integer d > 0
    (exact for any x: a whole number of d's comes out of the division); the same for ceilings."""
    x, d = division.args
    constant, rest = x.as_coeff_Add()
    if not (d.is_Integer and d > 0 and constant.is_Integer):
        return division
    q, r = divmod(int(constant), int(d))
    return type(division)(rest + r, d) + q
