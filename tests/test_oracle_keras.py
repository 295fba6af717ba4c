"""Property tests with real Keras 3 (on the torch backend) as the oracle.

Every test draws a small network, writes it in the DSL under `convention
keras`, derives it with symcnn and builds the same layers with keras.layers.
Each layer is called on the previous layer's output, starting from zeros of
batch size 1, so its weights exist and its output is what Keras computes. The
two must agree on

* every layer's output shape (in the file's layout: channels last or first),
* trainable and non-trainable parameter counts (the sizes of
  `layer.trainable_weights` and `layer.non_trainable_weights`),
* the type name shown (Keras's class name),
* which configurations are invalid: where Keras raises, symcnn raises
  SymcnnError at the same statement; where symcnn raises, Keras raises too.

Cropping has no torch module; it is also checked against a torch slice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from frameworks import keras as import_keras
from frameworks import torchvision as import_torchvision
from hypothesis import Phase, assume, given
from hypothesis import strategies as st
from test_oracle_torch import SPATIAL_NAMES, derive_both, dsl, examples, input_line, ints, note, sizes, spatial_shape

import symcnn

try:
    keras = import_keras()
except ImportError:  # pragma: no cover - Keras is a test dependency
    pytest.skip("keras is not installed", allow_module_level=True)

layers = keras.layers

# Smaller than the torch oracle's: a Keras layer costs a few milliseconds to build.
SPATIAL_CAP = {1: 24, 2: 12, 3: 7}
KERNEL_CAP = {1: 5, 2: 4, 3: 3}
KERAS_ERRORS = (ValueError, RuntimeError, TypeError, AttributeError)  # padding=1: "int has no .lower"

Factory = Callable[[], "keras.Layer"]


# Helpers ----------------------------------------------------------------------


def layout(channels: int, spatial: tuple[int, ...], channels_last: bool) -> tuple[int, ...]:
    """A per-sample shape in the file's (and Keras's) order."""
    return (*spatial, channels) if channels_last else (channels, *spatial)


def data_format(channels_last: bool) -> str:
    return "channels_last" if channels_last else "channels_first"


def weight_count(weights) -> int:
    return sum(math.prod(weight.shape) for weight in weights)


@dataclass
class KerasRun:
    steps: list[tuple[keras.Layer, tuple[int, ...]]]  # per accepted layer: the layer and its output shape
    failed: int | None  # the index of the layer Keras rejects, if any
    error: Exception | None = None


def run_keras(factories: list[Factory], shape: tuple[int, ...]) -> KerasRun:
    """Build and call each layer in turn on zeros of shape (1, *shape)."""
    x = np.zeros((1, *shape), dtype="float32")
    steps = []
    for index, make in enumerate(factories):
        layer = None
        try:
            layer = make()
            x = layer(x)
        except KERAS_ERRORS as error:
            assume(not torch_backend_refusal(layer, error))
            return KerasRun(steps, index, error)
        out = tuple(int(d) for d in x.shape[1:])
        if min(out, default=1) < 1:
            return KerasRun(steps, index, None)
        steps.append((layer, out))
    return KerasRun(steps, None)


def torch_backend_refusal(layer, error: Exception) -> bool:
    """Keras's torch backend passes symmetric 'same' padding to torch's avg_pool3d, which (alone) refuses an
    unpadded input smaller than the kernel; Keras itself does not (see the test of it below)."""
    return isinstance(layer, layers.AveragePooling3D) and "smaller than kernel size" in str(error)


def compare(text: str, factories: list[Factory], shape: tuple[int, ...], titles: bool = True):
    """Derive `text` (whose layer statements start on the line after `input`) and run Keras.

    Returns the network when both accept, None when both reject at the same layer; fails otherwise.
    """
    note(text)
    run = run_keras(factories, shape)
    try:
        net, error = symcnn.loads(text), None
    except symcnn.SymcnnError as caught:
        net, error = None, caught
    input_line_number = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("input "))
    if run.failed is not None:
        assert error is not None, f"Keras rejects layer {run.failed + 1} but symcnn accepts:\n{text}\n{run.error}"
        assert error.span is not None and error.span.line == input_line_number + 1 + run.failed, (
            f"Keras rejects layer {run.failed + 1}; symcnn blames {error.span}: {error}\n{text}"
        )
        return None
    assert error is None, f"symcnn rejects but Keras accepts:\n{text}\n{error}"
    assert len(net.rows) == len(run.steps)
    assert ints(net.rows[0].input.dims) == shape
    for row, (layer, out) in zip(net.rows, run.steps):
        assert ints(row.output.dims) == out, f"{row.name}: symcnn {ints(row.output.dims)} Keras {out}\n{text}"
        trainable, frozen = weight_count(layer.trainable_weights), weight_count(layer.non_trainable_weights)
        assert (int(row.trainable_params), int(row.non_trainable_params)) == (trainable, frozen), (
            f"{row.name}: symcnn {row.trainable_params} + {row.non_trainable_params}, "
            f"Keras {trainable} + {frozen}\n{text}"
        )
        assert int(row.params) == trainable + frozen
        if titles:
            assert row.title == type(layer).__name__, f"{row.name}: {row.title} vs {type(layer).__name__}\n{text}"
    return net


def program(channels: int, spatial: tuple[int, ...], channels_last: bool, *statements: str) -> str:
    lines = ["convention keras", input_line((channels, *spatial), channels_last), *statements]
    return "\n".join(lines) + "\n"


def keras_sizes(values: tuple[int, ...]):
    """A per-dim tuple as Keras takes it: 1-d layers take an int."""
    return values[0] if len(values) == 1 else values


# Convolution ------------------------------------------------------------------

CONV = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}
TRANSPOSED = {1: layers.Conv1DTranspose, 2: layers.Conv2DTranspose, 3: layers.Conv3DTranspose}
SEPARABLE = {1: layers.SeparableConv1D, 2: layers.SeparableConv2D}
DEPTHWISE = {1: layers.DepthwiseConv1D, 2: layers.DepthwiseConv2D}


@st.composite
def geometry(draw, rank: int, stride_cap: int = 3, dilation_cap: int = 3):
    """Kernel, stride and dilation as (DSL options, Keras tuples); stride > 1 with dilation > 1 is drawn too."""
    kernel_dsl, kernel = draw(sizes(1, KERNEL_CAP[rank], rank))
    options, keras_options = [dsl(kernel_dsl)], {"kernel_size": kernel}
    for name, keras_name, cap in (("stride", "strides", stride_cap), ("dilation", "dilation_rate", dilation_cap)):
        if draw(st.booleans()):
            value_dsl, value = draw(sizes(1, cap, rank))
            options.append(f"{name}={dsl(value_dsl)}")
            keras_options[keras_name] = value
    # Keras refuses padding=1, and padding=causal except on Conv1D.
    padding = draw(st.sampled_from([None, "valid", "same", "same", "causal", 0, 1]))
    if padding is not None:
        options.append(f"padding={padding}")
        keras_options["padding"] = "valid" if padding == 0 else padding
    return options, keras_options


@examples(300)
@given(st.data())
def test_conv_matches_keras(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank, cap=SPATIAL_CAP[rank]), label="spatial")
    groups = draw(st.sampled_from([1, 1, 2, 3]), label="groups")
    # Mostly multiples of groups; sometimes anything, to test the divisibility errors.
    channels = draw(st.one_of(st.integers(1, 3).map(lambda k: k * groups), st.integers(1, 6)))
    filters = draw(st.one_of(st.integers(1, 3).map(lambda k: k * groups), st.integers(1, 6)))
    options, keras_options = draw(geometry(rank))
    options = [str(filters), *options]
    if groups != 1:
        options.append(f"groups={groups}")
    bias = draw(st.booleans())
    options.append(f"bias={dsl(bias)}")
    channels_last = draw(st.booleans(), label="channels_last")
    text = program(channels, spatial, channels_last, "conv " + ", ".join(options))

    def make():
        return CONV[rank](
            filters, groups=groups, use_bias=bias, data_format=data_format(channels_last), **keras_options
        )

    compare(text, [make], layout(channels, spatial, channels_last))


@examples(120)
@given(st.data())
def test_depthwise_conv_is_a_conv_with_one_group_per_channel(data):
    """keras.layers.DepthwiseConvND(depth_multiplier=m) is `conv C·m, k, groups=C`."""
    draw = data.draw
    rank = draw(st.sampled_from([1, 2]))
    spatial = draw(spatial_shape(rank, cap=SPATIAL_CAP[rank]))
    channels, multiplier = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    options, keras_options = draw(geometry(rank))
    assume(keras_options.get("padding") != "causal")  # Keras's DepthwiseConv1D has none; its Conv1D (and conv) has
    # Keras's depthwise convolutions combine a stride > 1 with a dilation > 1; its Conv2D (and symcnn's conv) do not.
    strided = max(keras_options.get("strides", (1,))) > 1
    if strided and max(keras_options.get("dilation_rate", (1,))) > 1:
        keras_options.pop("dilation_rate")
        options = [option for option in options if not option.startswith("dilation=")]
    bias = draw(st.booleans())
    statement = f"conv {channels * multiplier}, {', '.join(options)}, groups={channels}, bias={dsl(bias)}"
    text = program(channels, spatial, True, statement)

    def make():
        return DEPTHWISE[rank](depth_multiplier=multiplier, use_bias=bias, **keras_options)

    compare(text, [make], layout(channels, spatial, True), titles=False)


@examples(200)
@given(st.data())
def test_transposed_conv_matches_keras(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank, cap=min(SPATIAL_CAP[rank], 8)), label="spatial")
    channels, filters = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    options, keras_options = draw(geometry(rank))
    options = [str(filters), *options]
    if draw(st.booleans()):
        padding_dsl, output_padding = draw(sizes(0, 3, rank), label="output_padding")
        options.append(f"output_padding={dsl(padding_dsl)}")
        keras_options["output_padding"] = output_padding
    if draw(st.integers(0, 9)) == 0:  # Keras's transposed convolutions take no groups
        options.append("groups=2")
        keras_options["groups"] = 2
    bias = draw(st.booleans())
    options.append(f"bias={dsl(bias)}")
    channels_last = draw(st.booleans(), label="channels_last")
    text = program(channels, spatial, channels_last, "convtranspose " + ", ".join(options))

    def make():
        return TRANSPOSED[rank](filters, use_bias=bias, data_format=data_format(channels_last), **keras_options)

    compare(text, [make], layout(channels, spatial, channels_last))


@examples(120)
@given(st.data())
def test_separable_conv_matches_keras(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2]))
    spatial = draw(spatial_shape(rank, cap=SPATIAL_CAP[rank]))
    channels, filters, multiplier = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    options, keras_options = draw(geometry(rank))
    bias = draw(st.booleans())
    statement = f"sepconv {filters}, {', '.join(options)}, depth_multiplier={multiplier}, bias={dsl(bias)}"
    channels_last = draw(st.booleans())
    text = program(channels, spatial, channels_last, statement)

    def make():
        return SEPARABLE[rank](
            filters,
            depth_multiplier=multiplier,
            use_bias=bias,
            data_format=data_format(channels_last),
            **keras_options,
        )

    compare(text, [make], layout(channels, spatial, channels_last))


# Pooling ----------------------------------------------------------------------

POOLING = {
    "maxpool": {1: layers.MaxPooling1D, 2: layers.MaxPooling2D, 3: layers.MaxPooling3D},
    "avgpool": {1: layers.AveragePooling1D, 2: layers.AveragePooling2D, 3: layers.AveragePooling3D},
}
GLOBAL_POOLING = {
    "globalavgpool": {
        1: layers.GlobalAveragePooling1D,
        2: layers.GlobalAveragePooling2D,
        3: layers.GlobalAveragePooling3D,
    },
    "globalmaxpool": {1: layers.GlobalMaxPooling1D, 2: layers.GlobalMaxPooling2D, 3: layers.GlobalMaxPooling3D},
}


@examples(200)
@given(st.data())
def test_window_pooling_matches_keras(data):
    draw = data.draw
    kind = draw(st.sampled_from(sorted(POOLING)), label="kind")
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank, cap=SPATIAL_CAP[rank]), label="spatial")
    channels = draw(st.integers(1, 3))
    size_dsl, size = draw(sizes(1, 4, rank), label="size")
    options, keras_options = [dsl(size_dsl)], {"pool_size": size}
    if draw(st.booleans()):
        stride_dsl, stride = draw(sizes(1, 3, rank), label="stride")
        options.append(f"stride={dsl(stride_dsl)}")
        keras_options["strides"] = stride
    padding = draw(st.sampled_from([None, "valid", "same"]))
    if padding is not None:
        options.append(f"padding={padding}")
        keras_options["padding"] = padding
    channels_last = draw(st.booleans())
    text = program(channels, spatial, channels_last, f"{kind} " + ", ".join(options))

    def make():
        return POOLING[kind][rank](data_format=data_format(channels_last), **keras_options)

    compare(text, [make], layout(channels, spatial, channels_last))


def test_keras_on_torch_refuses_3d_average_pooling_over_a_smaller_input_where_symcnn_follows_keras():
    """A known disagreement, of the backend: torch's avg_pool3d checks the unpadded input against the kernel."""
    text = program(1, (1, 1, 1), True, "avgpool 3, padding=same")
    (row,) = symcnn.loads(text).rows
    assert ints(row.output.dims) == (1, 1, 1, 1)  # ceil(N/S), as Keras computes the shape
    assert layers.AveragePooling3D(3, padding="same").compute_output_shape((1, 1, 1, 1, 1)) == (1, 1, 1, 1, 1)
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        layers.AveragePooling3D(3, padding="same")(np.zeros((1, 1, 1, 1, 1), dtype="float32"))
    # With asymmetric padding (an even kernel) the backend pads the input first, and accepts it.
    padded = layers.AveragePooling3D(2, padding="same")(np.zeros((1, 1, 1, 1, 1), dtype="float32"))
    assert tuple(padded.shape) == (1, 1, 1, 1, 1)


