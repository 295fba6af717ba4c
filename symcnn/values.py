"""Evaluating the DSL's integer expressions into exact SymPy values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sympy import Basic, Integer, Rational

from . import program as p
from .errors import LayerArgumentError, SymcnnError, unknown
from .intdiv import FloorDiv

# Values beyond this are typos or attacks, and would make exact arithmetic crawl.
MAX_MAGNITUDE = 10**60
MAGNITUDE_HINT = "symcnn works with values up to 10^60, with denominators up to 10^60"


def out_of_range(value: Basic) -> bool:
    """Whether a number lies beyond ±10^60 or has a denominator beyond 10^60 (symbols never do).
    Compared as Python integers: SymPy's comparisons are slow enough to show in long files."""
    if not value.is_Rational:
        return False
    return value.q > MAX_MAGNITUDE or abs(value.p) > MAX_MAGNITUDE * value.q


def exact(value) -> Basic:
    """A Python int or Fraction as an exact SymPy number; SymPy values pass through."""
    if isinstance(value, Basic):
        return value
    if isinstance(value, int):
        return Integer(value)
    return Rational(value.numerator, value.denominator)


def evaluate(expr: p.Expr, scope: Mapping[str, Basic], words: Iterable[str] = ()) -> Basic:
    """The exact value of `expr`, with names looked up in `scope`."""
    match expr:
        case p.Number(value=value):
            result = exact(value)
        case p.Name(id=name, span=span):
            if name not in scope:
                raise unknown("name", name, set(scope) | set(words), span)
            result = scope[name]
        case p.Negate(operand=operand):
            result = -evaluate(operand, scope, words)
        case p.BinaryOp(op=op, left=left, right=right, span=span):
            a, b = evaluate(left, scope, words), evaluate(right, scope, words)
            result = _binary(op, a, b, span)
        case p.TupleValue(span=span):
            raise LayerArgumentError("a tuple is not allowed here", span, "write a single value")
        case _:  # pragma: no cover - the parser builds only the cases above
            raise TypeError(expr)
    if out_of_range(result):
        too_large = abs(result.p) > MAX_MAGNITUDE * result.q
        raise SymcnnError("value is too large" if too_large else "value is too precise", expr.span, MAGNITUDE_HINT)
    return result


def _binary(op: str, a: Basic, b: Basic, span) -> Basic:
    if op in ("//", "/") and b == 0:
        raise SymcnnError("division by zero", span)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    if b.is_positive is not True:
        raise SymcnnError("'//' needs a positive divisor", span, "divide by a positive number or parameter")
    return FloorDiv(a, b)
