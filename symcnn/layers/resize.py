"""Layers that resize the spatial dims without weights: upsampling and zero padding."""

from __future__ import annotations

from ..receptive import Window
from .base import (
    AXIS_NAMES,
    WHOLE_FIELD,
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
    padding_pairs,
    per_dim,
)


class Upsample(Layer):
    """torch.nn.Upsample(scale_factor=s) or (size=...), keras.layers.UpSamplingND(size=s)."""

    keyword = "upsample"
    prefix = "upsample"
    example = "upsample 2"
    placeholders = {N: "input size", S: "stride"}  # the scale, called S as in N·S
    options = (
        Option("scale", "sizes", default=None, positional=True, aliases=("scale_factor",)),
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
        if size is not None:
            return Output(
                shape.with_spatial(per_dim(ctx, "size", size, shape.rank), shape.channels), windows=WHOLE_FIELD
            )
        scales = per_dim(ctx, "scale", scale, shape.rank)
        steps = tuple(
            Step.of(AXIS_NAMES[axis], N * S, {N: n, S: s})
            for axis, n, s in zip(shape.spatial_axes, shape.spatial, scales)
        )
        return Output(shape.with_spatial([step.result for step in steps], shape.channels), steps, WHOLE_FIELD)


class ZeroPad(Layer):
    """torch.nn.ZeroPadNd, keras.layers.ZeroPaddingND: N + P_l + P_r along each dim."""

    keyword = "zeropad"
    prefix = "zeropad"
    example = "zeropad ((0, 1), (0, 1))"
    placeholders = {N: "input size", P_left: "padding before", P_right: "padding after"}
    options = (Option("padding", "padding", positional=True, aliases=("p",)),)

    def title(self, shape: Shape, torch: bool) -> str:
        return f"ZeroPad{shape.rank}d" if torch else f"ZeroPadding{shape.rank}D"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        ctx.require_spatial(shape)
        pairs = padding_pairs(ctx, ctx.args.padding, shape.rank)
        if not isinstance(pairs, tuple):
            raise ctx.fail("zeropad takes numbers, not 'same'", "padding")
        steps = tuple(
            Step.of(AXIS_NAMES[axis], N + P_left + P_right, {N: n, P_left: left, P_right: right})
            for axis, n, (left, right) in zip(shape.spatial_axes, shape.spatial, pairs)
        )
        windows = tuple(Window(1, 1, 1, left) for left, _ in pairs)
        return Output(shape.with_spatial([step.result for step in steps], shape.channels), steps, windows)


LAYERS = [Upsample(), ZeroPad()]
