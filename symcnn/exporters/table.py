"""The terminal summary: a table like Keras's model.summary() or torchinfo's, then the totals."""

from __future__ import annotations

from ..notation import textbook, to_ascii
from ..views.summary import (
    COLUMNS,
    MACS_NOTE,
    View,
    heading,
    local_name,
    row_value,
    summary_items,
    summary_totals,
)
from .bulk import renders_in_bulk
from .text import table_lines, value_text

MEMORY_COLUMNS = ("activation_bytes",)


@renders_in_bulk
def render(network, unicode: bool = True, view: View = View(), units: str = "exact") -> str:
    """The summary; `units` (text.UNITS) says how concrete counts are written."""
    columns = [COLUMNS[key] for key in view.columns]
    rows, shown = [], []
    for item in summary_items(network, view.depth):
        cells = [
            local_name(item) if column.key == "name" else row_value(network, item, column.key, view.dtype)
            for column in columns
        ]
        shown.extend(
            c for cell in cells for c in (cell if isinstance(cell, tuple) else (cell,)) if not isinstance(c, str)
        )
        rows.append(
            [value_text(cell, unicode, units=units, memory=c.key in MEMORY_COLUMNS) for cell, c in zip(cells, columns)]
        )
    lines = [heading(network, unicode)]
    lines += table_lines([c.header for c in columns], rows, [c.numeric for c in columns], unicode)
    for label, value in summary_totals(network, view.dtype):
        shown.append(value)
        lines.append(f"{label}: {value_text(value, unicode, units=units, memory='memory' in label)}")
    lines.append(MACS_NOTE)
    bindings = network.bindings_for(shown)
    if bindings:
        lines.append("\nwhere (per layer):")
        lines.extend(f"  {textbook(b.symbol, unicode)} = {textbook(b.expr, unicode)}   [{b.layer}]" for b in bindings)
    conditions = network.requirements
    if conditions:
        lines.append("\nvalid when:")
        lines.extend(f"  {textbook(c.predicate, unicode)}   [{', '.join(c.layers)}]" for c in conditions)
    text = "\n".join(lines) + "\n"
    return text if unicode else to_ascii(text)
