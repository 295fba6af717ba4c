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

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import cases
from test_lang_torch import BNECK

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
    # An empty nn.Sequential (an empty shortcut or gate) is the identity, which has no row of its own; so is
    # a class written for a body (a block, group or branch) whose `if` part is not taken.
    leaves = [
        m
        for m in model.modules()
        if not list(m.children()) and not isinstance(m, torch.nn.Sequential) and not body_class(m, model)
    ]
    return [m for m in model.modules() if (m in leaves and id(m) not in parts) or m in separable]


def body_class(module, model) -> bool:
    """A class the export wrote for a DSL body, not one of the helper layers it copies in."""
    return type(module).__module__ == type(model).__module__ and type(module).__name__ not in torch_code.PARTS


def torch_layers(model, input_shape):
    """(module, output shape) of each DSL layer's module, in the order forward() calls them; and the shape of
    what the model returns."""
    calls = []
    leaves = layer_modules(model)
    hooks = [m.register_forward_hook(lambda m, i, o: calls.append((m, tuple(o.shape[1:])))) for m in leaves]
    model.eval()
    with torch.no_grad():
        returned = model(torch.zeros(1, *input_shape))
    for hook in hooks:
        hook.remove()
    return calls, tuple(returned.shape[1:])


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
    calls, returned = torch_layers(model, model.input_shape)
    rows = [row for row in network.rows if row.keyword not in JOINS]
    assert len(calls) == len(rows), [type(m).__name__ for m, _ in calls]
    channels_last = network.input.channels_last
    for row, (layer, shape) in zip(rows, calls):
        assert file_order(shape, row.output.axes, channels_last) == tuple(int(d) for d in row.output.dims), row.name
        assert counted(layer, keras) == int(row.params), row.name
    output = network.output
    assert file_order(returned, output.axes, channels_last) == tuple(int(d) for d in output.dims)
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


SAME = {True: "same", False: "1"}  # a 3x3 conv's padding that keeps the size, under Keras's and torch's convention


