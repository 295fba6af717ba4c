"""`symcnn diff` as a table, JSON, Markdown or LaTeX: the layers that differ, then the totals, A → B with Δ = B − A.

Every format reads the same rows (`diff_rows`) and writes each value its own
way; JSON keeps the exact values whatever `units` the others use.
"""

from __future__ import annotations

import json

from ..notation import latex, latex_value, sympy_str, tex_text, to_ascii
from .markdown import cell as markdown_cell
from .text import number_text, table_lines, value_text

FORMATS = ("table", "json", "markdown", "latex")
HEADERS = ("Layer", "Output shape", "Params", "Δ params", "MACs", "Δ MACs")
RIGHT = (False, False, True, True, True, True)
QUANTITIES = ("params", "macs")
TOTALS = (
    ("params", "Total params"),
    ("trainable_params", "Trainable params"),
    ("macs", "Total MACs"),
    ("flops", "Total FLOPs"),
    ("activations", "Activations"),
)


def diff_rows(comparison, show_all: bool = False) -> list:
    """(label, shape pair, params pair, Δ params, MACs pair, Δ MACs) of each layer shown."""
    rows = []
    for change in comparison.layers if show_all else comparison.changed:
        status = "" if change.status in ("same", "changed") else f" ({change.status})"
        cells = [change.name + status, change.shape]
        for quantity in QUANTITIES:
            cells += [change.values[quantity], change.delta(quantity)]
        rows.append(cells)
    return rows


class Writer:
    """How one format writes a value, a pair A → B and a change."""

    arrow = " → "
    none = "—"

    def __init__(self, unicode: bool = True, units: str = "exact"):
        self.unicode = unicode
        self.units = units

    def value(self, value) -> str:
        return value_text(value, self.unicode, units=self.units)

    def pair(self, pair) -> str:
        """'A → B', or the one value when both are the same."""
        a, b = pair
        if a is not None and a == b:
            return self.item(a)
        return f"{self.item(a)}{self.arrow}{self.item(b)}"

    def item(self, value) -> str:
        return self.none if value is None else self.value(value)

    def delta(self, delta) -> str:
        if delta is None:
            return self.none
        text = self.value(delta)
        return f"+{text}" if delta.is_Number and delta > 0 else text

    def cells(self, row) -> list[str]:
        label, shape, params, d_params, macs, d_macs = row
        return [self.text(label), self.pair(shape), self.pair(params), self.delta(d_params), self.pair(macs)] + [
            self.delta(d_macs)
        ]

    def text(self, label: str) -> str:
        return label


class MarkdownWriter(Writer):
    def value(self, value) -> str:
        return markdown_cell(value, self.units)

    def text(self, label: str) -> str:
        return markdown_cell(label)


class LatexWriter(Writer):
    arrow = r" $\to$ "
    none = "---"

    def value(self, value) -> str:
        if not isinstance(value, tuple) and value.is_Integer and self.units != "exact":
            return number_text(int(value), self.units).replace(" ", "~")
        return f"${latex_value(value)}$"

    def delta(self, delta) -> str:
        text = super().delta(delta)
        return text.replace("+$", "$+") if text.startswith("+$") else text

    def text(self, label: str) -> str:
        return rf"\texttt{{{tex_text(label)}}}"


def totals_lines(comparison, writer: Writer) -> list[tuple[str, str, str]]:
    """(label, A → B, Δ with the percentage) of each total."""
    lines = []
    for key, label in TOTALS:
        a, b = comparison.totals[key]
        delta = comparison.delta(key)
        change = writer.delta(delta) + percent(a, delta) if delta is not None and delta != 0 else ""
        lines.append((label, writer.pair((a, b)), change))
    return lines


def render(
    comparison, unicode: bool = True, label_a: str = "A", label_b: str = "B", show_all: bool = False, units="exact"
) -> str:
    """The comparison (symcnn.whatif.diff.Comparison) as terminal text; `show_all` lists unchanged layers too."""
    writer = Writer(unicode, units)
    if not unicode:
        writer.arrow = " -> "
    rows = [writer.cells(row) for row in diff_rows(comparison, show_all)]
    lines = [f"A: {label_a}   B: {label_b}"]
    lines += table_lines(HEADERS, rows, RIGHT, unicode) if rows else ["no layer differs"]
    for label, pair, change in totals_lines(comparison, writer):
        lines.append(f"{label}: {pair}" + (f"   Δ {change}" if change else ""))
    text = "\n".join(lines) + "\n"
    return text if unicode else to_ascii(text)