@examples(40)
@given(st.data())
def test_global_pooling_matches_keras(data):
    draw = data.draw
    kind = draw(st.sampled_from(sorted(GLOBAL_POOLING)))
    rank = draw(st.sampled_from([1, 2, 3]))
    spatial = draw(spatial_shape(rank, cap=6))
    channels = draw(st.integers(1, 5))
    keepdims = draw(st.sampled_from([None, False, True]))
    channels_last = draw(st.booleans())
    text = program(channels, spatial, channels_last, kind + ("" if keepdims is None else f" keepdims={dsl(keepdims)}"))

    def make():
        return GLOBAL_POOLING[kind][rank](keepdims=bool(keepdims), data_format=data_format(channels_last))

    assert compare(text, [make], layout(channels, spatial, channels_last)) is not None


# Normalisation and dense ------------------------------------------------------


@examples(40)
@given(st.data())
def test_batchnorm_matches_keras(data):
    """2C trainable (gamma, beta) and 2C non-trainable (the moving mean and variance); without the scale or the
    shift (Keras's scale=False, center=False: Inception v3's), C fewer trainable each."""
    draw = data.draw
    rank = draw(st.sampled_from([0, 1, 2, 3]), label="rank")  # 0: a feature vector
    channels = draw(st.integers(1, 16))
    spatial = draw(spatial_shape(rank, cap=4)) if rank else ()
    channels_last = draw(st.booleans()) if rank else True
    center, scale = draw(st.booleans(), label="center"), draw(st.booleans(), label="scale")
    options = [f"{name}=false" for name, kept in (("center", center), ("scale", scale)) if not kept]
    if not (center or scale) and draw(st.booleans()):
        options = ["affine=false"]
    statement = " ".join(["batchnorm", ", ".join(options)]).strip()
    if rank:
        text = program(channels, spatial, channels_last, statement)
    else:
        text = f"convention keras\ninput {channels}\n{statement}\n"

    def make():
        return layers.BatchNormalization(axis=-1 if channels_last else 1, center=center, scale=scale)

    assert compare(text, [make], layout(channels, spatial, channels_last)) is not None