@st.composite
def layer_lines(draw, keras: bool, depth: int = 0, kind: str | None = None):
    """One DSL statement (or a few that belong together) that keeps a 2-d map of at least 4x4 valid.
    `kind` residual and scale keep the input's C channels."""
    kinds = ["conv", "pool", "batchnorm", "relu", "layerscale", "droppath", "crop", "rescale"]
    if depth == 0:
        kinds += ["concat", "shuffle", "group", "skip", "unet", "if"] + ([] if keras else ["convnext"])
    kind = kind or draw(st.sampled_from(kinds))
    label = f"n{next(_counter)}"  # never an automatic name
    if kind == "conv":
        k = draw(st.integers(1, 3))
        stride = draw(st.integers(1, 2))
        if keras:
            padding = draw(st.sampled_from(["valid", "same"]))
        else:
            padding = draw(st.sampled_from(["0", "1", "((0, 1), (1, 0))"] + (["same"] if stride == 1 else [])))
        extra = draw(st.sampled_from(["", ", bias=false", ", activation=relu", ", dilation=2"]))
        separable = stride == 1 and padding in ("same", "valid", "1") and draw(st.integers(0, 4)) == 0
        keyword = "sepconv" if separable else "conv"
        return [f"{keyword} {draw(st.integers(1, 6))}, {k}, stride={stride}, padding={padding}{extra}"]
    if kind == "pool":
        keyword = draw(st.sampled_from(["maxpool", "avgpool"]))
        padding = ", padding=same" if keras and keyword == "maxpool" and draw(st.booleans()) else ""
        return [f"{keyword} 2{padding}"]
    if kind in ("batchnorm", "relu", "layerscale"):
        return [kind]
    if kind == "droppath":
        return [f"droppath {draw(st.sampled_from(['0', '0.1', '0.5']))}"]
    if kind == "rescale":
        return [draw(st.sampled_from(["rescale 1 / 255", "rescale 2, offset=-1", "rescale 0.17"]))]
    if kind == "crop":
        return [draw(st.sampled_from(["crop 1", "crop ((1, 0), (0, 2))", "crop size=(4, 4)"]))]
    if kind == "residual":  # a shape-keeping main path: 'same' convolutions with the input's channels
        body = ["conv C, 3, padding=same", "batchnorm"]
        shortcut = " shortcut { conv C, 1 }" if draw(st.booleans()) else ""
        return ["residual { " + "; ".join(body) + " }" + shortcut]
    if kind == "scale":  # squeeze-and-excitation, on the input's C channels
        squeeze = draw(st.integers(1, 4))
        return [f"{label}: scale {{ globalavgpool keepdims=true; conv {squeeze}, 1; relu; conv C, 1; sigmoid }}"]
    if kind == "shuffle":  # ShuffleNet's stride-1 unit: half the channels through, half through a conv
        half = draw(st.integers(1, 4))
        branches = f"branch slice=(0, {half}) {{ }} branch slice=({half}, {2 * half}) {{ conv {half}, 1; relu }}"
        return [f"conv {2 * half}, 1", f"concat {{ {branches} }}", "shuffle 2"]
    if kind == "group":
        inner = draw(layer_lines(keras, depth + 1))
        return [f"{label}: {{ {'; '.join(inner)} }}"]
    if kind == "skip":  # a named output, added to or concatenated with a later one of its shape
        filters = draw(st.integers(1, 4))
        join = draw(st.sampled_from(["add", "concat", "from"]))
        return [f"{label}: conv {filters}, 1", f"conv {filters}, 3, padding={SAME[keras]}", f"{join} {label}"]
    if kind == "unet":  # crop-and-copy: the earlier, larger map cut to the later one's size, and joined
        up = f"{label}u"
        return [f"{label}: conv 2, 1", f"{up}: conv 3, 3", f"from {label}", f"crop like={up}", f"concat {up}"]
    if kind == "if":  # a block whose parts are chosen by its argument
        block = f"b{label}"
        body = f"if wide {{ conv c, 3, padding={SAME[keras]} }} else {{ conv c, 1; relu }}"
        call = f"{block} {draw(st.integers(1, 4))}" + draw(st.sampled_from(["", ", wide=true", ", wide=false"]))
        return [f"block {block}(c, wide=false) {{ {body}; batchnorm }}", call]
    if kind == "convnext":  # the channels last for a layer norm and dense layers, then first again
        return [f"permute (2, 3, 1); layernorm; dense {draw(st.integers(1, 8))}; gelu; permute (3, 1, 2)"]
    branches = [f"branch {{ conv {draw(st.integers(1, 4))}, 1 }}" for _ in range(draw(st.integers(2, 3)))]
    return ["concat { " + " ".join(branches) + " }"]


@st.composite
def networks(draw, conventions=(False, True)):
    keras = draw(st.sampled_from(conventions))
    h, w, channels = draw(st.integers(12, 24)), draw(st.integers(12, 24)), draw(st.integers(1, 4))
    lines = ["convention keras" if keras else "convention torch", f"C = {channels}"]
    lines.append(f"input {h}, {w}, C" if keras else f"input C, {h}, {w}")
    # Residuals and gates keep C channels, so they come first, before anything changes the channels.
    for kind in draw(st.lists(st.sampled_from(["residual", "scale"]), max_size=2)):
        lines += draw(layer_lines(keras, kind=kind))
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(layer_lines(keras))
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


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stride=st.integers(1, 3),
    kernel=st.integers(1, 4),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    output_padding=st.integers(0, 2),
    through_parameter=st.booleans(),
)
def test_transposed_convolutions_export_with_symcnns_shapes_and_params(
    stride, kernel, padding, dilation, output_padding, through_parameter, tmp_path_factory
):
    """Every option of convtranspose, written as a number or through a parameter (whose defaults differ: 0 for
    padding and output_padding, 1 for the others)."""
    assume(output_padding < max(stride, dilation))  # torch's own rule
    values = {"S": stride, "K": kernel, "P": padding, "D": dilation, "O": output_padding}
    lines = [f"{name} = {value}" for name, value in values.items()] if through_parameter else []
    ref = (lambda name: name) if through_parameter else (lambda name: str(values[name]))
    lines += [
        "input 2, 5, 6",
        f"convtranspose 3, {ref('K')}, stride={ref('S')}, padding={ref('P')}, dilation={ref('D')}, "
        f"output_padding={ref('O')}",
    ]
    text = "\n".join(lines) + "\n"
    try:
        network = symcnn.loads(text)
    except SymcnnError:  # the output would be empty
        return
    source = torch_code.render(parse(text), network)
    check_against_symcnn(network, import_source(source, tmp_path_factory.mktemp("transposed")))