def render_markdown(comparison, label_a="A", label_b="B", show_all=False, units="exact") -> str:
    writer = MarkdownWriter(True, units)
    lines = [f"**A:** `{label_a}` · **B:** `{label_b}`", ""]
    rows = diff_rows(comparison, show_all)
    if rows:
        lines += ["| " + " | ".join(HEADERS) + " |", "|" + "|".join("---:" if r else "---" for r in RIGHT) + "|"]
        lines += ["| " + " | ".join(writer.cells(row)) + " |" for row in rows]
    else:
        lines.append("No layer differs.")
    lines += ["", "| Total | A → B | Δ |", "|---|---:|---:|"]
    lines += [f"| {label} | {pair} | {change} |" for label, pair, change in totals_lines(comparison, writer)]
    return "\n".join(lines) + "\n"


def render_latex(comparison, label_a="A", label_b="B", show_all=False, units="exact") -> str:
    r"""A fragment (booktabs, tabularx): the layers' table and the totals' table, as wide as \linewidth."""
    writer = LatexWriter(True, units)
    headers = ["Layer", "Output shape", "Params", r"$\Delta$ params", "MACs", r"$\Delta$ MACs"]
    lines = [
        f"% symcnn diff: A {tex_text(label_a)}, B {tex_text(label_b)}",
        r"% needs \usepackage{booktabs} and \usepackage{tabularx}",
        rf"\noindent A: \texttt{{{tex_text(label_a)}}}, B: \texttt{{{tex_text(label_b)}}}; $\Delta = B - A$.",
        r"\par\smallskip{\footnotesize\setlength{\tabcolsep}{2pt}",
    ]
    rows = diff_rows(comparison, show_all)
    spec = r"@{}l" + r">{\raggedright\arraybackslash}X" * 5 + "@{}"
    if rows:
        lines += [rf"\noindent\begin{{tabularx}}{{\linewidth}}{{{spec}}}", r"\toprule", " & ".join(headers) + r" \\"]
        lines.append(r"\midrule")
        lines += [" & ".join(writer.cells(row)) + r" \\" for row in rows]
        lines += [r"\bottomrule", r"\end{tabularx}\par\smallskip"]
    else:
        lines.append(r"\noindent No layer differs.\par\smallskip")
    total_spec = r"@{}l>{\raggedright\arraybackslash}X>{\raggedright\arraybackslash}X@{}"
    lines += [rf"\noindent\begin{{tabularx}}{{\linewidth}}{{{total_spec}}}", r"\toprule"]
    lines += [r"Total & A $\to$ B & $\Delta$ \\", r"\midrule"]
    lines += [
        f"{label} & {pair} & {change.replace('%', chr(92) + '%')}" + r" \\"
        for label, pair, change in totals_lines(comparison, writer)
    ]
    lines += [r"\bottomrule", r"\end{tabularx}}"]
    return "\n".join(lines) + "\n"


def render_json(comparison, label_a="A", label_b="B", show_all=False) -> str:
    """Exact values: integers as numbers, formulas as SymPy strings; a missing side is null."""

    def exact(value):
        if value is None:
            return None
        if isinstance(value, tuple):
            return [exact(v) for v in value]
        return int(value) if value.is_Integer else sympy_str(value)

    def latex_of(value):
        if value is None:
            return None
        return [latex(v) for v in value] if isinstance(value, tuple) else latex(value)

    layers = []
    for change in comparison.layers if show_all else comparison.changed:
        entry = {"name": change.name, "status": change.status, "output_shape": [exact(s) for s in change.shape]}
        for quantity in QUANTITIES:
            entry[quantity] = [exact(v) for v in change.values[quantity]]
            entry[f"delta_{quantity}"] = exact(change.delta(quantity))
        entry["latex"] = {
            "output_shape": [latex_of(s) for s in change.shape],
            **{q: [latex_of(v) for v in change.values[q]] for q in QUANTITIES},
        }
        layers.append(entry)
    totals = {
        key: {"a": exact(a), "b": exact(b), "delta": exact(comparison.delta(key))}
        for key, (a, b) in comparison.totals.items()
    }
    return json.dumps({"a": label_a, "b": label_b, "layers": layers, "totals": totals}, indent=2, ensure_ascii=False)


def percent(a, delta) -> str:
    """The change relative to A, where both are numbers."""
    if not (a is not None and a.is_Number and delta.is_Number and a != 0):
        return ""
    tenths = round(1000 * delta / a)
    return f" ({'+' if tenths > 0 else '-' if tenths < 0 else ''}{abs(tenths) // 10}.{abs(tenths) % 10}%)"