@examples(40)
@given(st.data())
def test_layernorm_matches_keras(data):
    """`layernorm k` is LayerNormalization over the last k axes."""
    draw = data.draw
    dims = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4), label="input dims"))
    normalised = draw(st.integers(1, len(dims)))
    text = f"convention keras\ninput {', '.join(map(str, dims))}\nlayernorm {normalised}\n"

    def make():
        return layers.LayerNormalization(axis=list(range(-normalised, 0)))

    assert compare(text, [make], dims) is not None


@examples(60)
@given(st.data())
def test_dense_matches_keras(data):
    """Dense acts on the last axis, whatever the rank; after Flatten, on all the features."""
    draw = data.draw
    dims = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4), label="input dims"))
    units = draw(st.integers(1, 8))
    bias = draw(st.booleans())
    flatten_first = draw(st.booleans())
    statements = ["flatten"] if flatten_first else []
    statements.append(f"dense {units}, bias={dsl(bias)}")
    text = "convention keras\ninput " + ", ".join(map(str, dims)) + "\n" + "\n".join(statements) + "\n"
    factories = [layers.Flatten] if flatten_first else []
    factories.append(lambda: layers.Dense(units, use_bias=bias))
    assert compare(text, factories, dims) is not None


# Upsampling, zero padding, cropping -------------------------------------------

