"""The generative test of issue 8: random valid networks × random symbol sets × every command and format.

Each network is valid at its parameters' default values (tests/strategies.py tracks the
shape), so with any set of parameters kept symbolic every command must succeed: exit 0,
or 1 where a claim or a solve target may fail, never 2 (the network is valid) nor 3, and
never a traceback. The parameter names collide on purpose with the legend's placeholders
and with SymPy's names. The JSON's formulas are read back with `sympify` and evaluated at
random points, and must equal what a fresh concrete derivation (`--set`) gives there.
"""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from cli_checks import (
    ALL_COLUMNS,
    PDFLATEX_MISSING,
    RUNS,
    false_conditions,
    formula_mismatches,
    json_symbol_names,
    output_problems,
    pdflatex_problems,
    run,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import Case, cases

SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}


class CountReport:
    """A plugin that ends the session's summary with how many cases and runs this module made."""

    def pytest_terminal_summary(self, terminalreporter):
        points = {label: RUNS[label] for label in ("points valid", "points invalid")}
        runs = {label: count for label, count in RUNS.items() if label not in points and label != "case"}
        counts = ", ".join(f"{label} {count}" for label, count in sorted(runs.items()))
        terminalreporter.write_line(
            f"generative: {RUNS['case']} networks, {sum(runs.values())} symcnn runs ({counts}); "
            f"formulas checked at {points['points valid']} valid points, conditions at {points['points invalid']} invalid"
        )


@pytest.fixture(scope="module", autouse=True)
def folder(request, tmp_path_factory):
    """Where the drawn networks are written; the counts are reported at the session's end."""
    request.config.pluginmanager.register(CountReport(), "symcnn-generative-counts")
    return tmp_path_factory.mktemp("generative")


def write(case: Case, folder: Path) -> str:
    RUNS["case"] += 1
    path = folder / f"case{RUNS['case']}.cnn"
    path.write_text(case.text, encoding="utf-8")
    return str(path)


def symbolic_parameters(case: Case) -> list[str]:
    return list(case.parameters) if case.symbolic == ("all",) else list(case.symbolic)


def draw_point(data, case: Case) -> dict[str, int | Fraction]:
    """Values near the defaults for the parameters kept symbolic (the defaults themselves first)."""
    point = {}
    for name in symbolic_parameters(case):
        parameter = case.parameters[name]
        if parameter.real:
            # Positive reals (a symbol's assumption, not a stated condition, excludes 0); 1 is a boundary.
            point[name] = data.draw(
                st.sampled_from([Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1, Fraction(3, 2)])
            )
        else:
            lowest = 0 if parameter.default == 0 else 1
            near = st.integers(max(lowest, parameter.default - 3), parameter.default + 3)
            point[name] = data.draw(st.one_of(near, st.integers(lowest, 3 * parameter.default + 4)))
    return point


def set_options(point: dict) -> list[str]:
    options = []
    for name, value in point.items():
        options += ["--set", f"{name}={value}"]
    return options


def concrete_document(cli, file: str, point: dict, allowed=(0, 2)):
    arguments = ["summary", file, "-f", "json", "--symbolic", "none", *set_options(point)]  # none: also the file's
    code, out, err = run(cli, "summary -f json --set", arguments, allowed)
    return (json.loads(out) if code == 0 else None), err


@settings(max_examples=100, **SETTINGS)
@given(case=cases(), data=st.data())
def test_every_command_and_format_succeeds(case, data, symcnn_cli, folder):
    file = write(case, folder)
    symbolic = case.symbolic_arguments
    concrete, _ = concrete_document(symcnn_cli, file, {}, allowed=(0,))
    layer = data.draw(st.sampled_from([layer["name"] for layer in concrete["layers"]]))
    # The claim on the last layer's shape was written from the tracked shape: it holds at the defaults.
    run(symcnn_cli, "check", ["check", file], (0,))
    runs = [
        ("summary", "table", ["summary", file, *symbolic]),
        ("summary -f json", "json", ["summary", file, "-f", "json", *symbolic]),
        ("summary -f markdown", "markdown", ["summary", file, "-f", "markdown", *symbolic]),
        ("summary --columns all", "table", ["summary", file, "--columns", ALL_COLUMNS, *symbolic]),
        ("summary --depth 1 -f markdown", "markdown", ["summary", file, "--depth", "1", "-f", "markdown", *symbolic]),
        ("summary --columns all -f json", "json", ["summary", file, "-f", "json", "--columns", ALL_COLUMNS, *symbolic]),
        ("explain", "text", ["explain", file, *symbolic]),
        ("explain -f markdown", "markdown", ["explain", file, "--format", "markdown", *symbolic]),
        ("explain --layer", "text", ["explain", file, "--layer", layer, *symbolic]),
        ("latex", "latex", ["latex", file, *symbolic]),
        ("latex --standalone", "standalone", ["latex", file, "--standalone", *symbolic]),
        ("sensitivity", "text", ["sensitivity", file, *symbolic]),
        (
            "latex --depth 1 --equations blocks",
            "latex",
            ["latex", file, "--depth", "1", "--equations", "blocks", *symbolic],
        ),
        ("summary --units si", "table", ["summary", file, "--units", "si", *symbolic]),
    ]
    fmt = data.draw(st.sampled_from(["json", "markdown", "latex"]))
    runs.append((f"sensitivity -f {fmt} --depth 1", fmt, ["sensitivity", file, "-f", fmt, "--depth", "1", *symbolic]))
    for label, fmt, args in runs:
        _, out, _ = run(symcnn_cli, label, args, (0,))
        assert not output_problems(label, fmt, out), output_problems(label, fmt, out)
    run_what_if(symcnn_cli, case, file, symbolic, data)