def test_causal_padding_is_written_as_padding_before(tmp_path):
    path = tmp_path / "causal.cnn"
    path.write_text(
        "convention keras\ninput 16, 3\nconv 4, 3, padding=causal, dilation=2\nconv 8, (2,), padding=causal\n"
    )
    check_against_symcnn(symcnn.load(str(path)), import_source(export(path), tmp_path))


# The newer statements, each in the arrangement a real network uses it ------------------------

SE_BLOCK = """input 64, 14, 14
se: scale { globalavgpool keepdims=true; conv 16, 1; relu; conv 64, 1; sigmoid }
"""
SHUFFLE_UNIT = """input 116, 28, 28
concat {
  branch slice=(0, 58) { }
  branch slice=(58, 116) {
    conv 58, 1, bias=false; batchnorm; relu
    conv 58, 3, padding=1, groups=58, bias=false; batchnorm
    conv 58, 1, bias=false; batchnorm; relu
  }
}
shuffle 2
"""
CONVNEXT_BLOCK = """input 96, 56, 56
residual {
  conv 96, 7, padding=3, groups=96
  permute (2, 3, 1); layernorm; dense 384; gelu; dense 96; permute (3, 1, 2)
  layerscale
  droppath 0.1
}
"""
# U-Net's crop-and-copy, with labelled groups, a block used under a label, and the three crops.
TINY_UNET = """R = 44
block double(c) { conv c, 3; relu; conv c, 3; relu }
input 1, R, R
enc1: double 8                                    # 40
maxpool 2                                         # 20
enc2: { conv 16, 3; relu; conv 16, 3; relu }      # 16
maxpool 2
bottom: double 32                                 # 4
up2: convtranspose 16, 2, stride=2                # 8
from enc2
crop like=up2
concat up2
dec2: double 16                                   # 4
up1: convtranspose 8, 2, stride=2                 # 8
from enc1
crop like=up1
concat up1
"""
# MobileNetV3's inverted residual: `if` parts chosen by the block's arguments, an activation by name.
IF_BLOCK = (
    "width = 1.0\n"
    + BNECK.lstrip()
    + """input 16, 56, 56
bneck 16, 3, 16, 16, se=true, s=2
bneck 16, 3, 72 * width, 24, s=2
last: bneck 24, 5, 96 * width, 40, se=true, act=hardswish, s=2
crop ((1, 0), (0, 1))
crop size=(4, 5)
stage: { conv 8, 1; relu; conv 8, 3, padding=1; add conv1 }          # a name inside a group
"""
)
TWO_HEADS = """input 3, 16, 16
stem: conv 8, 3, padding=1
conv 4, 1                     # a first head, left by the from below
from stem
conv 2, 3
"""
# A trailing `from`: the network returns the named output, and the layer after it is computed for nothing.
RETURNS_EARLIER = """input 3, 16, 16
a: conv 8, 3
conv 16, 3
from a
"""
NEW_STATEMENTS = {
    "se_block": SE_BLOCK,
    "shuffle_unit": SHUFFLE_UNIT,
    "convnext_block": CONVNEXT_BLOCK,
    "tiny_unet": TINY_UNET,
    "two_heads": TWO_HEADS,
    "returns_earlier": RETURNS_EARLIER,
    "if_block": IF_BLOCK,
}


# What the export once refused: now written, and checked like the rest.
ONCE_REFUSED = [
    "input 3, 8, 8\nscale { globalavgpool keepdims=true; conv 3, 1 }\n",
    "c = max(2, 3)\ninput 3, 8, 8\nconv c, 1\n",
    "input 3, 8, 8\ng: { conv 3, 1 }\nadd g\n",
    "block b(se=true) { if se { relu } }\ninput 3, 8, 8\nb\n",
]


