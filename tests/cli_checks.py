"""What every symcnn run must satisfy, shared by the generative and the mission tests.

- `assert_clean`: an allowed exit code, no traceback, no internal-error or usage message;
- `formula_mismatches`: each formula of `summary -f json`, read back with `sympify`, against a
  fresh concrete derivation (`--set`) at the same point;
- `markdown_problems`, `latex_problems`, `pdflatex_problems`: the output formats are well formed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections import Counter
from fractions import Fraction
from pathlib import Path

from sympy import Basic, Integer, Rational, Symbol, sympify
from sympy.logic.boolalg import BooleanFalse, BooleanTrue

ALL_COLUMNS = (
    "name,title,input_shape,output_shape,params,trainable_params,non_trainable_params,"
    "macs,flops,activations,activation_bytes,receptive_field"
)
# Messages that are never a correct answer, whatever the exit code.
FORBIDDEN = (
    "Traceback",
    "internal error",
    "please report",
    "nested too deeply",
    "No such option",
    "Usage: symcnn",
    "maximum recursion",
)
# Each layer's entries that are not quantities; every other entry (shapes, counts, receptive field) is compared.
LAYER_LABELS = ("name", "type", "latex", "line", "path")
# A receptive field the engine does not track (adaptive pooling over a symbolic size), or one past the formula
# limit, is not stated: it cannot be compared, and is no error.
NOT_STATED = ("—", "over the formula limit")
RUNS: Counter = Counter()  # command label -> how many runs, for the session's closing line


def run(cli, label: str, args: list[str], allowed=(0,)) -> tuple[int, str, str]:
    """Run `symcnn ARGS` in-process and assert it ended cleanly with an allowed exit code."""
    RUNS[label] += 1
    code, out, err = cli(*args)
    assert_clean(label, args, code, out, err, allowed)
    return code, out, err


def assert_clean(label, args, code, out, err, allowed) -> None:
    shown = " ".join(map(str, args))
    for text in FORBIDDEN:
        assert text not in out + err, f"{label}: '{text}' in the output of `symcnn {shown}`:\n{err or out}"
    assert code in (0, 1, 2), f"{label}: exit {code} from `symcnn {shown}`:\n{err}"
    assert code in allowed, f"{label}: exit {code} (allowed {allowed}) from `symcnn {shown}`:\n{err or out[-2000:]}"
    if code == 2:
        assert "error" in err, f"{label}: exit 2 without an error message from `symcnn {shown}`:\n{out}"


# -- formulas read back from the JSON ------------------------------------------------------------


def json_symbol_names(document: dict, parameters) -> dict[str, str]:
    """Parameter name -> the identifier its symbol has in the JSON's formulas.

    `symbols` maps each identifier to its parameter's name (`lambda_` for lambda, which is Python
    syntax; `S_` for S, which is SymPy's S). A plain list of names is read as identifiers equal to them.
    """
    listed = document["symbols"]
    identifiers = dict(listed) if isinstance(listed, dict) else {name: name for name in listed}
    return {name: identifier for identifier, name in identifiers.items() if name in parameters}


def reader(document: dict):
    """`sympify` with every listed identifier and binding as a plain Symbol, as a script would read the JSON."""
    names = list(document["symbols"]) + [binding["symbol"] for binding in document["bindings"]]
    local = {name: Symbol(name) for name in names}

    def read(text):
        if isinstance(text, bool) or text is None:
            return text
        if isinstance(text, int):
            return Integer(text)
        if isinstance(text, list):
            return [read(item) for item in text]
        if isinstance(text, dict):
            return {key: read(value) for key, value in text.items()}
        return sympify(text, locals=local)

    return read


def evaluate_at(document: dict, point: dict[str, Fraction | int], like: dict | None = None):
    """The JSON's quantities evaluated at `point` (JSON symbol name -> value), the bindings in order.

    A value written exactly as in the document `like` (a number, or a word such as the receptive
    field's "—" where there is none) is taken as it is; every other one is read with `sympify`.
    """
    read = reader(document)
    values = {Symbol(name): as_sympy(value) for name, value in point.items()}
    for binding in document["bindings"]:
        values[Symbol(binding["symbol"])] = read(binding["expr"]).xreplace(values)

    def at(text, reference=None):
        if isinstance(text, list) and isinstance(reference, list) and len(text) == len(reference):
            return [at(t, r) for t, r in zip(text, reference)]
        if text == reference or isinstance(text, bool) or text is None:
            return text
        if isinstance(text, list):
            return [at(t) for t in text]
        value = read(text)
        return value.xreplace(values) if isinstance(value, Basic) else value

    layers, totals, claims = [], {}, []
    for index, layer in enumerate(document["layers"]):
        model = like["layers"][index] if like and index < len(like["layers"]) else {}
        quantities = [key for key in layer if key not in LAYER_LABELS and layer[key] not in NOT_STATED]
        layers.append({key: at(layer[key], model.get(key)) for key in quantities})
    for key, text in document["totals"].items():
        totals[key] = at(text, (like or {}).get("totals", {}).get(key))
    for index, claim in enumerate(document["claims"]):
        model = like["claims"][index] if like and index < len(like["claims"]) else {}
        claims.append(at(claim["derived"], model.get("derived")))
    conditions = [at(text) for text in document["conditions"]]
    return layers, totals, conditions, claims


def as_sympy(value):
    return Rational(value.numerator, value.denominator) if isinstance(value, Fraction) else Integer(value)


def formula_mismatches(symbolic_doc: dict, concrete_doc: dict, point: dict) -> list[str]:
    """Where the symbolic JSON, evaluated at `point`, differs from the concrete JSON derived there."""
    layers, totals, conditions, claims = evaluate_at(symbolic_doc, point, like=concrete_doc)
    want_layers, want_totals, _, want_claims = evaluate_at(concrete_doc, {}, like=concrete_doc)
    problems = []
    names = [(a["name"], b["name"]) for a, b in zip(symbolic_doc["layers"], concrete_doc["layers"])]
    if len(layers) != len(want_layers) or any(a != b for a, b in names):
        return [f"layers {[a for a, _ in names]} symbolically, {[b for _, b in names]} concretely"]
    for (name, _), got, want in zip(names, layers, want_layers):
        for key in got:
            if not same(got[key], want.get(key)):
                problems.append(f"layer {name}.{key}: formula gives {got[key]}, derivation {want[key]}")
    for key, want in want_totals.items():
        if not same(totals.get(key), want):
            problems.append(f"totals.{key}: formula gives {totals.get(key)}, derivation {want}")
    for got, want in zip(claims, want_claims):
        if not same(got, want):
            problems.append(f"claim derived: formula gives {got}, derivation {want}")
    for text, value in zip(symbolic_doc["conditions"], conditions):
        if not isinstance(value, BooleanTrue) and value is not True:
            problems.append(f"condition {text} is {value} at a valid point")
    return problems


def false_conditions(symbolic_doc: dict, point: dict) -> list[str]:
    _, _, conditions, _ = evaluate_at(symbolic_doc, point)
    return [text for text, value in zip(symbolic_doc["conditions"], conditions) if isinstance(value, BooleanFalse)]


def same(got, want) -> bool:
    """Equal as exact numbers (a JSON int or a SymPy number), element-wise for lists, else as values."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if number(want):
        return number(got) and Rational(got) == Rational(want)
    return got == want


def number(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, Basic) and value.is_Rational is True)


