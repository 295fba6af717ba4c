"""Validity conditions, simplified: bounds on the inputs where possible, dropped where always true.

Each layer requires its output dims to be at least 1. In closed form these are
inequalities such as floor((H - 23)/8) + 1 >= 1 or floor((N + 2P - F)/S) + 1 >= 1.
Exact rules take the divisions out, one at a time, for a divisor known positive:

    floor(x/d) >= t  <=>  x >= t*d               ceil(x/d) >= t  <=>  x >= (t - 1)*d + 1
    floor(x/d) <= t  <=>  x <= (t + 1)*d - 1     ceil(x/d) <= t  <=>  x <= t*d

for an integer t (the ceiling rules and the floor's upper bound also need x and d
integers), and k*y >= m  <=>  y >= ceil(m/k) for an integer y and k > 0. So the
second example reads N + 2P >= F. What is left is dropped when the symbols'
assumptions make it true (floor(35/S) + 1 >= 1), made a bound when it is in one
symbol (H >= 31, keeping the strongest per symbol), and otherwise written with
every term on the side where it is positive. A division left over is also dropped
when the condition holds even with each division at its worst (x/d - 1 < floor(x/d)
<= x/d): R >= 16*floor((R - 124)/16) + 60 since 16*floor((R - 124)/16) <= R - 124.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Add, Basic, Ge, Gt, Integer, Le, Lt, Min, Mul, Symbol, expand, false
from sympy.core.exprtools import decompose_power

from .intdiv import CeilDiv, FloorDiv

# Divisions taken out of one condition at most; each rule removes one, so this only bounds the work.
_MAX_STEPS = 16


@dataclass(frozen=True)
class Requirement:
    """A condition the free symbols must meet, and the layers it comes from."""

    predicate: Basic
    layers: tuple[str, ...]


def summarize(network) -> list[Requirement]:
    """The network's validity conditions, simplified, as bounds on single symbols where possible."""
    lower: dict[Symbol, tuple[Basic, list[str]]] = {}
    upper: dict[Symbol, tuple[Basic, list[str]]] = {}
    others: dict[Basic, list[str]] = {}
    parameters = set(network.symbols)
    for condition in network.conditions:
        closed = network.closed_form(condition.predicate)
        if closed is None or not closed.free_symbols <= parameters:
            # Over the formula limit: in per-layer symbols, whose assumptions (H_3 >= 1) are what is checked.
            reduced = [condition.predicate if closed is None else closed]
        else:
            reduced = reduce_condition(closed)
        for predicate in reduced:
            bound = _bound(predicate)
            if bound is None:
                layers = others.setdefault(predicate, [])
                if condition.layer not in layers:
                    layers.append(condition.layer)
                continue
            symbol, value = bound
            table, stronger = (lower, value.__gt__) if isinstance(predicate, Ge) else (upper, value.__lt__)
            if symbol not in table or stronger(table[symbol][0]):
                table[symbol] = (value, [condition.layer])
            elif table[symbol][0] == value and condition.layer not in table[symbol][1]:
                table[symbol][1].append(condition.layer)
    result = [Requirement(Ge(s, v), tuple(layers)) for s, (v, layers) in lower.items()]
    result += [Requirement(Le(s, v), tuple(layers)) for s, (v, layers) in upper.items()]
    # A bound on a per-layer symbol (over the formula limit) may be one its assumptions imply: H_153 >= 1.
    result = [r for r in result if r.predicate != True]  # noqa: E712 - SymPy's true
    result.sort(key=lambda r: str(r.predicate.lhs))
    result += [Requirement(predicate, tuple(layers)) for predicate, layers in others.items()]
    return result


def reduce_condition(predicate) -> list[Basic]:
    """Conditions that together are equivalent to `predicate`, each as simple as the rules make it.

    [] means it always holds (for values the symbols' assumptions allow); relations other
    than inequalities (a divisibility, two paths' sizes being equal) are kept as they are.
    """
    if predicate is True or predicate == True:  # noqa: E712 - SymPy's true
        return []
    if isinstance(predicate, (Ge, Gt)):
        difference = predicate.lhs - predicate.rhs
    elif isinstance(predicate, (Le, Lt)):
        difference = predicate.rhs - predicate.lhs
    else:
        return [predicate]
    if isinstance(predicate, (Gt, Lt)):
        if difference.is_integer is not True:
            return [predicate]
        difference -= 1  # d > 0  <=>  d - 1 >= 0 for an integer d
    return _nonnegative(difference, _MAX_STEPS)


def _nonnegative(expr, steps: int) -> list[Basic]:
    """Conditions that together are equivalent to expr >= 0."""
    terms = Add.make_args(expr)
    for term in terms:
        coefficient, factor = term.as_coeff_Mul()
        if not isinstance(factor, (Min, FloorDiv, CeilDiv)):
            continue
        rest = Add(*(t for t in terms if t is not term))
        if isinstance(factor, Min) and coefficient > 0:  # k*min(a, b) + r >= 0: each of k*a + r, k*b + r
            return [p for arg in factor.args for p in _nonnegative(coefficient * arg + rest, steps)]
        if isinstance(factor, (FloorDiv, CeilDiv)) and steps > 0:
            without = _without_division(factor, coefficient, rest)
            if without is not None:
                return _nonnegative(expand(without), steps - 1)
    return _readable(expr)


