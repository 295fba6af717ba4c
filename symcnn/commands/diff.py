"""symcnn diff: two networks, or one at two settings, layer by layer."""

from __future__ import annotations

import click
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..exporters.text import value_text
from ..notation import to_ascii
from . import console, parse_overrides, parse_symbolic, unicode_ok


@click.command()
@click.argument("file_a", metavar="A")
@click.argument("file_b", metavar="[B]", required=False)
@click.option("--set-a", multiple=True, metavar="NAME=VALUE", help="Override a parameter in A only; repeatable.")
@click.option("--set-b", multiple=True, metavar="NAME=VALUE", help="Override a parameter in B only; repeatable.")
@click.option("--set", "set_", multiple=True, metavar="NAME=VALUE", help="Override a parameter in both.")
@click.option(
    "--symbolic",
    multiple=True,
    metavar="NAME[,NAME...]|all",
    help="Keep parameters symbolic in both: differences become formulas.",
)
@click.option("--all", "show_all", is_flag=True, help="List the layers that did not change too.")
def command(file_a, file_b, set_a, set_b, set_, symbolic, show_all) -> None:
    """Compare network A with B (or with itself at --set-b), layer by layer and in total.

    Shapes, params and MACs; Δ is B − A, a formula where parameters are kept symbolic.
    """
    from ..whatif.diff import diff

    comparison = diff(
        file_a, file_b, parse_overrides(set_a), parse_overrides(set_b), parse_overrides(set_), parse_symbolic(symbolic)
    )
    unicode = unicode_ok()
    text = (lambda s: s) if unicode else to_ascii
    arrow = "→" if unicode else "->"
    label_a = file_a + "".join(f" {item}" for item in set_a)
    label_b = (file_b or file_a) + "".join(f" {item}" for item in set_b)
    table = Table(
        box=box.SIMPLE_HEAD if unicode else box.ASCII2, title=text(f"A: {label_a}   B: {label_b}"), title_justify="left"
    )
    for header, right in (
        ("Layer", False),
        ("Output shape", False),
        ("Params", True),
        ("Δ params", True),
        ("MACs", True),
        ("Δ MACs", True),
    ):
        table.add_column(header, justify="right" if right else "left", overflow="fold")
    shown = comparison.layers if show_all else comparison.changed
    for change in shown:
        status = "" if change.status in ("same", "changed") else f" ({change.status})"
        cells = [change.name + status, _pair(change.shape, arrow, unicode)]
        for quantity in ("params", "macs"):
            cells += [_pair(change.values[quantity], arrow, unicode), _delta(change.delta(quantity), unicode)]
        table.add_row(*(text(cell) for cell in cells))
    parts = [table if shown else Text("no layer differs")]
    for key, label in (
        ("params", "Total params"),
        ("trainable_params", "Trainable params"),
        ("macs", "Total MACs"),
        ("flops", "Total FLOPs"),
        ("activations", "Activations"),
    ):
        a, b = comparison.totals[key]
        delta = comparison.delta(key)
        line = f"{label}: {_pair((a, b), arrow, unicode)}"
        if delta is not None and delta != 0:
            line += f"   Δ {_delta(delta, unicode)}" + _percent(a, delta)
        parts.append(Text(text(line)))
    console().print(Group(*parts))


def _value(value, unicode: bool) -> str:
    return "—" if value is None else value_text(value, unicode)


def _pair(pair, arrow: str, unicode: bool) -> str:
    """'A → B', or the one value when both are the same."""
    a, b = pair
    if a is not None and a == b:
        return _value(a, unicode)
    return f"{_value(a, unicode)} {arrow} {_value(b, unicode)}"


def _delta(delta, unicode: bool) -> str:
    if delta is None:
        return "—"
    text = value_text(delta, unicode)
    return f"+{text}" if delta.is_Number and delta > 0 else text


def _percent(a, delta) -> str:
    """The change relative to A, where both are numbers."""
    if not (a is not None and a.is_Number and delta.is_Number and a != 0):
        return ""
    tenths = round(1000 * delta / a)
    return f" ({'+' if tenths > 0 else '-' if tenths < 0 else ''}{abs(tenths) // 10}.{abs(tenths) % 10}%)"


command.name = "diff"
