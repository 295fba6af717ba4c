"""symcnn import torch: torchvision's models in, DSL text out, counted exactly as PyTorch counts them.

The oracles are the frameworks: parameter totals from the modules themselves,
the output shape from a forward pass, MACs from torchinfo (whose mult-adds also
count biases and batch norm's parameters: the difference is computed from
torchinfo's own per-layer records and must be exactly that).
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
tv_models = pytest.importorskip("tv_models")  # torchvision behind its shim (pytest puts tests/ on sys.path)
torchinfo = pytest.importorskip("torchinfo")

from test_export_torch import import_source, networks

import symcnn
from symcnn.api import load_program
from symcnn.errors import SymcnnError
from symcnn.exporters import torch_code
from symcnn.parser import parse

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "resnet18_imported.cnn"
SPEC = "tests/tv_models.py"
# issue 10's list of torchvision classification models: every one imports without --opaque.
MODELS = [
    "resnet18",
    "resnet34",
    "resnet50",
    "resnext50_32x4d",
    "vgg16",
    "vgg16_bn",
    "alexnet",
    "squeezenet1_0",
    "googlenet",
    "inception_v3",
    "densenet121",  # dense connectivity: a chain of concats
    "mobilenet_v2",
    "mobilenet_v3_large",  # squeeze-and-excitation: scale { }
    "efficientnet_b0",
    "regnet_y_400mf",
    "shufflenet_v2_x1_0",  # branch slice=, shuffle
    "convnext_tiny",  # permute, layernorm, dense per pixel, layerscale, droppath
]
torch.set_num_threads(1)


def model(name: str):
    options = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
    return getattr(tv_models, name)(**options).eval()


def input_shape(name: str) -> tuple[int, ...]:
    return (3, 299, 299) if name == "inception_v3" else (3, 224, 224)


def torchinfo_convention_difference(info) -> int:
    """torchinfo's mult-adds less the multiply-adds of the weights (symcnn's MACs), layer by layer from
    torchinfo's own records. torchinfo counts a module's parameters times its output positions for a
    conv, and times the batch (1) for everything else. So it counts beyond the weights' multiply-adds:
    a conv's bias once per output position; a norm's parameters (batch or layer norm) once; and a linear
    layer's weights and bias once, however many positions it runs at (ConvNeXt's per-pixel MLP runs at
    H x W; its weights multiply-add there H x W times)."""
    difference = 0
    for layer in info.summary_list:
        module = layer.module
        if not layer.is_leaf_layer:
            continue
        bias = module.bias.numel() if getattr(module, "bias", None) is not None else 0
        if isinstance(module, torch.nn.Conv2d):
            difference += bias * math.prod(layer.output_size[2:])
        elif isinstance(module, torch.nn.Linear):
            positions = math.prod(layer.output_size[1:-1])
            difference += module.weight.numel() + bias - module.weight.numel() * positions
        elif isinstance(module, (torch.nn.BatchNorm2d, torch.nn.LayerNorm)):
            difference += sum(p.numel() for p in module.parameters())
    return difference


@functools.cache
def imported(name: str):
    """The torchvision model, its import, torchinfo's summary and the model's output shape: built once."""
    module, shape = model(name), input_shape(name)
    text = symcnn.from_torch(module, shape)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = torchinfo.summary(module, (1, *shape), verbose=0)
        out = module(torch.zeros(1, *shape))
    return module, text, symcnn.loads(text), info, tuple(out.shape[1:])


@pytest.mark.parametrize("name", MODELS)
def test_torchvision_model_imports_with_exact_params(name):
    module, _, network, _, out_shape = imported(name)
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    assert int(network.totals["trainable_params"]) == trainable
    assert int(network.totals["non_trainable_params"]) == frozen
    assert all(row.keyword != "opaque" for row in network.rows)
    assert tuple(int(d) for d in network.output.dims) == out_shape


@pytest.mark.parametrize("name", MODELS)
def test_torchvision_model_macs_are_torchinfos_mult_adds_under_the_convention(name):
    _, _, network, info, _ = imported(name)
    assert int(network.totals["macs"]) + torchinfo_convention_difference(info) == info.total_mult_adds


@pytest.mark.parametrize(
    ("name", "statements"),
    [
        ("mobilenet_v3_large", ["scale { adaptiveavgpool 1; conv c, 1, bias=true; relu;"]),
        ("efficientnet_b0", ["scale { adaptiveavgpool 1; conv c, 1, bias=true; silu;", "droppath r"]),
        ("regnet_y_400mf", ["scale { adaptiveavgpool 1; conv c"]),
        ("shufflenet_v2_x1_0", ["branch slice=(0, c) { }", "shuffle 2", "repeat 7 {"]),
        ("convnext_tiny", ["permute (2, 3, 1)", "layernorm", "dense 4 * c", "layerscale", "droppath r"]),
        ("densenet121", ["block dense_block(n) {", "repeat n { dense_layer }", "dense_block 24"]),
    ],
)
def test_the_newer_statements_are_written_inside_found_blocks(name, statements):
    text = imported(name)[1]
    for statement in statements:
        assert statement in text
    assert "opaque" not in text


def test_resnet18_import_is_pinned(symcnn_cli):
    code, out, err = symcnn_cli("import", "torch", f"{SPEC}:resnet18", "--input", "3,224,224")
    assert code == 0, err
    assert out == GOLDEN.read_text(encoding="utf-8")


def test_imported_resnet50_has_blocks_and_a_symbolic_input(symcnn_cli, tmp_path):
    target = tmp_path / "resnet50.cnn"
    spec = f"{SPEC}:resnet50"
    code, _, err = symcnn_cli("import", "torch", spec, "--input", "3,224,224", "--symbolic-input", "R", "-o", target)
    assert code == 0, err
    text = target.read_text()
    assert "R = 224\nsymbolic R\n" in text and "input 3, R, R" in text and "block " in text
    assert len(text.splitlines()) <= 2 * len((ROOT / "examples" / "zoo" / "resnet50.cnn").read_text().splitlines())
    code, out, _ = symcnn_cli("summary", target)  # the file keeps R symbolic itself
    assert code == 0 and "25,557,032" in out and "⌊(R + 31)/32⌋" in out
    hand_written = symcnn.load(str(ROOT / "examples" / "zoo" / "resnet50.cnn"), symbolic=["R"])
    imported = symcnn.load(str(target), symbolic=["R"])
    assert imported.totals["macs"].equals(hand_written.totals["macs"])


# The keras-convention files go round through Keras instead (tests/test_export_keras.py).
TORCH_ZOO = [
    path for path in sorted((ROOT / "examples" / "zoo").glob("*.cnn")) if "convention keras" not in path.read_text()
]


def assert_round_trip(program, original, directory) -> str:
    """DSL -> export torch -> build -> import back: the same totals and the same shape at every layer, in order.
    Returns the imported text."""
    built = import_source(torch_code.render(program, original), directory).build()
    text = symcnn.from_torch(built, built.input_shape)
    imported = symcnn.loads(text)
    for quantity in ("params", "macs"):
        assert imported.totals[quantity] == original.totals[quantity]
    assert [r.output.dims for r in imported.rows] == [r.output.dims for r in original.rows]
    return text


@pytest.mark.parametrize("path", TORCH_ZOO, ids=lambda p: p.stem)
def test_zoo_round_trip_through_torch(path, tmp_path):
    assert_round_trip(load_program(str(path)), symcnn.load(str(path)), tmp_path)


def test_unets_skips_come_back_by_name(tmp_path):
    """The exported Crop is traced whole: its second input is `like=`, the encoder outputs are labels."""
    path = ROOT / "examples" / "zoo" / "unet.cnn"
    text = assert_round_trip(load_program(str(path)), symcnn.load(str(path)), tmp_path)
    assert "enc4: double_conv 512" in text and "from enc4\ncrop like=up4\nconcat up4\n" in text


def test_a_hand_written_unet_imports_with_the_zoos_counts():
    """tests/test_zoo.py's U-Net crops with shapes torch.fx cannot iterate: torch.export's slices of the
    spatial dims are crops, and the encoder outputs, used across the decoder, named skips."""
    from test_zoo import unet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = symcnn.from_torch(unet(), (1, 572, 572))
    imported, zoo = symcnn.loads(text), symcnn.load(str(ROOT / "examples" / "zoo" / "unet.cnn"))
    assert "opaque" not in text and "torch.export" in text and "from enc4\ncrop 4\nconcat up4\n" in text
    assert int(imported.totals["params"]) == 31_030_658
    assert imported.totals["macs"] == zoo.totals["macs"]
    assert [r.output.dims for r in imported.rows] == [r.output.dims for r in zoo.rows]


_names = itertools.count()


@st.composite
def levels(draw, depth: int):
    """U-Net-like levels: a labelled output, the levels below it at half the size, then an up-conv and a join
    with that output cropped to its size (so a skip spans every level below, and sizes may differ by odd
    amounts); at the bottom, a skip the DSL could nest only by moving a layer, or a path nothing uses."""
    name, channels = f"s{next(_names)}", draw(st.integers(1, 5))
    lines = [f"{name}: conv {channels}, {draw(st.integers(1, 3))}"] + (["relu"] if draw(st.booleans()) else [])
    if depth:
        join = draw(st.sampled_from(["concat", "add"]))
        up = channels if join == "add" else draw(st.integers(1, 5))
        lines += ["maxpool 2", *draw(levels(depth - 1)), f"{name}u: convtranspose {up}, 2, stride=2"]
        return lines + [f"from {name}", f"crop like={name}u", f"{join} {name}u"]
    bottom = draw(st.sampled_from(["later", "unused", "none"]))
    if bottom == "later":  # concat of an output made before the current path: nesting would reorder the rows
        return lines + [f"{name}b: conv {channels}, 3, padding=1", f"from {name}", "conv 2, 1", f"concat {name}b"]
    if bottom == "unused":  # a layer whose output `from` leaves unused: torch still runs it
        return lines + [f"conv {channels}, 3", f"from {name}"]
    return lines


# What the export writes as two torch modules or a padding call, which the import reads back as two rows: a
# conv's activation=, a separable conv, an asymmetric padding (F.pad).
TWO_ROWS = ("activation=", "sepconv", "padding=((")


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=networks(conventions=(False,)))
def test_random_networks_round_trip_through_torch(text, tmp_path_factory):
    """test_export_torch's random networks (skips by name, U-Net's crop-and-copy, groups, blocks with `if`,
    branches, gates, ShuffleNet's and ConvNeXt's statements) come back row for row."""
    assume(not any(feature in text for feature in TWO_ROWS))
    try:
        original = symcnn.loads(text)
    except SymcnnError:  # e.g. the map shrank below 1: not a network
        return
    assert_round_trip(parse(text), original, tmp_path_factory.mktemp("random"))


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(1, 3), channels=st.integers(1, 3), h=st.integers(24, 64), w=st.integers(24, 64), data=st.data()
)
def test_random_named_skips_round_trip_through_torch(depth, channels, h, w, data, tmp_path_factory):
    text = "\n".join([f"input {channels}, {h}, {w}", *data.draw(levels(depth)), "conv 2, 1"]) + "\n"
    try:
        original = symcnn.loads(text)
    except SymcnnError:  # a map pooled below 1: not a network
        return
    assert_round_trip(parse(text), original, tmp_path_factory.mktemp("skips"))


def test_an_unknown_module_is_named_with_its_type_and_place():
    class Gate(torch.nn.Module):
        def forward(self, x):
            return x - x.mean((2, 3), keepdim=True)  # a subtraction: the DSL has no statement for it

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3)
            self.gate = Gate()
            self.norm = torch.nn.GroupNorm(2, 8)

        def forward(self, x):
            return self.norm(self.gate(self.conv(x)))

    with pytest.raises(symcnn.SymcnnError, match=r"function sub\(\) \(sub\) in gate: "):
        symcnn.from_torch(Net(), (3, 16, 16))
    text = symcnn.from_torch(Net(), (3, 16, 16), opaque=True)
    assert "gate: opaque (8, 14, 14)" in text and "norm: opaque (8, 14, 14), params=16" in text


def test_a_channel_split_is_a_branch_slice_and_elsewhere_an_error():
    class Split(torch.nn.Module):
        def __init__(self, add: bool):
            super().__init__()
            self.conv, self.add = torch.nn.Conv2d(4, 4, 1), add

        def forward(self, x):
            kept, changed = x.chunk(2, dim=1)
            if self.add:  # a slice on both sides of an add: no DSL statement takes it
                return kept + changed
            return torch.cat([self.conv(changed), kept], 1)

    text = symcnn.from_torch(Split(False), (8, 6, 6))
    assert "branch slice=(4, 8) {" in text and "branch slice=(0, 4) { }" in text
    assert symcnn.loads(text).output.dims == (8, 6, 6)
    with pytest.raises(symcnn.SymcnnError, match=r"function add\(\) \(add\) in .*: it joins a slice"):
        symcnn.from_torch(Split(True), (8, 6, 6))


def test_a_skip_the_dsl_cannot_name_is_an_error_naming_the_join():
    class Net(torch.nn.Module):
        def __init__(self, inputs: int):
            super().__init__()
            self.inputs = inputs
            self.first, self.second, self.third = (torch.nn.Conv2d(3, 3, 1) for _ in range(3))

        def forward(self, x):
            a = self.first(x)
            if self.inputs == 2:  # the input again, after a, which is used later: no name reaches the input
                return torch.cat([self.second(a + x), a], 1)
            b = self.second(a)
            return torch.cat([a, b, self.third(b)], 1)  # paths that share a and b, and a name form joins only two

    with pytest.raises(symcnn.SymcnnError, match=r"function add\(\) \(add\) .*: it reaches back to the model's input"):
        symcnn.from_torch(Net(2), (3, 8, 8))
    with pytest.raises(symcnn.SymcnnError, match=r"function cat\(\) \(cat\) .*: it concatenates more than two"):
        symcnn.from_torch(Net(3), (3, 8, 8))


def test_shared_weights_are_an_error_not_counted_twice():
    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 1)

        def forward(self, x):
            return self.conv(self.conv(x))

    with pytest.raises(symcnn.SymcnnError, match=r"module conv \(Conv2d\) .*: it runs the same weights as node conv "):
        symcnn.from_torch(Twice(), (3, 8, 8))


def test_a_spec_that_fails_to_import_says_which_import(symcnn_cli, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_package_here\n")
    code, _, err = symcnn_cli("import", "torch", f"{broken}:net", "--input", "3,8,8")
    assert code == 2 and "no_such_package_here" in err and "ModuleNotFoundError" in err
    code, _, err = symcnn_cli("import", "torch", "tests.tv_models:no_such_model", "--input", "3,8,8")
    assert code == 2 and "no_such_model" in err
    code, _, err = symcnn_cli("import", "torch", "nonsense", "--input", "3,8,8")
    assert code == 2 and "SPEC" in err


def test_a_model_fx_cannot_trace_comes_through_torch_export():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(8)
            self.fc = torch.nn.Linear(8, 10)

        def forward(self, x):
            if x.shape[-1] > 8:  # control flow on a shape: torch.fx cannot trace it
                x = torch.nn.functional.max_pool2d(x, 2)
            y = torch.relu(self.bn(self.conv(x)))
            return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y + torch.relu(y), 1), 1))

    module = Net().eval()
    with pytest.raises(torch.fx.proxy.TraceError):
        torch.fx.symbolic_trace(module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = symcnn.from_torch(module, (3, 16, 16))
    network = symcnn.loads(text)
    assert "torch.export" in text and "residual {" in text
    assert int(network.totals["params"]) == sum(p.numel() for p in module.parameters())
    assert network.rows[1].output.dims == (8, 8, 8)


class FunctionalPad(torch.nn.Module):
    """TensorFlow-style "same" padding as timm and TF ports write it: F.pad before a strided conv."""

    def __init__(self, pad, value=0.0):
        super().__init__()
        self.pad, self.value = pad, value
        self.conv = torch.nn.Conv2d(3, 4, 3, stride=2)

    def forward(self, x):
        return self.conv(torch.nn.functional.pad(x, self.pad, value=self.value))


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.tuples(*[st.integers(0, 3)] * 2), st.tuples(*[st.integers(0, 3)] * 4)), st.integers(4, 11))
def test_a_functional_zero_pad_is_a_zeropad(pad, size):
    """pad is (left, right) of the last dim, then (top, bottom) of the one before."""
    model = FunctionalPad(pad)
    text = symcnn.from_torch(model, (3, size, size + 1))
    with torch.no_grad():
        returned = model(torch.zeros(1, 3, size, size + 1))
    assert "zeropad" in text
    assert symcnn.loads(text).output.dims == tuple(returned.shape[1:])


def test_a_pad_that_is_not_zeros_is_named():
    with pytest.raises(SymcnnError, match=r"pad"):
        symcnn.from_torch(FunctionalPad((1, 1, 1, 1), value=1.0), (3, 8, 8))


def test_weights_that_inference_never_runs_are_named():
    class WithAuxiliary(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)
            self.aux = torch.nn.Sequential(torch.nn.Conv2d(4, 2, 1), torch.nn.Conv2d(2, 2, 1))

        def forward(self, x):
            x = self.conv(x)
            return self.aux(x) + x.mean() if self.training else x  # an auxiliary head, in training only

    model = WithAuxiliary()
    unused = sum(p.numel() for p in model.aux.parameters())
    with pytest.raises(SymcnnError, match=rf"aux \({unused} parameters\) never run in the inference graph"):
        symcnn.from_torch(model, (3, 8, 8))


def test_an_opaque_module_named_like_a_keyword_gets_a_label_that_parses():
    class Gate(torch.nn.Module):
        def forward(self, x):
            return x - x.mean((2, 3), keepdim=True)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.add = torch.nn.Conv2d(3, 8, 3), Gate()

        def forward(self, x):
            return self.add(self.conv(x))

    text = symcnn.from_torch(Net(), (3, 16, 16), opaque=True)
    assert "add_out: opaque (8, 14, 14)" in text and symcnn.loads(text).output.dims == (8, 14, 14)


def test_a_batch_norm_without_affine_imports():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4, affine=False), torch.nn.ReLU())
    text = symcnn.from_torch(model, (3, 8, 8))
    assert "batchnorm affine=false" in text
    assert int(symcnn.loads(text).totals["params"]) == sum(p.numel() for p in model.parameters())


# Constant arithmetic in forward(): x / 255, x * 2 - 1, 1 - x, -x, y + 0.17 * branch(y) ------------------------

NUMBERS = st.sampled_from([255.0, 2, 0.5, -1.5, 3, 0.17, 127.5, -4])
ARITHMETIC_STEPS = st.lists(
    st.tuples(st.sampled_from(["*", "/", "+", "-", "neg", ".mul", ".div", ".add", ".sub"]), NUMBERS, st.booleans()),
    min_size=1,
    max_size=5,
)


class Arithmetic(torch.nn.Module):
    """x put through (operator, number, whether the tensor comes first) steps, as a forward() writes them."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def forward(self, x):
        for operator_, number, tensor_first in self.steps:
            if operator_ == "neg":
                x = -x
            elif operator_.startswith("."):  # a method: the tensor comes first
                x = getattr(x, operator_[1:])(number)
            elif operator_ == "*":
                x = x * number if tensor_first else number * x
            elif operator_ == "+":
                x = x + number if tensor_first else number + x
            elif operator_ == "-":
                x = x - number if tensor_first else number - x
            else:
                x = x / number  # number / x is not a rescale: test_a_number_over_a_tensor_is_no_rescale
        return x


