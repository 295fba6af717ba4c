"""The model zoo (examples/zoo/) against PyTorch, layer by layer.

AlexNet, VGG-16 and the ResNets are torchvision's own models (weights=None);
LeNet-5, MobileNet v1 and U-Net, which no framework has, are written here with
torch.nn. (tests/test_zoo_frameworks.py compares every zoo network with
torchvision or keras.applications stage by stage, and their MACs with
torchinfo.) A forward pass on zeros, with a forward hook on every leaf module,
gives every layer's actual output shape in execution order. symcnn's rows are
matched to those calls one to one (a residual's `add`, a concat, and a flatten
where torchvision calls torch.flatten have no torch module) and must agree on

* the module type (so the matching cannot drift),
* the output shape and the parameter count of every layer,
* the MACs of every layer, counted here from the torch module's attributes and
  the hooked input and output (conv: output elements x in_channels/groups x
  kernel area; transposed conv: input elements x out_channels/groups x kernel
  area; linear: in_features x out_features per output row), never from
  symcnn's formulas.

The totals must equal the published parameter counts exactly and the
published MACs within 0.1% (torchvision labels them GFLOPS; they are
multiply-adds of conv and linear layers). MobileNet v1's figures must round or
truncate to Howard et al. 2017's Tables 6 and 7. Every zoo file must pass
`symcnn check` through the installed console script.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import sympy
from frameworks import torchvision
from torch import nn

import symcnn
from symcnn.claims import check_claims

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "examples" / "zoo"
SCRIPT = Path(sys.executable).parent / ("symcnn.exe" if os.name == "nt" else "symcnn")
ZOO_FILES = sorted(ZOO.glob("*.cnn"))

torch.set_num_threads(2)


# PyTorch definitions ------------------------------------------------------------


def lenet5(resolution: int = 32) -> nn.Module:
    side = ((resolution - 4) // 2 - 4) // 2
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * side * side, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )  # fmt: skip


def torchvision_model(name: str):
    """A builder of torchvision's own model (weights=None)."""
    return lambda: getattr(torchvision().models, name)(weights=None)


MOBILENET_V1 = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


def mobilenet_v1(alpha: Fraction = Fraction(1)) -> nn.Module:
    """Howard et al. 2017, Table 1 (with the last depthwise layer at stride 1) and Figure 3."""

    def width(c: int) -> int:
        scaled = c * alpha
        assert scaled.denominator == 1, f"{c} x {alpha} is not a whole number of channels"
        return int(scaled)

    def conv_bn_relu(inp: int, out: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
        conv = nn.Conv2d(inp, out, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False)
        return [conv, nn.BatchNorm2d(out), nn.ReLU(inplace=True)]

    channels = width(32)
    layers = conv_bn_relu(3, channels, 3, stride=2)
    for out, stride in MOBILENET_V1:
        layers += conv_bn_relu(channels, channels, 3, stride, groups=channels)  # depthwise
        layers += conv_bn_relu(channels, width(out), 1)  # pointwise
        channels = width(out)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 1000), nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


