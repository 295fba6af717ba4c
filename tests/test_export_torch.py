"""symcnn export --to torch: the generated module runs, and every layer has symcnn's shape and parameters.

The oracle is PyTorch itself: the generated module is imported, built, and a
zero tensor is run through it; forward hooks record each layer's output shape
and the modules' parameters (and, under Keras's convention, batch norm's
running statistics, which Keras counts as non-trainable parameters) are counted.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.api import load_program
from symcnn.errors import SymcnnError
from symcnn.exporters import torch_code
from symcnn.parser import parse

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "examples").glob("*.cnn")) + sorted((ROOT / "examples" / "zoo").glob("*.cnn"))
JOINS = ("add", "concat", "scale")  # rows that are an operation in forward(), not a module
_counter = itertools.count()

torch.set_num_threads(1)

# torch notes that an even kernel with padding="same" may copy the input: not about shapes.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same")


def import_source(source: str, directory: Path):
    path = directory / f"generated_{next(_counter)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def layer_modules(model):
    """The modules that stand for one DSL layer: the leaves, and a separable conv (its depthwise and pointwise
    parts are one layer in the DSL, as in Keras)."""
    separable = [m for m in model.modules() if type(m).__name__.startswith("SeparableConv")]
    parts = {id(part) for module in separable for part in module.modules() if part is not module}
    # An empty nn.Sequential (an empty shortcut or gate) is the identity, which has no row of its own.
    leaves = [m for m in model.modules() if not list(m.children()) and not isinstance(m, torch.nn.Sequential)]
    return [m for m in model.modules() if (m in leaves and id(m) not in parts) or m in separable]


def torch_layers(model, input_shape):
    """(module, output shape) of each DSL layer's module, in the order forward() calls them."""
    calls = []
    leaves = layer_modules(model)
    hooks = [m.register_forward_hook(lambda m, i, o: calls.append((m, tuple(o.shape[1:])))) for m in leaves]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_shape))
    for hook in hooks:
        hook.remove()
    return calls


def counted(module, keras: bool) -> int:
    params = sum(p.numel() for p in module.parameters())
    if keras:  # Keras counts the moving mean and variance
        params += sum(b.numel() for name, b in module.named_buffers() if name.startswith("running_"))
    return params


def file_order(dims, axes: str, channels_last_file: bool):
    """The model holds a channels-last file's maps channels first; other files' tensors are as laid out."""
    return dims[1:] + dims[:1] if channels_last_file and len(axes) > 1 and axes.endswith("C") else dims


def check_against_symcnn(network, module, overrides=None):
    model = module.build(**(overrides or {}))
    keras = network.convention == "keras"
    calls = torch_layers(model, model.input_shape)
    rows = [row for row in network.rows if row.keyword not in JOINS]
    assert len(calls) == len(rows), [type(m).__name__ for m, _ in calls]
    for row, (layer, shape) in zip(rows, calls):
        channels_last = network.input.channels_last
        assert file_order(shape, row.output.axes, channels_last) == tuple(int(d) for d in row.output.dims), row.name
        assert counted(layer, keras) == int(row.params), row.name
    total = sum(p.numel() for p in model.parameters())
    if keras:
        total += sum(b.numel() for n, b in model.named_buffers() if n.split(".")[-1].startswith("running_"))
    assert total == int(network.totals["params"])
    return model


def export(path: Path) -> str:
    return torch_code.render(load_program(str(path)), symcnn.load(str(path)))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_example_exports_with_symcnns_shapes_and_params(path, tmp_path):
    module = import_source(export(path), tmp_path)
    check_against_symcnn(symcnn.load(str(path)), module)


def test_build_takes_the_parameters_as_keywords(tmp_path):
    path = ROOT / "examples" / "zoo" / "mobilenet_v1.cnn"
    module = import_source(export(path), tmp_path)
    network = symcnn.load(str(path), overrides={"alpha": "0.5", "R": "160"})
    check_against_symcnn(network, module, {"alpha": 0.5, "R": 160})


def test_exported_resnet50_trains(symcnn_cli, tmp_path):
    target = tmp_path / "m.py"
    code, _, err = symcnn_cli("export", ROOT / "examples" / "zoo" / "resnet50.cnn", "--to", "torch", "-o", target)
    assert code == 0, err
    model = import_source(target.read_text(), tmp_path).build(R=64)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    images, labels = torch.randn(2, 3, 64, 64), torch.tensor([3, 7])
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_keras_same_padding_at_stride_two_is_explicit(tmp_path):
    text = "convention keras\ninput 15, 12, 3\nconv 8, 3, stride=2, padding=same\nmaxpool 2, padding=same\n"
    network = symcnn.loads(text)
    source = torch_code.render(parse(text), network)
    assert "same_padding(" in source
    check_against_symcnn(network, import_source(source, tmp_path))


