"""The mission's own example with --symbolic N,F,P,S, through every command and format (issue 8).

N, F, P and S are the names of the textbook legend's placeholders, and the input is square:
both once broke every symbolic view. Each run must exit 0 (1 only where a claim or a solve
target may fail), with no traceback, in a well-formed output; the JSON's formulas must equal
fresh concrete derivations; the standalone LaTeX must compile.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_checks import (
    ALL_COLUMNS,
    PDFLATEX_MISSING,
    formula_mismatches,
    json_symbol_names,
    output_problems,
    pdflatex_problems,
    run,
)

MISSION = (Path(__file__).resolve().parent.parent / "examples" / "mission.cnn").read_text(encoding="utf-8")
SYMBOLIC = ["--symbolic", "N,F,P,S"]
# N alone once made every squared floor crash the JSON, Markdown and LaTeX printers.
SYMBOL_SETS = ["N,F,P,S", "N", "all"]
DEFAULTS = {"N": 32, "F": 3, "P": 1, "S": 1}

# (command arguments before FILE's options, output kind for the format checks, allowed exit codes)
INVOCATIONS = {
    "summary": (["summary"], "table", (0,)),
    "summary -f table": (["summary", "-f", "table"], "table", (0,)),
    "summary -f json": (["summary", "-f", "json"], "json", (0,)),
    "summary -f markdown": (["summary", "-f", "markdown"], "markdown", (0,)),
    "summary --columns all": (["summary", "--columns", ALL_COLUMNS], "table", (0,)),
    "summary --columns all -f json": (["summary", "--columns", ALL_COLUMNS, "-f", "json"], "json", (0,)),
    "summary --columns all -f markdown": (["summary", "--columns", ALL_COLUMNS, "-f", "markdown"], "markdown", (0,)),
    "summary --depth 1": (["summary", "--depth", "1"], "table", (0,)),
    "explain": (["explain"], "text", (0,)),
    "explain -f markdown": (["explain", "--format", "markdown"], "markdown", (0,)),
    "explain --layer conv2": (["explain", "--layer", "conv2"], "text", (0,)),
    "explain --layer maxpool1 -f markdown": (["explain", "--layer", "maxpool1", "-f", "markdown"], "markdown", (0,)),
    "latex": (["latex"], "latex", (0,)),
    "latex --standalone": (["latex", "--standalone"], "standalone", (0,)),
    "check": (["check"], "text", (0,)),  # no claims: nothing can fail
    "solve": (["solve"], "text", (0,)),
    "solve --for N": (["solve", "--for", "N"], "text", (0,)),
    "solve --for N --target": (["solve", "--for", "N", "--target", "total.params <= 1_000_000"], "text", (0, 1)),
    "solve --for P --keep conv1": (["solve", "--for", "P", "--keep", "conv1"], "text", (0, 1)),
    "sensitivity": (["sensitivity"], "text", (0,)),
    "sensitivity --wrt N": (["sensitivity", "--wrt", "N"], "text", (0,)),
    "diff": (["diff"], "text", (0,)),  # A against itself: no layer differs
    "diff --set-a --set-b": (["diff", "--set-a", "N=32", "--set-b", "N=64"], "text", (0,)),
}
SWEEPS = {
    fmt: (["sweep", "--vary", "N=28:32:2", "--vary", "F=1,3", "-f", fmt], fmt) for fmt in ("table", "csv", "json")
}


@pytest.fixture
def mission(tmp_path):
    path = tmp_path / "mission.cnn"
    path.write_text(MISSION, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("symbols", SYMBOL_SETS)
@pytest.mark.parametrize("label", INVOCATIONS)
def test_every_command_and_format_with_symbolic_N_F_P_S(label, symbols, mission, symcnn_cli):
    arguments, kind, allowed = INVOCATIONS[label]
    if "--set-a" in arguments:  # the parameter both sides set is not kept symbolic too
        symbols = ",".join(name for name in DEFAULTS if name != "N" and (symbols == "all" or name in symbols))
    symbolic = ["--symbolic", symbols] if symbols else []
    _, out, _ = run(symcnn_cli, label, [arguments[0], mission, *arguments[1:], *symbolic], allowed)
    assert out.strip(), f"{label}: no output"
    problems = output_problems(label, kind, out)
    assert not problems, problems


@pytest.mark.parametrize("fmt", SWEEPS)
def test_sweep_every_format(fmt, mission, symcnn_cli):
    arguments, kind = SWEEPS[fmt]
    _, out, _ = run(symcnn_cli, f"sweep -f {fmt}", [arguments[0], mission, *arguments[1:]], (0,))
    assert not output_problems(f"sweep -f {fmt}", kind, out)


@pytest.mark.parametrize("point", [DEFAULTS, {"N": 28, "F": 5, "P": 2, "S": 2}, {"N": 17, "F": 1, "P": 0, "S": 3}])
def test_json_formulas_equal_concrete_derivations(point, mission, symcnn_cli):
    _, out, _ = run(symcnn_cli, "summary -f json", ["summary", mission, "-f", "json", *SYMBOLIC])
    document = json.loads(out)
    names = json_symbol_names(document, DEFAULTS)
    assert set(names) == set(DEFAULTS), f"the JSON lists {document['symbols']}, not N, F, P and S"
    sets = [option for name, value in point.items() for option in ("--set", f"{name}={value}")]
    _, out, _ = run(symcnn_cli, "summary -f json --set", ["summary", mission, "-f", "json", *sets])
    problems = formula_mismatches(document, json.loads(out), {names[k]: v for k, v in point.items()})
    assert not problems, "\n".join(problems)


def test_latex_standalone_compiles(mission, symcnn_cli, tmp_path):
    assert shutil.which("pdflatex"), PDFLATEX_MISSING
    _, out, _ = run(symcnn_cli, "latex --standalone", ["latex", mission, "--standalone", *SYMBOLIC])
    problems = pdflatex_problems(out, tmp_path / "tex")
    assert not problems, problems[0]


def test_explain_layer_before_an_invalid_one(mission, symcnn_cli):
    """N = 4, F = 5: conv1 gives 2 x 2, the pool 1 x 1, and conv2's 5 x 5 kernel no longer fits (issue 8 §2)."""
    args = ["explain", mission, "--layer", "conv1", "--set", "N=4", "--set", "F=5"]
    _, out, err = run(symcnn_cli, "explain --layer before an invalid layer", args, (2,))
    assert "conv1" in out and "(16, 2, 2)" in out, f"conv1 is not explained:\n{out}"
    assert "conv2" in err, f"the error does not name conv2:\n{err}"
