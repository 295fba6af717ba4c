r"""`symcnn latex`: a booktabs table, each layer's equations, and the totals, for a paper.

By default a fragment to \input (it needs amsmath and booktabs); standalone, a
complete document. Each equation carries \tag{conv1.H} and \label{eq:conv1-height}:
in align* a \label needs a \tag, and a tag named after the layer reads the
same whatever the surrounding document numbers.
"""

from __future__ import annotations

from ..notation import latex, latex_value, tex_text
from ..views.explanation import FACTOR_ORDER, explain, legend
from ..views.summary import MACS_NOTE, TOTAL_LINES, heading, row_value

TABLE_ROWS = 40  # rows per tabular: a tabular cannot break across pages
PREAMBLE = (
    r"\documentclass{article}",
    r"\usepackage{amsmath}",
    r"\usepackage{booktabs}",
    r"\allowdisplaybreaks",  # a deep network's equations run over many pages
    r"\begin{document}",
)


def math(value) -> str:
    return f"${latex_value(value)}$"


def params_formula(explanation) -> str:
    """The parameter count with the layer's values put in, a zero bias left out: 1 \\cdot 4 \\cdot 4 \\cdot 20."""
    for equation in explanation.equations:
        if equation.quantity == "params":
            parts = [part for part in equation.parts if part.result != 0]
            return "$" + " + ".join(latex(p.formula, p.values, FACTOR_ORDER) for p in parts) + "$"
    return "---"


def table(network, explanations) -> list[str]:
    header = [r"\begin{tabular}{lllrr}", r"\toprule", r"Layer & Output shape & Parameter formula & Params & MACs \\"]
    header.append(r"\midrule")
    footer = [r"\bottomrule", r"\end{tabular}"]
    lines = [r"\begin{center}"]
    for start in range(0, len(explanations), TABLE_ROWS):
        if start:
            lines.append(r"\par\medskip")
        lines += header
        for explanation in explanations[start : start + TABLE_ROWS]:
            row = explanation.row
            cells = [
                rf"\texttt{{{tex_text(row.name)}}}",
                math(row_value(network, row, "output_shape")),
                params_formula(explanation),
                math(row_value(network, row, "params")),
                math(row_value(network, row, "macs")),
            ]
            lines.append(" & ".join(cells) + r" \\")
        lines += footer
    lines.append(r"\end{center}")
    return lines


def equation_rhs(equation) -> str:
    """general formula = values put in [= result] [= closed form], each step an equality."""
    chain = [equation.formula(latex), equation.put_in(latex, equation.plain and equation.exact is None)]
    for value in (equation.result, equation.closed):
        text = latex(value) if value is not None else None
        if text is not None and text != chain[-1]:
            chain.append(text)
    return " = ".join(chain)


def equation_lines(explanation, tagged: bool = True) -> list[str]:
    """`lhs &= rhs` per equation; `tagged` adds \\tag and \\label (not allowed inside aligned)."""
    name = explanation.row.name
    lines = []
    for equation in explanation.equations:
        line = f"{latex(equation.name)} &= {equation_rhs(equation)}"
        if tagged:
            short = equation.name.name.rsplit("_", 1)[0]
            line += rf" \tag{{{tex_text(name)}.{short}}}\label{{eq:{name}-{equation.quantity}}}"
        lines.append(line)
    return lines


def _align(lines: list[str]) -> list[str]:
    return [r"\begin{align*}", " \\\\\n".join(lines), r"\end{align*}"]


def layer_equations(explanations) -> list[str]:
    meanings = ", ".join(f"${latex(symbol)}$ {meaning}" for symbol, meaning in legend(explanations))
    lines = [r"\noindent Each equation: the general formula, this layer's values put in, the result"]
    lines[0] += f"; {meanings}." if meanings else "."
    for explanation in explanations:
        if not explanation.equations:
            continue
        row = explanation.row
        activation = f" ({row.activation})" if row.activation else ""
        lines.append("")
        lines.append(
            rf"\paragraph{{\texttt{{{tex_text(row.name)}}}}} {tex_text(row.title + activation)}; "
            f"input {math(row.input.dims)}, output {math(row.output.dims)}."
        )
        lines += _align(equation_lines(explanation))
    return lines


def totals(network, explanations) -> list[str]:
    shown = [network.display_form(network.totals[key]) for key, _ in TOTAL_LINES]
    rows = [
        rf"\text{{{label}}} &= {latex(value)} \tag{{total.{tex_text(key)}}}\label{{eq:total-{key}}}"
        for (key, label), value in zip(TOTAL_LINES, shown)
    ]
    lines = ["", r"\paragraph{Totals.}", *_align(rows), MACS_NOTE.replace("×", r"$\times$")]
    defined = {e.name.name for x in explanations for e in x.equations}  # by name: Equation names carry no assumptions
    for explanation in explanations:
        shown += [row_value(network, explanation.row, key) for key in ("params", "macs")]
        shown += [dim for dim in row_value(network, explanation.row, "output_shape")]
        shown += [value for e in explanation.equations for part in e.parts for value in part.values.values()]
    where = [b for b in network.bindings_for(shown) if b.symbol.name not in defined]
    if where:
        lines += ["", r"\noindent where"]
        lines += _align([f"{latex(b.symbol)} &= {latex(b.expr)}" for b in where])
    conditions = network.requirements
    if conditions:
        listed = ", ".join(rf"${latex(c.predicate)}$ (\texttt{{{tex_text(', '.join(c.layers))}}})" for c in conditions)
        lines += ["", rf"\noindent Valid when {listed}."]
    return lines


def render(network, standalone: bool = False) -> str:
    """The LaTeX export: a fragment, or with `standalone` a document that pdflatex compiles."""
    explanations = explain(network)
    if standalone:
        lines = [*PREAMBLE, rf"\section*{{\texttt{{{tex_text(network.file)}}}}}"]
        lines.append(f"Convention {network.convention}, layout {network.layout}.")
    else:
        lines = [f"% symcnn latex: {tex_text(heading(network, unicode=False))}"]
        lines.append(r"% needs \usepackage{amsmath} and \usepackage{booktabs}")
    lines += table(network, explanations)
    lines += layer_equations(explanations)
    lines += totals(network, explanations)
    if standalone:
        lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"
