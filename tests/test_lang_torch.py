"""The language's gates, expressions, block arguments, splits and named skips, against PyTorch itself.

Each test writes a network in the DSL and builds the same computation with torch (and torchvision's
own helpers where they exist: SqueezeExcitation, _make_divisible, channel_shuffle); shapes come from a
forward pass and counts from the modules' parameters.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")
torch.library.register_fake = lambda *a, **k: lambda f: f  # its CUDA wheel's ops do not load on CPU torch

import torch.nn as nn  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torchvision.models._utils import _make_divisible  # noqa: E402
from torchvision.models.shufflenetv2 import channel_shuffle  # noqa: E402
from torchvision.ops import SqueezeExcitation  # noqa: E402

import symcnn  # noqa: E402
from symcnn.errors import SymcnnError  # noqa: E402

torch.set_num_threads(1)
EXAMPLES = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@EXAMPLES
@given(c=st.integers(1, 48), squeeze=st.integers(1, 24), h=st.integers(1, 9), w=st.integers(1, 9))
def test_squeeze_excitation_is_torchvisions(c, squeeze, h, w):
    network = symcnn.loads(
        f"input {c}, {h}, {w}\n"
        f"se: scale {{ globalavgpool keepdims=true; conv {squeeze}, 1; relu; conv {c}, 1; sigmoid }}\n"
    )
    module = SqueezeExcitation(c, squeeze)
    out = module(torch.zeros(1, c, h, w))
    assert tuple(network.rows[-1].output.dims) == tuple(out.shape[1:])
    assert network.quantity("total", "params") == params(module)
    assert network.quantity("gate1", "params") == params(module)


@EXAMPLES
@given(c=st.integers(2, 16), g=st.integers(1, 16), h=st.integers(1, 6), gh=st.sampled_from([1, "h"]))
def test_a_gate_broadcasts_exactly_when_torch_broadcasts(c, g, h, gh):
    gate_h = h if gh == "h" else 1
    text = f"input {c}, {h}, {h}\nscale {{ adaptiveavgpool ({gate_h}, 1); conv {g}, 1 }}\n"
    x = torch.zeros(1, c, h, h)
    gate = nn.Conv2d(c, g, 1)(nn.AdaptiveAvgPool2d((gate_h, 1))(x))
    try:
        torch_shape = tuple((x * gate).shape)
    except RuntimeError:
        torch_shape = None
    if torch_shape is None or torch_shape != tuple(x.shape):  # symcnn keeps the main path's shape
        with pytest.raises(SymcnnError):
            symcnn.loads(text)
    else:
        assert tuple(symcnn.loads(text).rows[-1].output.dims) == torch_shape[1:]


@EXAMPLES
@given(c=st.integers(2, 16), g=st.integers(1, 16), h=st.integers(1, 6))
def test_a_symbolic_gates_condition_holds_exactly_when_torch_broadcasts(c, g, h):
    """With the gate's channels a parameter, the network's stated conditions hold at G exactly where torch
    multiplies the two without changing the main path's shape (a gate of 1 channel broadcasts too)."""
    text = f"G = {g}\ninput {c}, {h}, {h}\nscale {{ globalavgpool keepdims=true; conv G, 1 }}\n"
    x = torch.zeros(1, c, h, h)
    gate = torch.zeros(1, g, 1, 1)
    try:
        broadcasts = (x * gate).shape == x.shape
    except RuntimeError:
        broadcasts = False
    network = symcnn.loads(text, symbolic=["G"])
    point = {symbol: g for symbol in network.symbols}
    assert all(bool(r.predicate.xreplace(point)) for r in network.requirements) == broadcasts


