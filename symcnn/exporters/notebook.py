r"""How a derived network, and one layer of it, show themselves in Jupyter.

These are the bodies of `_repr_latex_`, `_repr_markdown_` and `_repr_html_`
of `Network` and `LayerRow`. Notebooks render LaTeX with MathJax, which has no
tabular or booktabs: the network is an array in display math, a layer its
equations in an aligned block. The HTML needs no MathJax at all: formulas are
in Unicode textbook notation (⌊(H − 23)/8⌋).
"""

from __future__ import annotations

from html import escape

from ..notation import latex, latex_value, put_in, tex_text
from ..views.explanation import explain_row
from ..views.summary import SUMMARY_COLUMNS, TOTAL_LINES, heading, row_value
from .explain import shape, value
from .latex import equation_lines
from .markdown import layer_section
from .markdown import render as markdown_summary


def _latex_cell(key: str, cell) -> str:
    if isinstance(cell, str):  # a layer name in typewriter type, as in the LaTeX export; a type as text
        return rf"\mathtt{{{tex_text(cell)}}}" if key == "name" else rf"\text{{{cell}}}"
    return latex_value(cell)


def _text_cell(cell) -> str:
    if isinstance(cell, str):
        return cell
    return shape(cell) if isinstance(cell, tuple) else value(cell)


def network_latex(network) -> str:
    """The summary table and totals as a MathJax array."""
    columns = "".join("r" if c.numeric else "l" for c in SUMMARY_COLUMNS)
    lines = [" & ".join(rf"\text{{{c.header}}}" for c in SUMMARY_COLUMNS) + r" \\ \hline"]
    for row in network.rows:
        lines.append(" & ".join(_latex_cell(c.key, row_value(network, row, c.key)) for c in SUMMARY_COLUMNS) + r" \\")
    lines[-1] += r" \hline"
    for key, label in TOTAL_LINES:
        total = latex(network.display_form(network.totals[key]))
        lines.append(rf"\text{{{label}}} & \multicolumn{{{len(SUMMARY_COLUMNS) - 1}}}{{l}}{{{total}}} \\")
    return "$$\\begin{array}{" + columns + "}\n" + "\n".join(lines) + "\n\\end{array}$$"


def network_markdown(network) -> str:
    return markdown_summary(network)


def network_html(network) -> str:
    """The summary table and totals as HTML."""
    head = "".join(f"<th>{escape(c.header)}</th>" for c in SUMMARY_COLUMNS)
    body = [
        "<tr>"
        + "".join(f"<td>{escape(_text_cell(row_value(network, row, c.key)))}</td>" for c in SUMMARY_COLUMNS)
        + "</tr>"
        for row in network.rows
    ]
    totals = "".join(
        f"<li>{escape(label)}: {escape(value(network.display_form(network.totals[key])))}</li>"
        for key, label in TOTAL_LINES
    )
    return (
        f"<p><b>{escape(heading(network))}</b></p>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + f"\n</tbody>\n</table>\n<ul>{totals}</ul>"
    )


def row_latex(row) -> str:
    """The layer's input, equations (per-layer symbols) and output, aligned."""
    lines = [rf"\text{{input}} &= {latex_value(row.input.dims)}"]
    lines += equation_lines(explain_row(row), tagged=False)
    lines.append(rf"\text{{output}} &= {latex_value(row.output.dims)}")
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


def row_markdown(row) -> str:
    return "\n".join(layer_section(explain_row(row))) + "\n"


def row_html(row) -> str:
    """The layer's equations as an HTML table: formula, values put in, result."""
    explanation = explain_row(row)
    cells = [(e.quantity, e.formula(put_in), e.put_in(put_in, e.plain), value(e.result)) for e in explanation.equations]
    cells.append(("MACs", "", "", value(explanation.macs)))
    body = "\n".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in line) + "</tr>" for line in cells)
    title = f"{row.name} · {row.title}: {_text_cell(row.input.dims)} → {_text_cell(row.output.dims)}"
    return (
        f"<p><b>{escape(title)}</b></p>\n<table>\n"
        "<thead><tr><th></th><th>formula</th><th>values put in</th><th>result</th></tr></thead>\n"
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )
