"""Sweeps agree with independent concrete derivations, stay exact past int64, and mark invalid points."""

import json
import os
import pty
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import symcnn
from sympy import Integer

from symcnn.whatif import WhatIfError, sweep
from symcnn.whatif.compile import compile_network
from symcnn.whatif.sweep import evaluate_grid

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.cnn"
SCRIPT = Path(sys.executable).parent / "symcnn"
METRICS = ("params", "macs", "flops", "activations", "shape")


def concrete(source, values, text=None):
    """The network derived with `values` as overrides, or the error it raises."""
    overrides = {name: str(value) for name, value in values.items()}
    try:
        if text is not None:
            return symcnn.loads(text, overrides=overrides)
        return symcnn.load(str(source), overrides=overrides)
    except symcnn.SymcnnError as error:
        return error


def assert_agrees(result, source=None, text=None, every=1):
    """Every `every`-th point of the sweep equals a fresh derivation at that point."""
    names = list(result.parameters)
    for index, record in enumerate(result.records()):
        if index % every:
            continue
        network = concrete(source, {name: record[name] for name in names}, text)
        if isinstance(network, symcnn.SymcnnError):
            assert not record["valid"], (record, network.message)
            assert network.message.startswith(record["failed_layer"] + ":"), (record, network.message)
            assert all(record[m.name] is None for m in result.metrics)
            continue
        assert record["valid"], (record, result.reason(index))
        for metric in result.metrics:
            subject, _, quantity = metric.name.rpartition(".")
            if quantity in ("H", "W", "C", "F", "L", "D"):  # a shape dim
                expected = network.output[quantity]
            else:
                expected = network.quantity(subject or "total", quantity)
            assert record[metric.name] == int(expected), (record, metric.name, expected)


def test_seed_grid_matches_concrete_derivations_point_by_point():
    result = sweep(SEED, {"H": "20:45", "W": [23, 31, 40, 64]}, METRICS)
    assert len(result) == 26 * 4 and result.shape == (26, 4)
    assert 0 < result.valid.sum() < len(result)
    assert_agrees(result, SEED)


def test_invalid_points_name_the_first_failing_layer_and_show_no_sizes():
    result = sweep(SEED, {"H": "20:31", "W": [31]}, ["shape", "params"])
    reasons = {
        record["H"]: (record["failed_layer"], record["rule"]) for record in result.records() if not record["valid"]
    }
    assert reasons[30] == ("conv4", "output height must be at least 1")
    assert reasons[20] == ("maxpool3", "output height must be at least 1")
    assert 31 not in reasons
    column = result.columns["params"]
    assert isinstance(column, np.ma.MaskedArray)
    assert column.mask.tolist() == [h != 31 for h in range(20, 32)]
    assert (column.data >= 0).all()  # nothing computed past a failure leaks out


def test_layer_metrics_and_memory():
    result = sweep(SEED, {"H": [39, 64]}, ["conv1.macs", "conv4.shape", "memory"])
    assert [m.name for m in result.metrics] == [
        "conv1.macs",
        "conv4.shape.H",
        "conv4.shape.W",
        "conv4.shape.C",
        "memory",
    ]
    first = next(result.records())
    assert first["conv1.macs"] == 322_560 and (first["conv4.shape.H"], first["conv4.shape.C"]) == (2, 80)
    network = symcnn.load(str(SEED))
    assert first["memory"] == 4 * (network.totals["params"] + network.totals["activations"])


BIG = """
C = 1024
H = 4096
W = 4096
input C, H, W
conv 4 * C, 7, padding=3
conv 4 * C, 7, padding=3
"""


def test_counts_stay_exact_near_and_past_int64(tmp_path):
    path = tmp_path / "big.cnn"
    path.write_text(BIG)
    near = sweep(path, {"H": [4096, 4095], "C": [1024]}, ["macs", "params"])
    assert near.columns["macs"].dtype == np.int64
    for record in near.records():
        h, c = record["H"], record["C"]
        expected = h * 4096 * 4 * c * c * 49 + h * 4096 * 16 * c * c * 49
        assert record["macs"] == expected and expected > 10**15
    past = sweep(path, {"H": [2**20, 2**20 + 1], "W": [2**20], "C": [1024, 4096]}, ["macs"])
    assert past.columns["macs"].dtype == object  # Python ints: no wrap-around, no float
    for record in past.records():
        h, w, c = record["H"], record["W"], record["C"]
        expected = h * w * 4 * c * c * 49 + h * w * 16 * c * c * 49
        assert type(record["macs"]) is int and record["macs"] == expected and expected > 2**63
    assert_agrees(past, path)


WIDTH = """
alpha = 1/2
input 3, 32, 32
conv 32 * alpha, 3
conv 64 * alpha, 3, stride=2
globalavgpool
dense 10
"""


