"""Receptive fields against PyTorch itself, through every layer that moves pixels.

Random chains of convolutions, max and average pooling, transposed convolutions, upsampling
(nearest and linear, whole and fractional scales), crops and zero padding, 1-d and 2-d, are
built once as DSL text and once as torch modules with every weight a positive constant, so
that nothing cancels. An impulse at one input pixel lights exactly the output positions that
pixel reaches: the columns of the Jacobian, and for max pooling the right measure too (its
gradient reaches only the argmax of each window). symcnn's bounds for every output position
must contain what torch lit, and the largest lit extent must be symcnn's size: a position
away from the borders sees all of its field, and the borders only take pixels away.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch
from frameworks import keras as import_keras
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from sympy import Symbol, sympify
from test_oracle_keras import Crop
from torch.nn import functional

import symcnn
from symcnn.errors import SymcnnError

INPUT = {1: (160,), 2: (64, 60)}
# Elements that one batch of impulses (one per input line) may reach at any layer: five upsamplings or
# transposed convs by 3 make a 64 x 60 map 15,552 x 14,580, which 64 impulses in float64 would need 116 GB for.
IMPULSE_ELEMENTS = 20_000_000
SCALES = (2, 3, 1.5, 2.5)
DSL_DOC = (Path(__file__).resolve().parent.parent / "docs" / "dsl.md").read_text(encoding="utf-8")


class ZeroPad(torch.nn.Module):
    def __init__(self, pairs):
        super().__init__()
        self.pad = tuple(amount for pair in reversed(pairs) for amount in pair)  # F.pad: the last axis first

    def forward(self, x):
        return functional.pad(x, self.pad)


def dsl(values) -> str:
    """One value for a 1-d layer, a tuple for a 2-d one."""
    return str(values[0]) if len(values) == 1 else f"({', '.join(str(v) for v in values)})"


def pairs_dsl(pairs) -> str:
    return "(" + ", ".join(f"({left}, {right})" for left, right in pairs) + ("," if len(pairs) == 1 else "") + ")"


def constant(module: torch.nn.Module) -> torch.nn.Module:
    for name, parameter in module.named_parameters():  # a bias would light every output
        torch.nn.init.constant_(parameter, 0.0 if name.endswith("bias") else 1.0)
    return module


@st.composite
def layer(draw, rank: int):
    """(DSL line, torch module) for one random layer."""
    per_axis = lambda strategy: tuple(draw(strategy) for _ in range(rank))
    kind = draw(st.sampled_from(["conv", "maxpool", "avgpool", "convtranspose", "upsample", "crop", "zeropad"]))
    dims = {1: "1d", 2: "2d"}[rank]
    if kind in ("conv", "convtranspose"):
        k, d, p = per_axis(st.integers(1, 4)), per_axis(st.integers(1, 2)), per_axis(st.integers(0, 2))
        s = per_axis(st.integers(1, 2 if kind == "conv" else 3))
        line = f"{kind} 1, {dsl(k)}, stride={dsl(s)}, dilation={dsl(d)}, padding={dsl(p)}, bias=false"
        if kind == "conv":
            return line, constant(getattr(torch.nn, f"Conv{dims}")(1, 1, k, s, p, d, bias=False))
        extra = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d))
        module = getattr(torch.nn, f"ConvTranspose{dims}")(1, 1, k, s, p, extra, dilation=d, bias=False)
        return f"{line}, output_padding={dsl(extra)}", constant(module)
    if kind in ("maxpool", "avgpool"):
        k = per_axis(st.integers(1, 3))
        s = per_axis(st.integers(1, 3))
        p = tuple(draw(st.integers(0, size // 2)) for size in k)
        ceil_mode = draw(st.booleans())
        line = f"{kind} {dsl(k)}, stride={dsl(s)}, padding={dsl(p)}, ceil_mode={str(ceil_mode).lower()}"
        if kind == "avgpool":
            return line, getattr(torch.nn, f"AvgPool{dims}")(k, s, p, ceil_mode=ceil_mode)
        d = per_axis(st.integers(1, 2))
        return f"{line}, dilation={dsl(d)}", getattr(torch.nn, f"MaxPool{dims}")(k, s, p, d, ceil_mode=ceil_mode)
    if kind == "upsample":
        scales = per_axis(st.sampled_from(SCALES))
        mode = draw(st.sampled_from(["nearest", {1: "linear", 2: "bilinear"}[rank]]))
        return f"upsample {dsl(scales)}, mode={mode}", torch.nn.Upsample(scale_factor=scales, mode=mode)
    pairs = per_axis(st.tuples(st.integers(0, 3), st.integers(0, 3)))
    return f"{kind} {pairs_dsl(pairs)}", (Crop if kind == "crop" else ZeroPad)(pairs)


def lit(model: torch.nn.Module, spatial: tuple[int, ...], axis: int) -> torch.Tensor:
    """lit[u, o]: an impulse on input hyperplane u (along `axis`) reaches output position o (along it)."""
    n = spatial[axis]
    impulses = torch.zeros(n, 1, *spatial, dtype=torch.float64)
    for u in range(n):
        impulses[u].select(axis + 1, u).fill_(1.0)
    with torch.no_grad():
        out = model(impulses)
    reached = out[:, 0] != 0
    others = tuple(a + 1 for a in range(len(spatial)) if a != axis)
    return reached.any(dim=others) if others else reached


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_every_output_position_sees_what_torch_says(data):
    rank = data.draw(st.sampled_from([1, 2]))
    layers = data.draw(st.lists(layer(rank), min_size=1, max_size=5))
    spatial = INPUT[rank]
    text = f"input 1, {', '.join(map(str, spatial))}\n" + "\n".join(line for line, _ in layers) + "\n"
    note(text)
    try:
        network = symcnn.loads(text)
    except SymcnnError:  # too small for the chain (the shapes are checked against torch elsewhere)
        return
    widest = max(math.prod(int(d) for d in row.output.dims) for row in network.rows)
    assume(widest * max(spatial) <= IMPULSE_ELEMENTS)
    assert_field_is_torchs(torch.nn.Sequential(*(module for _, module in layers)), spatial, network.rows[-1].receptive)


def assert_field_is_torchs(model: torch.nn.Module, spatial: tuple[int, ...], field) -> None:
    """Every output position's bounds hold the input pixels torch lights for it; the largest lit extent is the size."""
    model = model.double()
    rank = len(spatial)
    assert field is not None, "every layer here keeps the field defined"
    for axis in range(rank):
        reached = lit(model, spatial, axis)
        if not reached.any():  # no input reaches any output: along some axis no output position sees one
            # (the size is the widest over a period, which may be longer than an output of one or two positions)
            outputs = [range(lit(model, spatial, a).shape[1]) for a in range(rank)]
            assert any(all(field.bounds((o,) * rank)[a] is None for o in outputs[a]) for a in range(rank)), field
            continue
        extents = []
        for o in range(reached.shape[1]):
            pixels = torch.nonzero(reached[:, o]).flatten()
            bounds = field.bounds((o,) * rank)[axis]
            if bounds is None:  # symcnn: no input reaches this position
                assert len(pixels) == 0, (axis, o)
                continue
            if len(pixels):
                first, last = int(pixels.min()), int(pixels.max())
                assert bounds[0] <= first and last <= bounds[1], (axis, o, (first, last), bounds)
                extents.append(last - first + 1)
        # Only positions near the borders see less than their field; a long enough output has others.
        if spatial[axis] >= 3 * field.size[axis] and reached.shape[1] >= 8:
            assert max(extents, default=0) == field.size[axis], (axis, extents, field.size[axis])


