r"""`symcnn latex`: a table, each layer's (or block's) equations, and the totals, that fit a paper's page.

By default a fragment to \input (it needs amsmath, booktabs and tabularx);
standalone, a complete document. What makes it fit:

- The table is a tabularx as wide as the column (or page); formula cells wrap
  at + and \cdot as inline math does. A shape too wide for its cell is
  written in the layer's own symbols (H_{3}, ...) with a reference to the
  equation that defines them. It is split every TABLE_ROWS rows, as a
  tabular cannot break across a page or column.
- Each equation is a chain of steps, one row each; a step too wide for the
  line is split at + over several rows (amsmath's align*, no other package).
- Totals of more than a few terms are given per stage (the top-level blocks
  and the layers between them), each stage's formula in its own row.
- Labels are `eq:<prefix>-<layer>-<quantity>`, with the file's stem as the
  prefix, so two networks \input into one document never clash; the visible
  tag is short: the layer's number and the quantity, (12.H).

Widths are estimated from the LaTeX text (`math_width`), in ems of the body
font: good enough to choose where to break, as the two-column build in
tests/test_latex_paper.py checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sympy import Add

from ..notation import latex, latex_value, tex_text, textbook_terms
from ..views.explanation import explain, legend
from ..views.summary import COLUMNS, MACS_NOTE, TOTAL_LINES, heading, row_value, summary_items
from .bulk import renders_in_bulk

TABLE_ROWS = 20  # rows per tabularx: a tabular cannot break across pages or columns
WIDTHS = {"column": 22.0, "page": 45.0}  # ems a line holds, a little less than a two-column article's 229pt, 469pt
SHAPE_EMS = 6.0  # a shape wider than this in the table is written in the layers' own symbols
STAGE_TERMS = 4  # a total with more terms than this is given per stage
PREAMBLE = (
    r"\usepackage{amsmath}",
    r"\usepackage{booktabs}",
    r"\usepackage{tabularx}",
    r"\allowdisplaybreaks",  # a deep network's equations run over many pages
)
EQUATIONS = ("none", "blocks", "all")
PAPER_COLUMNS = ("name", "output_shape", "params", "macs")
_ANONYMOUS = re.compile(r"^(b)ranch(\d*)$|^(s)hortcut(\d*)$")  # names the grammar makes up: branch2 -> b2


@dataclass(frozen=True)
class Options:
    """What `symcnn latex` was asked for."""

    depth: int | None = None
    label_prefix: str = "net"
    caption: str | None = None
    columns: tuple[str, ...] = PAPER_COLUMNS
    equations: str = "all"
    width: str = "column"


def label_prefix(stem: str) -> str:
    """A file's stem as a label prefix: letters, digits and hyphens (mobilenet_v1 -> mobilenet-v1)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower() or "net"


# --- widths -------------------------------------------------------------------------------------------------

_COMMAND_WIDTHS = {r"\cdot": 0.8, r"\,": 0.17, r"\left": 0.0, r"\right": 0.0, r"\lfloor": 0.6, r"\rfloor": 0.6}
_COMMAND_WIDTHS |= {r"\lceil": 0.6, r"\rceil": 0.6, r"\geq": 1.0, r"\leq": 1.0, r"\quad": 1.0, r"\times": 0.8}


def math_width(tex: str, scale: float = 1.0) -> float:
    r"""Roughly how many ems `tex` takes in display math: a \frac as wide as its wider part, scripts smaller."""
    width, i = 0.0, 0
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            command = match.group(0)
            i += len(command)
            if command == r"\frac":
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                width += max(math_width(top, scale * 0.75), math_width(bottom, scale * 0.75)) + 0.2 * scale
            elif command in (r"\mathrm", r"\text", r"\texttt", r"\mathit"):
                body, i = _group(tex, i)
                width += math_width(body, scale)
            else:
                width += _COMMAND_WIDTHS.get(command, 0.6) * scale
        elif char in "^_":
            body, i = _group(tex, i + 1)
            width += math_width(body, scale * 0.7)
        elif char in "{}" or char == " ":
            i += 1
        else:
            width += (1.3 if char in "+-=<>" else 0.6) * scale
            i += 1
    return width


