"""Validity conditions, reduced to bounds on the inputs where possible.

Each layer requires its output dims to be at least 1. In closed form these are
inequalities such as floor((H - 23)/8) >= 1; for a floor or ceiling of a sum
that is linear in one symbol they reduce exactly to a bound (H >= 31), and the
strongest bound per symbol is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic, Ge, Integer, Le, Min, Symbol

from .intdiv import CeilDiv, FloorDiv


@dataclass(frozen=True)
class Requirement:
    """A condition the free symbols must meet, and the layers it comes from."""

    predicate: Basic
    layers: tuple[str, ...]


def summarize(network) -> list[Requirement]:
    """The network's validity conditions, as bounds on single symbols where possible."""
    lower: dict[Symbol, tuple[Integer, list[str]]] = {}
    upper: dict[Symbol, tuple[Integer, list[str]]] = {}
    others: list[Requirement] = []
    for condition in network.conditions:
        closed = network.closed_form(condition.predicate)
        bounds = _bounds(closed) if closed is not None else None
        if bounds is None:
            others.append(Requirement(closed if closed is not None else condition.predicate, (condition.layer,)))
            continue
        for symbol, op, value in bounds:
            table, stronger = (lower, value.__gt__) if op == ">=" else (upper, value.__lt__)
            if symbol not in table or stronger(table[symbol][0]):
                table[symbol] = (value, [condition.layer])
            elif table[symbol][0] == value and condition.layer not in table[symbol][1]:
                table[symbol][1].append(condition.layer)
    bounds = [Requirement(Ge(s, v), tuple(layers)) for s, (v, layers) in lower.items()]
    bounds += [Requirement(Le(s, v), tuple(layers)) for s, (v, layers) in upper.items()]
    # A bound the symbol's own assumptions imply (R >= 1 for a positive R) says nothing.
    result = [requirement for requirement in bounds if requirement.predicate != True]  # noqa: E712
    result.sort(key=lambda r: str(r.predicate.lhs) if r.predicate.is_Relational else "")
    seen = set()
    for requirement in others:
        if requirement.predicate not in seen:
            seen.add(requirement.predicate)
            result.append(requirement)
    return result


def _bounds(predicate) -> list[tuple[Symbol, str, Integer]] | None:
    """Bounds equivalent to `predicate` (a >= b), or None when it is not of a reducible form."""
    if predicate is True or predicate == True:  # noqa: E712 - SymPy's true
        return []
    if not isinstance(predicate, Ge):
        return None
    return _at_least(predicate.lhs - predicate.rhs, Integer(0))


def _at_least(expr, target) -> list | None:
    """Bounds equivalent to expr >= target."""
    constant, rest = expr.as_coeff_Add()
    target = target - constant
    if isinstance(rest, Min):
        parts = [_at_least(arg, target) for arg in rest.args]
        return None if any(p is None for p in parts) else [b for p in parts for b in p]
    if isinstance(rest, FloorDiv) and rest.args[1].is_Integer and rest.args[1] > 0:
        x, d = rest.args
        return _at_least(x, target * d)  # floor(x/d) >= t  <=>  x >= t*d
    if isinstance(rest, CeilDiv) and rest.args[1].is_Integer and rest.args[1] > 0:
        x, d = rest.args
        return _at_least(x, (target - 1) * d + 1)  # ceil(x/d) >= t  <=>  x > (t-1)*d
    return _linear_bound(rest, target)


def _linear_bound(expr, target) -> list | None:
    """a*s >= target for one symbol s and a rational a != 0, as a bound on s: rounded
    inwards for an integer s (H >= 31), exact for a real one (alpha >= 1/32)."""
    coefficient, symbol = expr.as_coeff_Mul()
    if not (isinstance(symbol, Symbol) and coefficient.is_Rational and coefficient != 0 and target.is_Rational):
        return None
    bound = target / coefficient
    if symbol.is_integer:
        bound = Integer(-(-bound.p // bound.q)) if coefficient > 0 else Integer(bound.p // bound.q)
    elif symbol.is_real is not True:
        return None
    return [(symbol, ">=" if coefficient > 0 else "<=", bound)]