def test_the_documented_fields_are_symcnns_and_torchs():
    """docs/dsl.md's table of the example's fields: symcnn's figures, and each layer's field is torch's."""
    section = DSL_DOC[DSL_DOC.index("## Receptive fields") : DSL_DOC.index("## `expect`")]
    text = re.search(r"```cnn\n(.*?)```", section, re.DOTALL).group(1)
    table = re.findall(r"^\| (\w+) \| ([\d/]+) \| ([\d/]+) \| (-?\d+) \|$", section, re.MULTILINE)
    rows = symcnn.loads(text).rows
    shown = [
        (
            row.name,
            *(str(value) for value in (row.receptive.size[0], row.receptive.stride[0], row.receptive.padding[0])),
        )
        for row in rows
    ]
    assert shown == table
    modules = [
        torch.nn.Conv2d(1, 1, 3),
        torch.nn.MaxPool2d(2),
        torch.nn.ConvTranspose2d(1, 1, 2, stride=2),
        torch.nn.Conv2d(1, 1, 2),
        torch.nn.Upsample(scale_factor=2),
        torch.nn.Conv2d(1, 1, 3, padding=1),
    ]
    for count, row in enumerate(rows, start=1):
        assert_field_is_torchs(torch.nn.Sequential(*map(constant, modules[:count])), (64, 64), row.receptive)


