"""Normalisation layers. Batch norm (torch.nn.BatchNormNd, keras.layers.BatchNormalization):

PyTorch counts 2C parameters (scale and shift) and keeps the running mean and
variance as buffers; Keras counts them too, as 2C non-trainable parameters.
"""

from __future__ import annotations

from .base import C_in, Cost, Layer, LayerContext, Option, Output, Shape, Step, product


class BatchNorm(Layer):
    """`affine=false` drops the scale and shift (torch's affine=False, Keras's center=False, scale=False);
    `scale=false` or `center=false` drops one of them, as Keras can (Inception v3's batch norms have no scale).
    torch's batch norm has both or neither."""

    keyword = "batchnorm"
    prefix = "batchnorm"
    example = "batchnorm"
    placeholders = {C_in: "input channels"}
    options = (
        Option("affine", "flag", default=True),
        Option("scale", "flag", default=True),
        Option("center", "flag", default=True),
    )

    def title(self, shape: Shape, torch: bool) -> str:
        return f"BatchNorm{max(shape.rank, 1)}d" if torch else "BatchNormalization"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        scale, center = bool(ctx.args.scale), bool(ctx.args.center)
        if ctx.torch and scale != center:
            raise ctx.fail(
                "torch's batch norm has its scale and its shift together",
                "center" if scale else "scale",
                "affine=false drops both; a scale or a shift alone is Keras's (convention keras)",
            )
        return Output(shape)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        # The normalised axis is the channel axis, or the features after flatten.
        channels = inp.channels if "C" in inp.axes else inp.dims[-1]
        values = {C_in: channels}
        scale = Step.of("weights", C_in if ctx.args.affine and ctx.args.scale else 0, values)
        shift = Step.of("bias", C_in if ctx.args.affine and ctx.args.center else 0, values)
        moving = Step.of("non-trainable", 0 if ctx.torch else 2 * C_in, values)
        return Cost(weights=scale.result, bias=shift.result, non_trainable=moving.result, steps=(scale, shift, moving))


class LayerNorm(Layer):
    """torch.nn.LayerNorm over the last `dims` dims, keras.layers.LayerNormalization:
    a scale and a shift per normalised element."""

    keyword = "layernorm"
    prefix = "layernorm"
    example = "layernorm"
    placeholders = {C_in: "input channels"}  # the normalised elements: C_in for one dim
    options = (Option("dims", "count", default=1, positional=True),)

    def title(self, shape: Shape, torch: bool) -> str:
        return "LayerNorm" if torch else "LayerNormalization"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        dims = ctx.args.dims
        if not (dims.is_Integer and dims <= len(shape.dims)):
            raise ctx.fail(f"dims must be a number from 1 to {len(shape.dims)}, got {dims}", "dims")
        return Output(shape)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        values = {C_in: product(inp.dims[-int(ctx.args.dims) :])}
        scale = Step.of("weights", C_in, values)
        shift = Step.of("bias", C_in, values)
        return Cost(weights=scale.result, bias=shift.result, steps=(scale, shift))


class LayerScale(Layer):
    """ConvNeXt's layer scale: each channel times a learned γ, C parameters (torchvision's CNBlock
    `layer_scale` of shape (C, 1, 1), keras.applications.convnext's LayerScale of shape (C,))."""

    keyword = "layerscale"
    prefix = "layerscale"
    example = "layerscale"
    placeholders = {C_in: "input channels"}

    def title(self, shape: Shape, torch: bool) -> str:
        return "LayerScale"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        return Output(shape)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        # The channel axis, or the features after flatten (a (tokens, features) input's last axis).
        channels = inp.channels if "C" in inp.axes else inp.dims[-1]
        gamma = Step.of("weights", C_in, {C_in: channels})
        return Cost(weights=gamma.result, steps=(gamma,))


LAYERS = [BatchNorm(), LayerNorm(), LayerScale()]
