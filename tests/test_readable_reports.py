"""Readable numbers and what-if reports: --units, diff and sensitivity in every format and at a depth,
sensitivity's formulas in the network's parameters, and sweep plots that state constants and budgets."""

import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from cli_checks import latex_problems, markdown_problems
from hypothesis import given
from hypothesis import strategies as st
from sympy import Rational

import symcnn
from symcnn.exporters.text import number_text
from symcnn.whatif.sensitivity import sensitivity
from symcnn.whatif.sweep import sweep

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / ("symcnn.exe" if os.name == "nt" else "symcnn")
RESNET50 = "examples/zoo/resnet50.cnn"
MOBILENET = "examples/zoo/mobilenet_v1.cnn"
PREFIXES = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
BINARY = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50, "EiB": 2**60}


def run(*args):
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], check=False, capture_output=True, text=True, cwd=ROOT, encoding="utf-8"
    )


def read_back(text: str, units: dict) -> Fraction:
    number, _, unit = text.partition(" ")
    return Fraction(number) * units[unit]


@given(st.integers(-(10**20), 10**20))
def test_si_is_three_significant_digits_of_the_value(value):
    text = number_text(value, "si")
    if abs(value) < 1000:
        assert text == str(value)
        return
    assert re.fullmatch(r"-?\d+(\.\d+)? [kMGTPE]", text), text
    assert len(re.sub(r"\D", "", text.split()[0]).lstrip("0")) == 3  # 25.6, 4.09, 102
    assert abs(read_back(text, PREFIXES) - value) <= Fraction(abs(value), 200)  # rounded, not truncated: 0.5%


@given(st.integers(0, 2**70))
def test_bytes_are_binary_units(value):
    text = number_text(value, "bytes", memory=True)
    assert abs(read_back(text, BINARY) - value) <= Fraction(value, 200)
    assert number_text(value, "bytes", memory=False) == number_text(value, "si")  # counts stay SI


def test_summary_units_read_as_torchinfo_prints_resnet50():
    exact = json.loads(run("summary", RESNET50, "-f", "json").stdout)["totals"]
    text = run("summary", RESNET50, "--units", "si").stdout
    assert exact["params"] == 25_557_032 and "Total params: 25.6 M" in text  # torchinfo: 25,557,032; fvcore 25.6M
    assert "Total MACs: 4.09 G" in text  # torchinfo: Total mult-adds (G): 4.09
    memory = run("summary", RESNET50, "--units", "bytes", "-f", "markdown").stdout
    assert f"Parameter memory (float32 bytes): {number_text(exact['param_bytes'], 'bytes', True)}" in memory
    assert "MiB" in memory


def test_json_stays_exact_whatever_the_units():
    for command in (("summary", RESNET50), ("diff", RESNET50, "--set-b", "R=160")):
        outputs = {units: run(*command, "-f", "json", "--units", units).stdout for units in ("exact", "si")}
        assert outputs["exact"] == outputs["si"]


def test_diff_at_a_depth_is_a_few_lines():
    flat = run("diff", RESNET50, "--set-b", "R=160").stdout
    deep = run("diff", RESNET50, "--set-b", "R=160", "--depth", "1").stdout
    table = [line for line in deep.splitlines() if line.startswith("  ") and "→" in line]
    assert [line.split()[0] for line in table] == [
        "conv1",
        "batchnorm1",
        "relu1",
        "maxpool1",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
    ]
    assert len(deep.splitlines()) < len(flat.splitlines()) / 5
    # A block's line adds up its layers: layer1's MACs at depth 1 are the sum of its layers' in the flat diff.
    flat_doc = json.loads(run("diff", RESNET50, "--set-b", "R=160", "-f", "json").stdout)
    deep_doc = json.loads(run("diff", RESNET50, "--set-b", "R=160", "-f", "json", "--depth", "1").stdout)
    layer1 = next(entry for entry in deep_doc["layers"] if entry["name"] == "layer1")
    parts = [entry["macs"] for entry in flat_doc["layers"] if entry["name"].startswith("layer1.")]
    assert layer1["macs"] == [sum(a for a, _ in parts), sum(b for _, b in parts)]


@pytest.fixture(scope="module")
def fragments():
    return {
        "diff": run("diff", RESNET50, "--set-b", "R=160", "--depth", "1", "-f", "latex", "--units", "si").stdout,
        "diff symbolic": run("diff", "examples/seed.cnn", "examples/zoo/lenet5.cnn", "-f", "latex").stdout,
        "sensitivity": run("sensitivity", MOBILENET, "--depth", "1", "-f", "latex").stdout,
    }


