"""A GitHub-flavoured Markdown summary table."""

from __future__ import annotations

from ..report import MACS_NOTE, SUMMARY_COLUMNS, TOTAL_LINES, display, heading, requirements, row_value
from ..printing import textbook
from .text import value_text


def _cell(value) -> str:
    text = value_text(value)
    return text if isinstance(value, str) else f"`{text}`"


def render(network, unicode: bool = True) -> str:
    lines = [f"**{heading(network)}**", ""]
    lines.append("| " + " | ".join(c.header for c in SUMMARY_COLUMNS) + " |")
    lines.append("|" + "|".join("---:" if c.numeric else "---" for c in SUMMARY_COLUMNS) + "|")
    for row in network.rows:
        lines.append("| " + " | ".join(_cell(row_value(network, row, c.key)) for c in SUMMARY_COLUMNS) + " |")
    lines.append("")
    lines.extend(f"- {label}: {_cell(display(network, network.totals[key]))}" for key, label in TOTAL_LINES)
    lines.append(f"- {MACS_NOTE}")
    conditions = requirements(network)
    if conditions:
        lines.append("- Valid when: " + ", ".join(f"`{textbook(c.predicate)}`" for c in conditions))
    return "\n".join(lines) + "\n"
