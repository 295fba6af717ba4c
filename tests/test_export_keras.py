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

from test_export_torch import import_source

import symcnn
from symcnn.api import load_program
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