UPSAMPLING = {1: layers.UpSampling1D, 2: layers.UpSampling2D, 3: layers.UpSampling3D}
ZERO_PADDING = {1: layers.ZeroPadding1D, 2: layers.ZeroPadding2D, 3: layers.ZeroPadding3D}
CROPPING = {1: layers.Cropping1D, 2: layers.Cropping2D, 3: layers.Cropping3D}


@examples(60)
@given(st.data())
def test_upsampling_matches_keras(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]))
    spatial = draw(spatial_shape(rank, cap=6))
    channels = draw(st.integers(1, 3))
    scale_dsl, scale = draw(sizes(1, 3, rank))
    channels_last = rank == 1 or draw(st.booleans())  # UpSampling1D is channels last
    text = program(channels, spatial, channels_last, f"upsample {dsl(scale_dsl)}")
    options = {} if rank == 1 else {"data_format": data_format(channels_last)}

    def make():
        return UPSAMPLING[rank](keras_sizes(scale), **options)

    assert compare(text, [make], layout(channels, spatial, channels_last)) is not None


@st.composite
def edge_amounts(draw, rank: int, cap: int):
    """Zero padding or cropping as symcnn takes it, and as Keras's *ND layers take it."""
    form = draw(st.sampled_from(["int", "per_dim", "pairs"]))
    if form == "int":
        amount = draw(st.integers(0, cap))
        return dsl(amount), amount, ((amount, amount),) * rank
    if form == "per_dim":
        amounts = draw(st.tuples(*[st.integers(0, cap)] * rank))
        keras_form = amounts[0] if rank == 1 else amounts
        return dsl(amounts), keras_form, tuple((a, a) for a in amounts)
    pairs = draw(st.tuples(*[st.tuples(st.integers(0, cap), st.integers(0, cap))] * rank))
    return dsl(pairs), pairs[0] if rank == 1 else pairs, pairs


