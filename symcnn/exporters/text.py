"""Values as text, and fixed-width tables, shared by the human-readable formats.

A table's column widths are measured once, from the cells' lengths; nothing
is wrapped, so a formula stays on one line for grep and diff, whatever the
terminal's width.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def title_dot(unicode: bool) -> str:
    """What separates the parts of a title line: a middle dot, or in ASCII a dash (not to_ascii's times sign)."""
    return " · " if unicode else " - "


def table_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool], unicode: bool = True
) -> list[str]:
    """A table of text cells: a rule under the header (Unicode), or an ASCII grid.

    `right` says which columns are right-aligned (the numbers).
    """
    widths = [len(header) for header in headers]
    for row in rows:
        for i, cell in enumerate(row):
            if len(cell) > widths[i]:
                widths[i] = len(cell)

    def line(cells) -> list[str]:
        return [cell.rjust(width) if r else cell.ljust(width) for cell, width, r in zip(cells, widths, right)]

    if unicode:
        rule = " " + "─" * (sum(widths) + 3 * len(widths) - 1)
        body = ["  " + "   ".join(line(row)).rstrip() for row in rows]
        return ["", "  " + "   ".join(line(headers)).rstrip(), rule, *body, ""]
    border = "+" + "+".join("-" * (width + 2) for width in widths) + "+"
    body = ["| " + " | ".join(line(row)) + " |" for row in rows]
    return [border, "| " + " | ".join(line(headers)) + " |", border, *body, border]