def _group(tex: str, i: int) -> tuple[str, int]:
    """The {...} group (or single character) at tex[i:], and the index after it."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex) or tex[i] != "{":
        return tex[i : i + 1], i + 1
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def _higher_degree_first(term) -> int:
    """The order latex() prints a sum's terms in when no factor order is given: 4 608α² + 480α."""
    return -sum(e for b, e in term.as_powers_dict().items() if not b.is_Number and e.is_Integer)


def broken(expr, room: float) -> list[str]:
    """`expr` in LaTeX as pieces of at most `room` ems each, split between the terms of a sum."""
    whole = latex(expr)
    if not isinstance(expr, Add) or math_width(whole) <= room:
        return [whole]
    pieces, current = [], ""
    for term in textbook_terms(expr, _higher_degree_first):
        negative = term.as_coeff_Mul()[0].is_negative
        body = latex(-term if negative else term)
        if isinstance(-term if negative else term, Add):
            body = rf"\left({body}\right)"
        sign = "- " if negative else ("+ " if current or pieces else "")
        if current and math_width(current + sign + body) > room:
            pieces.append(current)
            current = sign + body
        else:
            current = f"{current} {sign}{body}".strip()
    return [*pieces, current]


# --- labels ---------------------------------------------------------------------------------------------------


