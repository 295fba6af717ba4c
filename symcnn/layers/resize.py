"""Layers that resize the spatial dims without weights: upsampling, zero padding and cropping."""

from __future__ import annotations

from ..intdiv import FloorDiv
from ..notation import Placeholder, textbook
from ..receptive import Window, upsample_spread
from .base import (
    AXIS_NAMES,
    Layer,
    LayerContext,
    N,
    Option,
    Output,
    P_left,
    P_right,
    S,
    Shape,
    Step,
    at_most,
    padding_pairs,
    per_dim,
)

CROP_LEFT = Placeholder("c_l", integer=True, nonnegative=True)
CROP_RIGHT = Placeholder("c_r", integer=True, nonnegative=True)
CROP_SIZE = Placeholder("T", integer=True, positive=True)


class Upsample(Layer):
    """torch.nn.Upsample(scale_factor=s) or (size=...), keras.layers.UpSamplingND(size=s)."""

    keyword = "upsample"
    prefix = "upsample"
    example = "upsample 2"
    placeholders = {N: "input size", S: "stride"}  # the scale, called S as in N·S
    options = (
        Option("scale", "scales", default=None, positional=True, aliases=("scale_factor",)),
        Option("size", "sizes", default=None),
        Option("mode", "word", default=None, words=("nearest", "linear", "bilinear", "bicubic", "trilinear")),
    )

    def title(self, shape: Shape, torch: bool) -> str:
        return "Upsample" if torch else f"UpSampling{shape.rank}D"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        ctx.require_spatial(shape)
        scale, size = ctx.args.scale, ctx.args.size
        if (scale is None) == (size is None):
            raise ctx.fail("give either a scale or a size", hint="e.g. 'upsample 2' or 'upsample size=(64, 64)'")
        mode = str(ctx.args.mode or "nearest")
        if size is not None:
            sizes = per_dim(ctx, "size", size, shape.rank)
            # torch reads input positions at out/in, the ratio of the sizes, where no scale is given.
            windows = tuple(upsample_spread(target / n, mode) for n, target in zip(shape.spatial, sizes))
            return Output(shape.with_spatial(sizes, shape.channels), windows=windows)
        scales = per_dim(ctx, "scale", scale, shape.rank)
        if all(s.is_integer for s in scales):  # whole numbers, or integer symbols
            steps = tuple(
                Step.of(AXIS_NAMES[axis], N * S, {N: n, S: s})
                for axis, n, s in zip(shape.spatial_axes, shape.spatial, scales)
            )
        elif not ctx.torch:
            raise ctx.fail("Keras upsamples by whole factors", "scale", "use 'convention torch' for a fractional scale")
        else:  # torch.nn.Upsample(scale_factor=1.5): floor(N * S)
            steps = tuple(
                Step(AXIS_NAMES[axis], FloorDiv(N * S, 1, evaluate=False), {N: n, S: s}, _floor_times(n, s))
                for axis, n, s in zip(shape.spatial_axes, shape.spatial, scales)
            )
        windows = tuple(upsample_spread(s, mode) for s in scales)
        return Output(shape.with_spatial([step.result for step in steps], shape.channels), steps, windows)


def _floor_times(n, s):
    """⌊n·s⌋ with one exact integer division where s is a fraction."""
    return FloorDiv(n * s.p, s.q) if s.is_Rational else FloorDiv(n * s, 1)


class ZeroPad(Layer):
    """torch.nn.ZeroPadNd, keras.layers.ZeroPaddingND: N + P_l + P_r along each dim."""

    keyword = "zeropad"
    prefix = "zeropad"
    example = "zeropad ((0, 1), (0, 1))"
    placeholders = {N: "input size", P_left: "padding before", P_right: "padding after"}
    options = (Option("padding", "padding", positional=True, aliases=("p",)),)
    titles = ("ZeroPad{}d", "ZeroPadding{}D")
    before, after = P_left, P_right
    sign = 1  # added at each side; Crop removes

    def title(self, shape: Shape, torch: bool) -> str:
        return self.titles[0 if torch else 1].format(shape.rank)

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        ctx.require_spatial(shape)
        option = self.options[0].name
        pairs = padding_pairs(ctx, ctx.args.get(option), shape.rank, option)
        if not isinstance(pairs, tuple):
            raise ctx.fail(f"{self.keyword} takes numbers, not 'same'", option)
        formula = N + self.sign * (self.before + self.after)
        steps = tuple(
            Step.of(AXIS_NAMES[axis], formula, {N: n, self.before: left, self.after: right})
            for axis, n, (left, right) in zip(shape.spatial_axes, shape.spatial, pairs)
        )
        # Output position i is input position i - P_l (padding), or i + c_l (cropping).
        windows = tuple(Window(1, 1, 1, self.sign * left) for left, _ in pairs)
        return Output(shape.with_spatial([step.result for step in steps], shape.channels), steps, windows)


class Crop(ZeroPad):
    """keras.layers.CroppingND, a slice x[..., c_l : N - c_r] in torch: N - c_l - c_r along each dim.

    The amounts are given as for zeropad; at least one element must be left, as Keras requires.
    `crop size=...` crops to that size around the center instead, the odd element at the end
    (keras.layers.CenterCrop; U-Net's crop-and-copy), and `crop like=NAME` to the size of a named
    earlier output. It never enlarges.
    """

    keyword = "crop"
    prefix = "crop"
    example = "crop ((1, 2), (0, 1))"
    options = (
        Option("cropping", "padding", default=None, positional=True, aliases=("c",)),
        Option("size", "sizes", default=None),
        Option("like", "name", default=None),
    )
    titles = ("Crop{}d", "Cropping{}D")
    placeholders = {
        N: "input size",
        CROP_LEFT: "cropped before",
        CROP_RIGHT: "cropped after",
        CROP_SIZE: "size cropped to",
    }
    before, after = CROP_LEFT, CROP_RIGHT
    sign = -1

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        given = [name for name in ("cropping", "size", "like") if ctx.args.get(name) is not None]
        if len(given) != 1:
            raise ctx.fail(
                "give either the amounts to crop or a size, or like=NAME: one of them",
                hint="e.g. 'crop (1, 2)', 'crop size=(64, 64)' or 'crop like=up1'",
            )
        if given == ["cropping"]:
            return super().output(ctx, shape)
        ctx.require_spatial(shape)
        if given == ["like"]:  # the spatial size of a named earlier output (U-Net's crop-and-copy)
            target = ctx.tensor(ctx.args.like.text, ctx.args.span("like"))
            if target.spatial_axes != shape.spatial_axes:
                raise ctx.fail(f"'{ctx.args.like}' has axes {target.axes}, this input {shape.axes}", "like")
            targets = target.spatial
        else:
            targets = per_dim(ctx, "size", ctx.args.size, shape.rank)
        for n, target in zip(shape.spatial, targets):
            ctx.require(
                at_most(target, n),
                "a center crop cannot be larger than its input",
                lambda n=n, target=target: f"size {textbook(target)} > {textbook(n)}",
                "crop to a smaller size, or pad with zeropad",
            )
        steps = tuple(
            Step.of(AXIS_NAMES[axis], CROP_SIZE, {CROP_SIZE: target})
            for axis, target in zip(shape.spatial_axes, targets)
        )
        windows = tuple(Window(1, 1, 1, -FloorDiv(n - target, 2)) for n, target in zip(shape.spatial, targets))
        return Output(shape.with_spatial(targets, shape.channels), steps, windows)


LAYERS = [Upsample(), ZeroPad(), Crop()]