def test_latex_reports_compile_in_a_column(fragments, tmp_path):
    assert shutil.which("pdflatex"), "install texlive-latex-recommended"
    for name, tex in fragments.items():
        assert not latex_problems(tex, standalone=False), name
    body = "\n\n".join(fragments.values())
    document = (
        "\\documentclass[twocolumn]{article}\n\\usepackage{amsmath}\n\\usepackage{booktabs}\n\\usepackage{tabularx}\n"
        f"\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
    (tmp_path / "reports.tex").write_text(document, encoding="utf-8")
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "reports.tex"], check=False, capture_output=True, cwd=tmp_path
    )
    log = (tmp_path / "reports.log").read_text(encoding="latin-1")
    assert (tmp_path / "reports.pdf").exists() and not re.findall(r"^!.*$", log, re.MULTILINE)


@pytest.mark.parametrize("command", ["diff", "sensitivity"])
def test_every_format(command):
    args = [command, RESNET50, *(["--set-b", "R=160"] if command == "diff" else []), "--depth", "2"]
    for fmt in ("table", "json", "markdown", "latex"):
        result = run(*args, "-f", fmt)
        assert result.returncode == 0, result.stderr
        if fmt == "json":
            json.loads(result.stdout)
        elif fmt == "markdown":
            assert not markdown_problems(result.stdout)
        elif fmt == "latex":
            assert not latex_problems(result.stdout, standalone=False)


def test_sensitivity_formulas_are_in_the_parameters_and_true():
    result = sensitivity(MOBILENET)
    parameters = {str(symbol) for symbol in result.network.symbols}
    totals = {share.quantity: share.total for share in result.shares}
    for value in [*totals.values(), *(share.value for share in result.shares)]:
        assert {str(s) for s in value.free_symbols} <= parameters
    # The formula gives what a fresh concrete derivation gives, at points other than the defaults.
    for alpha, resolution in ((1, 224), (Rational(1, 2), 160), (Rational(3, 4), 193)):
        concrete = symcnn.load(MOBILENET, overrides={"alpha": str(alpha), "R": str(resolution)})
        at = {s: {"alpha": alpha, "R": resolution}[str(s)] for s in result.network.symbols}
        for quantity, total in totals.items():
            assert total.xreplace(at) == concrete.totals[quantity]
    text = run("sensitivity", MOBILENET).stdout
    assert not re.search(r"\b[CHW]_\d+", text)  # no per-layer symbol anywhere


def test_a_fraction_comes_with_its_decimal():
    text = run("sensitivity", MOBILENET).stdout
    fractions = re.findall(r"= (\d+)/(\d+) = ([\d.]+)", text)
    assert fractions
    for numerator, denominator, shown in fractions:
        assert Fraction(shown) == Fraction(int(numerator), int(denominator))


def test_sensitivity_at_a_depth_gives_blocks():
    doc = json.loads(run("sensitivity", RESNET50, "--depth", "1", "-f", "json").stdout)
    layers = {share["layer"] for share in doc["shares"]}
    assert {"layer1", "layer4", "fc"} <= layers and not any("." in layer for layer in layers)
    macs = [Fraction(share["percent"]) for share in doc["shares"] if share["quantity"] == "macs"]
    assert sum(macs) == 100


def test_a_constant_metric_is_in_the_title_not_a_panel():
    pytest.importorskip("matplotlib")
    result = sweep(RESNET50, {"R": "64:512:64"}, ["params", "macs"])
    figure = result.plot()
    assert len(figure.axes) == 1
    params = int(result.columns["params"][0])
    assert f"params = {params:,} throughout" in figure.axes[0].get_title(loc="left")


def test_a_budget_marks_the_largest_value_within_it(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "budget.png"
    result = run("sweep", RESNET50, "--vary", "R=64:512:32", "--metric", "macs", "--plot", out, "--budget", "macs=5e9")
    assert result.returncode == 0 and out.exists(), result.stderr
    swept = sweep(RESNET50, {"R": "64:512:32"}, ["macs"])
    figure = swept.plot(budget={"macs": 5 * 10**9})
    ax = figure.axes[0]
    within = [r for r, macs in zip(swept.columns["R"], swept.columns["macs"]) if macs <= 5 * 10**9]
    assert [text.get_text() for text in ax.texts] == [str(max(within))]
    assert any(line.get_linestyle() == "--" and line.get_ydata()[0] == 5e9 for line in ax.get_lines())
    bad = run("sweep", RESNET50, "--vary", "R=64:512:32", "--plot", out, "--budget", "speed=1")
    assert bad.returncode == 2 and "speed" in bad.stderr


def test_the_legend_is_beside_the_lines():
    backend = pytest.importorskip("matplotlib.backends.backend_agg")
    result = sweep("examples/seed.cnn", {"H": "31:200", "W": "31,64,128"}, ["params", "macs"])
    figure = result.plot(budget={"params": 100_000})
    canvas = backend.FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    assert figure.axes[0].get_legend() is not None
    for ax in figure.axes:
        legend = ax.get_legend()
        if legend is not None:
            assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