def test_fractional_parameters_are_exact_and_non_integer_channels_are_invalid(tmp_path):
    path = tmp_path / "width.cnn"
    path.write_text(WIDTH)
    result = sweep(path, {"alpha": ["0.25", "0.3", "1/2", "3/4", "1"]}, ["params", "macs"])
    assert result.parameters["alpha"] == [Fraction(1, 4), Fraction(3, 10), Fraction(1, 2), Fraction(3, 4), 1]
    by_alpha = {record["alpha"]: record for record in result.records()}
    assert by_alpha[Fraction(3, 10)]["failed_layer"] == "conv1"  # 9.6 filters
    assert "must be an integer" in by_alpha[Fraction(3, 10)]["rule"]
    assert isinstance(concrete(path, {"alpha": "3/10"}), symcnn.SymcnnError)
    for alpha in (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1):
        network = concrete(path, {"alpha": alpha})
        assert by_alpha[alpha]["params"] == network.totals["params"]
        assert by_alpha[alpha]["macs"] == network.totals["macs"]


GROUPS = """
G = 1
input 12, 16, 16
conv 24, 3, groups=G
conv 24, 1
"""


def test_symbolic_groups_divide_exactly_or_the_point_is_invalid(tmp_path):
    path = tmp_path / "groups.cnn"
    path.write_text(GROUPS)
    result = sweep(path, {"G": "1:8"}, ["params", "macs"])
    assert [record["valid"] for record in result.records()] == [g in (1, 2, 3, 4, 6) for g in range(1, 9)]
    assert_agrees(result, path)


def test_a_gate_is_valid_at_one_channel_or_the_main_paths(tmp_path):
    """A gate's channels as a parameter: its condition is an 'or', compiled like any other."""
    path = tmp_path / "gate.cnn"
    path.write_text("C = 4\ninput 4, 10, 10\nscale { globalavgpool keepdims=true; conv C, 1; sigmoid }\n")
    result = sweep(path, {"C": "1:8"}, ["params"])
    assert [record["valid"] for record in result.records()] == [c in (1, 4) for c in range(1, 9)]
    assert_agrees(result, path)


RESIDUAL = """
R = 32
S = 2
input 8, R, R
conv 16, 3
residual {
  conv 16, 3, stride=S, padding=1
  conv 16, 3, padding=1
} shortcut {
  conv 16, 1, stride=S
}
globalavgpool
dense 10
"""


def test_residual_network_given_as_a_derived_network():
    network = symcnn.loads(RESIDUAL, symbolic=["R", "S"])
    result = sweep(network, {"R": "1:12", "S": [1, 2, 3]}, ["params", "macs", "activations"])
    assert 0 < result.valid.sum() < len(result)
    assert_agrees(result, text=RESIDUAL)


def test_a_varied_parameter_must_be_symbolic_in_a_given_network():
    with pytest.raises(WhatIfError, match="not symbolic"):
        sweep(symcnn.load(str(SEED), symbolic=["H"]), {"W": [31]})


def test_values_must_suit_the_parameter():
    with pytest.raises(WhatIfError, match="H takes positive integers, got 0") as caught:
        sweep(SEED, {"H": "0:3"})
    assert caught.value.span.text == "H=0:3" and caught.value.span.column == 3
    with pytest.raises(WhatIfError, match="not an exact number"):
        sweep(SEED, {"H": [31.0]})


def test_columns_for_notebooks():
    result = sweep(SEED, {"H": [31, 39], "W": [31, 64]})
    assert list(result.columns) == ["H", "W", "params", "macs"]
    assert result.columns["H"].tolist() == [31, 31, 39, 39]
    assert result.columns["W"].tolist() == [31, 64, 31, 64]
    assert result.failed_layer.tolist() == [None] * 4


def test_pandas_frame_has_missing_values_where_invalid():
    pd = pytest.importorskip("pandas")
    frame = sweep(SEED, {"H": [30, 31]}).to_pandas()
    assert frame["params"].isna().tolist() == [True, False]
    assert frame.loc[1, "params"] == 56_320 and frame.loc[0, "failed_layer"] == "conv4"
    assert isinstance(frame, pd.DataFrame)


# The command line -------------------------------------------------------------------


def run(*args, **options):
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, cwd=ROOT, **options)


def test_cli_csv_is_exact_and_marks_invalid_points():
    result = run("sweep", SEED, "--vary", "H=30:31", "--vary", "W=31,64", "-f", "csv", "-m", "params,macs")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "H,W,params,macs,valid,failed_layer,rule",
        "30,31,,,False,conv4,output height must be at least 1",
        "30,64,,,False,conv4,output height must be at least 1",
        "31,31,56320,1660480,True,,",
        "31,64,88320,4138560,True,,",
    ]
    assert result.stderr == ""  # no progress bar when piped