@EXAMPLES
@given(c=st.integers(1, 4), k=st.sampled_from([1, 3, 5]), h=st.integers(7, 9), pooled=st.booleans())
def test_a_gates_receptive_field_is_where_the_gradient_reaches(c, k, h, pooled):
    """A gate of the input's size widens the field to its own; a gate pooled to 1 x 1 lets the centre output reach
    every input pixel, which no window of one size and stride describes: then there is no field."""
    gate_text = f"globalavgpool keepdims=true; conv {c}, 1" if pooled else f"conv {c}, {k}, padding={k // 2}"
    text = f"input {c}, {h}, {h}\nconv {c}, 3, padding=1\nscale {{ {gate_text}; sigmoid }}\n"
    main = nn.Conv2d(c, c, 3, padding=1)
    gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c, 1)) if pooled else nn.Conv2d(c, c, k, padding=k // 2)
    for module in (main, gate):  # small positive weights and inputs: no gradients cancel, no sigmoid saturates
        for weights in module.parameters():
            nn.init.constant_(weights, 0.01)
    x = torch.rand(1, c, h, h).add(0.5).requires_grad_()
    y = main(x)
    out = y * torch.sigmoid(gate(y))
    out[0, :, h // 2, h // 2].sum().backward()
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2))).flatten()
    reach = int(rows.max() - rows.min() + 1)
    field = symcnn.loads(text).rows[-1].receptive
    if pooled:
        assert reach == h and field is None
    else:
        assert field.size == (reach, reach) == (2 + k, 2 + k)


@EXAMPLES
@given(
    channels=st.integers(1, 2000),
    width=st.sampled_from([Fraction(n, 100) for n in (25, 35, 50, 75, 100, 125, 140, 150, 200)]),
    divisor=st.sampled_from([1, 2, 4, 8, 16, 32]),
)
def test_make_divisible_written_in_the_file_is_torchvisions(channels, width, divisor):
    text = (
        f"v = {channels} * {float(width)}\n"
        f"d = max({divisor}, (v + {divisor} / 2) // {divisor} * {divisor})\n"
        f"c = d + {divisor} if d < 0.9 * v else d\n"
        "input 3, 4, 4\nconv c, 1\n"
    )
    network = symcnn.loads(text)
    # Fractions keep torchvision's arithmetic exact, as symcnn's is (its floats would be the only difference).
    assert network.rows[0].output.dims[0] == _make_divisible(channels * width, Fraction(divisor))


@EXAMPLES
@given(a=st.integers(-50, 50), b=st.integers(1, 20), n=st.integers(-40, 40))
def test_max_min_round_and_mod_are_pythons(a, b, n):
    text = f"x = max({a}, {b} * 2, 3) + min({a}, {b}) + round({n} / 4) + {a} % {b} + (1 if {a} <= {b} else 2)\n"
    expected = max(a, b * 2, 3) + min(a, b) + round(Fraction(n, 4)) + a % b + (1 if a <= b else 2)
    network = symcnn.loads(text + "input 3\ndense 1\n")
    assert network.parameters["x"].value == expected


def test_max_and_min_of_symbols_stay_symbolic():
    network = symcnn.loads("c = 64\nr = max(1, c // 4)\ninput c, 8, 8\nconv r, 1\n", symbolic=["c"])
    assert "Max" in str(network.parameters["r"].value)
    assert network.closed_form(network.rows[0].output.dims[0]).xreplace({network.parameters["c"].value: 64}) == 16


@pytest.mark.parametrize(
    "text",
    ["c = 8\nx = 1 if c > 4 else 2\ninput 3\ndense x\n", "c = 8\ninput 3\nif c > 4 { dense 2 }\n"],
)
def test_a_symbolic_condition_is_an_error_with_a_hint(text):
    with pytest.raises(SymcnnError) as error:
        symcnn.loads(text, symbolic=["c"])
    assert error.value.span is not None and error.value.hint


@EXAMPLES
@given(c=st.integers(1, 12), kh=st.integers(1, 7), kw=st.integers(1, 7), h=st.integers(7, 12), se=st.booleans())
def test_tuple_word_and_flag_arguments_pass_through_a_block(c, kh, kw, h, se):
    text = (
        "block unit(c, k=(1, 1), pad=valid, act=relu, se=false) {\n"
        "  conv c, k, padding=pad\n  act\n"
        "  if se { scale { globalavgpool keepdims=true; conv c, 1; relu; conv c, 1; sigmoid } } else { batchnorm }\n"
        "}\n"
        f"input 3, {h}, {h}\n"
        f"unit {c}, k=({kh}, {kw}), pad=same, act=hardswish, se={'true' if se else 'false'}\n"
    )
    network = symcnn.loads(text)
    conv = nn.Conv2d(3, c, (kh, kw), padding="same")
    tail = SqueezeExcitation(c, c, scale_activation=nn.Sigmoid) if se else nn.BatchNorm2d(c)
    module = nn.Sequential(conv, nn.Hardswish(), tail)
    out = module(torch.zeros(1, 3, h, h))
    assert tuple(network.rows[-1].output.dims) == tuple(out.shape[1:])
    assert network.quantity("total", "params") == params(module)
    assert [row.keyword for row in network.rows][1] == "hardswish"


