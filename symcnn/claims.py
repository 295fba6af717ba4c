"""`expect` claims: a stated value compared with the derived one."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic

from . import program as p
from .closedform import decide_equal
from .errors import LayerArgumentError
from .values import evaluate


@dataclass(frozen=True)
class ClaimResult:
    claim: p.Expect
    expected: Basic | tuple
    derived: Basic | tuple
    ok: bool | None  # None: symbolic and not provably equal or different

    @property
    def line(self) -> int:
        return self.claim.span.line


def check_claims(network) -> list[ClaimResult]:
    """Every `expect` claim of the network, evaluated."""
    scope = {name: parameter.value for name, parameter in network.parameters.items()}
    return [_check(network, claim, scope) for claim in network.claims]


def _check(network, claim: p.Expect, scope) -> ClaimResult:
    derived = network.quantity(claim.subject, claim.quantity, claim.span)
    if isinstance(derived, tuple):
        items = claim.value.items if isinstance(claim.value, p.TupleValue) else (claim.value,)
        expected = tuple(evaluate(item, scope) for item in items)
        derived = tuple(_closed(network, d) for d in derived)
        if len(expected) != len(derived):
            return ClaimResult(claim, expected, derived, False)
        verdicts = [decide_equal(d, e) for d, e in zip(derived, expected)]
        ok = False if False in verdicts else (None if None in verdicts else True)
        return ClaimResult(claim, expected, derived, ok)
    if isinstance(claim.value, p.TupleValue):
        raise LayerArgumentError(f"'{claim.quantity}' is a number, not a shape", claim.value.span)
    expected = evaluate(claim.value, scope)
    derived = _closed(network, derived)
    return ClaimResult(claim, expected, derived, decide_equal(derived, expected))


def holds_at(result: ClaimResult, known) -> bool:
    """Whether an undecided claim holds where the symbols have the values `known` (Network.assign)."""
    pairs = (
        zip(result.derived, result.expected)
        if isinstance(result.derived, tuple)
        else [(result.derived, result.expected)]
    )
    return all(derived.xreplace(known) == expected.xreplace(known) for derived, expected in pairs)


def _closed(network, expr):
    closed = network.closed_form(expr)
    return expr if closed is None else closed
