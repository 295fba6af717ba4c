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

import torch
import torch.nn.functional as functional
from hypothesis import given, note, settings
from hypothesis import strategies as st

import symcnn
from symcnn.errors import SymcnnError

INPUT = {1: (160,), 2: (64, 60)}
SCALES = (2, 3, 1.5, 2.5)


class Crop(torch.nn.Module):
    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs

    def forward(self, x):
        for axis, (left, right) in enumerate(self.pairs, start=2):
            x = x.narrow(axis, left, x.shape[axis] - left - right)
        return x


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
    for parameter in module.parameters():
        torch.nn.init.constant_(parameter, 1.0)
    return module


@st.composite
def layer(draw, rank: int):
    """(DSL line, torch module) for one random layer."""
    per_axis = lambda strategy: tuple(draw(strategy) for _ in range(rank))  # noqa: E731
    kind = draw(st.sampled_from(["conv", "maxpool", "avgpool", "convtranspose", "upsample", "crop", "zeropad"]))
    dims = {1: "1d", 2: "2d"}[rank]
    if kind == "conv":
        k, s, d, p = (
            per_axis(st.integers(1, 4)),
            per_axis(st.integers(1, 2)),
            per_axis(st.integers(1, 2)),
            per_axis(st.integers(0, 2)),
        )
        line = f"conv 1, {dsl(k)}, stride={dsl(s)}, dilation={dsl(d)}, padding={dsl(p)}, bias=false"
        return line, constant(getattr(torch.nn, f"Conv{dims}")(1, 1, k, s, p, d, bias=False))
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
    if kind == "convtranspose":
        k, s, d, p = (
            per_axis(st.integers(1, 4)),
            per_axis(st.integers(1, 3)),
            per_axis(st.integers(1, 2)),
            per_axis(st.integers(0, 2)),
        )
        extra = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d))
        line = (
            f"convtranspose 1, {dsl(k)}, stride={dsl(s)}, dilation={dsl(d)}, padding={dsl(p)}, "
            f"output_padding={dsl(extra)}, bias=false"
        )
        module = getattr(torch.nn, f"ConvTranspose{dims}")(1, 1, k, s, p, extra, dilation=d, bias=False)
        return line, constant(module)
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
    model = torch.nn.Sequential(*(module for _, module in layers)).double()
    field = network.rows[-1].receptive
    assert field is not None, "every layer here keeps the field defined"
    for axis in range(rank):
        reached = lit(model, spatial, axis)
        if not reached.any():  # no input reaches any output: along some axis symcnn must say so
            assert 0 in field.size, field.size
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