class Labels:
    r"""Short, stable \label keys: eq:<prefix>-<layer path, made-up branch names shortened>-<quantity>."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.used: set[str] = set()
        self.defines: dict[str, str] = {}  # per-layer symbol name (H_3) -> label of its equation
        self.referred: set[str] = set()
        self.in_table: list = []  # per-layer symbols the table shows shapes in: defined below if not above

    def key(self, name: str, quantity: str) -> str:
        parts = [_ANONYMOUS.sub(r"\1\2\3\4", part) for part in name.split(".")]
        base = "-".join(re.sub(r"[^A-Za-z0-9]+", "-", part).strip("-") for part in parts)
        label = f"eq:{self.prefix}-{base}-{quantity}"
        n = 2
        while label in self.used:  # two layers named alike in different branches
            label = f"eq:{self.prefix}-{base}-{n}-{quantity}"
            n += 1
        self.used.add(label)
        return label

    def reference(self, symbols) -> str:
        """\\eqref of the equation defining the first of these symbols that has one, the first time it is
        referred to; else nothing (a table row with the previous row's shape needs no second reference)."""
        labels = [self.defines[s.name] for s in symbols if getattr(s, "name", None) in self.defines]
        if not labels or labels[0] in self.referred:
            return ""
        self.referred.add(labels[0])
        return rf" \eqref{{{labels[0]}}}"


def tagged(label: str, tag: str) -> str:
    return rf" \tag{{{tag}}}\label{{{label}}}"


def align(rows: list[str]) -> list[str]:
    return [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]


CONTINUED = r"\quad "  # a broken step's next rows, indented under its first


def chain_rows(lhs: str, steps: list, width: float, tag: str = "") -> list[str]:
    """`lhs &= step = step` rows, as many steps to a row as fit `width` ems; a step too wide for a row
    of its own is broken at + over several. The tag goes on the last row."""
    tag_width = 0.5 * len(tag.split("}")[0]) - 1 if tag else 0  # (12.H) in text, with space before it
    room = width - math_width(lhs) - 2 - tag_width  # and the =
    rows: list[str] = []  # the right sides, each starting with = or with a continued sum's + or -
    for step in steps:
        pieces = broken(step, room) if not isinstance(step, str) else [step]
        if rows and len(pieces) == 1 and math_width(f"{rows[-1]} = {pieces[0]}") <= room:
            rows[-1] += f" = {pieces[0]}"
            continue
        rows.append(f"= {pieces[0]}")
        rows += [CONTINUED + piece for piece in pieces[1:]]
    lines = [f"{lhs if index == 0 else ''} &{row}".lstrip() for index, row in enumerate(rows)]
    lines[-1] += tag
    return lines


# --- the parts ---------------------------------------------------------------------------------------------


def math(value) -> str:
    return f"${latex_value(value)}$"


def code(name: str) -> str:
    """A layer name (or a path) in typewriter, breakable after its dots, slashes and underscores."""
    breaks = tex_text(name).replace(".", r".\allowbreak ").replace("/", r"/\allowbreak ")
    return r"\texttt{" + breaks.replace(r"\_", r"\_\allowbreak ") + "}"


def table(network, items, options: Options, labels: Labels) -> list[str]:
    columns = [COLUMNS[key] for key in options.columns]
    cells = [[_cell(network, item, c.key, labels) for c in columns] for item in items]
    concrete = [c.numeric and all(_is_number(network, item, c.key) for item in items) for c in columns]
    # Names and shapes (which cannot break) are as wide as they are, numbers right-aligned; columns of
    # formulas share the rest (tabularx X columns), each in proportion to its widest term.
    natural = [max((_natural(c.key, row[i]) for row in cells), default=1.0) for i, c in enumerate(columns)]
    wrapped = [i for i, (c, plain) in enumerate(zip(columns, concrete)) if c.numeric and not plain]
    # \footnotesize, or \scriptsize where the table's narrowest layout would not fit in that.
    scale = 0.8 if (sum(natural) + GAP * len(columns)) * 0.8 <= WIDTHS[options.width] else 0.7
    fixed = sum(w for i, w in enumerate(natural) if i not in wrapped) + GAP * len(columns)
    needs = sum(natural[i] for i in wrapped) or 1.0
    room = {i: (WIDTHS[options.width] / scale - fixed) * natural[i] / needs for i in wrapped}
    specs = ["r" if plain else "l" for plain in concrete]
    for i in wrapped:
        size = "" if len(wrapped) == 1 else rf"\hsize={len(wrapped) * natural[i] / needs:.2f}\hsize"
        specs[i] = rf">{{{size}\raggedright\arraybackslash}}X"
    spec = "".join(specs)
    environment = "tabularx}{\\linewidth" if wrapped else "tabular"  # nothing to wrap: as wide as its cells
    width = r"\linewidth" if options.width == "column" else r"\textwidth"
    header = " & ".join(c.header for c in columns) + r" \\"
    caption = options.caption or f"Layers of \\texttt{{{tex_text(_stem(network.file))}}}."
    size = r"\footnotesize" if scale == 0.8 else r"\scriptsize"
    lines = [rf"\begingroup{size}\setlength{{\tabcolsep}}{{2pt}}"]
    for start in range(0, len(items), TABLE_ROWS):
        # A minipage keeps the caption with the rows under it.
        lines.append(rf"\par\noindent\begin{{minipage}}{{{width}}}")
        if start == 0:
            lines.append(r"\refstepcounter{table}" + rf"\label{{tab:{options.label_prefix}}}")
            lines.append(rf"\textbf{{Table~\thetable.}} {caption}\par\smallskip")
        else:
            lines.append(rf"\textbf{{Table~\ref{{tab:{options.label_prefix}}}}} (continued).\par\smallskip")
        lines += [rf"\begin{{{environment}}}{{@{{}}{spec}@{{}}}}", r"\toprule", header, r"\midrule"]
        for row in cells[start : start + TABLE_ROWS]:
            texts = [
                _formula_cell(cell, room.get(i, 0.0)) if isinstance(cell, list) else cell for i, cell in enumerate(row)
            ]
            lines.append(" & ".join(texts) + r" \\")
        lines += [r"\bottomrule", rf"\end{{{environment.split('}')[0]}}}", r"\end{minipage}\par\medskip"]
    lines.append(r"\endgroup")
    return lines


GAP = 0.6  # ems between two table columns (2 \tabcolsep)
CELL_MARGIN = 0.85  # a term is kept whole only if it fits its column with this margin for the width's estimate


def _natural(key: str, cell) -> float:
    """A cell's widest part that cannot break, in ems of the table's font."""
    if isinstance(cell, list):  # a formula's terms, which break after a \cdot if they must
        return max(math_width(part) for piece in cell for part in piece.split(r" \cdot "))
    if key == "name":  # typewriter, indented
        return 0.53 * len(re.sub(r"\\[A-Za-z]+\*?|[{}]", "", cell))
    if key == "title":
        return 0.5 * len(cell)
    return math_width(re.sub(r"\\begin\{tabular\}\[t\]\{@\{\}l@\{\}\}|\\\\\\eqref\{[^}]*\}\\end\{tabular\}", "", cell))


def _formula_cell(pieces: list[str], room: float) -> str:
    """A formula's terms, each a group (so the cell wraps between terms, not after a \\cdot) if it fits."""
    grouped = [re.sub(r"^([+-] )?(.*)$", r"\1{\2}", p) if math_width(p) <= CELL_MARGIN * room else p for p in pieces]
    return "$" + " ".join(grouped) + "$"


def _is_number(network, item, key: str) -> bool:
    value = row_value(network, item, key)
    return not isinstance(value, (str, tuple)) and value.is_Number


def _cell(network, item, key: str, labels: Labels) -> str | list[str]:
    """A table cell: text, or a formula's terms (its column decides how they wrap)."""
    if key == "name":
        indent = rf"\hspace*{{{len(item.path) / 2}em}}" if item.path else ""
        return indent + code(item.name.rsplit(".", 1)[-1])
    value = row_value(network, item, key)
    if isinstance(value, str):
        return tex_text(value)
    shape = key in ("output_shape", "input_shape")
    if shape and math_width(latex_value(value)) > SHAPE_EMS:
        raw = (item.output if key == "output_shape" else item.input).dims
        labels.in_table.extend(raw)
        reference = labels.reference(raw)
        if not reference:
            return math(tuple(raw))
        return rf"\begin{{tabular}}[t]{{@{{}}l@{{}}}}{math(tuple(raw))}\\{reference.strip()}\end{{tabular}}"  # under it
    if shape:
        return math(value)
    return broken(value, 0) if isinstance(value, Add) else [latex(value)]  # its terms


def _stem(path: str) -> str:
    return re.split(r"[\\/]", path)[-1].rsplit(".", 1)[0]


def layer_equations(network, options: Options, labels: Labels) -> list[str]:
    """Each layer's equations: general formula, values put in, result, and the closed form, one row each."""
    explanations = explain(network)
    width = WIDTHS[options.width]
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
            rf"\paragraph{{{code(row.name)}}} {tex_text(row.title + activation)}; "
            f"input {math(row.input.dims)}, output {math(row.output.dims)}."
        )
        rows = []
        for equation in explanation.equations:
            short = equation.name.name.rsplit("_", 1)[0]
            label = labels.key(row.name, short)
            labels.defines[equation.name.name] = label
            rows += chain_rows(latex(equation.name), _steps(equation), width, tagged(label, f"{row.index}.{short}"))
        lines += align(rows)
    return lines


