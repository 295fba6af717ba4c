"""Property tests with real PyTorch as the oracle.

Every test generates a small network, writes it in the DSL, derives it with
symcnn and builds the same layers with torch.nn. A forward pass on a zero
tensor (batch size 1) gives torch's actual output shape, and the modules'
parameters give the counts. The two must agree on

* every layer's output shape (in the file's layout: channels first or last),
* parameters (`sum(p.numel() for p in module.parameters())`), and weights and
  bias separately (`.weight.numel()`, `.bias.numel()`),
* MACs of convolutions and dense layers, counted here from the torch module's
  attributes and the output tensor (never by re-typing symcnn's formulas),
* which configurations are invalid: when torch raises, symcnn raises
  SymcnnError; when symcnn raises, torch raises or gives a dim < 1.

Keras is not installed, so the 'convention keras' tests build Keras's rules
out of torch: padding=same as TF's explicit asymmetric padding (F.pad) before
an unpadded conv or pool, and BatchNormalization's moving statistics as the
torch module's running_mean/running_var buffers.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import note as hypothesis_note  # noqa: E402
from hypothesis.errors import InvalidArgument  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import symcnn  # noqa: E402

torch.set_num_threads(1)

# torch's note that an even kernel with padding='same' may copy the input is not about shapes.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


# SYMCNN_ORACLE_SCALE=10 runs ten times the examples (for a longer local search).
SCALE = float(os.environ.get("SYMCNN_ORACLE_SCALE", "1"))


def examples(n: int, **options):
    return settings(
        max_examples=max(1, round(n * SCALE)),
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **options,
    )


# Largest spatial size per rank: 1d, 2d, 3d.
SPATIAL_CAP = {1: 40, 2: 24, 3: 9}
KERNEL_CAP = {1: 5, 2: 5, 3: 3}
SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
MAXPOOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
AVGPOOL = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
ADAPTIVE = {
    "adaptiveavgpool": {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d},
    "adaptivemaxpool": {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d},
}
BATCHNORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


# Helpers ----------------------------------------------------------------------


def note(text: str) -> None:
    """Show the DSL text of a failing example (outside Hypothesis, the assertion messages do)."""
    try:
        hypothesis_note(text)
    except InvalidArgument:
        pass


def dsl(value) -> str:
    """A Python value as DSL text: 3, true, same, (3, 5), (3,), ((1, 2), (0, 1))."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        inner = ", ".join(dsl(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(value)


def input_line(torch_shape: tuple, channels_last: bool) -> str:
    """The input statement for a torch per-sample shape (C, *spatial), given as numbers or names."""
    channels, spatial = torch_shape[0], list(torch_shape[1:])
    if channels_last:
        return "input " + ", ".join(map(str, [*spatial, channels])) + ", layout=channels_last"
    return "input " + ", ".join(map(str, [channels, *spatial])) + ", layout=channels_first"


def file_order(torch_dims: tuple[int, ...], axes: str) -> tuple[int, ...]:
    """A torch per-sample shape (C, *spatial) in the order of a symcnn layout."""
    torch_dims = tuple(int(d) for d in torch_dims)
    if len(axes) > 1 and axes.endswith("C"):
        return torch_dims[1:] + torch_dims[:1]
    return torch_dims


def ints(dims) -> tuple[int, ...]:
    return tuple(int(d) for d in dims)


def param_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def bias_count(module: nn.Module) -> int:
    return module.bias.numel() if getattr(module, "bias", None) is not None else 0