# -- output formats -----------------------------------------------------------------------------------

_DOLLAR = re.compile(r"(?<!\\)\$")
_CODE_SPAN = re.compile(r"`[^`]*`")


def markdown_problems(text: str) -> list[str]:
    """Lines whose math is unbalanced: an odd number of unescaped $, or unbalanced braces inside $...$."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        line = _CODE_SPAN.sub("", line).replace("$$", "$")
        parts = _DOLLAR.split(line)
        if len(parts) % 2 == 0:
            problems.append(f"line {number}: odd number of $: {line}")
            continue
        for math in parts[1::2]:
            if brace_depths(math) is None:
                problems.append(f"line {number}: unbalanced braces in ${math}$")
    return problems


def brace_depths(text: str) -> int | None:
    """0 if the unescaped braces of `text` balance, None if not."""
    depth = 0
    for match in re.finditer(r"\\.|[{}]", text):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return None
    return depth if depth == 0 else None


def latex_problems(text: str, standalone: bool) -> list[str]:
    """Cheap structural checks for every LaTeX output: balanced braces, environments closed in order."""
    problems = []
    body = "\n".join(re.sub(r"(?<!\\)%.*", "", line) for line in text.splitlines())  # without comments
    if brace_depths(body) is None:
        problems.append("unbalanced braces")
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", body):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            problems.append(f"\\end{{{name}}} does not close the open environment")
            break
    if stack:
        problems.append(f"environments left open: {stack}")
    if standalone and "\\documentclass" not in text:
        problems.append("a standalone document without \\documentclass")
    return problems


PDFLATEX_MISSING = (
    "pdflatex is not installed: install TeX Live (apt-get install texlive-latex-base texlive-latex-recommended "
    "texlive-latex-extra) to run this test; the CI installs it"
)


def pdflatex_problems(text: str, folder: Path) -> list[str]:
    """Compile a standalone document; the LaTeX errors if it does not."""
    executable = shutil.which("pdflatex")
    assert executable, PDFLATEX_MISSING
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "doc.tex").write_text(text, encoding="utf-8")
    result = subprocess.run(
        [executable, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=folder,
        check=False,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
    )
    errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
    if result.returncode != 0 or errors or not (folder / "doc.pdf").exists():
        context = result.stdout[-1500:]
        return [f"pdflatex exit {result.returncode}: {'; '.join(errors) or 'no PDF'}\n{context}"]
    return []


def output_problems(label: str, fmt: str, out: str) -> list[str]:
    """Format checks by output kind: JSON parses, CSV is rectangular, Markdown math balances, LaTeX nests."""
    if fmt == "json":
        try:
            json.loads(out)
        except ValueError as error:
            return [f"{label}: not JSON: {error}"]
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        if not rows or len({len(row) for row in rows}) != 1:
            return [f"{label}: CSV rows of different lengths"]
    elif fmt == "markdown":
        return [f"{label}: {problem}" for problem in markdown_problems(out)]
    elif fmt in ("latex", "standalone"):
        return [f"{label}: {problem}" for problem in latex_problems(out, fmt == "standalone")]
    return []
