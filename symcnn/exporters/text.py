"""Values as text, and fixed-width tables, shared by the human-readable formats.

A table's column widths are measured once, from the cells' lengths; nothing
is wrapped, so a formula stays on one line for grep and diff, whatever the
terminal's width.
"""

from __future__ import annotations

from collections.abc import Sequence

from sympy import Basic

from ..notation import group_digits, textbook

UNITS = ("exact", "si", "bytes")
_SI_PREFIXES = ("", " k", " M", " G", " T", " P", " E")
_BINARY_PREFIXES = (" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB")


def scaled(value: int, base: int, prefixes: tuple[str, ...]) -> str:
    """|value| in the largest unit it reaches, to three significant digits: 25.6 M, 4.09 G, 97.5 MiB."""
    sign, value = ("-" if value < 0 else ""), abs(value)
    power = 0
    while value >= base ** (power + 1) and power + 1 < len(prefixes):
        power += 1
    if power == 0:
        return f"{sign}{value}{prefixes[0]}"
    number = value / base**power
    digits = 2 if number < 10 else 1 if number < 100 else 0
    text = f"{number:.{digits}f}"
    if float(text) >= base and power + 1 < len(prefixes):  # 999.96 k rounds up to 1.00 M
        return f"{sign}{value / base ** (power + 1):.2f}{prefixes[power + 1]}"
    return f"{sign}{text}{prefixes[power]}"


def number_text(value: int, units: str = "exact", memory: bool = False, separator: str = ",") -> str:
    """An integer as `units` say: exact (grouped digits), si (25.6 M), or bytes (KiB, MiB, ... for memory;
    counts in SI)."""
    if units == "bytes" and memory:
        return scaled(value, 1024, _BINARY_PREFIXES)
    if units in ("si", "bytes"):
        return scaled(value, 1000, _SI_PREFIXES)
    return group_digits(value, separator)


def value_text(value, unicode: bool = True, separator: str = ",", units: str = "exact", memory: bool = False) -> str:
    """An integer with grouped digits (or in `units`), a formula in textbook notation, or a shape tuple."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):  # shapes, whose dims read better ungrouped: (1000,) not (1,000,)
        items = [value_text(v, unicode, "") for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, Basic) and value.is_Integer:
        return number_text(int(value), units, memory, separator)
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