def conv_macs(conv: nn.Module, out: torch.Tensor) -> int:
    """Each output element: in_channels/groups times the kernel's taps."""
    return out.numel() * (conv.in_channels // conv.groups) * math.prod(conv.kernel_size)


def linear_macs(linear: nn.Linear, out: torch.Tensor) -> int:
    return out.numel() * linear.in_features


class Pad(nn.Module):
    """F.pad with (left, right) per spatial dim, first dim first."""

    def __init__(self, pairs, value: float = 0.0):
        super().__init__()
        self.flat = tuple(x for left, right in reversed(pairs) for x in (left, right))
        self.value = value

    def forward(self, x):
        return F.pad(x, self.flat, value=self.value)


def tf_same_pairs(spatial, kernel, stride, dilation) -> tuple[tuple[int, int], ...]:
    """TensorFlow's padding=same: total = max((ceil(N/S)-1)*S + (F-1)*d + 1 - N, 0), left = total // 2."""
    pairs = []
    for n, f, s, d in zip(spatial, kernel, stride, dilation):
        total = max((-(-n // s) - 1) * s + (f - 1) * d + 1 - n, 0)
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


@dataclass
class TorchResult:
    module: nn.Module | None
    out: torch.Tensor | None
    error: Exception | None


def run_torch(make, torch_shape) -> TorchResult:
    """Build the module and run it on zeros of shape (1, *torch_shape)."""
    try:
        module = make()
        module.eval()
        with torch.no_grad():
            out = module(torch.zeros(1, *torch_shape))
    except (RuntimeError, ValueError) as error:
        return TorchResult(None, None, error)
    return TorchResult(module, out, None)


def run_symcnn(text: str, **options):
    try:
        return symcnn.loads(text, **options), None
    except symcnn.SymcnnError as error:
        return None, error


def derive_both(text: str, make, torch_shape):
    """(network, torch result) when both accept; None when both reject; fails when they disagree."""
    note(text)
    net, error = run_symcnn(text)
    result = run_torch(make, torch_shape)
    if result.error is not None:
        assert error is not None, (
            f"torch rejects but symcnn accepts:\n{text}\ntorch: {result.error}\n"
            f"symcnn: {[ints(row.output.dims) for row in net.rows]}"
        )
        return None
    if error is not None:
        got = tuple(result.out.shape[1:])
        assert min(got, default=1) < 1, f"symcnn rejects but torch gives {got}:\n{text}\nsymcnn: {error}"
        return None
    return net, result


def assert_shape(row, out: torch.Tensor, text: str) -> None:
    expected = file_order(tuple(out.shape[1:]), row.output.axes)
    assert ints(row.output.dims) == expected, f"{row.name}: symcnn {ints(row.output.dims)} torch {expected}\n{text}"


def assert_params(row, module: nn.Module, text: str, weight_module: nn.Module | None = None) -> None:
    weight_module = module if weight_module is None else weight_module
    assert int(row.params) == param_count(module), f"{row.name}: params {row.params} vs {param_count(module)}\n{text}"
    assert int(row.trainable_params) == param_count(module)
    assert int(row.non_trainable_params) == 0
    if getattr(weight_module, "weight", None) is not None:
        assert int(row.weights) == weight_module.weight.numel(), f"{row.name}: weights\n{text}"
    assert int(row.bias) == bias_count(weight_module), (
        f"{row.name}: bias {row.bias} vs {bias_count(weight_module)}\n{text}"
    )


def sizes(lo: int, hi: int, rank: int):
    """A scalar or a per-dim tuple; returns (DSL value, per-dim tuple for torch)."""
    scalar = st.integers(lo, hi).map(lambda v: (v, (v,) * rank))
    per_dim = st.tuples(*[st.integers(lo, hi)] * rank).map(lambda t: (t, t))
    return st.one_of(scalar, per_dim)


def spatial_shape(rank: int, lo: int = 1, cap: int | None = None):
    return st.tuples(*[st.integers(lo, cap or SPATIAL_CAP[rank])] * rank)


def bias_choice(draw):
    """How bias is given: omitted (default true), explicit, or off file-wide; returns (header, option, torch bias)."""
    mode = draw(st.sampled_from(["omit", "true", "false", "defaults"]))
    header = ["defaults bias=false"] if mode == "defaults" else []
    option = [f"bias={mode}"] if mode in ("true", "false") else []
    return header, option, mode in ("omit", "true")


# Convolution ------------------------------------------------------------------


@examples(300)
@given(st.data())
def test_conv_matches_torch(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank), label="spatial")
    if draw(st.booleans(), label="depthwise"):
        channels = draw(st.integers(1, 6))
        groups = channels
        filters = channels * draw(st.integers(1, 3))
    else:
        groups = draw(st.integers(1, 4))
        # Mostly multiples of groups; sometimes anything, to test the divisibility errors.
        channels = draw(st.one_of(st.integers(1, 3).map(lambda k: k * groups), st.integers(1, 8)))
        filters = draw(st.one_of(st.integers(1, 3).map(lambda k: k * groups), st.integers(1, 8)))
    kernel_dsl, kernel = draw(sizes(1, KERNEL_CAP[rank], rank), label="kernel")
    options = [str(filters), dsl(kernel_dsl)]

    padding_mode = draw(st.sampled_from(["omit", "int", "per_dim", "same", "valid"]), label="padding")
    stride = (1,) * rank
    if not (padding_mode == "same" and draw(st.booleans())):  # same: mostly at stride 1, as torch requires
        if draw(st.booleans()):
            stride_dsl, stride = draw(sizes(1, 3, rank), label="stride")
            options.append(f"stride={dsl(stride_dsl)}")
    dilation = (1,) * rank
    if draw(st.booleans()):
        dilation_dsl, dilation = draw(sizes(1, 3, rank), label="dilation")
        options.append(f"dilation={dsl(dilation_dsl)}")
    if padding_mode == "omit":
        torch_padding = 0
    elif padding_mode in ("int", "per_dim"):
        padding_dsl, torch_padding = draw(
            sizes(0, 3, rank) if padding_mode == "per_dim" else st.integers(0, 3).map(lambda p: (p, p))
        )
        options.append(f"padding={dsl(padding_dsl)}")
    else:
        torch_padding = padding_mode
        options.append(f"padding={padding_mode}")
    if groups != 1 or draw(st.booleans()):
        options.append(f"groups={groups}")
    header, bias_option, bias = bias_choice(draw)
    options += bias_option
    channels_last = draw(st.booleans(), label="channels_last")

    torch_shape = (channels, *spatial)
    text = "\n".join([*header, input_line(torch_shape, channels_last), "conv " + ", ".join(options)]) + "\n"

    def make():
        return CONV[rank](
            channels, filters, kernel, stride=stride, padding=torch_padding, dilation=dilation, groups=groups, bias=bias
        )

    both = derive_both(text, make, torch_shape)
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    assert ints(row.input.dims) == file_order(torch_shape, row.input.axes)
    assert_shape(row, result.out, text)
    assert_params(row, result.module, text)
    assert int(row.macs) == conv_macs(result.module, result.out), f"MACs {row.macs}\n{text}"
    assert row.title == type(result.module).__name__
    assert int(net.totals["params"]) == param_count(result.module)
    assert int(net.totals["macs"]) == conv_macs(result.module, result.out)


@examples(150)
@given(st.data())
def test_conv_per_side_padding_matches_f_pad(data):
    """padding=((l, r), ...) equals F.pad by (l, r) followed by a conv with padding 0."""
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank), label="spatial")
    channels = draw(st.integers(1, 4))
    filters = draw(st.integers(1, 4))
    kernel_dsl, kernel = draw(sizes(1, KERNEL_CAP[rank], rank), label="kernel")
    stride_dsl, stride = draw(sizes(1, 3, rank), label="stride")
    dilation_dsl, dilation = draw(sizes(1, 2, rank), label="dilation")
    entries = draw(st.tuples(*[st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)))] * rank))
    pairs = tuple(entry if isinstance(entry, tuple) else (entry, entry) for entry in entries)
    bias = draw(st.booleans())
    channels_last = draw(st.booleans())
    options = [str(filters), dsl(kernel_dsl), f"stride={dsl(stride_dsl)}", f"padding={dsl(entries)}"]
    options += [f"dilation={dsl(dilation_dsl)}", f"bias={dsl(bias)}"]
    torch_shape = (channels, *spatial)
    text = "\n".join([input_line(torch_shape, channels_last), "conv " + ", ".join(options)]) + "\n"

    def make():
        return nn.Sequential(
            Pad(pairs), CONV[rank](channels, filters, kernel, stride=stride, padding=0, dilation=dilation, bias=bias)
        )

    both = derive_both(text, make, torch_shape)
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    conv = result.module[1]
    assert_shape(row, result.out, text)
    assert_params(row, result.module, text, weight_module=conv)
    assert int(row.macs) == conv_macs(conv, result.out)