@EXAMPLES
@given(half=st.integers(1, 24), h=st.integers(1, 8), groups=st.integers(1, 6))
def test_a_shufflenet_split_unit_is_torchs(half, h, groups):
    c = 2 * half
    text = (
        f"input {c}, {h}, {h}\n"
        f"concat {{ branch slice=(0, {c} // 2) {{ }} branch slice=({c} // 2, {c}) {{ conv {half}, 1 }} }}\n"
    )
    x = torch.zeros(1, c, h, h)
    left, right = x.chunk(2, dim=1)
    conv = nn.Conv2d(half, half, 1)
    out = torch.cat((left, conv(right)), dim=1)
    network = symcnn.loads(text)
    assert tuple(network.rows[-1].output.dims) == tuple(out.shape[1:])
    assert network.quantity("total", "params") == params(conv)


def test_the_importer_never_writes_a_keyword_as_a_name():
    from lark.lexer import PatternStr

    from symcnn.importers.writer import RESERVED
    from symcnn.parser import _lark

    words = {t.pattern.value for t in _lark().terminals if isinstance(t.pattern, PatternStr)}
    assert {word for word in words if word.isidentifier()} <= RESERVED


BNECK = """
block bneck(c_in, k, exp, c_out, se=false, act=relu, s=1) {
  if exp != c_in { conv exp, 1, bias=false; batchnorm; act }
  conv exp, k, stride=s, padding=(k - 1) // 2, groups=exp, bias=false; batchnorm; act
  squeeze = max(8, (exp // 4 + 4) // 8 * 8)
  squeeze = squeeze + 8 if squeeze < 0.9 * (exp // 4) else squeeze
  if se { scale { globalavgpool keepdims=true; conv squeeze, 1; relu; conv exp, 1; hardsigmoid } }
  conv c_out, 1, bias=false; batchnorm
}
"""


@pytest.mark.parametrize("arch", ["mobilenet_v3_small", "mobilenet_v3_large"])
def test_one_block_with_if_writes_every_mobilenet_v3_unit(arch):
    """Each inverted residual of torchvision's own configuration, as one block with `if` and word arguments."""
    import torchvision
    from torchvision.models.mobilenetv3 import _mobilenet_v3_conf

    settings_, _ = _mobilenet_v3_conf(arch)
    model = getattr(torchvision.models, arch)(weights=None).eval()
    x = model.features[0](torch.zeros(1, 3, 224, 224))
    for index, conf in enumerate(settings_, start=1):
        act = "hardswish" if conf.use_hs else "relu"
        se = "true" if conf.use_se else "false"
        text = (
            f"{BNECK}input {conf.input_channels}, {x.shape[2]}, {x.shape[3]}\n"
            f"bneck {conf.input_channels}, {conf.kernel}, {conf.expanded_channels}, {conf.out_channels}, "
            f"se={se}, act={act}, s={conf.stride}\n"
        )
        x = model.features[index](x)
        network = symcnn.loads(text)
        assert network.quantity("bneck1", "params") == params(model.features[index]), conf
        assert tuple(network.rows[-1].output.dims) == tuple(x.shape[1:])


