"""Integer floor and ceiling division as SymPy functions with O(1) evaluation.

`sympy.floor` asks the assumption system about its whole argument, which makes
deep networks quadratic or worse. These functions only look at the top level
of their arguments, and they keep closed forms canonical by merging nests:
floor((floor(x/a) + b)/c) = floor((x + a*b)/(a*c)) for integers x, b and
positive integers a, c; the same holds for ceilings.
"""

from __future__ import annotations

from sympy import Add, Function, Integer, Mul


def _split_divisible(numerator, divisor):
    """Split `numerator` into (terms divisible by an integer `divisor`, the rest).

    Only symbolic terms move out; constants stay inside so that closed forms
    read as floor((H - 23)/8) rather than floor((H + 1)/8) - 3.
    """
    if not divisor.is_Integer:
        return Integer(0), numerator
    quotient, rest = [], []
    for term in Add.make_args(numerator):
        coefficient, _ = term.as_coeff_Mul()
        if not term.is_Number and coefficient.is_Integer and coefficient % divisor == 0 and term.is_integer:
            quotient.append(term / divisor)
        else:
            rest.append(term)
    return Add(*quotient), Add(*rest)


class _IntegerDivision(Function):
    """Shared evaluation of FloorDiv and CeilDiv; subclasses give the rounding."""

    is_integer = True

    sympy_name = ""  # the SymPy function it prints as, so that sympify reads it back

    @staticmethod
    def _divide(a: int, b: int) -> int:
        raise NotImplementedError

    def _sympystr(self, printer):
        numerator, divisor = self.args
        if divisor == 1:  # floor(x/1) of a non-integer x, e.g. a width multiplier's product
            return f"{self.sympy_name}({printer._print(numerator)})"
        bottom = printer._print(divisor) if divisor.is_Atom else f"({printer._print(divisor)})"
        return f"{self.sympy_name}(({printer._print(numerator)})/{bottom})"

    @classmethod
    def eval(cls, numerator, divisor):
        if numerator.is_Rational and divisor.is_Rational:
            if divisor == 0:
                raise ZeroDivisionError("integer division by zero")
            quotient = numerator / divisor
            return Integer(cls._divide(int(quotient.p), int(quotient.q)))
        if numerator == 0:
            return Integer(0)
        if not (numerator.is_Add or divisor.is_Number):
            exact = cls._exact_quotient(numerator, divisor)  # floor(R/R) = 1, floor(4R/2R) = 2
            if exact is not None:
                return exact
        # Structure first: the assumption queries below are the expensive part, so they
        # are asked only when a rule could apply.
        nested = any(isinstance(term, cls) for term in Add.make_args(numerator))
        if not (nested or divisor == 1 or divisor.is_Integer):
            return None
        if numerator.is_integer is not True or divisor.is_integer is not True:
            return None
        if divisor == 1:
            return numerator
        merged = cls._merge_nested(numerator, divisor) if nested else None
        if merged is not None:
            return merged
        quotient, rest = _split_divisible(numerator, divisor)
        if quotient != 0:
            return quotient + cls(rest, divisor)
        return None

    @staticmethod
    def _exact_quotient(numerator, divisor):
        """numerator/divisor when it is an integer whatever the values, its divisor's factors cancelled:
        floor(R/R) = 1, floor(4R/2R) = 2, floor(K·R/R) = K; else None."""
        quotient = numerator / divisor
        if any(f.is_Pow and f.exp.is_negative for f in Mul.make_args(quotient)):
            return None  # a symbol is left below the bar
        return quotient if quotient.is_integer is True and divisor.is_nonzero is True else None

    @classmethod
    def _merge_nested(cls, numerator, divisor):
        if divisor.is_positive is not True:
            return None
        inner, others = None, []
        for term in Add.make_args(numerator):
            if isinstance(term, cls) and inner is None:
                inner = term
            else:
                others.append(term)
        if inner is None:
            return None
        x, a = inner.args
        if a.is_positive is not True:
            return None
        return cls(x + Mul(a, Add(*others)), Mul(a, divisor))


class FloorDiv(_IntegerDivision):
    """floor(numerator / divisor) for integers, as Python's `//`."""

    sympy_name = "floor"

    @staticmethod
    def _divide(a: int, b: int) -> int:
        return a // b


class CeilDiv(_IntegerDivision):
    """ceiling(numerator / divisor) for integers."""

    sympy_name = "ceiling"

    @staticmethod
    def _divide(a: int, b: int) -> int:
        return -(-a // b)


def absorb_constant(expr):
    """floor(x/d) + k -> floor((x + d*k)/d) for integers k and d > 0.

    This is the canonical closed form: the notes' network ends at
    floor((H - 23)/8), not floor((H - 31)/8) + 1.
    """
    if not isinstance(expr, Add):
        return expr
    divisions = [t for t in expr.args if isinstance(t, (FloorDiv, CeilDiv))]
    if len(divisions) != 1:
        return expr
    division = divisions[0]
    x, d = division.args
    constant = Add(*(t for t in expr.args if t is not division))
    if not (constant.is_Integer and d.is_Integer and d > 0):
        return expr
    # Built unevaluated at the top: evaluating would pull the constant back out.
    return type(division)(x + d * constant, d, evaluate=False)