def _steps(equation) -> list:
    """The chain of an equation: general formula and values put in as text, then result and closed form."""
    steps = [equation.formula(latex), equation.put_in(latex, equation.plain and equation.exact is None)]
    last = steps[-1]
    for value in (equation.result, equation.closed):
        if value is not None and latex(value) != last:
            steps.append(value)
            last = latex(value)
    return steps


def block_equations(network, items, options: Options, labels: Labels) -> list[str]:
    """Each table row's output size, params and MACs in the network's inputs (or per-layer symbols)."""
    width = WIDTHS[options.width]
    lines = [r"\noindent Each row of the table: its output size, parameters and MACs."]
    for number, item in enumerate(items, 1):  # tagged by their row in the table: (12.H)
        rows = []
        for axis, dim, raw in zip(item.output.axes, row_value(network, item, "output_shape"), item.output.dims):
            if dim.is_Number or axis in "CF" or not getattr(raw, "is_Symbol", False):
                continue
            label = labels.key(item.name, axis)
            labels.defines.setdefault(raw.name, label)
            rows += chain_rows(latex(raw), [dim], width, tagged(label, f"{number}.{axis}"))
        for quantity, name in (("params", r"\mathrm{params}"), ("macs", r"\mathrm{MACs}")):
            value = row_value(network, item, quantity)
            if value != 0:
                label = labels.key(item.name, quantity)
                rows += chain_rows(name, [value], width, tagged(label, f"{number}.{quantity}"))
        if rows:
            lines += ["", rf"\paragraph{{{code(item.name)}}} {tex_text(item.title)}.", *align(rows)]
    return lines


def stages(network) -> list[tuple[str, list]]:
    """The top-level blocks, and the runs of top-level layers between them: (name, rows)."""
    result: list[tuple[str, list]] = []
    loose: list = []
    index = 0
    top = sorted((c for c in network.containers if c.depth == 0), key=lambda c: c.start)
    for container in [*top, None]:
        end = container.start if container else len(network.rows)
        loose = network.rows[index:end]
        if loose:
            names = loose[0].name if len(loose) == 1 else f"{loose[0].name}--{loose[-1].name}"
            result.append((names, loose))
        if container:
            result.append((container.name, network.rows[container.start : container.end]))
            index = container.end
    return result