def run_what_if(cli, case: Case, file: str, symbolic: list[str], data) -> None:
    """check, solve, sweep and diff. A claim compared as a formula may fail, a solve target may be unmet:
    exit 1 is an answer there. diff may refuse a side only where its concrete derivation does too."""
    run(cli, "check --symbolic", ["check", file, *symbolic], (0, 1))
    run(cli, "solve", ["solve", file, *symbolic], (0, 1))
    if not case.parameters:
        return
    name = data.draw(st.sampled_from(list(case.parameters)))
    target = ["--target", "total.params <= 1_000_000_000"]
    run(cli, "solve --for --target", ["solve", file, "--for", name, *target, *symbolic], (0, 1))
    integer = [n for n, p in case.parameters.items() if not p.real]
    if not integer:
        return
    varied = data.draw(st.sampled_from(integer))
    default = case.parameters[varied].default
    low = max(0 if default == 0 else 1, default - 1)
    fmt = data.draw(st.sampled_from(["table", "csv", "json"]))
    _, out, _ = run(cli, f"sweep -f {fmt}", ["sweep", file, "--vary", f"{varied}={low}:{default + 1}", "-f", fmt])
    assert not output_problems("sweep", fmt, out), output_problems("sweep", fmt, out)
    # diff: A and B with the varied parameter set on each side, the other symbols kept.
    kept = [n for n in symbolic_parameters(case) if n != varied]
    args = ["diff", file, "--set-a", f"{varied}={low}", "--set-b", f"{varied}={default}"]
    args += ["--symbolic", ",".join(kept)] if kept else []
    if run(cli, "diff --set-a --set-b", args, (0, 2))[0] == 2:
        assert concrete_document(cli, file, {varied: low})[0] is None, "diff refused A, a valid network"
        return
    fmt = data.draw(st.sampled_from(["json", "markdown", "latex"]))
    _, out, _ = run(cli, f"diff -f {fmt} --depth 1", [*args, "-f", fmt, "--depth", "1", "--units", "si"], (0,))
    assert not output_problems(f"diff -f {fmt}", fmt, out), output_problems(f"diff -f {fmt}", fmt, out)


@settings(max_examples=150, **SETTINGS)
@given(case=cases(), data=st.data())
def test_json_formulas_equal_concrete_derivations(case, data, symcnn_cli, folder):
    """Each formula of `summary -f json`, read with sympify, equals a fresh concrete derivation at random points."""
    file = write(case, folder)
    symbolic = case.symbolic_arguments
    _, out, _ = run(symcnn_cli, "summary -f json", ["summary", file, "-f", "json", *symbolic], (0,))
    document = json.loads(out)
    names = json_symbol_names(document, symbolic_parameters(case))
    defaults = {name: case.parameters[name].default for name in symbolic_parameters(case)}
    checked = 0
    for point in [defaults] + [draw_point(data, case) for _ in range(3)]:
        concrete, error = concrete_document(symcnn_cli, file, point)
        at = {names[name]: value for name, value in point.items() if name in names}
        RUNS["points valid" if concrete else "points invalid"] += 1
        if concrete is None:  # invalid there: some condition the summary states must say so
            assert false_conditions(document, at), (
                f"at {point} the derivation refuses the network, yet every stated condition holds:\n"
                f"{error}\nconditions: {document['conditions']}"
            )
            continue
        checked += 1
        problems = formula_mismatches(document, concrete, at)
        assert not problems, f"at {point}:\n" + "\n".join(problems[:10])
    assert checked, "the defaults are a valid point, so at least they are checked"


@settings(max_examples=12, **SETTINGS)
@given(case=cases(max_statements=4))
def test_latex_standalone_compiles(case, symcnn_cli, folder):
    assert shutil.which("pdflatex"), PDFLATEX_MISSING
    file = write(case, folder)
    symbolic = case.symbolic_arguments
    _, out, _ = run(symcnn_cli, "latex --standalone (pdflatex)", ["latex", file, "--standalone", *symbolic], (0,))
    problems = pdflatex_problems(out, folder / f"tex{RUNS['case']}")
    assert not problems, problems[0]