@pytest.mark.parametrize("text", ONCE_REFUSED)
def test_what_export_once_refused_is_written(text, tmp_path):
    check_against_symcnn(
        symcnn.loads(text), import_source(torch_code.render(parse(text), symcnn.loads(text)), tmp_path)
    )


@pytest.mark.parametrize("name", sorted(NEW_STATEMENTS))
def test_the_newer_statements_export_with_symcnns_shapes_and_params(name, tmp_path):
    text = NEW_STATEMENTS[name]
    source = torch_code.render(parse(text), symcnn.loads(text))
    check_against_symcnn(symcnn.loads(text), import_source(source, tmp_path))
    ruff_check(source, tmp_path / f"{name}.py")


def test_if_parts_follow_build_arguments(tmp_path):
    """build(width=...) changes the expansions; bneck's `if exp != c_in` part runs where they differ."""
    module = import_source(torch_code.render(parse(IF_BLOCK), symcnn.loads(IF_BLOCK)), tmp_path)
    for width in (0.25, 1.5):
        check_against_symcnn(symcnn.loads(IF_BLOCK, overrides={"width": str(width)}), module, {"width": width})


def test_the_unet_variant_builds_at_another_size(tmp_path):
    module = import_source(torch_code.render(parse(TINY_UNET), symcnn.loads(TINY_UNET)), tmp_path)
    check_against_symcnn(symcnn.loads(TINY_UNET, overrides={"R": "60"}), module, {"R": 60})


def test_the_generated_code_keeps_the_dsl_names(tmp_path):
    model = import_source(torch_code.render(parse(TINY_UNET), symcnn.loads(TINY_UNET)), tmp_path).build()
    names = {name for name, _ in model.named_modules()}
    assert {"enc1.conv1", "enc2.conv2", "bottom", "up2", "dec2.relu2", "crop2"} <= names
    se = import_source(torch_code.render(parse(SE_BLOCK), symcnn.loads(SE_BLOCK)), tmp_path).build()
    assert isinstance(se.gate1, torch.nn.Sequential)


# Against torchvision's own modules: the same parameters, and with them copied over, the same function.


def _torchvision_twin(name: str):
    from frameworks import torchvision

    models = torchvision().models
    if name == "se_block":
        from torchvision.ops import SqueezeExcitation

        return SqueezeExcitation(64, 16), (64, 14, 14)
    if name == "shuffle_unit":
        return models.shufflenetv2.InvertedResidual(116, 116, 1), (116, 28, 28)
    return models.convnext.CNBlock(96, 1e-6, 0.1), (96, 56, 56)


@pytest.mark.parametrize("name", ["se_block", "shuffle_unit", "convnext_block"])
def test_the_exported_block_is_torchvisions(name, tmp_path):
    text = NEW_STATEMENTS[name]
    ours = import_source(torch_code.render(parse(text), symcnn.loads(text)), tmp_path).build().eval()
    theirs, shape = _torchvision_twin(name)
    theirs.eval()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    # Parameters in the order forward() uses them; CNBlock registers its layer scale before its block.
    their_parameters = list(theirs.parameters())
    if name == "convnext_block":
        their_parameters = their_parameters[1:] + their_parameters[:1]
    with torch.no_grad():
        for mine, their in zip(ours.parameters(), their_parameters, strict=True):
            assert mine.shape == their.shape
            mine.copy_(their + torch.randn_like(their) * 0.1)  # away from the initial values, identically
            their.copy_(mine)
        images = torch.randn(2, *shape)
        assert torch.allclose(ours(images), theirs(images), atol=1e-4)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_the_generative_suites_networks_export_with_symcnns_shapes_and_params(case, tmp_path_factory):
    """tests/strategies.py's networks (every layer type, blocks, gates, groups, parameters named like Python's
    own names): written, or refused with the layer named."""
    network = symcnn.loads(
        case.text, symbolic=()
    )  # at the defaults (valid by construction), a `symbolic` statement or not
    try:
        source = torch_code.render(parse(case.text), network)
    except SymcnnError as error:
        assert "cannot be written in PyTorch" in str(error)
        return
    check_against_symcnn(network, import_source(source, tmp_path_factory.mktemp("generative")))
