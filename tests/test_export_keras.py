"""symcnn export --to keras: the generated functional model builds, and Keras counts what symcnn counts.

The oracle is Keras: the built model's trainable and non-trainable weights and
its output shape; then the model is imported back, and every layer's shape must
be the file's (the ZeroPadding layers the export adds for numeric padding aside).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch")
pytest.importorskip("keras")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import cases
from test_export_torch import import_source, networks

import symcnn
from symcnn.api import load_program
from symcnn.errors import SymcnnError
from symcnn.exporters import keras_code
from symcnn.parser import parse

ROOT = Path(__file__).resolve().parent.parent
FILES = [path for path in sorted(ROOT.glob("examples/**/*.cnn")) if "convention keras" in path.read_text()]
BLOCKS = """convention keras
R = 32
input R, R, 3
block unit(c, s=1) {
  residual {
    conv c, 3, stride=s, padding=same; batchnorm; relu
    conv c, 3, padding=same, bias=false; batchnorm
  } shortcut {
    conv c, 1, stride=s
  }
  relu
}
zeropad 1
conv 8, 3
unit 8
repeat 2 { unit 16, s=2 }
concat { branch { conv 4, 1 } branch { sepconv 4, 3, padding=same } branch { } }
maxpool 2, padding=same
globalavgpool
dropout 0.2
dense 10, activation=softmax
"""


def weights(variables) -> int:
    return sum(math.prod(v.shape) for v in variables)


def check(program, network, tmp_path, overrides=None):
    source = keras_code.render(program, network)
    model = import_source(source, tmp_path).build(**(overrides or {}))
    assert weights(model.trainable_weights) == int(network.totals["trainable_params"])
    assert weights(model.non_trainable_weights) == int(network.totals["non_trainable_params"])
    assert tuple(model.output.shape[1:]) == tuple(int(d) for d in network.output.dims)
    back = symcnn.loads(symcnn.from_keras(model))
    shapes = [r.output.dims for r in back.rows if r.keyword != "zeropad"]
    assert shapes == [r.output.dims for r in network.rows if r.keyword != "zeropad"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_keras_example_exports_with_symcnns_counts(path, tmp_path):
    check(load_program(str(path)), symcnn.load(str(path)), tmp_path)


def test_blocks_residuals_and_concats_export(tmp_path):
    check(parse(BLOCKS), symcnn.loads(BLOCKS), tmp_path)
    check(parse(BLOCKS), symcnn.loads(BLOCKS, overrides={"R": "40"}), tmp_path, {"R": 40})


def test_a_torch_convention_file_is_an_error(symcnn_cli):
    code, _, err = symcnn_cli("export", ROOT / "examples" / "zoo" / "resnet18.cnn", "--to", "keras")
    assert code == 2 and "needs 'convention keras'" in err


def test_causal_padding_exports_as_keras_writes_it(tmp_path):
    text = "convention keras\ninput 16, 3\nconv 4, 3, padding=causal, dilation=2\nconv 8, 2, padding=same\n"
    assert 'padding="causal"' in keras_code.render(parse(text), symcnn.loads(text))
    check(parse(text), symcnn.loads(text), tmp_path)


# The newer statements, in the arrangements real Keras networks use them -----------------------

SE_BLOCK = """convention keras
input 14, 14, 64
se: scale { globalavgpool keepdims=true; conv 16, 1; relu; conv 64, 1; sigmoid }
"""
SHUFFLE_UNIT = """convention keras
input 28, 28, 116
concat {
  branch slice=(0, 58) { }
  branch slice=(58, 116) {
    conv 58, 1, bias=false; batchnorm; relu
    conv 58, 3, padding=same, groups=58, bias=false; batchnorm
    conv 58, 1, bias=false; batchnorm; relu
  }
}
shuffle 2
"""
CONVNEXT_BLOCK = """convention keras
input 56, 56, 96
residual {
  conv 96, 7, padding=same, groups=96
  layernorm; dense 384; gelu; dense 96
  layerscale
  droppath 0.1
}
"""
TINY_UNET = """convention keras
R = 44
block double(c) { conv c, 3; relu; conv c, 3; relu }
input R, R, 1
enc1: double 8
maxpool 2
enc2: { conv 16, 3; relu; conv 16, 3; relu }
maxpool 2
bottom: double 32
up2: convtranspose 16, 2, stride=2
from enc2
crop like=up2
concat up2
dec2: double 16
up1: convtranspose 8, 2, stride=2
from enc1
crop like=up1
concat up1
crop ((1, 0), (0, 1))
crop size=(4, 5)
"""
IF_BLOCK = """convention keras
width = 1.0
block bneck(c_in, k, exp, c_out, se=false, act=relu, s=1) {
  if exp != c_in { conv exp, 1, bias=false; batchnorm; act }
  conv exp, k, stride=s, padding=same, groups=exp, bias=false; batchnorm; act
  squeeze = max(8, (exp // 4 + 4) // 8 * 8)
  squeeze = squeeze + 8 if squeeze < 0.9 * (exp // 4) else squeeze
  if se { scale { globalavgpool keepdims=true; conv squeeze, 1; relu; conv exp, 1; hardsigmoid } }
  conv c_out, 1, bias=false; batchnorm
}
input 56, 56, 16
bneck 16, 3, 16, 16, se=true, s=2
bneck 16, 3, 72 * width, 24, s=2
bneck 24, 5, 96 * width, 40, se=true, act=hardswish, s=2
stage: { conv 8, 1; relu; conv 8, 3, padding=same; add conv1 }
"""
TWO_HEADS = """convention keras
input 16, 16, 3
stem: conv 8, 3, padding=same
conv 4, 1                     # a first head, left by the from below
from stem
conv 2, 3
"""
# A trailing `from`: the network returns the named output.
RETURNS_EARLIER = """convention keras
input 16, 16, 3
a: conv 8, 3
conv 16, 3
from a
"""
# Keras's batch norms without a scale (Inception v3's) or without a shift.
PARTIAL_BATCHNORMS = """convention keras
input 12, 12, 3
conv 8, 3, bias=false
batchnorm scale=false
conv 8, 1
batchnorm center=false
batchnorm affine=false
"""
NEW_STATEMENTS = {
    "partial_batchnorms": PARTIAL_BATCHNORMS,
    "returns_earlier": RETURNS_EARLIER,
    "se_block": SE_BLOCK,
    "shuffle_unit": SHUFFLE_UNIT,
    "convnext_block": CONVNEXT_BLOCK,
    "tiny_unet": TINY_UNET,
    "two_heads": TWO_HEADS,
    "if_block": IF_BLOCK,
}


def check_layers(text, tmp_path, overrides=None):
    """Keras's own counts: in total, and layer by layer (each layer's output shape and weights against a row
    of symcnn's; as multisets, since a functional model lists its layers in its own order)."""
    network = symcnn.loads(text, overrides={k: str(v) for k, v in (overrides or {}).items()}, symbolic=())
    model = import_source(keras_code.render(parse(text), network), tmp_path).build(**(overrides or {}))
    assert weights(model.trainable_weights) == int(network.totals["trainable_params"])
    assert weights(model.non_trainable_weights) == int(network.totals["non_trainable_params"])
    keras_layers = sorted(
        (tuple(layer.output.shape[1:]), weights(layer.weights))
        for layer in model.layers[1:]  # after the Input
    )
    rows = sorted((tuple(int(d) for d in row.output.dims), int(row.params)) for row in network.rows)
    assert keras_layers == rows
    # what the model returns first; a layer nothing reads is kept as a further output, for Keras to build it
    assert tuple(model.outputs[0].shape[1:]) == tuple(int(d) for d in network.output.dims)


@pytest.mark.parametrize("name", sorted(NEW_STATEMENTS))
def test_the_newer_statements_export_with_keras_counts(name, tmp_path):
    check_layers(NEW_STATEMENTS[name], tmp_path)


def test_keras_if_parts_follow_build_arguments(tmp_path):
    for width in (0.25, 1.5):
        check_layers(IF_BLOCK, tmp_path, {"width": width})


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=networks(conventions=(True,)))
def test_random_keras_networks_export_with_keras_counts(text, tmp_path_factory):
    try:
        symcnn.loads(text)
    except SymcnnError:  # e.g. the map shrank below 1: not a network to export
        return
    check_layers(text, tmp_path_factory.mktemp("random"))


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases().filter(lambda case: case.convention == "keras"))
def test_the_generative_suites_keras_networks_export_with_keras_counts(case, tmp_path_factory):
    try:
        keras_code.render(parse(case.text), symcnn.loads(case.text, symbolic=()))
    except SymcnnError as error:  # e.g. an adaptive pool, which Keras has not
        assert "cannot be written in Keras" in str(error)
        return
    check_layers(case.text, tmp_path_factory.mktemp("generative"))


@settings(max_examples=25, deadline=None, database=None)
@given(
    scale=st.decimals(-4, 4, places=3, allow_nan=False, allow_infinity=False),
    offset=st.decimals(-2, 2, places=2, allow_nan=False, allow_infinity=False),
)
def test_rescale_exports_compute_what_keras_rescaling_does(scale, offset, tmp_path_factory):
    """The torch export's Rescale module, and the Keras export, against keras.layers.Rescaling itself."""
    import keras
    import numpy as np
    import torch

    from symcnn.exporters import torch_code

    directory = tmp_path_factory.mktemp("rescale")
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.layers.Rescaling(float(scale), offset=float(offset))(x))
    for convention, shape, layout in (("torch", "3, 4, 5", (0, 1, 2, 3)), ("keras", "4, 5, 3", (0, 2, 3, 1))):
        text = f"convention {convention}\ninput {shape}\nrescale {scale}, offset={offset}\n"
        program, network = parse(text), symcnn.loads(text)
        if convention == "torch":
            model = import_source(torch_code.render(program, network), directory).build().eval()
            with torch.no_grad():
                got = model(torch.from_numpy(x)).numpy()
        else:
            model = import_source(keras_code.render(program, network), directory).build()
            got = np.transpose(keras.ops.convert_to_numpy(model(np.transpose(x, layout))), (0, 3, 1, 2))
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