@examples(60)
@given(st.data())
def test_zero_padding_matches_keras(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]))
    spatial = draw(spatial_shape(rank, cap=6))
    channels = draw(st.integers(1, 3))
    amounts_dsl, keras_amounts, _ = draw(edge_amounts(rank, 3))
    channels_last = rank == 1 or draw(st.booleans())  # ZeroPadding1D is channels last
    text = program(channels, spatial, channels_last, f"zeropad {amounts_dsl}")
    options = {} if rank == 1 else {"data_format": data_format(channels_last)}

    def make():
        return ZERO_PADDING[rank](keras_amounts, **options)

    assert compare(text, [make], layout(channels, spatial, channels_last)) is not None


@examples(120)
@given(st.data())
def test_crop_matches_keras(data):
    """Including Keras's refusal to crop a dim away (c_l + c_r >= N)."""
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]))
    spatial = draw(spatial_shape(rank, lo=2, cap=10))
    channels = draw(st.integers(1, 3))
    amounts_dsl, keras_amounts, _ = draw(edge_amounts(rank, 3))
    channels_last = rank == 1 or draw(st.booleans())  # Cropping1D is channels last
    text = program(channels, spatial, channels_last, f"crop {amounts_dsl}")
    options = {} if rank == 1 else {"data_format": data_format(channels_last)}

    def make():
        return CROPPING[rank](keras_amounts, **options)

    compare(text, [make], layout(channels, spatial, channels_last))


class Crop(torch.nn.Module):
    """x.narrow(axis, c_l, N - c_l - c_r) per spatial axis: torch has no cropping module."""

    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs

    def forward(self, x):
        for axis, (left, right) in enumerate(self.pairs, start=2):
            x = x.narrow(axis, left, x.shape[axis] - left - right)  # a negative length raises
        return x


@examples(100)
@given(st.data())
def test_crop_matches_a_torch_slice(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]))
    spatial = draw(spatial_shape(rank, lo=2, cap=10))
    channels = draw(st.integers(1, 3))
    amounts_dsl, _, pairs = draw(edge_amounts(rank, 3))
    torch_shape = (channels, *spatial)
    text = f"{input_line(torch_shape, False)}\ncrop {amounts_dsl}\n"
    both = derive_both(text, lambda: Crop(pairs), torch_shape)
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    assert ints(row.output.dims) == tuple(result.out.shape[1:]), text
    assert int(row.params) == 0
    # Output position i sees input position i + c_l: the field starts c_l in.
    field = row.receptive
    assert ints(field.size) == (1,) * rank
    assert tuple(-int(p) for p in field.padding) == tuple(left for left, _ in pairs)


