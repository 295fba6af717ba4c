"""Formulas as text: SymPy syntax for machines, textbook notation for people.

Textbook order puts positive symbolic terms first, then negative ones, then
constants (N + 2P - F, not SymPy's -F + N + 2*P).
"""

from __future__ import annotations

import re

from sympy import Add, Mul, Rational, Symbol
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from .intdiv import CeilDiv, FloorDiv


def textbook_terms(expr: Add, rank=lambda term: 0) -> list:
    """The terms of a sum in textbook order; `rank` orders the terms of the same sign."""

    def key(term):
        if term.is_Number:
            return 2, 0
        coefficient, _ = term.as_coeff_Mul()
        return (0 if coefficient > 0 else 1), rank(term)

    return sorted(Add.make_args(expr), key=key)


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")  # the inverse of _PLAIN_DIGITS below


class TextbookPrinter(StrPrinter):
    """Plain-text textbook notation, in Unicode or in ASCII."""

    printmethod = "_textbook"  # not StrPrinter's _sympystr, which FloorDiv defines for SymPy syntax

    def __init__(self, unicode: bool = True):
        super().__init__({"order": "none"})
        self.unicode = unicode
        self.minus = "−" if unicode else "-"
        self.times = "·" if unicode else "*"

    def rank(self, term) -> int:
        """Where a term goes among those of its sign: the higher degree first (3·alpha² + 2·alpha)."""
        return -sum(e for b, e in term.as_powers_dict().items() if not b.is_Number and e.is_Integer)

    def _print_Add(self, expr, order=None):
        pieces = []
        for index, term in enumerate(textbook_terms(expr, self.rank)):
            negative = term.as_coeff_Mul()[0].is_negative
            body = self._print(-term if negative else term)
            if precedence(-term if negative else term) < PRECEDENCE["Add"]:
                body = f"({body})"
            if index == 0:
                pieces.append(f"{self.minus}{body}" if negative else body)
            else:
                pieces.append(f" {self.minus} {body}" if negative else f" + {body}")
        return "".join(pieces)

    def _print_Mul(self, expr):
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient.is_negative:
            return f"{self.minus}{self._print(-expr)}"
        factors = Mul.make_args(rest)
        parts = [self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors]
        body = self.times.join(parts)
        if coefficient == 1:
            return body
        if isinstance(coefficient, Rational) and not coefficient.is_Integer:
            return f"{self._print(coefficient)}{self.times}{body}"
        # 2P and 2C_in, but 2·alpha, 2·(N + 1) and 2·floor(...): juxtapose only before a one-letter symbol.
        single = len(factors) == 1 and isinstance(factors[0], Symbol) and len(factors[0].name.split("_")[0]) == 1
        joiner = "" if single and self.unicode else self.times
        return f"{self._print(coefficient)}{joiner}{body}"

    def _print_Pow(self, expr):
        base, exponent = expr.args
        if not (exponent.is_Integer and exponent > 1):
            return super()._print_Pow(expr)
        body = self.parenthesize(base, PRECEDENCE["Pow"])
        if self.unicode:
            return body + str(exponent).translate(_SUPERSCRIPTS)
        return f"{body}^{exponent}"

    def _print_Integer(self, expr):
        return str(expr.p) if expr.p >= 0 else f"{self.minus}{-expr.p}"

    def _print_Rational(self, expr):
        sign = self.minus if expr.p < 0 else ""
        return f"{sign}{abs(expr.p)}/{expr.q}"

    def _division(self, expr, left, right):
        numerator, divisor = expr.args
        top = self._print(numerator)
        if not (numerator.is_Atom or isinstance(numerator, (FloorDiv, CeilDiv))):
            top = f"({top})"
        bottom = self._print(divisor)
        if not divisor.is_Atom:
            bottom = f"({bottom})"
        return f"{left}{top}/{bottom}{right}"

    def _print_FloorDiv(self, expr):
        return self._division(expr, "⌊", "⌋") if self.unicode else self._division(expr, "floor(", ")")

    def _print_CeilDiv(self, expr):
        return self._division(expr, "⌈", "⌉") if self.unicode else self._division(expr, "ceil(", ")")

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Relational(self, expr):
        ops = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠"} if self.unicode else {}
        op = ops.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"


_UNICODE = TextbookPrinter(unicode=True)
_ASCII = TextbookPrinter(unicode=False)


def textbook(expr, unicode: bool = True) -> str:
    """`expr` in textbook notation."""
    return (_UNICODE if unicode else _ASCII).doprint(expr)


def sympy_str(expr) -> str:
    """`expr` in SymPy's str() syntax (FloorDiv prints as floor(...), which sympify reads back)."""
    return str(expr)


_ASCII_FALLBACK = str.maketrans(
    {
        "⌊": "floor(",
        "⌋": ")",
        "⌈": "ceil(",
        "⌉": ")",
        "−": "-",
        "·": "*",
        "×": "x",
        "≥": ">=",
        "≤": "<=",
        "≠": "!=",
        "…": "...",
        "→": "->",
        "≈": "~",
    }
)
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_PLAIN_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def to_ascii(text: str) -> str:
    """Text made for Unicode terminals, readable on an ASCII one."""
    text = _SUPERSCRIPT_RUN.sub(lambda run: "^" + run.group().translate(_PLAIN_DIGITS), text)
    return text.translate(_ASCII_FALLBACK).encode("ascii", "replace").decode("ascii")


def group_digits(value: int, separator: str = ",") -> str:
    return f"{value:,}".replace(",", separator)
