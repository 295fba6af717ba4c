"""`symcnn diff` as terminal text: the layers that differ, then the totals, A → B with Δ = B − A."""

from __future__ import annotations

from ..notation import to_ascii
from .text import table_lines, value_text

HEADERS = ("Layer", "Output shape", "Params", "Δ params", "MACs", "Δ MACs")
RIGHT = (False, False, True, True, True, True)
TOTALS = (
    ("params", "Total params"),
    ("trainable_params", "Trainable params"),
    ("macs", "Total MACs"),
    ("flops", "Total FLOPs"),
    ("activations", "Activations"),
)


def render(comparison, unicode: bool = True, label_a: str = "A", label_b: str = "B", show_all: bool = False) -> str:
    """The comparison (symcnn.whatif.diff.Comparison); `show_all` lists the layers that did not change too."""
    arrow = "→" if unicode else "->"
    shown = comparison.layers if show_all else comparison.changed
    rows = []
    for change in shown:
        status = "" if change.status in ("same", "changed") else f" ({change.status})"
        cells = [change.name + status, _pair(change.shape, arrow, unicode)]
        for quantity in ("params", "macs"):
            cells += [_pair(change.values[quantity], arrow, unicode), _delta(change.delta(quantity), unicode)]
        rows.append(cells)
    lines = [f"A: {label_a}   B: {label_b}"]
    lines += table_lines(HEADERS, rows, RIGHT, unicode) if shown else ["no layer differs"]
    for key, label in TOTALS:
        a, b = comparison.totals[key]
        delta = comparison.delta(key)
        line = f"{label}: {_pair((a, b), arrow, unicode)}"
        if delta is not None and delta != 0:
            line += f"   Δ {_delta(delta, unicode)}" + _percent(a, delta)
        lines.append(line)
    text = "\n".join(lines) + "\n"
    return text if unicode else to_ascii(text)


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
