"""`symcnn explain`: the notes' derivation, step by step, checked against hand-reviewed golden files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import symcnn
from symcnn.exporters import explain, markdown

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.cnn"
GOLDEN = Path(__file__).resolve().parent / "golden"
SCRIPT = Path(sys.executable).parent / ("symcnn.exe" if os.name == "nt" else "symcnn")


def run(*args, encoding="utf-8"):
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, encoding="utf-8"
    )


@pytest.mark.parametrize(
    "golden, args",
    [
        ("seed_explain.txt", ()),
        ("seed_explain_HW.txt", ("--symbolic", "H,W")),
        ("seed_explain.md", ("--format", "markdown")),
    ],
)
def test_explain_matches_the_reviewed_golden(golden, args):
    result = run("explain", "examples/seed.cnn", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / golden).read_text(encoding="utf-8")


def test_each_layer_reads_like_the_notes():
    text = explain.render(symcnn.load(str(SEED)))
    # RowSize = N-F/stride + 1 => 39-4/1 + 1 => 36, with the parentheses the notes left out
    assert "height        ⌊(N + 2P − F)/S⌋ + 1 → (39 − 4)/1 + 1 → 36" in text
    assert "width         ⌊(N + 2P − F)/S⌋ + 1 → (31 − 4)/1 + 1 → 28" in text
    assert "params        C_in × F_h × F_w × C_out + bias → 1 × 4 × 4 × 20 + 0 → 320" in text
    # 2x2 pooling: 36/2 => 18 in the notes, the same as (36 - 2)/2 + 1
    assert "(36 − 2)/2 + 1 → 18" in text
    assert "60 × 2 × 2 × 80 + 0 → 19,200" in text  # the notes wrote (2x2x80), forgetting the 60 input channels


def test_the_slip_is_corrected_and_named():
    text = explain.render(symcnn.load(str(SEED)))
    assert "n_in × n_out + bias → 160 × 100 + 0 → 16,000" in text
    assert "line 39 is false: expect dense1.params == 160_000 (derived 16,000)" in text
    assert "Total params                       64,320" in text
    assert "Claims: 17 of 18 hold; 1 false." in text


def test_a_division_that_is_not_exact_says_the_floor_is_taken():
    text = explain.render(symcnn.load(str(SEED), overrides={"H": 40}))
    assert "(37 − 2)/2 + 1 = 18.5 → 18 (the floor is taken)" in text
    md = markdown.render_explanation(symcnn.load(str(SEED), overrides={"H": 40}), "maxpool1")
    assert r"$\frac{37 - 2}{2} + 1 = 18.5$ | 18 (the floor is taken) |" in md


def test_keras_same_padding_rounds_up():
    net = symcnn.loads("convention keras\ninput 39, 31, 1\nconv 5, 3, stride=2, padding=same\n")
    text = explain.render(net)
    assert "⌈N/S⌉ → 39/2 = 19.5 → 20 (the ceiling is taken)" in text


def test_free_symbols_give_the_per_layer_step_and_the_closed_form():
    text = explain.render(symcnn.load(str(SEED), symbolic=["H", "W"]))
    assert "⌊(N + 2P − F)/S⌋ + 1 → ⌊(H_1 − 2)/2⌋ + 1 = H_2" in text
    assert "in the inputs: H_2 = ⌊(H − 3)/2⌋" in text
    assert "in the inputs: H_7 = ⌊(H − 23)/8⌋" in text
    assert "H ≥ 31   [conv4]" in text


def test_closed_forms_over_the_limit_are_left_out_and_said_so():
    text = explain.render(symcnn.load(str(SEED), symbolic=["H", "W"], formula_limit=1))
    assert "in the inputs: H_2" not in text
    assert "⌊(N + 2P − F)/S⌋ + 1 → ⌊(H_1 − 2)/2⌋ + 1 = H_2" in text  # the per-layer step stays
    assert "Closed forms over 1 operations are not shown; see --formula-limit." in text


def test_one_layer():
    result = run("explain", "examples/seed.cnn", "--layer", "conv2")
    assert result.returncode == 0
    assert "conv2 · Conv2D" in result.stdout and "conv1" not in result.stdout and "Totals" not in result.stdout


def test_unknown_layer_is_an_input_error():
    result = run("explain", "examples/seed.cnn", "--layer", "conv9")
    assert result.returncode == 2
    assert "unknown layer 'conv9'" in result.stderr


def test_ascii_fallback():
    result = run("explain", "examples/seed.cnn", "--set", "H=40", "--layer", "maxpool1", encoding="ascii")
    assert result.returncode == 0, result.stderr
    result.stdout.encode("ascii")
    assert "floor((N + 2P - F)/S) + 1 -> (37 - 2)/2 + 1 = 18.5 -> 18 (the floor is taken)" in result.stdout


def test_layers_of_every_family_explain_without_error():
    net = symcnn.loads(
        "input 3, 64, 64\n"
        "conv 8, 3, stride=2, padding=(1, 2), dilation=2, groups=1\n"
        "conv 8, 3, groups=8, bias=false\n"
        "batchnorm\nrelu\n"
        "maxpool 3, stride=2, padding=1, ceil_mode=true\n"
        "convtranspose 4, 4, stride=2, padding=1\n"
        "sepconv 8, 3\n"
        "zeropad ((0, 1), (2, 0))\n"
        "upsample 2\n"
        "globalavgpool\n"
        "dense 10\n"
    )
    text = explain.render(net)
    assert "(C_in × F_h × F_w × C_out)/g + bias → (8 × 3 × 3 × 8)/8 + 0 → 72" in text
    assert "C_in + C_in → 8 + 8 → 16" in text  # PyTorch batch norm: no non-trainable parameters
    assert (
        "min(⌈(N + P)/S⌉, ⌈(N + 2P − F)/S⌉ + 1) → min(⌈(29 + 1)/2⌉, ⌈(29 + 2 × 1 − 3)/2⌉ + 1) → 15" in text
    )  # ceil_mode
    assert "S × (N − 1) + d × (F − 1) + P_out − 2P + 1 → 2 × (15 − 1) + 1 × (4 − 1) + 0 − 2 × 1 + 1 → 30" in text
    assert "C_in × m × F_h × F_w + C_in × m × C_out + C_out → 4 × 1 × 3 × 3 + 4 × 1 × 8 + 8 → 76" in text
    assert "N + P_l + P_r → 28 + 0 + 1 → 29" in text


def test_the_readme_shows_real_explain_output():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert run("explain", "examples/seed.cnn", "--layer", "conv1").stdout.strip() in readme