# Pooling ----------------------------------------------------------------------


@examples(300)
@given(st.data())
def test_window_pooling_matches_torch(data):
    draw = data.draw
    kind = draw(st.sampled_from(["maxpool", "avgpool"]), label="kind")
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank), label="spatial")
    channels = draw(st.integers(1, 3))
    size_dsl, size = draw(sizes(1, 4, rank), label="size")
    options = [dsl(size_dsl)]
    stride = None
    if draw(st.booleans()):
        stride_dsl, stride = draw(sizes(1, 3, rank), label="stride")
        options.append(f"stride={dsl(stride_dsl)}")
    padding = 0
    padding_mode = draw(st.sampled_from(["omit", "int", "per_dim", "valid"]))
    if padding_mode == "int":
        padding = draw(st.integers(0, 2))
        options.append(f"padding={padding}")
    elif padding_mode == "per_dim":
        padding_dsl, padding = draw(sizes(0, 2, rank))
        options.append(f"padding={dsl(padding_dsl)}")
    elif padding_mode == "valid":
        options.append("padding=valid")
    dilation = 1
    if kind == "maxpool" and draw(st.booleans()):
        dilation_dsl, dilation = draw(sizes(1, 3, rank), label="dilation")
        options.append(f"dilation={dsl(dilation_dsl)}")
    ceil_mode = draw(st.sampled_from([None, False, True]), label="ceil_mode")
    if ceil_mode is not None:
        options.append(f"ceil_mode={dsl(ceil_mode)}")
    channels_last = draw(st.booleans())
    torch_shape = (channels, *spatial)
    text = "\n".join([input_line(torch_shape, channels_last), f"{kind} " + ", ".join(options)]) + "\n"

    def make():
        if kind == "maxpool":
            return MAXPOOL[rank](size, stride=stride, padding=padding, dilation=dilation, ceil_mode=bool(ceil_mode))
        return AVGPOOL[rank](size, stride=stride, padding=padding, ceil_mode=bool(ceil_mode))

    both = derive_both(text, make, torch_shape)
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    assert int(row.params) == param_count(result.module) == 0
    assert row.title == type(result.module).__name__


@examples(120)
@given(st.data())
def test_adaptive_pooling_matches_torch(data):
    draw = data.draw
    kind = draw(st.sampled_from(sorted(ADAPTIVE)), label="kind")
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank, cap=min(SPATIAL_CAP[rank], 12)), label="spatial")
    channels = draw(st.integers(1, 3))
    size_dsl, size = draw(sizes(1, 8, rank), label="size")
    channels_last = draw(st.booleans())
    torch_shape = (channels, *spatial)
    text = f"{input_line(torch_shape, channels_last)}\n{kind} {dsl(size_dsl)}\n"
    both = derive_both(text, lambda: ADAPTIVE[kind][rank](size), torch_shape)
    assert both is not None, "adaptive pooling accepts any output size"
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    assert int(row.params) == 0
    assert row.title == type(result.module).__name__