def test_a_layer_that_cannot_be_written_is_named(symcnn_cli, tmp_path):
    path = tmp_path / "gate.cnn"
    path.write_text("input 3, 16, 16\nconv 8, 3\nse: opaque (8, 14, 14), params=100\n")
    code, _, err = symcnn_cli("export", path, "--to", "torch")
    assert code == 2, err
    assert "se: cannot be written in PyTorch" in err and "gate.cnn:3:1" in err and "Traceback" not in err


def ruff_check(source: str, path: Path) -> None:
    # In the test extra, so next to the interpreter; or on the PATH.
    ruff = shutil.which("ruff", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if ruff is None:
        pytest.skip("ruff is not installed")
    path.write_text(source)
    result = subprocess.run([ruff, "check", "--line-length", "120", path], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_the_generated_code_passes_ruff(tmp_path):
    for path in FILES:
        ruff_check(export(path), tmp_path / f"{path.stem}.py")


def test_import_symcnn_does_not_import_torch():
    code = "import symcnn, symcnn.cli, sys; assert 'torch' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# Random networks --------------------------------------------------------------


@st.composite
def layer_lines(draw, keras: bool, depth: int = 0):
    """One DSL statement (or a residual or concat of a few) that keeps a 2-d map of at least 4x4 valid."""
    kinds = ["conv", "pool", "batchnorm", "relu"] + (["residual", "concat"] if depth == 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "conv":
        k = draw(st.integers(1, 3))
        stride = draw(st.integers(1, 2))
        if keras:
            padding = draw(st.sampled_from(["valid", "same"]))
        else:
            padding = draw(st.sampled_from(["0", "1", "((0, 1), (1, 0))"] + (["same"] if stride == 1 else [])))
        extra = draw(st.sampled_from(["", ", bias=false", ", activation=relu", ", dilation=2"]))
        return [f"conv {draw(st.integers(1, 6))}, {k}, stride={stride}, padding={padding}{extra}"]
    if kind == "pool":
        keyword = draw(st.sampled_from(["maxpool", "avgpool"]))
        padding = ", padding=same" if keras and keyword == "maxpool" and draw(st.booleans()) else ""
        return [f"{keyword} 2{padding}"]
    if kind in ("batchnorm", "relu"):
        return [kind]
    if kind == "residual":  # a shape-keeping main path: 'same' convolutions with the input's channels
        body = ["conv C, 3, padding=same", "batchnorm"]
        shortcut = " shortcut { conv C, 1 }" if draw(st.booleans()) else ""
        return ["residual { " + "; ".join(body) + " }" + shortcut]
    branches = [f"branch {{ conv {draw(st.integers(1, 4))}, 1 }}" for _ in range(draw(st.integers(2, 3)))]
    return ["concat { " + " ".join(branches) + " }"]


@st.composite
def networks(draw):
    keras = draw(st.booleans())
    h, w, channels = draw(st.integers(12, 24)), draw(st.integers(12, 24)), draw(st.integers(1, 4))
    lines = ["convention keras" if keras else "convention torch", f"C = {channels}"]
    lines.append(f"input {h}, {w}, C" if keras else f"input C, {h}, {w}")
    # Residuals keep C channels, so they come first, before anything changes the channels.
    for _ in range(draw(st.integers(0, 1))):
        lines += draw(layer_lines(keras).filter(lambda ls: ls[0].startswith("residual")))
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(layer_lines(keras).filter(lambda ls: not ls[0].startswith("residual")))
    if draw(st.booleans()):
        lines += ["flatten", f"dense {draw(st.integers(1, 10))}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=networks())
def test_random_networks_export_with_symcnns_shapes_and_params(text, tmp_path_factory):
    try:
        network = symcnn.loads(text)
    except SymcnnError:  # e.g. the map shrank below 1: not a network to export
        return
    source = torch_code.render(parse(text), network)
    check_against_symcnn(network, import_source(source, tmp_path_factory.mktemp("random")))


def test_causal_padding_is_written_as_padding_before(tmp_path):
    path = tmp_path / "causal.cnn"
    path.write_text(
        "convention keras\ninput 16, 3\nconv 4, 3, padding=causal, dilation=2\nconv 8, (2,), padding=causal\n"
    )
    check_against_symcnn(symcnn.load(str(path)), import_source(export(path), tmp_path))