def run_exported(text: str, x, tmp_path):
    """The output of the torch module `symcnn export` writes for `text`, on x."""
    model = import_source(torch_code.render(parse(text), symcnn.loads(text)), tmp_path).build().eval()
    with torch.no_grad():
        return model(x)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ARITHMETIC_STEPS)
def test_constant_arithmetic_imports_as_rescale_and_exports_the_same_function(steps, tmp_path):
    module = Arithmetic(steps).eval()
    text = symcnn.from_torch(module, (3, 4, 5))
    rows = symcnn.loads(text).rows
    assert [row.keyword for row in rows] == ["rescale"] * len(steps)
    x = torch.randn(2, 3, 4, 5)
    with torch.no_grad():
        expected = module(x)
    torch.testing.assert_close(run_exported(text, x, tmp_path), expected, rtol=1e-5, atol=1e-5)


def test_a_scaled_residual_branch_imports_and_exports_as_the_model_computes(tmp_path):
    class ScaledResidual(torch.nn.Module):  # Inception-ResNet's x + 0.17 * branch(x), after one conv
        def __init__(self):
            super().__init__()
            self.stem, self.branch = torch.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(8, 8, 3, padding=1)

        def forward(self, x):
            y = self.stem(x)
            return y + 0.17 * self.branch(y)

    module = ScaledResidual().eval()
    text = symcnn.from_torch(module, (3, 9, 9))
    assert "residual {" in text and "rescale 0.17" in text and "opaque" not in text
    exported = import_source(torch_code.render(parse(text), symcnn.loads(text)), tmp_path).build().eval()
    exported.load_state_dict({new: old for new, old in zip(exported.state_dict(), module.state_dict().values())})
    x = torch.randn(2, 3, 9, 9)
    with torch.no_grad():
        torch.testing.assert_close(exported(x), module(x))


@pytest.mark.parametrize(
    "forward", [lambda x: 2 / x, lambda x: torch.add(x, 1, alpha=2), lambda x: torch.div(x, 2, rounding_mode="floor")]
)
def test_a_number_over_a_tensor_is_no_rescale(forward):
    class Other(torch.nn.Module):
        def forward(self, x):
            return forward(x)

    with pytest.raises(SymcnnError, match="symcnn has no layer for it"):
        symcnn.from_torch(Other(), (3, 4, 5))


def test_constant_arithmetic_through_torch_export_is_a_rescale():
    class Branchy(torch.nn.Module):
        def forward(self, x):
            if x.shape[-1] > 4:  # control flow on a shape: torch.fx cannot trace it
                x = x[..., :4]
            return (x / 255.0 - 0.5) * 2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = symcnn.from_torch(Branchy(), (3, 4, 4))
    assert "torch.export" in text and "rescale 1 / 255\nrescale 1, offset=-0.5\nrescale 2\n" in text