@EXAMPLES
@given(n=st.integers(10, 40), c=st.integers(1, 8))
def test_unet_crop_and_copy_by_name_is_torchs(n, c):
    """U-Net's skip: the encoder's output center-cropped to the upsampled path's size, then concatenated."""
    from torchvision.transforms.functional import center_crop

    text = (
        f"input 1, {n}, {n}\n"
        f"enc: {{ conv {c}, 3; relu }}\nmaxpool 2\nconv {2 * c}, 3\nup: convtranspose {c}, 2, stride=2\n"
        "from enc\ncrop like=up\nconcat up\n"
    )
    enc, down, up = nn.Conv2d(1, c, 3), nn.Conv2d(c, 2 * c, 3), nn.ConvTranspose2d(2 * c, c, 2, stride=2)
    skip = torch.relu(enc(torch.zeros(1, 1, n, n)))
    try:
        upsampled = up(down(nn.MaxPool2d(2)(skip)))
    except RuntimeError:  # too small for the 3x3 conv after pooling
        with pytest.raises(SymcnnError):
            symcnn.loads(text)
        return
    out = torch.cat((center_crop(skip, list(upsampled.shape[2:])), upsampled), dim=1)
    network = symcnn.loads(text)
    assert tuple(network.rows[-1].output.dims) == tuple(out.shape[1:])
    assert network.quantity("total", "params") == sum(params(m) for m in (enc, down, up))


@EXAMPLES
@given(c=st.integers(1, 12), h=st.integers(1, 12), w=st.integers(1, 12))
def test_add_and_concat_by_name_agree_with_torch_or_both_refuse(c, h, w):
    text = f"input {c}, 12, 12\nfirst: conv {c}, 1\nconv {c}, (13 - {h}, 13 - {w})\nadd first\n"
    x = nn.Conv2d(c, c, 1)(torch.zeros(1, c, 12, 12))
    y = nn.Conv2d(c, c, (13 - h, 13 - w))(x)
    if y.shape != x.shape:  # an add joins equal shapes only (torch would broadcast a size 1: use scale for that)
        with pytest.raises(SymcnnError) as error:
            symcnn.loads(text)
        assert "first" in str(error.value) and error.value.span.line == 4
        return
    out = y + x
    network = symcnn.loads(text)
    assert tuple(network.rows[-1].output.dims) == tuple(out.shape[1:])
    # The join sees through both paths: the deeper one decides the field.
    assert network.rows[-1].receptive.size == network.rows[-2].receptive.size == (13 - h, 13 - w)


def test_a_name_not_yet_made_is_an_error_with_a_hint():
    with pytest.raises(SymcnnError) as error:
        symcnn.loads("input 3, 8, 8\nenc1: conv 4, 1\nadd enc2\n")
    assert error.value.span.line == 3 and error.value.span.column == 5 and "enc1" in (error.value.hint or "")


@EXAMPLES
@given(c=st.integers(1, 40), g=st.integers(1, 12), h=st.integers(1, 5))
def test_shuffle_is_torchs_channel_shuffle_and_refuses_as_it_does(c, g, h):
    text = f"input {c}, {h}, {h}\nshuffle {g}\n"
    x = torch.zeros(1, c, h, h)
    try:
        out = channel_shuffle(x, g)
    except RuntimeError:
        with pytest.raises(SymcnnError):
            symcnn.loads(text)
        return
    assert tuple(nn.ChannelShuffle(g)(x).shape) == tuple(out.shape)
    network = symcnn.loads(text)
    assert tuple(network.rows[-1].output.dims) == tuple(out.shape[1:])
    assert network.quantity("total", "params") == 0


@EXAMPLES
@given(c=st.integers(1, 96), h=st.integers(1, 8))
def test_a_convnext_block_with_layer_scale_and_droppath_is_torchvisions(c, h):
    from torchvision.models.convnext import CNBlock

    module = CNBlock(c, layer_scale=1e-6, stochastic_depth_prob=0.1)
    out = module(torch.zeros(1, c, h, h))
    text = (
        f"input {c}, {h}, {h}\n"
        f"residual {{ conv {c}, 7, padding=3, groups={c}; permute (2, 3, 1); layernorm; dense {4 * c}; gelu; "
        f"dense {c}; permute (3, 1, 2); layerscale; droppath 0.1 }}\n"
    )
    network = symcnn.loads(text)
    assert tuple(network.rows[-1].output.dims) == tuple(out.shape[1:])
    assert network.quantity("total", "params") == params(module)


