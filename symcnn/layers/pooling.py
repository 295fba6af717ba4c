"""Pooling: windowed max/average, global, and adaptive (torch.nn.*Pool*, keras.layers.*Pooling*)."""

from __future__ import annotations

from sympy import Integer

from ..receptive import Window
from .base import (
    WHOLE_FIELD,
    WINDOW,
    Layer,
    LayerContext,
    Option,
    Output,
    Shape,
    Word,
    at_most,
    padding_pairs,
    per_dim,
)
from .window import slide


class WindowPool(Layer):
    """maxpool / avgpool with a sliding window."""

    placeholders = WINDOW

    def __init__(self, keyword: str, titles: tuple[str, str], dilated: bool):
        self.keyword = self.prefix = keyword
        self.titles = titles
        self.dilated = dilated
        self.example = f"{keyword} 2"
        self.options = (
            Option("size", "sizes", positional=True, aliases=("kernel", "k")),
            Option("stride", "sizes", default=None, aliases=("s",)),
            Option("padding", "padding", default=Word("valid"), aliases=("p",), words=("valid", "same")),
            *((Option("dilation", "sizes", default=1, aliases=("d",)),) if dilated else ()),
            Option("ceil_mode", "flag", default=False),
        )

    def title(self, shape: Shape, torch: bool) -> str:
        return f"{self.titles[0]}{shape.rank}d" if torch else f"{self.titles[1]}{shape.rank}D"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        ctx.require_spatial(shape, hint="pool before flatten")
        args, rank = ctx.args, shape.rank
        size = per_dim(ctx, "size", args.size, rank)
        stride = size if args.stride is None else per_dim(ctx, "stride", args.stride, rank)
        dilation = per_dim(ctx, "dilation", args.dilation, rank) if self.dilated else (1,) * rank
        padding = padding_pairs(ctx, args.padding, rank)
        if ctx.torch:
            padding = self._torch_padding(ctx, padding, size, dilation)
            if rank == 3 and not self.dilated:  # only AvgPool3d checks this (aten's pool3d_shape_check)
                for n, k in zip(shape.spatial, size):
                    ctx.require(
                        at_most(k, n),
                        "PyTorch's 3-d average pooling needs an input at least as large as the kernel",
                        f"{n} < {k}",
                    )
        else:
            self._check_keras(ctx, padding, dilation)
        steps, windows = slide(shape, size, stride, dilation, padding, ctx.torch, args.ceil_mode)
        return Output(shape.with_spatial([step.result for step in steps], shape.channels), steps, windows)

    def _torch_padding(self, ctx: LayerContext, padding, size, dilation):
        if padding == Word("same"):
            raise ctx.fail(
                "PyTorch pooling has no padding=same", "padding", "give the padding, or use 'convention keras'"
            )
        for (left, right), k, d in zip(padding, size, dilation):
            if left != right:
                raise ctx.fail("PyTorch pooling pads both sides equally", "padding", "give one number per dim")
            # PyTorch: "pad should be at most half of kernel size", the kernel undilated.
            ctx.require(
                at_most(2 * left, k), "padding must be at most half the kernel size", f"padding {left}, kernel {k}"
            )
        return padding

    def _check_keras(self, ctx: LayerContext, padding, dilation) -> None:
        if not isinstance(padding, Word) and any(pad != 0 for pair in padding for pad in pair):
            raise ctx.fail("Keras pooling takes padding=valid or padding=same", "padding", "or use 'convention torch'")
        if ctx.args.ceil_mode:
            raise ctx.fail("Keras pooling has no ceil_mode", "ceil_mode", "use 'convention torch'")
        if any(d != 1 for d in dilation):
            raise ctx.fail("Keras pooling has no dilation", "dilation", "use 'convention torch'")


class GlobalPool(Layer):
    """Pools each channel to one value; the output is (C) unless keepdims=true."""

    def __init__(self, keyword: str, title: str):
        self.keyword = self.prefix = keyword
        self.name = title
        self.example = keyword
        self.options = (Option("keepdims", "flag", default=False),)

    def title(self, shape: Shape, torch: bool) -> str:
        return f"{self.name}{shape.rank}D"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        ctx.require_spatial(shape, hint="pool before flatten")
        whole = tuple(Window(n, 1, 1, 0) for n in shape.spatial)
        if ctx.args.keepdims:
            return Output(shape.with_spatial([Integer(1)] * shape.rank, shape.channels), windows=whole)
        return Output(Shape("C", (shape.channels,)), windows=whole)


class AdaptivePool(Layer):
    """Pools to a given output size whatever the input size (torch.nn.AdaptiveAvgPoolNd)."""

    def __init__(self, keyword: str, title: str):
        self.keyword = self.prefix = keyword
        self.name = title
        self.example = f"{keyword} 7"
        # None keeps that dim's input size, as in torch's AdaptiveAvgPool2d((None, 7)).
        self.options = (Option("size", "sizes", positional=True, aliases=("output_size",), words=("None", "none")),)

    def title(self, shape: Shape, torch: bool) -> str:
        return f"{self.name}{shape.rank}d"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        ctx.require_spatial(shape, hint="pool before flatten")
        given = per_dim(ctx, "size", ctx.args.size, shape.rank)
        size = tuple(n if isinstance(s, Word) else s for n, s in zip(shape.spatial, given))
        # Windows are equal only when each output size divides its input size; else not tracked.
        exact = all(n.is_Integer and s.is_Integer and n % s == 0 for n, s in zip(shape.spatial, size))
        windows = tuple(Window(n // s, n // s, 1, 0) for n, s in zip(shape.spatial, size)) if exact else WHOLE_FIELD
        return Output(shape.with_spatial(size, shape.channels), windows=windows)


LAYERS = [
    WindowPool("maxpool", ("MaxPool", "MaxPooling"), dilated=True),
    WindowPool("avgpool", ("AvgPool", "AveragePooling"), dilated=False),
    GlobalPool("globalavgpool", "GlobalAveragePooling"),
    GlobalPool("globalmaxpool", "GlobalMaxPooling"),
    AdaptivePool("adaptiveavgpool", "AdaptiveAvgPool"),
    AdaptivePool("adaptivemaxpool", "AdaptiveMaxPool"),
]