@examples(60)
@given(st.data())
def test_global_pooling_matches_torch(data):
    draw = data.draw
    kind = draw(st.sampled_from(["globalavgpool", "globalmaxpool"]))
    rank = draw(st.sampled_from([1, 2, 3]))
    spatial = draw(spatial_shape(rank, cap=10))
    channels = draw(st.integers(1, 5))
    keepdims = draw(st.sampled_from([None, False, True]))
    channels_last = draw(st.booleans())
    torch_shape = (channels, *spatial)
    option = "" if keepdims is None else f" keepdims={dsl(keepdims)}"
    text = f"{input_line(torch_shape, channels_last)}\n{kind}{option}\n"
    adaptive = ADAPTIVE["adaptiveavgpool" if kind == "globalavgpool" else "adaptivemaxpool"][rank]

    def make():
        return adaptive(1) if keepdims else nn.Sequential(adaptive(1), nn.Flatten())

    both = derive_both(text, make, torch_shape)
    assert both is not None
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    assert int(row.params) == 0


# Dense, flatten, batch norm, activations --------------------------------------


@examples(150)
@given(st.data())
def test_dense_matches_torch_linear(data):
    """Linear acts on the last axis in the file's order, whatever the rank."""
    draw = data.draw
    convention = draw(st.sampled_from(["torch", "keras"]))
    dims = draw(st.lists(st.integers(1, 7), min_size=1, max_size=4), label="input dims")
    units = draw(st.integers(1, 8))
    flatten_first = draw(st.booleans())
    header, bias_option, bias = bias_choice(draw)
    lines = [f"convention {convention}", *header, "input " + ", ".join(map(str, dims))]
    if flatten_first:
        lines.append("flatten")
    lines.append("dense " + ", ".join([str(units), *bias_option]))
    text = "\n".join(lines) + "\n"
    in_features = math.prod(dims) if flatten_first else dims[-1]

    def make():
        linear = nn.Linear(in_features, units, bias=bias)
        return nn.Sequential(nn.Flatten(), linear) if flatten_first else linear

    # The file's dims are the tensor's dims: Linear and Flatten do not care about layout.
    both = derive_both(text, make, tuple(dims))
    assert both is not None
    net, result = both
    row = net.rows[-1]
    linear = result.module[1] if flatten_first else result.module
    assert ints(row.output.dims) == tuple(result.out.shape[1:])
    assert_params(row, result.module, text, weight_module=linear)
    assert int(row.macs) == linear_macs(linear, result.out)
    if flatten_first:
        flat = net.rows[0]
        assert flat.output.axes == "F"
        assert ints(flat.output.dims) == (math.prod(dims),)
        assert int(flat.params) == 0
    if convention == "torch":
        assert row.title == "Linear"


@examples(100)
@given(st.data())
def test_batchnorm_matches_torch(data):
    draw = data.draw
    rank = draw(st.sampled_from([0, 1, 2, 3]), label="rank")  # 0: features after flatten-like input
    channels = draw(st.integers(1, 16))
    spatial = draw(spatial_shape(rank, cap=4)) if rank else ()
    channels_last = draw(st.booleans())
    torch_shape = (channels, *spatial)
    first = f"input {channels}" if rank == 0 else input_line(torch_shape, channels_last)
    text = f"{first}\nbatchnorm\n"
    both = derive_both(text, lambda: BATCHNORM[max(rank, 1)](channels), torch_shape)
    assert both is not None
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    assert_params(row, result.module, text)
    assert int(row.params) == 2 * channels
    assert row.title == type(result.module).__name__


@examples(60)
@given(st.data())
def test_batchnorm_after_flatten_matches_batchnorm1d(data):
    draw = data.draw
    channels = draw(st.integers(1, 4))
    spatial = draw(spatial_shape(2, cap=5))
    torch_shape = (channels, *spatial)
    text = f"{input_line(torch_shape, False)}\nflatten\nbatchnorm\n"
    features = math.prod(torch_shape)
    both = derive_both(text, lambda: nn.Sequential(nn.Flatten(), nn.BatchNorm1d(features)), torch_shape)
    assert both is not None
    net, result = both
    row = net.rows[-1]
    assert_shape(row, result.out, text)
    assert_params(row, result.module, text, weight_module=result.module[1])
    assert row.title == "BatchNorm1d"


ACTIVATIONS = [
    ("relu", nn.ReLU()),
    ("relu6", nn.ReLU6()),
    ("leakyrelu", nn.LeakyReLU()),
    ("elu", nn.ELU()),
    ("selu", nn.SELU()),
    ("gelu", nn.GELU()),
    ("silu", nn.SiLU()),
    ("sigmoid", nn.Sigmoid()),
    ("tanh", nn.Tanh()),
    ("softmax", nn.Softmax(dim=1)),
    ("logsoftmax", nn.LogSoftmax(dim=1)),
    ("hardswish", nn.Hardswish()),
    ("dropout 0.25", nn.Dropout(0.25)),
]


