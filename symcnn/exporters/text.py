"""Values as text, shared by the human-readable formats."""

from __future__ import annotations

from sympy import Basic

from ..notation import group_digits, textbook


def value_text(value, unicode: bool = True, separator: str = ",") -> str:
    """An integer with grouped digits, a formula in textbook notation, or a shape tuple."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):  # shapes, whose dims read better ungrouped: (1000,) not (1,000,)
        items = [value_text(v, unicode, "") for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, Basic) and value.is_Integer:
        return group_digits(int(value), separator)
    return textbook(value, unicode)
