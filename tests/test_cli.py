"""The installed `symcnn` console script: output, exit codes and the JSON contract."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.cnn"
SCRIPT = Path(sys.executable).parent / ("symcnn.exe" if os.name == "nt" else "symcnn")


def run(*args, cwd=None, stdin=None, encoding="utf-8"):
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "200"}
    return subprocess.run(
        [str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        env=env,
        encoding="utf-8",
        errors="replace",
    )


def test_console_script_is_installed():
    assert SCRIPT.exists(), "install symcnn (pip install -e .[test]) before running the tests"


def test_summary_of_the_seed(tmp_path):
    result = run("summary", SEED, cwd=tmp_path)  # from any directory
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "convention keras" in out and "HWC" in out
    assert "(36, 28, 20)" in out and "(2, 1, 80)" in out
    assert "Total params: 64,320" in out
    assert "FLOPs = 2 × MACs" in out
    assert result.stderr == ""


def test_python_dash_m_works_too(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "summary", str(SEED)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0 and "64,320" in result.stdout


def test_symbolic_summary_shows_the_closed_form_and_conditions():
    out = run("summary", SEED, "--symbolic", "H,W").stdout
    assert "(⌊(H − 23)/8⌋, ⌊(W − 23)/8⌋, 80)" in out
    assert "H ≥ 31" in out and "W ≥ 31" in out


def test_ascii_fallback_when_the_terminal_cannot_take_unicode():
    result = run("summary", SEED, "--symbolic", "H,W", encoding="ascii")
    assert result.returncode == 0, result.stderr
    assert "floor((H - 23)/8)" in result.stdout
    assert "H >= 31" in result.stdout
    result.stdout.encode("ascii")


def test_set_overrides_defaults():
    out = run("summary", SEED, "--set", "H=64", "--set", "W=32 + 32").stdout
    assert "(61, 61, 20)" in out


def test_json_contract():
    result = run("summary", SEED, "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) >= {"layers", "totals", "symbols", "conditions", "claims"}
    first = data["layers"][0]
    assert set(first) >= {
        "name",
        "type",
        "input_shape",
        "output_shape",
        "params",
        "trainable_params",
        "non_trainable_params",
        "macs",
    }
    assert first["output_shape"] == [36, 28, 20] and first["params"] == 320
    assert data["totals"]["params"] == 64320
    assert isinstance(data["totals"]["macs"], int)
    failing = [c for c in data["claims"] if not c["ok"]]
    assert failing == [
        {
            "line": failing[0]["line"],
            "text": "expect dense1.params == 160_000",
            "expected": 160000,
            "derived": 16000,
            "ok": False,
        }
    ]


def test_json_symbolic_values_are_sympy_strings():
    data = json.loads(run("summary", SEED, "-f", "json", "--symbolic", "H,W").stdout)
    conv4 = next(layer for layer in data["layers"] if layer["name"] == "conv4")
    assert conv4["output_shape"] == ["floor((H - 23)/8)", "floor((W - 23)/8)", 80]
    assert data["symbols"] == {"H": "H", "W": "W"}
    assert data["conditions"] == ["H >= 31", "W >= 31"]


def test_markdown_table():
    out = run("summary", SEED, "--format", "markdown").stdout
    assert "| Layer | Type | Output shape | Params | MACs |" in out
    assert "| conv1 | Conv2D | (36, 28, 20) | 320 |" in out


def test_check_reports_exactly_the_slip():
    result = run("check", SEED)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    fails = [line for line in lines if "FAIL" in line]
    assert len(fails) == 1
    assert fails[0].startswith(f"{SEED}:") and "dense1.params == 160_000" in fails[0]
    assert "claimed: 160,000" in result.stdout and "derived: 16,000" in result.stdout
    assert "17 of 18 claims hold; 1 failed" in result.stdout


def test_check_passes_with_exit_zero():
    result = run("check", ROOT / "examples" / "keras_same.cnn")
    assert result.returncode == 0
    assert "5 of 5 claims hold" in result.stdout


def test_syntax_error_output_has_location_source_caret_and_hint(tmp_path):
    bad = tmp_path / "bad.cnn"
    bad.write_text("input 3, 32, 32\nconv 16 3\n")
    result = run("summary", bad)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:2:9: error: unexpected '3'",
        "    2 | conv 16 3",
        "      |         ^",
        "hint: expected ',', an operator or end of line (arguments are separated by commas)",
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\x00\x01\x02", "binary"),
        (b"input 3, 8, 8\nconvv 4, 3\n", "did you mean 'conv'"),
        (b"x = " + b"-" * 3000 + b"1\n", "nested"),
        (b"x = " + b"9" * 100 + b"\n", "too large"),
    ],
)
def test_bad_inputs_exit_2_without_traceback(tmp_path, content, message):
    bad = tmp_path / "bad.cnn"
    bad.write_bytes(content)
    result = run("summary", bad)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_and_bad_options_exit_2(tmp_path):
    assert run("summary", tmp_path / "nope.cnn").returncode == 2
    assert run("summary", SEED, "--format", "xml").returncode == 2
    result = run("summary", SEED, "--set", "Q=1")
    assert result.returncode == 2 and "unknown --set parameter 'Q'" in result.stderr
    assert "Traceback" not in result.stderr


def test_reads_standard_input():
    result = run("summary", "-", stdin="input 3, 8, 8\nconv 4, 3\n")
    assert result.returncode == 0 and "(4, 6, 6)" in result.stdout


@pytest.mark.parametrize("name", ["check", "diff", "explain", "latex", "sensitivity", "solve", "summary", "sweep"])
def test_every_command_states_its_exit_status(symcnn_cli, name):
    code, out, _ = symcnn_cli(name, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Exit status: 0 success" in text and "2 an input error" in text
    assert (", 1 " in text) == (name in ("check", "solve"))


def test_solve_exits_1_when_no_value_meets_the_target(symcnn_cli):
    code, out, _ = symcnn_cli("solve", ROOT / "examples" / "whatif.cnn", "--for", "C", "--target", "total.params <= 10")
    assert code == 1 and "no value of C" in out
    code, _, _ = symcnn_cli(
        "solve", ROOT / "examples" / "whatif.cnn", "--for", "C", "--target", "total.params <= 1_000_000"
    )
    assert code == 0
