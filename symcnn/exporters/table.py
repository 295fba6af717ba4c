"""The terminal summary: a rich table like Keras's model.summary() or torchinfo's."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..network import LayerRow
from ..notation import textbook, to_ascii
from ..report import (
    COLUMNS,
    MACS_NOTE,
    View,
    heading,
    local_name,
    referenced_bindings,
    requirements,
    row_value,
    summary_items,
    summary_totals,
)
from .text import value_text


def render(network, unicode: bool = True, view: View = View()):
    table = Table(box=box.SIMPLE_HEAD if unicode else box.ASCII2, title=heading(network, unicode), title_justify="left")
    columns = [COLUMNS[key] for key in view.columns]
    for column in columns:
        table.add_column(column.header, justify="right" if column.numeric else "left", overflow="fold")
    shown = []
    for item in summary_items(network, view.depth):
        cells = [
            local_name(item) if column.key == "name" else row_value(network, item, column.key, view.dtype)
            for column in columns
        ]
        shown.extend(
            c for cell in cells for c in (cell if isinstance(cell, tuple) else (cell,)) if not isinstance(c, str)
        )
        table.add_row(
            *(value_text(cell, unicode) for cell in cells), style=None if isinstance(item, LayerRow) else "bold"
        )
    parts = [table]
    for label, value in summary_totals(network, view.dtype):
        shown.append(value)
        parts.append(Text(f"{label}: {value_text(value, unicode)}"))
    parts.append(Text(MACS_NOTE if unicode else to_ascii(MACS_NOTE), style="dim"))
    bindings = referenced_bindings(network, shown)
    if bindings:
        parts.append(Text("\nwhere (per layer):"))
        parts.extend(
            Text(f"  {textbook(b.symbol, unicode)} = {textbook(b.expr, unicode)}   [{b.layer}]") for b in bindings
        )
    conditions = requirements(network)
    if conditions:
        parts.append(Text("\nvalid when:"))
        parts.extend(Text(f"  {textbook(c.predicate, unicode)}   [{', '.join(c.layers)}]") for c in conditions)
    return Group(*parts)