def _without_division(division, k, rest) -> Basic | None:
    """An expression without `division` that is >= 0 exactly when k*division + rest is; None if no rule applies."""
    x, d = division.args
    if d.is_positive is not True:
        return None
    integers = x.is_integer is True and d.is_integer is True
    floor = isinstance(division, FloorDiv)
    if k > 0:  # division >= t
        t = _rounded(-rest / k, up=True)
        if t is None:
            return None
        if floor:
            return x - t * d
        return x - (t - 1) * d - 1 if integers else None
    t = _rounded(rest / -k, up=False)  # division <= t
    if t is None:
        return None
    if floor:
        return (t + 1) * d - 1 - x if integers else None
    return t * d - x


def _rounded(value, up: bool):
    """`value` itself if it is an integer, a number rounded (up or down) to one, else None:
    a bound on an integer may be rounded so, and the rules need an integer bound."""
    if value.is_Rational:
        return Integer(-(-value.p // value.q)) if up else Integer(value.p // value.q)
    return value if value.is_integer is True else None


def _readable(expr) -> list[Basic]:
    """expr >= 0 with nothing left to take out: dropped if always true, a bound if in one symbol,
    else with each term on the side where it is positive (N + 2P >= F)."""
    # SymPy's assumptions decide the first two; a sum with a name of its own in a negative (or a positive) term is
    # decided at once: that term alone grows without bound. Most conditions of a deep network are such sums.
    if not _unbounded(expr, below=True) and (expr.is_nonnegative or _always_nonnegative(expr, _MAX_STEPS)):
        return []  # true by the symbols' assumptions
    if not _unbounded(expr, below=False) and expr.is_negative:
        return [false]
    bound = _linear_bound(expr)
    if bound is not None:
        return [] if bound == True else [bound]  # noqa: E712 - SymPy's true
    positive, negative = [], []
    for term in Add.make_args(expr):
        (negative if term.as_coeff_Mul()[0] < 0 else positive).append(term)
    return [Ge(Add(*positive), -Add(*negative), evaluate=False)]


def _unbounded(expr, below: bool) -> bool:
    """Whether `expr` takes values below (or above) every bound: some term of that sign is a number times powers of
    names, each able to grow (nonnegative, and no parity or primality assumed), one of which is in no other term.
    Then that term alone decides: that name grown, the term's other names at 1, the sum passes any bound."""
    terms = Add.make_args(expr)
    counts: dict[Symbol, int] = {}
    for term in terms:
        for symbol in term.free_symbols:
            counts[symbol] = counts.get(symbol, 0) + 1
    for term in terms:
        coefficient, monomial = term.as_coeff_Mul()
        if not coefficient.is_Rational or (coefficient < 0) != below or monomial.is_Number:
            continue
        powers = [decompose_power(factor) for factor in Mul.make_args(monomial)]
        if all(isinstance(base, Symbol) and exponent > 0 and _can_grow(base) for base, exponent in powers) and any(
            counts[base] == 1 for base, _ in powers
        ):
            return True
    return False


def _can_grow(symbol: Symbol) -> bool:
    return symbol.is_nonnegative is True and symbol.is_even is None and symbol.is_prime is None


def _always_nonnegative(expr, steps: int) -> bool:
    """Whether expr >= 0 for every value, shown by bounding each integer division by its worst case:
    x/d - 1 < floor(x/d) <= x/d and x/d <= ceil(x/d) < x/d + 1, for integers (x - d + 1)/d and
    (x + d - 1)/d. A lower bound that is nonnegative proves it; False means not shown."""
    bounded, changed = [], False
    for term in Add.make_args(expr):
        coefficient, factor = term.as_coeff_Mul()
        bound = _division_bound(factor, lower=coefficient > 0) if isinstance(factor, (FloorDiv, CeilDiv)) else None
        changed |= bound is not None
        bounded.append(term if bound is None else coefficient * bound)
    if not changed or steps == 0:
        return False
    lower = expand(Add(*bounded))
    return lower.is_nonnegative is True or _always_nonnegative(lower, steps - 1)


def _division_bound(division, lower: bool) -> Basic | None:
    """A bound of floor(x/d) or ceil(x/d) without the division, from below or from above; None if d may be <= 0."""
    x, d = division.args
    if d.is_positive is not True:
        return None
    slack = d - 1 if x.is_integer is True and d.is_integer is True else d  # the largest gap, or one beyond it
    if isinstance(division, FloorDiv):
        return (x - slack) / d if lower else x / d
    return x / d if lower else (x + slack) / d


def _linear_bound(expr):
    """a*s + c >= 0 for one symbol s and rationals a != 0 and c, as a bound on s: rounded
    inwards for an integer s (H >= 31), exact for a real one (alpha >= 1/32)."""
    constant, rest = expr.as_coeff_Add()
    coefficient, symbol = rest.as_coeff_Mul()
    if not (isinstance(symbol, Symbol) and coefficient.is_Rational and coefficient != 0):
        return None
    bound = -constant / coefficient
    if symbol.is_integer:
        bound = _rounded(bound, up=coefficient > 0)
    elif symbol.is_real is not True:
        return None
    relation = Ge if coefficient > 0 else Le
    return relation(symbol, bound)  # evaluated: true when the symbol's assumptions imply it


def _bound(predicate) -> tuple[Symbol, Basic] | None:
    """(symbol, value) for a predicate symbol >= value or symbol <= value."""
    if isinstance(predicate, (Ge, Le)) and isinstance(predicate.lhs, Symbol) and predicate.rhs.is_Number:
        return predicate.lhs, predicate.rhs
    return None