@pytest.mark.parametrize("statement, module", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_keep_shape_and_have_no_params(statement, module):
    torch_shape = (3, 5, 7)
    text = f"{input_line(torch_shape, False)}\n{statement}\n"
    both = derive_both(text, lambda: module, torch_shape)
    assert both is not None
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    assert int(row.params) == param_count(module) == 0
    assert row.title == type(module).__name__


# Keras conventions, built from torch -------------------------------------------


@examples(150)
@given(st.data())
def test_keras_conv_same_and_valid_match_tf_padding(data):
    """Keras padding=same is TF's asymmetric padding (left = total // 2): out = ceil(N/S)."""
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank), label="spatial")
    channels = draw(st.integers(1, 4))
    filters = draw(st.integers(1, 6))
    kernel_dsl, kernel = draw(sizes(1, KERNEL_CAP[rank], rank), label="kernel")
    stride_dsl, stride = draw(sizes(1, 3, rank), label="stride")
    options = [str(filters), dsl(kernel_dsl), f"stride={dsl(stride_dsl)}"]
    dilation = (1,) * rank
    if all(s == 1 for s in stride) and draw(st.booleans()):  # Keras refuses dilation with stride > 1
        dilation_dsl, dilation = draw(sizes(1, 3, rank), label="dilation")
        options.append(f"dilation={dsl(dilation_dsl)}")
    padding = draw(st.sampled_from(["same", "valid"]))
    options.append(f"padding={padding}")
    header, bias_option, bias = bias_choice(draw)
    options += bias_option
    torch_shape = (channels, *spatial)
    file_dims = (*spatial, channels)
    text = (
        "\n".join(
            ["convention keras", *header, "input " + ", ".join(map(str, file_dims)), "conv " + ", ".join(options)]
        )
        + "\n"
    )
    pairs = tf_same_pairs(spatial, kernel, stride, dilation) if padding == "same" else ((0, 0),) * rank

    def make():
        return nn.Sequential(
            Pad(pairs), CONV[rank](channels, filters, kernel, stride=stride, padding=0, dilation=dilation, bias=bias)
        )

    both = derive_both(text, make, torch_shape)
    if padding == "same":
        assert both is not None, "padding=same never fails"
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    conv = result.module[1]
    assert row.output.axes.endswith("C")
    assert_shape(row, result.out, text)
    if padding == "same":
        assert ints(row.output.dims)[:-1] == tuple(-(-n // s) for n, s in zip(spatial, stride))
    assert_params(row, result.module, text, weight_module=conv)
    assert int(row.macs) == conv_macs(conv, result.out)


@examples(120)
@given(st.data())
def test_keras_pooling_same_and_valid_match_tf_padding(data):
    draw = data.draw
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    rank = draw(st.sampled_from([1, 2, 3]), label="rank")
    spatial = draw(spatial_shape(rank), label="spatial")
    channels = draw(st.integers(1, 3))
    size_dsl, size = draw(sizes(1, 4, rank), label="size")
    options = [dsl(size_dsl)]
    stride = size
    if draw(st.booleans()):
        stride_dsl, stride = draw(sizes(1, 3, rank), label="stride")
        options.append(f"stride={dsl(stride_dsl)}")
    padding = draw(st.sampled_from(["same", "valid", None]))
    if padding:
        options.append(f"padding={padding}")
    torch_shape = (channels, *spatial)
    text = f"convention keras\ninput {', '.join(map(str, (*spatial, channels)))}\n{kind} {', '.join(options)}\n"
    pairs = tf_same_pairs(spatial, size, stride, (1,) * rank) if padding == "same" else ((0, 0),) * rank
    pool = MAXPOOL if kind == "maxpool" else AVGPOOL

    def make():
        return nn.Sequential(
            Pad(pairs, value=-math.inf if kind == "maxpool" else 0.0), pool[rank](size, stride=stride, padding=0)
        )

    both = derive_both(text, make, torch_shape)
    if padding == "same":
        assert both is not None
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    assert int(row.params) == 0


@examples(60)
@given(st.data())
def test_keras_batchnorm_counts_moving_statistics(data):
    """Keras counts torch's running_mean and running_var buffers as 2C non-trainable params."""
    draw = data.draw
    rank = draw(st.sampled_from([0, 1, 2, 3]))
    channels = draw(st.integers(1, 16))
    spatial = draw(spatial_shape(rank, cap=4)) if rank else ()
    torch_shape = (channels, *spatial)
    file_dims = (*spatial, channels)
    text = f"convention keras\ninput {', '.join(map(str, file_dims))}\nbatchnorm\n"
    both = derive_both(text, lambda: BATCHNORM[max(rank, 1)](channels), torch_shape)
    assert both is not None
    net, result = both
    (row,) = net.rows
    bn = result.module
    moving = bn.running_mean.numel() + bn.running_var.numel()
    assert_shape(row, result.out, text)
    assert int(row.trainable_params) == param_count(bn)
    assert int(row.weights) == bn.weight.numel() and int(row.bias) == bn.bias.numel()
    assert int(row.non_trainable_params) == moving
    assert int(row.params) == param_count(bn) + moving == 4 * channels
    assert row.title == "BatchNormalization"


# Chains -------------------------------------------------------------------------


@dataclass
class Chain:
    rank: int
    torch_shape: tuple[int, ...]
    channels_last: bool
    statements: list[str]
    factories: list = field(repr=False)  # each: torch input shape (with batch) -> module


@st.composite
def chains(draw) -> Chain:
    """A random conv/pool/norm sequence, sometimes ending in flatten and dense."""
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    lo, hi = {1: (6, 40), 2: (6, 32), 3: (3, 10)}[rank]
    spatial = draw(spatial_shape(rank, lo=lo, cap=hi))
    channels = draw(st.integers(1, 4))
    statements, factories = [], []
    c = channels
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(
                ["conv", "conv", "conv", "maxpool", "avgpool", "batchnorm", "relu", "dropout", "adaptiveavgpool"]
            )
        )
        if kind == "conv":
            filters = draw(st.integers(1, 6))
            groups = draw(st.sampled_from([g for g in (1, 2, 3, c) if c % g == 0 and filters % g == 0]))
            kernel_dsl, kernel = draw(sizes(1, 3, rank))
            stride_dsl, stride = draw(sizes(1, 2, rank))
            dilation_dsl, dilation = draw(sizes(1, 2, rank))
            padding = (
                draw(st.sampled_from([0, 1, 2, "same"])) if all(s == 1 for s in stride) else draw(st.integers(0, 2))
            )
            bias = draw(st.booleans())
            statements.append(
                f"conv {filters}, {dsl(kernel_dsl)}, stride={dsl(stride_dsl)}, padding={dsl(padding)}, "
                f"dilation={dsl(dilation_dsl)}, groups={groups}, bias={dsl(bias)}"
            )
            factories.append(
                lambda shape, c=c, f=filters, k=kernel, s=stride, p=padding, d=dilation, g=groups, b=bias: CONV[rank](
                    c, f, k, stride=s, padding=p, dilation=d, groups=g, bias=b
                )
            )
            c = filters
        elif kind in ("maxpool", "avgpool"):
            size_dsl, size = draw(sizes(1, 3, rank))
            stride_dsl, stride = draw(st.one_of(st.just((None, None)), sizes(1, 2, rank)))
            padding = draw(st.integers(0, 1))
            ceil_mode = draw(st.booleans())
            text = f"{kind} {dsl(size_dsl)}, padding={padding}, ceil_mode={dsl(ceil_mode)}"
            if stride is not None:
                text += f", stride={dsl(stride_dsl)}"
            statements.append(text)
            pool = MAXPOOL if kind == "maxpool" else AVGPOOL
            factories.append(
                lambda shape, pool=pool, k=size, s=stride, p=padding, cm=ceil_mode: pool[rank](
                    k, stride=s, padding=p, ceil_mode=cm
                )
            )
        elif kind == "batchnorm":
            statements.append("batchnorm")
            factories.append(lambda shape, c=c: BATCHNORM[rank](c))
        elif kind == "relu":
            statements.append("relu")
            factories.append(lambda shape: nn.ReLU())
        elif kind == "dropout":
            statements.append("dropout 0.5")
            factories.append(lambda shape: nn.Dropout(0.5))
        else:
            size_dsl, size = draw(sizes(1, 6, rank))
            statements.append(f"adaptiveavgpool {dsl(size_dsl)}")
            factories.append(lambda shape, size=size: ADAPTIVE["adaptiveavgpool"][rank](size))
    if draw(st.booleans()):
        units = draw(st.integers(1, 10))
        statements += ["flatten", f"dense {units}"]
        factories += [lambda shape: nn.Flatten(), lambda shape, u=units: nn.Linear(shape[-1], u)]
    return Chain(rank, (channels, *spatial), draw(st.booleans()), statements, factories)


def run_chain_in_torch(chain: Chain):
    """Per layer (module, output); and the index of the layer torch rejects (None if none)."""
    x = torch.zeros(1, *chain.torch_shape)
    steps = []
    with torch.no_grad():
        for index, factory in enumerate(chain.factories):
            try:
                module = factory(tuple(x.shape)).eval()
                x = module(x)
            except (RuntimeError, ValueError):
                return steps, index
            steps.append((module, x))
            if min(x.shape) < 1:
                return steps, index
    return steps, None


def assert_layer_matches(row, module, out, text, resolve=int):
    expected = file_order(tuple(out.shape[1:]), row.output.axes)
    got = tuple(resolve(d) for d in row.output.dims)
    assert got == expected, f"{row.name}: symcnn {got} torch {expected}\n{text}"
    assert resolve(row.params) == param_count(module), f"{row.name}: params {row.params}\n{text}"
    if getattr(module, "weight", None) is not None:
        assert resolve(row.weights) == module.weight.numel()
        assert resolve(row.bias) == bias_count(module)
    if isinstance(module, nn.modules.conv._ConvNd):
        assert resolve(row.macs) == conv_macs(module, out), f"{row.name}: MACs {row.macs}\n{text}"
    if isinstance(module, nn.Linear):
        assert resolve(row.macs) == linear_macs(module, out), f"{row.name}: MACs {row.macs}\n{text}"
    if not isinstance(module, (nn.Flatten, nn.Dropout)):
        assert row.title == type(module).__name__


@examples(200)
@given(chains())
def test_chain_matches_torch_layer_by_layer(chain):
    lines = [input_line(chain.torch_shape, chain.channels_last), *chain.statements]
    text = "\n".join(lines) + "\n"
    note(text)
    steps, failed = run_chain_in_torch(chain)
    net, error = run_symcnn(text)
    if failed is not None:
        assert error is not None, f"torch rejects layer {failed + 1} but symcnn accepts:\n{text}"
        # symcnn blames the statement torch fails at (line 1 is the input).
        assert error.span is not None and error.span.line == failed + 2, (
            f"symcnn blames line {error.span}: {error}\n{text}"
        )
        return
    assert error is None, f"symcnn rejects but torch accepts:\n{text}\n{error}"
    assert len(net.rows) == len(steps)
    for row, (module, out) in zip(net.rows, steps):
        assert_layer_matches(row, module, out, text)
    total = sum(param_count(module) for module, _ in steps)
    assert int(net.totals["params"]) == total


# No shrinking: each symbolic example is costly and shrinking a failure here took minutes;
# the failing example is printed as found (test_chain_matches_torch_layer_by_layer shrinks).
@examples(120, phases=[Phase.explicit, Phase.generate])
@given(chains(), st.data())
def test_symbolic_chain_evaluates_to_torch(chain, data):
    """With the input dims (channels too) kept symbolic, the formulas evaluate to torch's numbers.

    Per layer (through the bindings), in closed form, and for parameters and
    MACs; the values come from the file, from overrides (--set), or from
    Network.assign. Where torch rejects, a condition must be false at the values.
    """
    names = ("C", *SPATIAL_NAMES[chain.rank])
    values = dict(zip(names, chain.torch_shape))
    how = data.draw(st.sampled_from(["file", "overrides", "assign"]), label="values from")
    in_file = dict(values)
    if how != "file":
        # Other values in the file, still valid where the real ones are: more channels
        # (a multiple keeps every groups divisor), larger spatial dims.
        in_file["C"] *= data.draw(st.integers(2, 3))
        for name in names[1:]:
            in_file[name] += data.draw(st.integers(1, 20))
    lines = [f"{name} = {value}" for name, value in in_file.items()]
    lines += [input_line(names, chain.channels_last), *chain.statements]
    text = "\n".join(lines) + "\n"
    note(f"values {values} from {how}:\n{text}")
    steps, failed = run_chain_in_torch(chain)
    overrides = values if how == "overrides" else None
    net, error = run_symcnn(text, symbolic="all", overrides=overrides)
    first_layer_line = len(values) + 2
    if error is not None:
        # Only a rule that does not depend on the symbols fails outright (e.g. pooling padding); a
        # layer before it may break a symbolic condition first, so torch may stop earlier.
        assert failed is not None, f"symcnn rejects but torch accepts:\n{text}\n{error}"
        assert first_layer_line + failed <= error.span.line, f"torch rejects layer {failed + 1}; {error}\n{text}"
        return
    assert net.is_symbolic
    known = net.assign(values if how == "assign" else {})
    violated = [c for c in net.conditions if c.predicate.xreplace(known) == False]  # noqa: E712
    undecided = [c for c in net.conditions if c.predicate.xreplace(known) not in (True, False)]
    assert not undecided, f"conditions left undecided at the values: {[c.rule for c in undecided]}\n{text}"
    if failed is not None:
        assert violated, f"torch rejects layer {failed + 1}, yet every condition holds at {values}:\n{text}"
        assert violated[0].span.line == first_layer_line + failed, f"{violated[0].rule} at {violated[0].span}\n{text}"
        return
    assert not violated, f"{violated[0].rule} is false at {values}, but torch accepts:\n{text}"
    at_values = {parameter.value: values[name] for name, parameter in net.parameters.items()}

    def resolve(expr):
        return int(expr.xreplace(known))

    assert len(net.rows) == len(steps)
    for row, (module, out) in zip(net.rows, steps):
        assert_layer_matches(row, module, out, text, resolve=resolve)
        for dim, expected in zip(row.output.dims, file_order(tuple(out.shape[1:]), row.output.axes)):
            closed = net.closed_form(dim)
            if closed is not None:
                assert closed.free_symbols <= set(at_values), closed
                assert int(closed.xreplace(at_values)) == expected, f"{row.name}: closed form {closed}\n{text}"
    assert resolve(net.totals["params"]) == sum(param_count(module) for module, _ in steps)


# Known disagreements with torch, as minimal examples -----------------------------


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_maxpool_padding_limit_is_half_the_kernel_not_the_dilated_kernel(rank):
    """torch's max pooling checks padding <= kernel_size / 2, dilation or not (MaxPoolNd docs, Pool.h)."""
    torch_shape = (2, *[9] * rank)
    text = f"{input_line(torch_shape, False)}\nmaxpool 3, padding=2, dilation=2\n"
    result = run_torch(lambda: MAXPOOL[rank](3, padding=2, dilation=2), torch_shape)
    assert result.error is not None  # "pad should be smaller than or equal to half of kernel size"
    with pytest.raises(symcnn.SymcnnError):
        symcnn.loads(text)


def test_avgpool3d_rejects_an_input_smaller_than_the_kernel_even_when_padded():
    """torch's AvgPool3d (only) checks the unpadded input against the kernel: 'input image smaller than kernel size'."""
    torch_shape = (1, 2, 2, 2)
    text = f"{input_line(torch_shape, False)}\navgpool 3, stride=1, padding=1\n"
    result = run_torch(lambda: nn.AvgPool3d(3, stride=1, padding=1), torch_shape)
    assert result.error is not None
    assert tuple(nn.AvgPool2d(3, stride=1, padding=1)(torch.zeros(1, 1, 2, 2)).shape) == (1, 1, 2, 2)  # 2d allows it
    with pytest.raises(symcnn.SymcnnError):
        symcnn.loads(text)


# Transposed and separable convolution, upsampling, zero padding, layer norm ----------

TRANSPOSED = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
ZERO_PAD = {1: nn.ZeroPad1d, 2: nn.ZeroPad2d, 3: nn.ZeroPad3d}


@examples(200)
@given(st.data())
def test_transposed_conv_matches_torch(data):
    """(N - 1)S - 2P + d(F - 1) + output_padding + 1; MACs scatter every input element."""
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    spatial = draw(spatial_shape(rank, cap=9 if rank < 3 else 5))
    kernel, stride, dilation = (draw(st.integers(1, 4)) for _ in range(3))
    padding = draw(st.integers(0, 3))
    output_padding = draw(st.integers(0, 3))
    bias = draw(st.booleans())
    text = (
        f"input {c_in}, {', '.join(map(str, spatial))}\n"
        f"convtranspose {c_out}, {kernel}, stride={stride}, padding={padding}, output_padding={output_padding}, "
        f"dilation={dilation}, groups={groups}, bias={'true' if bias else 'false'}\n"
    )

    def make():
        return TRANSPOSED[rank](c_in, c_out, kernel, stride, padding, output_padding, groups, bias, dilation)

    both = derive_both(text, make, (c_in, *spatial))
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    assert_params(row, result.module, text)
    scattered = c_in * spatial_elements(spatial) * (c_out // groups) * kernel**rank
    assert int(row.macs) == scattered


def spatial_elements(spatial) -> int:
    return math.prod(spatial)


@examples(100)
@given(st.data())
def test_separable_conv_is_depthwise_then_pointwise(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2]))
    c_in, filters, multiplier = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    spatial = draw(spatial_shape(rank, cap=10))
    kernel, stride = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.integers(0, 1))
    bias = draw(st.booleans())
    text = (
        f"input {c_in}, {', '.join(map(str, spatial))}\n"
        f"sepconv {filters}, {kernel}, stride={stride}, padding={padding}, depth_multiplier={multiplier}, "
        f"bias={'true' if bias else 'false'}\n"
    )
    conv = {1: nn.Conv1d, 2: nn.Conv2d}[rank]

    def make():
        depthwise = conv(c_in, c_in * multiplier, kernel, stride, padding, groups=c_in, bias=False)
        return nn.Sequential(depthwise, conv(c_in * multiplier, filters, 1, bias=bias))

    both = derive_both(text, make, (c_in, *spatial))
    if both is None:
        return
    net, result = both
    (row,) = net.rows
    assert_shape(row, result.out, text)
    depthwise, pointwise = result.module
    assert int(row.params) == param_count(result.module)
    positions = spatial_elements(result.out.shape[2:])
    assert int(row.macs) == positions * (c_in * multiplier * kernel**rank + c_in * multiplier * filters)
    assert int(row.bias) == bias_count(pointwise)