@pytest.mark.parametrize("rate, valid", [("0", True), ("1", True), ("1.5", False), ("-0.1", False)])
def test_droppath_takes_the_rates_torchvision_takes(rate, valid):
    from torchvision.ops import StochasticDepth

    try:
        StochasticDepth(float(rate), "row").train()(torch.zeros(2, 3))
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == valid
    text = f"input 3, 4, 4\ndroppath {rate}\n"
    if valid:
        assert symcnn.loads(text).rows[0].title == "StochasticDepth"
    else:
        with pytest.raises(SymcnnError):
            symcnn.loads(text)


@EXAMPLES
@given(
    dims=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    start=st.integers(1, 4),
    order=st.randoms(use_true_random=False),
)
def test_flatten_start_permute_and_reshape_are_torchs(dims, start, order):
    x = torch.zeros(1, *dims)
    perm = list(range(1, len(dims) + 1))
    order.shuffle(perm)
    source = f"input {', '.join(map(str, dims))}\n"
    permuted = x.permute(0, *perm)
    network = symcnn.loads(source + f"permute ({', '.join(map(str, perm))},)\n")
    assert tuple(network.rows[-1].output.dims) == tuple(permuted.shape[1:])
    target = (int(x.numel()) // dims[0], dims[0])
    network = symcnn.loads(source + f"reshape {target}\n")
    assert tuple(network.rows[-1].output.dims) == tuple(x.reshape(1, *target).shape[1:])
    if start > len(dims):
        with pytest.raises(SymcnnError):
            symcnn.loads(source + f"flatten start={start}\n")
        return
    flat = nn.Flatten(start_dim=start)(x)
    network = symcnn.loads(source + f"flatten start={start}\n")
    assert tuple(network.rows[-1].output.dims) == tuple(flat.shape[1:])


def test_reshape_keeps_the_number_of_elements():
    with pytest.raises(SymcnnError) as error:
        symcnn.loads("input 4, 6, 6\nreshape (4, 35)\n")
    assert error.value.span.line == 2


@EXAMPLES
@given(
    n=st.integers(1, 30),
    m=st.integers(1, 30),
    scale=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    keep=st.booleans(),
    out=st.integers(1, 6),
)
def test_fractional_upsample_adaptive_none_and_batchnorm_without_affine_are_torchs(n, m, scale, keep, out):
    # Eighths are exact in binary: torch computes floor(N * S) in floating point.
    sh, sw = (Fraction(s, 8) for s in scale)
    text = (
        f"input 2, {n}, {m}\nupsample ({float(sh)}, {float(sw)})\n"
        f"adaptiveavgpool ({'None' if keep else out}, {out})\nbatchnorm affine=false\n"
    )
    module = nn.Sequential(
        nn.Upsample(scale_factor=(float(sh), float(sw))),
        nn.AdaptiveAvgPool2d((None if keep else out, out)),
        nn.BatchNorm2d(2, affine=False),
    ).eval()  # in training, batch norm refuses a single value per channel: a statistic, not a shape
    try:
        expected = tuple(module(torch.zeros(1, 2, n, m)).shape[1:])
    except RuntimeError:  # an upsampled size of 0
        with pytest.raises(SymcnnError):
            symcnn.loads(text)
        return
    network = symcnn.loads(text)
    assert tuple(network.rows[-1].output.dims) == expected
    assert network.quantity("total", "params") == params(module) == 0


@pytest.mark.parametrize(
    "join",
    ["add first", "concat first", "scale { adaptiveavgpool (1, 1); conv 4, 1 }\nscale { from first; conv 4, 1 }"],
)
def test_joins_with_symbols_become_conditions_that_values_decide(join):
    text = f"S = 2\ninput 4, 16, 16\nfirst: conv 4, 1\nconv 4, 1, stride=S\n{join}\n"
    network = symcnn.loads(text, symbolic=["S"])
    assert network.requirements, "the join's agreement is a condition on S"
    symcnn.loads(text, overrides={"S": 1})
    with pytest.raises(SymcnnError):
        symcnn.loads(text)  # S = 2: the paths differ
