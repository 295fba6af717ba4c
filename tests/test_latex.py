"""`symcnn latex`: hand-reviewed golden files, textbook notation, and a PDF that pdflatex builds cleanly."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sympy import Rational, Symbol

import symcnn
from symcnn.exporters import latex as latex_export
from symcnn.intdiv import FloorDiv
from symcnn.notation import latex, latex_name

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.cnn"
GOLDEN = Path(__file__).resolve().parent / "golden"
SCRIPT = Path(sys.executable).parent / ("symcnn.exe" if os.name == "nt" else "symcnn")
TEX_PACKAGES = "apt-get install -y texlive-latex-base texlive-latex-recommended poppler-utils"


def run(*args, cwd=ROOT):
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], check=False, capture_output=True, text=True, cwd=cwd, encoding="utf-8"
    )


@pytest.mark.parametrize("golden, args", [("seed.tex", ()), ("seed_HW.tex", ("--symbolic", "H,W"))])
def test_latex_matches_the_reviewed_golden(golden, args):
    result = run("latex", "examples/seed.cnn", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / golden).read_text(encoding="utf-8")


def test_symbolic_export_shows_the_merged_floor():
    tex = run("latex", "examples/seed.cnn", "--symbolic", "H,W").stdout
    assert r"\left\lfloor \frac{H - 23}{8} \right\rfloor" in tex
    assert (
        r"H_{7} &= \left\lfloor \frac{N + 2P - F}{S} \right\rfloor + 1 = \frac{H_{6} - 2}{1} + 1 \\"
        "\n"
        r"&= H_{6} - 1 = \left\lfloor \frac{H - 23}{8} \right\rfloor \tag{7.H}" in tex
    )
    # Too wide for a column on one line: broken at the +.
    assert (
        r"\text{Params} &= 8\,000 \cdot \left\lfloor \frac{H - 23}{8} \right\rfloor \cdot \left\lfloor \frac{W - 23}{8} \right\rfloor \\"
        "\n"
        r"&\quad + 48\,320 \tag{total.params}" in tex
    )
    assert r"Valid when $H \geq 31$" in tex


def test_textbook_notation():
    N, F, P, S = (Symbol(n, integer=True, positive=True) for n in "NFPS")
    assert latex(FloorDiv(N + 2 * P - F, S) + 1) == r"\left\lfloor \frac{N + 2P - F}{S} \right\rfloor + 1"
    assert latex(Symbol("C_in") * Symbol("F_h")) == r"C_{\mathrm{in}} \cdot F_{h}"
    assert latex(Rational(64320)) == r"64\,320"
    assert (
        latex_name("alpha") == r"\alpha" and latex_name("H_3") == "H_{3}" and latex_name("width") == r"\mathrm{width}"
    )


def test_a_width_multiplier_gives_a_polynomial_total():
    net = symcnn.loads("alpha = 1\ninput 3, 32, 32\nconv 16 * alpha, 3\nconv 32 * alpha, 3\n", symbolic=["alpha"])
    tex = latex_export.render(net)
    assert r"\text{Params} &= 4\,608\alpha^{2} + 480\alpha \tag" in tex
    assert r"&= C_{1} \cdot 3 \cdot 3 \cdot 32\alpha + 32\alpha" in tex
    assert r"&= 288 \cdot C_{1} \cdot \alpha + 32\alpha \\" "\n" r"&= 4\,608\alpha^{2} + 32\alpha \tag" in tex


def test_every_equation_has_a_tag_and_a_unique_label():
    tex = latex_export.render(symcnn.load(str(SEED), symbolic=["H", "W"]))
    tagged = [line for line in tex.splitlines() if r"\tag" in line]
    labels = re.findall(r"\\label\{(eq:[^}]*)\}", tex)
    assert len(labels) == len(set(labels)) == len(tagged)
    expected = {"eq:seed-conv1-H", "eq:seed-conv1-W", "eq:seed-conv1-params", "eq:seed-dense1-params"}
    assert expected | {"eq:seed-total-params"} <= set(labels)
    assert r"\tag{1.H}\label{eq:seed-conv1-H}" in tex


def test_standalone_compiles_cleanly_and_renders(tmp_path):
    for tool in ("pdflatex", "pdftoppm"):
        assert shutil.which(tool), f"{tool} is missing: {TEX_PACKAGES}"
    result = run("latex", SEED, "--standalone", "-o", tmp_path / "seed.tex", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for _ in range(2):  # the second run resolves the labels
        build = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "seed.tex"],
            check=False,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert build.returncode == 0, build.stdout[-3000:]
    log = (tmp_path / "seed.log").read_text(encoding="latin-1")
    assert not re.search(r"^!", log, re.MULTILINE), log
    assert "Undefined control sequence" not in log and "undefined" not in log.lower()
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "seed.pdf", "page"], check=True, cwd=tmp_path)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The same page in greyscale PGM, which needs no image library to read: it must have ink on it.
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "60", "-f", "1", "-l", "1", "seed.pdf", "gray"], check=True, cwd=tmp_path
    )
    data = next(tmp_path.glob("gray*.pgm")).read_bytes()
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and int(maxval) == 255
    dark = sum(1 for value in pixels[: int(width) * int(height)] if value < 128)
    assert dark > 0.005 * int(width) * int(height), "page 1 is blank"


def test_json_keeps_its_keys_and_adds_latex_strings():
    import json

    data = json.loads(run("summary", "examples/seed.cnn", "-f", "json", "--symbolic", "H,W").stdout)
    conv4 = next(layer for layer in data["layers"] if layer["name"] == "conv4")
    assert conv4["output_shape"] == ["floor((H - 23)/8)", "floor((W - 23)/8)", 80]  # unchanged
    assert conv4["latex"]["output_shape"] == [
        r"\left\lfloor \frac{H - 23}{8} \right\rfloor",
        r"\left\lfloor \frac{W - 23}{8} \right\rfloor",
        "80",
    ]
    assert conv4["latex"]["params"] == r"19\,200"
    assert set(conv4["latex"]) == {key for key in conv4 if key not in ("name", "type", "line", "path", "latex")}
    assert data["latex"]["conditions"] == [r"H \geq 31", r"W \geq 31"]
    assert data["latex"]["totals"]["params"].endswith(r"+ 48\,320")
    assert data["latex"]["bindings"][0] == {"symbol": "H_{1}", "expr": "H - 3"}
    assert len(data["latex"]["claims"]) == len(data["claims"])


def test_an_unwritable_output_is_an_input_error(tmp_path):
    result = run("latex", "examples/seed.cnn", "-o", tmp_path / "missing" / "seed.tex")
    assert result.returncode == 2
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