@examples(100)
@given(st.data())
def test_upsample_and_zero_padding_match_torch(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 3]))
    channels = draw(st.integers(1, 3))
    spatial = draw(spatial_shape(rank, cap=6))
    scale = draw(st.integers(1, 3))
    pads = [(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(rank)]
    text = (
        f"input {channels}, {', '.join(map(str, spatial))}\n"
        f"upsample {scale}\n"
        f"zeropad ({', '.join(f'({left}, {right})' for left, right in pads)},)\n"
    )
    # torch pads the last dim first: (W_left, W_right, H_left, H_right, ...)
    torch_pads = tuple(value for pair in reversed(pads) for value in pair)

    def make():
        return nn.Sequential(nn.Upsample(scale_factor=scale), ZERO_PAD[rank](torch_pads))

    both = derive_both(text, make, (channels, *spatial))
    assert both is not None
    net, result = both
    assert_shape(net.rows[-1], result.out, text)
    assert all(int(row.params) == 0 for row in net.rows)


@examples(100)
@given(st.data())
def test_layer_norm_matches_torch(data):
    draw = data.draw
    dims = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4), label="input dims")
    normalised = draw(st.integers(1, len(dims)))
    text = f"input {', '.join(map(str, dims))}\nlayernorm {normalised}\n"
    net = symcnn.loads(text)
    (row,) = net.rows
    torch_norm = nn.LayerNorm(tuple(dims[-normalised:]))
    assert ints(row.output.dims) == tuple(torch_norm(torch.zeros(1, *dims)).shape[1:])
    assert int(row.params) == param_count(torch_norm)
    assert int(row.weights) == torch_norm.weight.numel()