class CropAndConcat(torch.nn.Module):
    """U-Net's step: encode, go down and up again, and concatenate the encoder's output cropped to the center."""

    def __init__(self, rank, down, up, after):
        super().__init__()
        self.encode, self.down, self.up, self.after = down[0], torch.nn.Sequential(*down[1:]), up, after

    def forward(self, x):
        skip = self.encode(x)
        up = self.up(self.down(skip))
        for axis in range(2, skip.dim()):  # keras.layers.CenterCrop's offset, the odd element at the end
            skip = skip.narrow(axis, (skip.shape[axis] - up.shape[axis]) // 2, up.shape[axis])
        return self.after(torch.cat((skip, up), dim=1))


@given(st.sampled_from([1, 2]), st.integers(1, 4), st.integers(1, 3), st.integers(2, 3), st.integers(1, 3))
@settings(max_examples=40, deadline=None)
def test_crop_and_concat_is_the_union_of_both_paths(rank, encoder_kernel, bottom_kernel, stride, after_kernel):
    """The join's field runs from the earliest start of either path to the latest end: the cropped copy starts
    elsewhere than the upsampled path."""
    spatial = INPUT[rank]
    dims = {1: "1d", 2: "2d"}[rank]
    conv, transposed = getattr(torch.nn, f"Conv{dims}"), getattr(torch.nn, f"ConvTranspose{dims}")
    text = (
        f"input 1, {', '.join(map(str, spatial))}\n"
        f"enc: conv 1, {encoder_kernel}, bias=false\nmaxpool {stride}\nconv 1, {bottom_kernel}, bias=false\n"
        f"up: convtranspose 1, {stride}, stride={stride}, bias=false\n"
        f"from enc\ncrop like=up\nconcat up\nconv 1, {after_kernel}, bias=false\n"
    )
    note(text)
    model = CropAndConcat(
        rank,
        [
            conv(1, 1, encoder_kernel, bias=False),
            getattr(torch.nn, f"MaxPool{dims}")(stride),
            conv(1, 1, bottom_kernel, bias=False),
        ],
        transposed(1, 1, stride, stride=stride, bias=False),
        conv(2, 1, after_kernel, bias=False),
    )
    assert_field_is_torchs(constant(model), spatial, symcnn.loads(text).rows[-1].receptive)


@given(st.sampled_from([2, 3, 1.5]), st.sampled_from(["bicubic", "bilinear", "nearest"]))
@settings(max_examples=12, deadline=None)
def test_one_upsampling_reads_what_torch_interpolates(scale, mode):
    """Bicubic alone (its weights change sign, so in a chain with others they could cancel)."""
    text = f"input 1, 40, 36\nupsample {scale}, mode={mode}\n"
    model = torch.nn.Upsample(scale_factor=scale, mode=mode)
    assert_field_is_torchs(model, (40, 36), symcnn.loads(text).rows[-1].receptive)


SYMBOLIC = """H = 96
W = 80
F = 3
S = 2
input 1, H, W
enc: conv 4, F, padding=1
maxpool S
conv 4, 3
up: convtranspose 4, 2, stride=2
from enc
crop like=up
concat up
upsample S
conv 4, F
"""


@pytest.mark.parametrize("symbolic", ["H,W", "F", "S", "all"])
@pytest.mark.parametrize("format", ["table", "json", "markdown"])
def test_symbolic_fields_stay_formulas_in_every_format(symcnn_cli, tmp_path, symbolic, format):
    """With symbols kept, each format shows the fields: formulas where the positions read are known, — where not."""
    path = tmp_path / "unet.cnn"
    path.write_text(SYMBOLIC, encoding="utf-8")
    columns = "name,output_shape,receptive_field"
    code, out, err = symcnn_cli("summary", path, "--symbolic", symbolic, "-f", format, "--columns", columns)
    assert code == 0 and "Traceback" not in out + err, err
    if format == "json":
        fields = {layer["name"]: layer["receptive_field"] for layer in json.loads(out)["layers"]}
        if symbolic == "H,W":  # the crops' offsets depend on H and W: formulas, the concrete figures at the defaults
            concrete = {row.name: [int(size) for size in row.receptive.size] for row in symcnn.loads(SYMBOLIC).rows}
            point = {Symbol("H"): 96, Symbol("W"): 80}
            assert {
                name: [int(sympify(size).subs(point)) for size in sizes] for name, sizes in fields.items()
            } == concrete
            assert any(isinstance(size, str) for sizes in fields.values() for size in sizes)
        if symbolic in ("F", "all"):
            assert fields["enc"] == ["F", "F"]
        if symbolic in ("S", "all"):
            assert fields["up"] == "—"  # the pooling's stride is the transposed convolution's jump


class ChannelsLast(torch.nn.Module):
    """A Keras layer (on the torch backend) taking and giving channels-first tensors."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        out = self.layer(x.float().movedim(1, -1))
        return out.movedim(-1, 1).detach()


@given(
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(1, 2),
    st.sampled_from(["same", "valid"]),
    st.integers(1, 3),
)
@settings(max_examples=30, deadline=None)
def test_keras_transposed_conv_crops_where_symcnn_says(kernel, stride, dilation, padding, before):
    """Keras's Conv2DTranspose, 'same' (cropping max(d(F - 1) + 1 - S, 0), the odd one at the end) and 'valid',
    after a conv so that the field is wider than one pixel; the other axis keeps a 1-wide kernel."""
    keras = import_keras()
    if stride > 1 and dilation > 1:  # Keras refuses the pair
        dilation = 1
    spatial = INPUT[2]
    text = (
        f"convention keras\ninput {spatial[0]}, {spatial[1]}, 1\nconv 1, {before}, bias=false\n"
        f"convtranspose 1, (1, {kernel}), stride=(1, {stride}), dilation=(1, {dilation}), padding={padding}, bias=false\n"
    )
    note(text)
    layers = [
        keras.layers.Conv2D(1, before, use_bias=False, kernel_initializer="ones"),
        keras.layers.Conv2DTranspose(
            1,
            (1, kernel),
            strides=(1, stride),
            dilation_rate=(1, dilation),
            padding=padding,
            use_bias=False,
            kernel_initializer="ones",
        ),
    ]
    model = torch.nn.Sequential(*map(ChannelsLast, layers))
    assert_field_is_torchs(model, spatial, symcnn.loads(text).rows[-1].receptive)


class UNetLevel(torch.nn.Module):
    """One level of a 1-channel U-Net: two valid 3-convs, then (below the bottom) pool, the level below,
    a 2-wide transposed conv of stride 2, the crop-and-copy, and two valid 3-convs again."""

    def __init__(self, rank, below):
        super().__init__()
        conv = getattr(torch.nn, f"Conv{rank}d")
        self.encode = torch.nn.Sequential(conv(1, 1, 3), conv(1, 1, 3))
        self.below = below
        if below is not None:
            self.down = getattr(torch.nn, f"MaxPool{rank}d")(2)
            self.up = getattr(torch.nn, f"ConvTranspose{rank}d")(1, 1, 2, stride=2)
            self.decode = torch.nn.Sequential(conv(2, 1, 3), conv(1, 1, 3))

    def forward(self, x):
        skip = self.encode(x)
        if self.below is None:
            return skip
        up = self.up(self.below(self.down(skip)))
        for axis in range(2, skip.dim()):
            skip = skip.narrow(axis, (skip.shape[axis] - up.shape[axis]) // 2, up.shape[axis])
        return self.decode(torch.cat((skip, up), dim=1))


def unet_text(levels: int, size: int) -> str:
    lines = [f"input 1, {size}"]
    for level in range(levels - 1):
        lines += [f"enc{level}: {{ conv 1, 3; conv 1, 3 }}", "maxpool 2"]
    lines.append("conv 1, 3; conv 1, 3")  # the bottom
    for level in reversed(range(levels - 1)):
        lines += [f"up{level}: convtranspose 1, 2, stride=2", f"from enc{level}", f"crop like=up{level}"]
        lines += [f"concat up{level}", "conv 1, 3; conv 1, 3"]
    return "\n".join(lines) + "\n"


def test_a_whole_unet_sees_what_torch_says():
    """Ronneberger et al.'s five levels (four poolings), 1-d and one channel: 572 -> 388 pixels, and at a valid
    input over three times the field (572 + 16·40), so that positions away from the borders show all of it."""
    model = None
    for _ in range(5):
        model = UNetLevel(1, model)
    with torch.no_grad():
        assert int(symcnn.loads(unet_text(5, 572)).rows[-1].output.dims[-1]) == model(torch.zeros(1, 1, 572)).shape[-1]
    field = symcnn.loads(unet_text(5, 1212)).rows[-1].receptive
    assert 3 * field.size[0] <= 1212
    assert_field_is_torchs(constant(model), (1212,), field)