# The totals' names, short enough to leave the line to the formula.
TOTAL_TAGS = {"trainable_params": "trainable", "non_trainable_params": "frozen", "activations": "acts"}
TOTAL_NAMES = {
    "params": "Params",
    "trainable_params": "Trainable",
    "non_trainable_params": "Non-trainable",
    "macs": "MACs",
    "flops": "FLOPs",
    "activations": "Activations",
}


def totals(network, options: Options, labels: Labels) -> list[str]:
    width = WIDTHS[options.width]
    shown, rows = [], []
    for key, _ in TOTAL_LINES:
        value = network.display_form(network.totals[key])
        shown.append(value)
        lhs = rf"\text{{{TOTAL_NAMES[key]}}}"
        tag = tagged(f"eq:{options.label_prefix}-total-{key.replace('_', '-')}", f"total.{TOTAL_TAGS.get(key, key)}")
        if (
            isinstance(value, Add)
            and len(value.args) > STAGE_TERMS
            and key in ("params", "macs")
            and network.containers
        ):
            rows.append(rf"{lhs} &= \text{{the sum over the stages:}}{tag}")
            for name, stage_rows in stages(network):
                stage_value = network.display_form(Add(*(getattr(row, key) for row in stage_rows)))
                if stage_value != 0:
                    shown.append(stage_value)
                    rows.append(rf"&\quad \text{{{code(name)}:}}")
                    rows += chain_rows("", [stage_value], width - 4)
        else:
            rows += chain_rows(lhs, [value], width, tag)
    note = MACS_NOTE.replace("×", r"$\times$") + " Activations are elements per sample."
    lines = ["", r"\paragraph{Totals.}", *align(rows), note]
    defined = set(labels.defines)
    where = [b for b in network.bindings_for(shown + labels.in_table) if b.symbol.name not in defined]
    if where:
        lines += ["", r"\noindent where"]
        steps = [
            [b.expr] + [c for c in [network.closed_form(b.symbol)] if c is not None and c != b.expr] for b in where
        ]
        lines += align([row for b, chain in zip(where, steps) for row in chain_rows(latex(b.symbol), chain, width)])
    conditions = network.requirements
    if conditions:
        listed = ", ".join(rf"${latex(c.predicate)}$ ({code(', '.join(c.layers))})" for c in conditions)
        lines += ["", rf"\noindent Valid when {listed}."]
    return lines


@renders_in_bulk
def render(network, standalone: bool = False, options: Options | None = None) -> str:
    """The LaTeX export: a fragment, or with `standalone` a document that pdflatex compiles."""
    options = options or Options(label_prefix=label_prefix(_stem(network.file)))
    labels = Labels(options.label_prefix)
    items = summary_items(network, options.depth)
    if standalone:
        document_class = (
            r"\documentclass[twocolumn]{article}" if options.width == "column" else r"\documentclass{article}"
        )
        lines = [document_class, *PREAMBLE, r"\begin{document}"]
        lines.append(rf"\section*{{{code(network.file)}}}")
        lines.append(f"Convention {network.convention}, layout {network.layout}.")
    else:
        lines = [f"% symcnn latex: {tex_text(heading(network, unicode=False))}"]
        lines.append(r"% needs \usepackage{amsmath}, \usepackage{booktabs} and \usepackage{tabularx}")
    # The equations come after the table but are numbered first, so that the table can refer to them.
    if options.equations == "all":
        equations = layer_equations(network, options, labels)
    elif options.equations == "blocks":
        equations = block_equations(network, items, options, labels)
    else:
        equations = []
    lines += table(network, items, options, labels)
    lines += ["", *equations]
    lines += totals(network, options, labels)
    if standalone:
        lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def equation_lines(explanation, tagged: bool = True) -> list[str]:
    """`lhs &= rhs` per equation on one line each (for a notebook, which has no column to fit)."""
    name = explanation.row.name
    lines = []
    for equation in explanation.equations:
        steps = [s if isinstance(s, str) else latex(s) for s in _steps(equation)]
        line = f"{latex(equation.name)} &= {' = '.join(steps)}"
        if tagged:
            short = equation.name.name.rsplit("_", 1)[0]
            line += rf" \tag{{{tex_text(name)}.{short}}}\label{{eq:{name}-{equation.quantity}}}"
        lines.append(line)
    return lines


__all__ = ["EQUATIONS", "Options", "label_prefix", "math_width", "render"]