@examples(60)
@given(st.data())
def test_center_crop_matches_keras_center_crop(data):
    """`crop size=(T_h, T_w)` is keras.layers.CenterCrop: the size, and where the crop starts (the field's offset).

    An input holding its own flat indices shows where Keras starts: output[0] = top·W + left.
    """
    draw = data.draw
    spatial = draw(spatial_shape(2, lo=1, cap=12))
    target = draw(st.tuples(*[st.integers(1, 12)] * 2))
    channels_last = draw(st.booleans())
    text = program(1, spatial, channels_last, f"crop size={dsl(target)}")
    note(text)
    if any(t > n for t, n in zip(target, spatial)):  # Keras resizes up first, torchvision pads: symcnn refuses
        with pytest.raises(symcnn.SymcnnError, match="larger than its input"):
            symcnn.loads(text)
        return
    (row,) = symcnn.loads(text).rows
    indices = np.arange(math.prod(spatial), dtype="float32").reshape(1, *layout(1, spatial, channels_last))
    out = layers.CenterCrop(*target, data_format=data_format(channels_last))(indices)
    assert ints(row.output.dims) == tuple(out.shape[1:]), text
    top, left = (-int(p) for p in row.receptive.padding)
    assert top * spatial[1] + left == int(out.reshape(-1)[0]), text


@examples(40)
@given(st.data())
def test_center_crop_has_torchvision_center_crop_shape(data):
    """torchvision's center_crop gives the same size (it rounds the offset half to even, Keras down)."""
    center_crop = import_torchvision().transforms.functional.center_crop
    draw = data.draw
    channels = draw(st.integers(1, 3))
    spatial = draw(spatial_shape(2, lo=1, cap=12))
    target = tuple(draw(st.integers(1, n)) for n in spatial)
    torch_shape = (channels, *spatial)
    text = f"{input_line(torch_shape, False)}\ncrop size={dsl(target)}\n"
    (row,) = symcnn.loads(text).rows
    assert ints(row.output.dims) == tuple(center_crop(torch.zeros(1, *torch_shape), list(target)).shape[1:]), text


# Chains -----------------------------------------------------------------------


@dataclass
class Chain:
    channels: int
    spatial: tuple[int, ...]
    channels_last: bool
    statements: list[str]
    factories: list[Factory]


@st.composite
def chains(draw):
    """2-5 layers on a 1-3 d input, valid or not; sometimes flatten or global pooling and dense at the end."""
    rank = draw(st.sampled_from([1, 2, 3]))
    channels_last = draw(st.booleans())
    spatial = draw(spatial_shape(rank, lo=3, cap=SPATIAL_CAP[rank]))
    channels = draw(st.integers(1, 4))
    fmt = {"data_format": data_format(channels_last)}
    edge_format = fmt if rank > 1 else {}
    statements, factories = [], []
    kinds = [
        "conv",
        "sepconv",
        "convtranspose",
        "maxpool",
        "avgpool",
        "batchnorm",
        "relu",
        "upsample",
        "zeropad",
        "crop",
    ]
    if rank == 1 and not channels_last:  # Keras's 1-d resizing layers are channels last only
        kinds = kinds[:-3]
    if rank == 3:  # Keras has no 3-d separable convolution
        kinds.remove("sepconv")
    for kind in draw(st.lists(st.sampled_from(kinds), min_size=2, max_size=5)):
        if kind in ("conv", "sepconv", "convtranspose"):
            filters = draw(st.integers(1, 4))
            options, keras_options = draw(geometry(rank, stride_cap=2, dilation_cap=2))
            statements.append(f"{kind} {filters}, " + ", ".join(options))
            keras_class = {"conv": CONV, "sepconv": SEPARABLE, "convtranspose": TRANSPOSED}[kind][rank]
            factories.append(lambda cls=keras_class, f=filters, o=keras_options: cls(f, **fmt, **o))
        elif kind in ("maxpool", "avgpool"):
            size_dsl, size = draw(sizes(1, 3, rank))
            padding = draw(st.sampled_from(["valid", "same"]))
            statements.append(f"{kind} {dsl(size_dsl)}, padding={padding}")
            factories.append(lambda cls=POOLING[kind][rank], k=size, p=padding: cls(k, padding=p, **fmt))
        elif kind == "batchnorm":
            statements.append("batchnorm")
            factories.append(lambda: layers.BatchNormalization(axis=-1 if channels_last else 1))
        elif kind == "relu":
            statements.append("relu")
            factories.append(layers.ReLU)
        elif kind == "upsample":
            scale_dsl, scale = draw(sizes(1, 2, rank))
            statements.append(f"upsample {dsl(scale_dsl)}")
            factories.append(lambda s=scale: UPSAMPLING[rank](keras_sizes(s), **edge_format))
        else:
            amounts_dsl, keras_amounts, _ = draw(edge_amounts(rank, 2))
            statements.append(f"{kind} {amounts_dsl}")
            edge = ZERO_PADDING if kind == "zeropad" else CROPPING
            factories.append(lambda cls=edge[rank], a=keras_amounts: cls(a, **edge_format))
    ending = draw(st.sampled_from(["none", "flatten", "globalavgpool", "globalmaxpool", "layernorm"]))
    if ending == "layernorm":  # over the last axis, whatever it is
        statements.append("layernorm")
        factories.append(layers.LayerNormalization)
    elif ending != "none":
        units = draw(st.integers(1, 6))
        statements += [ending, f"dense {units}"]
        flat = layers.Flatten if ending == "flatten" else lambda: GLOBAL_POOLING[ending][rank](**fmt)
        factories += [flat, lambda u=units: layers.Dense(u)]
    return Chain(channels, spatial, channels_last, statements, factories)


