"""Closed forms on demand: per-layer bindings inlined into formulas in the inputs.

Nested floors merge as they are built (symcnn.intdiv), so a closed form has
one floor per dim for a chain of fixed-stride layers. Formulas longer than a
limit are not built at all: beyond it a reader is better served by the
per-layer equations, and building them would make deep networks quadratic.
"""

from __future__ import annotations

from sympy import Basic, count_ops, expand

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

    def _inline(self, expr: Basic) -> Basic | None:
        bound = [s for s in expr.free_symbols if s in self._forms]
        if any(self._forms[s] is None for s in bound):
            return None
        form = absorb_constant(expr.xreplace({s: self._forms[s] for s in bound}))
        return form if count_ops(form) <= self._limit else None

    def of(self, expr: Basic) -> Basic | None:
        """`expr` with every binding inlined, or None if that is over the limit."""
        pending = [s for s in expr.free_symbols if s not in self._forms]
        if pending:
            # Kept up to date rather than rebuilt: exporters ask once per layer, which made deep networks quadratic.
            for binding in self._bindings[self._seen :]:
                self._bound.add(binding.symbol)
            self._seen = len(self._bindings)
            self._extend_to([s for s in pending if s in self._bound])
        return self._inline(expr)


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
