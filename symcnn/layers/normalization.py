"""Batch normalisation (torch.nn.BatchNormNd, keras.layers.BatchNormalization).

PyTorch counts 2C parameters (scale and shift) and keeps the running mean and
variance as buffers; Keras counts them too, as 2C non-trainable parameters.
"""

from __future__ import annotations

from .base import C_in, Cost, Layer, LayerContext, Output, Shape, Step


class BatchNorm(Layer):
    keyword = "batchnorm"
    prefix = "batchnorm"
    example = "batchnorm"

    def title(self, shape: Shape, torch: bool) -> str:
        return f"BatchNorm{max(shape.rank, 1)}d" if torch else "BatchNormalization"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        return Output(shape)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        # The normalised axis is the channel axis, or the features after flatten.
        channels = inp.channels if "C" in inp.axes else inp.dims[-1]
        values = {C_in: channels}
        scale = Step.of("weights", C_in, values)
        shift = Step.of("bias", C_in, values)
        moving = Step.of("non-trainable", 0 if ctx.torch else 2 * C_in, values)
        return Cost(weights=scale.result, bias=shift.result, non_trainable=moving.result, steps=(scale, shift, moving))


LAYERS = [BatchNorm()]