class CropLike(nn.Module):
    """U-Net's crop-and-copy: x cropped around its center to the size of `like`, the odd element at the end."""

    def forward(self, x, like):
        (height, width), (top, left) = like.shape[-2:], ((n - m) // 2 for n, m in zip(x.shape[-2:], like.shape[-2:]))
        return x[..., top : top + height, left : left + width]


def unet(base: int = 64) -> nn.Module:
    """Ronneberger et al. 2015, Figure 1: valid 3x3 convs, 2x2 max pools, 2x2 up-convs, copy and crop."""

    def double_conv(inp: int, out: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(inp, out, 3), nn.ReLU(), nn.Conv2d(out, out, 3), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            widths = [1] + [base * 2**level for level in range(5)]
            for level in range(1, 5):
                self.add_module(f"enc{level}", double_conv(widths[level - 1], widths[level]))
                self.add_module(f"maxpool{level}", nn.MaxPool2d(2))
            self.bottom = double_conv(widths[4], widths[5])
            for level in range(4, 0, -1):  # crop1 is the deepest, as symcnn numbers them
                self.add_module(f"up{level}", nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2))
                self.add_module(f"crop{5 - level}", CropLike())
                self.add_module(f"dec{level}", double_conv(widths[level + 1], widths[level]))
            self.final = nn.Conv2d(base, 2, 1)

        def forward(self, x):
            copies = {}
            for level in range(1, 5):
                copies[level] = x = getattr(self, f"enc{level}")(x)
                x = getattr(self, f"maxpool{level}")(x)
            x = self.bottom(x)
            for level in range(4, 0, -1):
                x = getattr(self, f"up{level}")(x)
                copy = getattr(self, f"crop{5 - level}")(copies[level], x)
                x = getattr(self, f"dec{level}")(torch.cat((copy, x), dim=1))
            return self.final(x)

    return UNet()


# Tracing and counting -------------------------------------------------------------


def trace(model: nn.Module, input_shape: tuple[int, ...], device: str = "cpu"):
    """(module, input shape, output shape), without the batch dim, for every leaf-module call, in execution order.

    On the "meta" device torch computes every shape, and refuses what it refuses on the CPU, without arithmetic."""
    calls, handles = [], []

    def record(module, args, out):
        calls.append((module, tuple(args[0].shape[1:]), tuple(out.shape[1:])))

    for module in model.modules():
        if not list(module.children()):
            handles.append(module.register_forward_hook(record))
    model.to(device).eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        for handle in handles:
            handle.remove()
    return calls


def module_macs(module: nn.Module, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> int:
    """Multiply-adds from the module's attributes and its actual input and output shapes (batch 1)."""
    if isinstance(module, nn.Conv2d):
        return math.prod(out_shape) * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.ConvTranspose2d):  # each input element scattered through its group's weights
        return math.prod(in_shape) * (module.out_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return (math.prod(out_shape) // module.out_features) * module.in_features * module.out_features
    return 0


def module_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# symcnn keyword -> the torch module class its row must match
TORCH_TYPES = {
    "conv": nn.Conv2d,
    "convtranspose": nn.ConvTranspose2d,
    "crop": CropLike,
    "batchnorm": nn.BatchNorm2d,
    "relu": nn.ReLU,
    "maxpool": nn.MaxPool2d,
    "adaptiveavgpool": nn.AdaptiveAvgPool2d,
    "flatten": nn.Flatten,
    "dense": nn.Linear,
    "dropout": nn.Dropout,
    "softmax": nn.Softmax,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
    "silu": nn.SiLU,
    "sigmoid": nn.Sigmoid,
    "droppath": torchvision().ops.StochasticDepth,
}
# rows with no torch module: the residual add is `out += identity`, a gate's product `scale * input`
JOINS = ("add", "concat", "scale")


def as_int(value) -> int:
    value = sympy.sympify(value)
    assert value.is_Integer, f"not a concrete integer: {value}"
    return int(value)


def compare_layers(network, model: nn.Module, input_shape: tuple[int, ...], device: str = "cpu") -> dict[str, int]:
    """Every symcnn row against its torch call; returns the torch totals."""
    calls = trace(model, input_shape, device)
    # torchvision's models call torch.flatten, a function: there the flatten row has no module either.
    has_flatten = any(isinstance(module, nn.Flatten) for module in model.modules())
    functional = JOINS if has_flatten else (*JOINS, "flatten")
    rows = [row for row in network.rows if row.keyword not in functional]
    assert [row.keyword for row in rows if row.keyword not in TORCH_TYPES] == []
    assert len(rows) == len(calls), f"{len(rows)} symcnn layer rows, {len(calls)} torch leaf-module calls"
    torch_params, torch_macs = 0, 0
    counted = set()  # a module called twice (torchvision's shared ReLU) owns its parameters once
    for row, (module, in_shape, shape) in zip(rows, calls):
        where = f"{row.name} ({row.keyword}) vs {type(module).__name__}"
        assert isinstance(module, TORCH_TYPES[row.keyword]), where
        assert tuple(as_int(d) for d in row.output.dims) == shape, where
        params = module_params(module) if id(module) not in counted else 0
        counted.add(id(module))
        assert as_int(row.params) == params, where
        macs = module_macs(module, in_shape, shape)
        assert as_int(row.macs) == macs, where
        torch_params += params
        torch_macs += macs
    for row in network.rows:
        if row.keyword in functional:
            assert as_int(row.params) == 0 and as_int(row.macs) == 0
    assert torch_params == module_params(model)
    assert as_int(network.totals["params"]) == torch_params
    assert as_int(network.totals["macs"]) == torch_macs
    return {"params": torch_params, "macs": torch_macs}


# The published figures ------------------------------------------------------------

# name: (builder, input shape, params, MACs in G) -- torchvision's model docs for all but LeNet-5.
PUBLISHED = {
    "lenet5": (lenet5, (1, 32, 32), 61_706, None),
    "alexnet": (torchvision_model("alexnet"), (3, 224, 224), 61_100_840, 0.714),
    "vgg16": (torchvision_model("vgg16"), (3, 224, 224), 138_357_544, 15.47),
    "resnet18": (torchvision_model("resnet18"), (3, 224, 224), 11_689_512, 1.814),
    "resnet50": (torchvision_model("resnet50"), (3, 224, 224), 25_557_032, 4.089),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_every_layer_matches_torch_and_totals_match_published(name):
    build, input_shape, params, giga_macs = PUBLISHED[name]
    network = symcnn.load(str(ZOO / f"{name}.cnn"))
    assert tuple(as_int(d) for d in network.input.dims) == input_shape
    totals = compare_layers(network, build(), input_shape)
    assert totals["params"] == params
    if giga_macs is not None:
        error = abs(totals["macs"] / (giga_macs * 1e9) - 1)
        assert error < 1e-3, f"{name}: {totals['macs']:,} MACs is {error:.4%} from the published {giga_macs} G"


@pytest.mark.parametrize(
    "name, resolution", [("alexnet", 193), ("resnet18", 161), ("resnet50", 97), ("vgg16", 64), ("lenet5", 37)]
)
def test_every_layer_matches_torch_at_another_resolution(name, resolution):
    build, input_shape, params, _ = PUBLISHED[name]
    network = symcnn.load(str(ZOO / f"{name}.cnn"), overrides={"R": resolution})
    totals = compare_layers(
        network, build() if name != "lenet5" else lenet5(resolution), (input_shape[0], resolution, resolution)
    )
    if name != "lenet5":  # adaptive pooling: the same classifier whatever the resolution
        assert totals["params"] == params


@pytest.mark.parametrize("name, smallest", [("alexnet", 63), ("vgg16", 32), ("resnet50", 1)])
def test_the_smallest_valid_resolution_agrees_with_torch(name, smallest):
    build, input_shape, _, _ = PUBLISHED[name]
    network = symcnn.load(str(ZOO / f"{name}.cnn"), symbolic=["R"])
    conditions = [c.predicate for c in network.conditions]
    assert conditions or smallest == 1

    def holds(resolution: int) -> bool:
        known = network.assign({"R": resolution})
        return all(bool(condition.xreplace(known)) for condition in conditions)

    assert holds(smallest) and (smallest == 1 or not holds(smallest - 1))
    compare_layers(symcnn.load(str(ZOO / f"{name}.cnn"), overrides={"R": smallest}), build(), (3, smallest, smallest))
    if smallest > 1:
        with pytest.raises(symcnn.SymcnnError):
            symcnn.load(str(ZOO / f"{name}.cnn"), overrides={"R": smallest - 1})
        with pytest.raises(RuntimeError):
            trace(build(), (3, smallest - 1, smallest - 1))


@pytest.mark.parametrize(
    "name, resolution",
    [("mobilenet_v3_large", 224), ("mobilenet_v3_large", 97), ("efficientnet_b0", 224), ("efficientnet_b0", 161)],
)
def test_every_layer_of_the_gated_networks_matches_torch(name, resolution):
    """The activations too, which no count shows: hard-swish or ReLU, SiLU, the gates' sigmoids."""
    network = symcnn.load(str(ZOO / f"{name}.cnn"), overrides={"R": resolution})
    compare_layers(network, torchvision_model(name)(), (3, resolution, resolution))


def test_resnet50_is_v1_5_with_the_stride_on_the_3x3():
    network = symcnn.load(str(ZOO / "resnet50.cnn"))
    down = [row for row in network.rows if row.name.startswith("layer2.bottleneck_down1.conv")]
    assert [tuple(as_int(d) for d in row.output.dims) for row in down] == [(128, 56, 56), (128, 28, 28), (512, 28, 28)]


# MobileNet v1 ----------------------------------------------------------------------

ALPHAS = {"1": Fraction(1), "0.75": Fraction(3, 4), "0.5": Fraction(1, 2), "0.25": Fraction(1, 4)}
# Howard et al. 2017, Table 6 (resolution 224): alpha -> (million mult-adds, million params)
TABLE_6 = {"1": (569, "4.2"), "0.75": (325, "2.6"), "0.5": (149, "1.3"), "0.25": (41, "0.5")}
# Table 7 (alpha 1): resolution -> million mult-adds
TABLE_7 = {224: 569, 192: 418, 160: 290, 128: 186}


def figure_matches(value: int, unit: int, published: str) -> bool:
    """`value` / `unit` rounded (half up) or truncated to as many decimals as `published` shows."""
    decimals = len(published.partition(".")[2])
    scale = 10**decimals
    scaled = Fraction(value, unit) * scale
    target = Fraction(published) * scale
    return target in (math.floor(scaled), math.floor(scaled + Fraction(1, 2)))


def test_figure_matching_rounds_or_truncates():
    assert figure_matches(470_072, 10**6, "0.5")  # rounded
    assert figure_matches(470_072, 10**6, "0.4")  # truncated
    assert not figure_matches(470_072, 10**6, "0.3") and not figure_matches(470_072, 10**6, "0.6")
    assert figure_matches(470_072, 10**6, "0.47") and not figure_matches(470_072, 10**6, "0.48")
    assert figure_matches(290_675_200, 10**6, "290")  # truncated
    assert figure_matches(290_675_200, 10**6, "291")  # rounded
    assert not figure_matches(290_675_200, 10**6, "292")


@pytest.mark.parametrize("alpha", sorted(ALPHAS))
def test_mobilenet_width_multipliers_give_whole_channels(alpha):
    for channels in (32, 64, 128, 256, 512, 1024):
        assert (channels * ALPHAS[alpha]).denominator == 1


MOBILENET_CASES = [(a, 224) for a in sorted(ALPHAS)] + [("1", r) for r in (192, 160, 128)] + [("0.5", 193)]


@pytest.mark.parametrize("alpha, resolution", MOBILENET_CASES)
def test_mobilenet_v1_matches_torch_and_the_paper(alpha, resolution):
    network = symcnn.load(str(ZOO / "mobilenet_v1.cnn"), overrides={"alpha": alpha, "R": resolution})
    totals = compare_layers(network, mobilenet_v1(ALPHAS[alpha]), (3, resolution, resolution))
    if resolution == 224:
        macs, params = TABLE_6[alpha]
        assert figure_matches(totals["macs"], 10**6, str(macs)), totals
        assert figure_matches(totals["params"], 10**6, params), totals
    if alpha == "1":
        assert figure_matches(totals["macs"], 10**6, str(TABLE_7[resolution])), totals
    results = check_claims(network)  # the file's claims are formulas in alpha and R
    assert results and all(result.ok is True for result in results), [r.claim.text for r in results if r.ok is not True]
    final = network.row("dw_sep13.pw").output.dims
    side = -(-resolution // 32)
    assert tuple(as_int(d) for d in final) == (as_int(1024 * ALPHAS[alpha]), side, side)


def test_mobilenet_v1_last_depthwise_at_stride_2_cannot_give_7x7():
    text = (ZOO / "mobilenet_v1.cnn").read_text()
    line = "dw_sep 1024 * alpha, 1024 * alpha, s=1"
    assert line in text
    network = symcnn.loads(text.replace(line, line.replace("s=1", "s=2")))
    assert tuple(as_int(d) for d in network.row("dw_sep13.dw").output.dims) == (1024, 4, 4)


def test_mobilenet_v1_params_are_a_polynomial_in_alpha():
    alpha = sympy.Symbol("alpha")
    network = symcnn.load(str(ZOO / "mobilenet_v1.cnn"), symbolic=["alpha"])
    params = network.closed_form(network.totals["params"])
    assert params is not None
    params = params.xreplace({s: alpha for s in params.free_symbols if s.name == "alpha"})
    assert params.free_symbols == {alpha}
    poly = sympy.Poly(params, alpha)
    assert poly.all_coeffs() == [3_139_584, 1_091_392, 1000]  # as claimed in the file
    for text, value in ALPHAS.items():
        concrete = symcnn.load(str(ZOO / "mobilenet_v1.cnn"), overrides={"alpha": text})
        assert poly.eval(sympy.Rational(value.numerator, value.denominator)) == concrete.totals["params"]


# U-Net ------------------------------------------------------------------------------

UNET = ZOO / "unet.cnn"
UNET_STAGES = [f"enc{level}" for level in range(1, 5)] + ["bottom"]
UNET_STAGES += [f"{part}{level}" for level in range(4, 0, -1) for part in ("up", "dec")] + ["final"]


def unet_torchinfo(resolution: int):
    """torchinfo's summary of the hand-built U-Net on the meta device, with every stage's output shape and the
    two counts in which its mult-adds differ from symcnn's MACs, both taken from the hooked modules: a bias
    element per output position, and a transposed conv's weights counted at every output position where each
    input element is what they multiply."""
    torchinfo = pytest.importorskip("torchinfo")
    with torch.device("meta"):
        model = unet().eval()
    modules = dict(model.named_modules())
    stage_shapes, biases, transposed = {}, [], []

    def record(name):
        return lambda module, args, out: stage_shapes.__setitem__(name, tuple(out.shape[1:]))

    def counts(module, args, out):
        positions = math.prod(out.shape[2:])
        biases.append(module.bias.numel() * positions)
        if isinstance(module, nn.ConvTranspose2d):
            transposed.append(module.weight.numel() * (positions - math.prod(args[0].shape[2:])))

    handles = [modules[name].register_forward_hook(record(name)) for name in UNET_STAGES]
    handles += [
        m.register_forward_hook(counts) for m in model.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)
    ]
    try:
        with torch.no_grad():
            summary = torchinfo.summary(model, input_size=(1, 1, resolution, resolution), device="meta", verbose=0)
    finally:
        for handle in handles:
            handle.remove()
    return summary, stage_shapes, sum(biases), sum(transposed)


def test_unet_is_the_papers_at_572():
    network = symcnn.load(str(UNET))
    assert tuple(as_int(d) for d in network.input.dims) == (1, 572, 572)
    totals = compare_layers(network, unet(), (1, 572, 572), device="meta")
    assert totals["params"] == 31_030_658  # the standard configuration's count
    final = network.row("final")
    assert tuple(as_int(d) for d in final.output.dims) == (2, 388, 388)  # Figure 1's output map


# 188 is the smallest valid input; 189 ... 203 pool odd sizes (torch floors, as symcnn does); 252 and 572 are
# the paper's seamless sizes (R = 12 mod 16), 573 is not.
@pytest.mark.parametrize("resolution", [188, 189, 195, 203, 252, 300, 572, 573])
def test_unet_matches_torch_layer_by_layer_and_torchinfo(resolution):
    network = symcnn.load(str(UNET), overrides={"R": resolution})
    totals = compare_layers(network, unet(), (1, resolution, resolution), device="meta")
    summary, stage_shapes, biases, transposed = unet_torchinfo(resolution)
    assert set(stage_shapes) == set(UNET_STAGES)
    for name in UNET_STAGES:
        assert tuple(as_int(d) for d in network.quantity(name, "output_shape")) == stage_shapes[name], name
    assert as_int(network.totals["params"]) == summary.total_params == totals["params"]
    assert summary.total_mult_adds == as_int(network.totals["macs"]) + biases + transposed


@pytest.mark.parametrize("resolution", [1, 60, 100, 124, 172, 187])
def test_unet_below_its_smallest_valid_input_fails_in_symcnn_and_in_torch(resolution):
    with pytest.raises(symcnn.SymcnnError):
        symcnn.load(str(UNET), overrides={"R": resolution})
    with pytest.raises(RuntimeError):
        trace(unet(), (1, resolution, resolution))  # on the CPU: torch itself refuses


def test_unet_valid_inputs_are_solved_exactly_and_agree_with_torch(symcnn_cli):
    network = symcnn.load(str(UNET), symbolic=["R"])
    (requirement,) = network.requirements  # one bound: the crops always fit (each one's condition drops out)
    (resolution,) = network.symbols
    assert requirement.predicate.lhs == resolution and isinstance(requirement.predicate, sympy.Ge)
    smallest = as_int(requirement.predicate.rhs)
    trace(unet(), (1, smallest, smallest))
    with pytest.raises(RuntimeError):
        trace(unet(), (1, smallest - 1, smallest - 1))
    code, out, _ = symcnn_cli("solve", UNET)
    assert code == 0 and f"R ≥ {smallest}" in out and "exact" in out and "search" not in out


def test_unet_every_pool_halves_an_even_size_exactly_when_r_is_12_mod_16():
    """The paper's seamless tiling needs every 2x2 max pool on an even size (torch floors an odd one, as symcnn
    does: the network is valid from 188 on either way). From the pools' input sizes as formulas in R."""
    network = symcnn.load(str(UNET), symbolic=["R"])
    pooled = [network.closed_form(row.input.dims[1]) for row in network.rows if row.keyword == "maxpool"]
    output = network.closed_form(network.output.dims[1])
    for resolution in range(188, 188 + 64):
        known = network.assign({"R": resolution})
        even = all(as_int(size.xreplace(known)) % 2 == 0 for size in pooled)
        assert even == (resolution % 16 == 12), resolution
        if even:  # then each level loses exactly what Figure 1 shows: 572 -> 388
            assert as_int(output.xreplace(known)) == resolution - 184


# The command line ---------------------------------------------------------------------


def run(*args):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env, encoding="utf-8")


def test_the_zoo_is_complete():
    assert {path.stem for path in ZOO_FILES} >= set(PUBLISHED) | {"mobilenet_v1"}


@pytest.mark.parametrize("path", ZOO_FILES, ids=lambda path: path.stem)
def test_symcnn_check_passes(path):
    result = run("check", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed" not in result.stdout


def test_summary_shows_mobilenet_params_as_a_polynomial_in_alpha():
    result = run("summary", ZOO / "mobilenet_v1.cnn", "--symbolic", "alpha")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("Total params:"))
    assert "alpha²" in line and "alpha" in line.replace("alpha²", "") and "⌊" not in line, line


def test_resnet50_with_symbolic_resolution_evaluates_to_the_concrete_counts():
    network = symcnn.load(str(ZOO / "resnet50.cnn"), symbolic=["R"])
    macs = network.closed_form(network.totals["macs"])
    (R,) = macs.free_symbols
    for resolution in (224, 160, 193):
        concrete = symcnn.load(str(ZOO / "resnet50.cnn"), overrides={"R": resolution})
        assert macs.xreplace({R: resolution}) == concrete.totals["macs"]
    assert network.totals["params"] == 25_557_032
