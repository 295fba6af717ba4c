"""Sensitivity and scaling: where the parameters and MACs are, and how the totals grow.

- Shares: each layer's (or block's) params and MACs over the totals, as
  formulas in the network's parameters and as exact percentages at the
  parameters' values.
- Growth: the totals' leading term in each parameter, and in all of them
  together. Floors are taken as exact division (⌊x/s⌋ differs from x/s by
  less than one), which is what leading order means for them; this is how
  MobileNet's params grow as alpha² and its MACs as alpha²·rho².
- Derivatives: ∂total/∂parameter of that relaxed form, its value at the
  parameters' values, and next to it the exact change from a step of +1.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sympy import Basic, Max, Min, Poly, diff, expand, fraction, together
from sympy.polys.polyerrors import PolynomialError

from ..errors import WhatIfError
from ..intdiv import CeilDiv, FloorDiv
from ..network import Network
from .load import Source

QUANTITIES = ("params", "macs")


@dataclass(frozen=True)
class Share:
    """A layer's part of a total: the quantity, the total, and the percentage at the parameters' values."""

    layer: str  # a layer's or, with a depth, a block's name
    quantity: str
    value: Basic  # in the network's parameters
    total: Basic
    percent: Fraction | None  # None where the total is 0

    @property
    def formula(self) -> Basic:
        return self.value / self.total


@dataclass(frozen=True)
class Growth:
    """The leading term of a total in one parameter (or in all, `parameter` None); floors relaxed."""

    quantity: str
    parameter: str | None
    degree: int | None  # None: not a ratio of polynomials in it
    leading: Basic | None


@dataclass(frozen=True)
class Derivative:
    quantity: str
    parameter: str
    formula: Basic  # of the total with floors relaxed
    value: Basic  # at the parameters' values
    step: int | None  # exact total(p + 1) − total(p) there; None for a fractional p or an invalid p + 1


@dataclass
class Sensitivity:
    network: Network
    values: dict[str, Basic]  # the symbolic parameters' values, where percentages and derivatives are taken
    shares: list[Share]
    growth: list[Growth]
    derivatives: list[Derivative]
    relaxed: dict[str, Basic]  # each total with floors as exact division


def sensitivity(source, symbolic=None, overrides=None, wrt=None, items=None) -> Sensitivity:
    """Shares, growth and derivatives of `source` (a path, or a derived Network) in its symbolic parameters.

    `symbolic` names them, or is "all"; None takes the file's `symbolic` statement, else every parameter.
    `wrt` limits growth and derivatives to some parameters (all symbolic ones by default); `items(network)`,
    if given, lists what the shares are of instead of the layers (views.summary.summary_items's blocks).
    """
    network = source
    if not isinstance(source, Network):
        loaded = Source(source, overrides)
        if symbolic is None:
            symbolic = loaded.program.declared_symbolic(loaded.overrides) or "all"
        network = loaded.derive(symbolic)
    symbols = {name: parameter.value for name, parameter in network.parameters.items() if parameter.symbolic}
    chosen = list(wrt) if wrt else list(symbols)
    for name in chosen:
        if name not in symbols:
            raise WhatIfError(
                f"'{name}' is not a symbolic parameter",
                hint="symbolic: " + (", ".join(symbols) or "none; use --symbolic"),
            )
    known = network.assign({})
    values = {name: known[symbol] for name, symbol in symbols.items()}
    relaxed = _relaxed_totals(network)
    following = {name: _following(network, name, known) for name in chosen}
    growth, derivatives = [], []
    for quantity in QUANTITIES:
        for name in chosen:
            growth.append(Growth(quantity, name, *_leading(relaxed[quantity], [symbols[name]])))
        if len(symbols) > 1:
            growth.append(Growth(quantity, None, *_leading(relaxed[quantity], list(symbols.values()))))
        for name in chosen:
            derivatives.append(_derivative(network, quantity, name, relaxed[quantity], known, following[name]))
    return Sensitivity(network, values, _shares(network, known, items), growth, derivatives, relaxed)


def _shares(network: Network, known, select) -> list[Share]:
    items = select(network) if select else network.rows
    values = {q: [getattr(item, q) for item in items] for q in QUANTITIES}
    in_parameters = _in_parameters(network, [network.totals[q] for q in QUANTITIES] + sum(values.values(), []))
    shares = []
    for quantity in QUANTITIES:
        total = network.totals[quantity]
        total_value = total.xreplace(known)
        shown_total = in_parameters(total)
        for item, value in zip(items, values[quantity]):
            if value == 0:
                continue
            percent = Fraction(100 * int(value.xreplace(known)), int(total_value)) if total_value != 0 else None
            shares.append(Share(item.name, quantity, in_parameters(value), shown_total, percent))
    return shares


def _in_parameters(network: Network, exprs):
    """A function giving each of `exprs` in the network's parameters, however long: each per-layer symbol
    it refers to is replaced by its closed form (⌊(R + 1)/2⌋), or where that is over the formula limit by
    its equation with the earlier symbols replaced (no expansion)."""
    forms: dict = {}
    for binding in network.bindings_for(exprs):
        closed = network.closed_form(binding.symbol)
        forms[binding.symbol] = closed if closed is not None else binding.expr.xreplace(forms)
    return lambda expr: expr.xreplace(forms)


def _relax(expr: Basic) -> Basic:
    """Floors and ceilings as exact division; a Min or Max (ceil_mode's last-window rule) as its first
    argument, which the other differs from by a constant."""
    for kind in (FloorDiv, CeilDiv):
        expr = expr.replace(kind, lambda numerator, divisor: numerator / divisor)
    for kind in (Min, Max):
        expr = expr.replace(kind, lambda first, *rest: first)
    return expr


def _relaxed_totals(network: Network) -> dict[str, Basic]:
    """The totals in the inputs, floors relaxed, inlining the relaxed bindings in order."""
    forms: dict = {}
    for binding in network.bindings_for([network.totals[q] for q in QUANTITIES]):
        forms[binding.symbol] = expand(_relax(binding.expr).xreplace(forms))
    return {quantity: expand(_relax(network.totals[quantity]).xreplace(forms)) for quantity in QUANTITIES}


def _leading(expr: Basic, symbols: list) -> tuple[int | None, Basic | None]:
    """(degree, leading term) of `expr` as the symbols grow together: numerator's over denominator's."""
    numerator, denominator = fraction(together(expr))
    try:
        top, bottom = Poly(numerator, *symbols), Poly(denominator, *symbols)
    except PolynomialError:
        return None, None
    if top.is_zero:
        return 0, top.as_expr()
    return top.total_degree() - bottom.total_degree(), _highest(top) / _highest(bottom)


def _highest(polynomial: Poly) -> Basic:
    """The terms of highest total degree."""
    degree = polynomial.total_degree()
    return sum(
        (
            coefficient * _monomial(polynomial.gens, powers)
            for powers, coefficient in polynomial.terms()
            if sum(powers) == degree
        ),
        start=0,
    )


def _monomial(generators, powers) -> Basic:
    result = 1
    for generator, power in zip(generators, powers):
        result *= generator**power
    return result


def _derivative(network: Network, quantity: str, name: str, relaxed: Basic, known, following) -> Derivative:
    symbol = network.parameters[name].value
    formula = expand(diff(relaxed, symbol))
    at = {s: known[s] for s in formula.free_symbols if s in known}
    total = network.totals[quantity]
    step = None if following is None else int(total.xreplace(following) - total.xreplace(known))
    return Derivative(quantity, name, formula, formula.xreplace(at), step)


def _following(network: Network, name: str, known) -> dict | None:
    """Every symbol's value when the parameter grows by one, if that point is valid (once per parameter:
    both totals' exact steps are taken there)."""
    symbol = network.parameters[name].value
    if not symbol.is_integer:
        return None
    following = network.assign({name: int(known[symbol]) + 1})
    if any(condition.predicate.xreplace(following) == False for condition in network.conditions):  # noqa: E712
        return None
    return following