@examples(200)
@given(chains())
def test_chain_matches_keras_layer_by_layer(chain):
    text = program(chain.channels, chain.spatial, chain.channels_last, *chain.statements)
    compare(text, chain.factories, layout(chain.channels, chain.spatial, chain.channels_last))


# No shrinking: each symbolic example is costly (as in the torch oracle).
@examples(60, phases=[Phase.explicit, Phase.generate])
@given(chains())
def test_symbolic_chain_evaluates_to_keras(chain):
    """With the input dims kept symbolic, the formulas and conditions evaluate to Keras's numbers and refusals."""
    names = ("C", *SPATIAL_NAMES[len(chain.spatial)])
    values = dict(zip(names, (chain.channels, *chain.spatial)))
    lines = ["convention keras", *(f"{name} = {value}" for name, value in values.items())]
    lines += [input_line(names, chain.channels_last), *chain.statements]
    text = "\n".join(lines) + "\n"
    note(text)
    run = run_keras(chain.factories, layout(chain.channels, chain.spatial, chain.channels_last))
    first_layer_line = len(values) + 3
    try:
        net = symcnn.loads(text, symbolic="all")
    except symcnn.SymcnnError as error:
        # Only a rule that does not depend on the symbols fails outright; a layer before it may break
        # a symbolic condition first, so Keras may stop earlier.
        assert run.failed is not None, f"symcnn rejects but Keras accepts:\n{text}\n{error}"
        assert first_layer_line + run.failed <= error.span.line, f"Keras rejects layer {run.failed + 1}; {error}"
        return
    assert net.is_symbolic
    known = net.assign({})
    decided = {condition: condition.predicate.xreplace(known) for condition in net.conditions}
    assert all(value in (True, False) for value in decided.values()), f"undecided conditions\n{text}"
    violated = [condition for condition, value in decided.items() if value == False]
    if run.failed is not None:
        assert violated, f"Keras rejects layer {run.failed + 1}, yet every condition holds:\n{text}\n{run.error}"
        assert violated[0].span.line == first_layer_line + run.failed, f"{violated[0].rule} at {violated[0].span}"
        return
    assert not violated, f"{violated[0].rule} is false, but Keras accepts:\n{text}"
    for row, (layer, out) in zip(net.rows, run.steps, strict=True):
        assert tuple(int(d.xreplace(known)) for d in row.output.dims) == out, f"{row.name}\n{text}"
        trainable = weight_count(layer.trainable_weights)
        assert int(row.trainable_params.xreplace(known)) == trainable, f"{row.name}\n{text}"
        assert int(row.non_trainable_params.xreplace(known)) == weight_count(layer.non_trainable_weights)
