"""Evaluating the DSL's integer expressions into exact SymPy values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from sympy import Basic, Integer, Max, Min, Mod, Rational
from sympy.logic.boolalg import BooleanFalse, BooleanTrue

from . import program as p
from .errors import LayerArgumentError, NeedsValueError, SymcnnError, unknown
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
            if not isinstance(result, Basic):  # a block argument that is a word, a flag or a tuple
                raise LayerArgumentError(
                    f"'{name}' is {describe(result)}, not a number",
                    span,
                    "use it as a whole option value; a block argument naming nothing defined is passed on as a word",
                )
        case p.Call(function=function, arguments=arguments, span=span):
            result = _call(function, [evaluate(a, scope, words) for a in arguments], span)
        case p.Conditional(condition=condition, then=then, otherwise=otherwise):
            result = evaluate(then if truth(condition, scope, words) else otherwise, scope, words)
        case p.Compare(span=span) | p.Logic(span=span):
            raise LayerArgumentError(
                "a condition is not a number", span, "use it in 'a if condition else b' or 'if condition { }'"
            )
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


def describe(value) -> str:
    """A block argument's value in words, for errors."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "a tuple"
    return f"the word {value}"


COMPARISONS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
SYMBOLIC_CONDITION_HINT = "conditions are decided on values: give its parameters values rather than keep them symbolic"


def truth(expr: p.Expr, scope: Mapping[str, Basic], words: Iterable[str] = ()) -> bool:
    """Whether a condition holds; it must be decidable now (an `if` chooses layers, not formulas)."""
    match expr:
        case p.Compare(op=op, left=left, right=right, span=span):
            a, b = evaluate(left, scope, words), evaluate(right, scope, words)
            if op in ("==", "!="):  # structural equality is not numeric equality for symbols
                if not (a - b).is_Number:
                    raise NeedsValueError(f"cannot decide {op} on symbols", span, SYMBOLIC_CONDITION_HINT)
                return (a - b == 0) == (op == "==")
            verdict = COMPARISONS[op](a, b)
            if not isinstance(verdict, (BooleanTrue, BooleanFalse, bool)):
                raise NeedsValueError(f"cannot decide {op} on symbols", span, SYMBOLIC_CONDITION_HINT)
            return bool(verdict)
        case p.Logic(op="not", operands=(operand,)):
            return not truth(operand, scope, words)
        case p.Logic(op="and", operands=(left, right)):
            return truth(left, scope, words) and truth(right, scope, words)
        case p.Logic(op="or", operands=(left, right)):
            return truth(left, scope, words) or truth(right, scope, words)
        case p.Name(id=name) if isinstance(scope.get(name), bool):
            return scope[name]
        case p.Name(id="true" | "false" as word) if word not in scope:
            return word == "true"
    raise SymcnnError("a condition must be a comparison, true or false", expr.span, "e.g. 'c > 16' or 'se'")


def _call(function: str, values: list[Basic], span) -> Basic:
    if function in ("max", "min"):
        if len(values) < 2:
            raise SymcnnError(f"{function} takes two or more values", span, f"e.g. {function}(1, c // 4)")
        if all(value.is_Number for value in values):  # without SymPy's assumption queries
            return (max if function == "max" else min)(values)
        return (Max if function == "max" else Min)(*values)
    if function == "round":
        (value,) = values if len(values) == 1 else (None,)
        if value is None:
            raise SymcnnError("round takes one value", span, "e.g. round(c * 0.75); it rounds to a whole number")
        if not value.is_Rational:
            raise NeedsValueError("round needs a value, not a formula", span, SYMBOLIC_CONDITION_HINT)
        # Python's round (and NumPy's, and torch.round): halves go to the even neighbour.
        return Integer(round(Fraction(int(value.p), int(value.q))))
    raise unknown("function", function, ("max", "min", "round"), span)


def _binary(op: str, a: Basic, b: Basic, span) -> Basic:
    if op in ("//", "/", "%") and b == 0:
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
        raise SymcnnError(f"'{op}' needs a positive divisor", span, "divide by a positive number or parameter")
    if op == "%":  # Python's: the sign of the divisor, so a % b = a - b * (a // b)
        return a - b * FloorDiv(a, b) if a.is_Number and b.is_Number else Mod(a, b)
    return FloorDiv(a, b)