def test_csv_is_written_chunk_by_chunk_with_the_same_rows(monkeypatch):
    import io

    from symcnn.exporters import sweep as exporter

    result = sweep(SEED, {"H": "29:40", "W": "30,31,64"}, ["params", "macs"])
    whole = io.StringIO()
    exporter.write_csv(result, whole)
    monkeypatch.setattr(exporter, "CSV_CHUNK", 5)  # 36 points: 8 chunks, the last one short
    chunked, done = io.StringIO(), []
    exporter.write_csv(result, chunked, progress=lambda points, total: done.append(points))
    assert chunked.getvalue() == whole.getvalue()
    assert done == [5, 10, 15, 20, 25, 30, 35, 36]
    rows = whole.getvalue().splitlines()[1:]
    for record, row in zip(result.records(), rows, strict=True):
        expected = [record["H"], record["W"], record["params"], record["macs"], record["valid"]]
        expected = ["" if value is None else str(value) for value in expected]
        assert row.split(",")[:5] == expected
        assert row.split(",")[5] == (record["failed_layer"] or "")


def test_cli_table_and_json(symcnn_cli):
    code, out, _ = symcnn_cli("sweep", SEED, "--vary", "H=29:31", "--vary", "W=31")
    assert code == 0
    assert "invalid: conv4: output height must be at least 1" in out and "56,320" in out
    assert "3 points, 1 valid" in out
    document = json.loads(symcnn_cli("sweep", SEED, "--vary", "H=31", "-f", "json")[1])
    assert document["points"] == [
        {"H": 31, "params": 56320, "macs": 1660480, "valid": True, "failed_layer": None, "rule": None}
    ]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--vary", "H=31:abc"], "--vary:1:6: error: unknown name 'abc'"),
        (["--vary", "Q=1:3"], "unknown parameter 'Q'"),
        (["--vary", "H=5:3"], "the range is empty"),
        (["--vary", "H=1:9:0"], "the step must be positive"),
        (["--vary", "H"], "--vary expects NAME=VALUES"),
        (["--vary", "H=31", "--vary", "H=40"], "H is varied twice"),
        (["--vary", "H=40", "-m", "parms"], "did you mean 'params'?"),
        (["--vary", "H=40", "--plot", "out.pdf"], "name the file OUT.png or OUT.svg"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback(symcnn_cli, arguments, message):
    code, out, err = symcnn_cli("sweep", SEED, *arguments)
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err and out == ""


def test_progress_bar_on_a_terminal_only():
    """300,000 points: a bar on stderr when it is a terminal (a pty here), none when piped."""
    args = [str(SCRIPT), "sweep", str(SEED), "--vary", "H=31:100030", "--vary", "W=31,64,128"]
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=follower, cwd=ROOT, env={**os.environ, "COLUMNS": "100"}
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait() == 0
    os.close(leader)
    assert b"evaluating" in seen
    piped = run("sweep", SEED, "--vary", "H=31:100030", "--vary", "W=31,64,128")
    assert piped.returncode == 0 and piped.stderr == ""


# Plots ------------------------------------------------------------------------------


def test_plot_writes_a_readable_png(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    out = tmp_path / "sweep.png"
    result = run("sweep", SEED, "--vary", "H=31:200", "--vary", "W=31,64,128", "--metric", "params,macs", "--plot", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # a plot replaces the table unless --format is given
    assert out.stat().st_size > 20_000
    pixels = image.imread(out)
    assert pixels.shape[0] > 600 and pixels.shape[1] > 800
    colours = {tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::7].round(2)}
    assert len(colours) > 20  # lines, labels and a legend, not a blank canvas


def test_plot_api_log_scale_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    result = sweep(SEED, {"H": "31:64", "W": [31, 64]}, ["macs"])
    figure = result.plot(log="y", path=tmp_path / "sweep.svg")
    (axes,) = figure.axes
    assert axes.get_yscale() == "log"
    assert axes.get_xlabel() == "H: input height (pixels)"
    assert axes.get_ylabel() == "MACs (multiply-adds)"
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["W = 31", "W = 64"]
    assert (tmp_path / "sweep.svg").read_text().startswith("<?xml")


def test_plot_needs_two_axes_at_most():
    pytest.importorskip("matplotlib")
    result = sweep(SEED, {"H": [31, 40], "W": [31, 40]}, ["params"])
    with pytest.raises(WhatIfError, match="the sweep has no metric"):
        result.plot(metrics=["macs"])
    three = sweep(SEED, {"H": [31, 40]}, ["params"])
    assert three.plot().axes[0].get_legend() is None


def test_constants_beyond_int64_and_a_zero_factor():
    """P · 10^20 · C with P = 0 has bound 0, yet its partial products need Python ints."""
    network = symcnn.loads("P = 0\nC = 7\ninput C\ndense 2\n", symbolic=["P", "C"])
    p, c = network.parameters["P"].value, network.parameters["C"].value
    program = compile_network(network, {"q": p * Integer(10**20) * c, "r": Integer(10**20) * c}, [p, c])
    columns, failure = evaluate_grid(program, [p, c], [[0], [7, 9]])
    assert columns["q"].tolist() == [0, 0]
    assert columns["r"].tolist() == [7 * 10**20, 9 * 10**20]
