"""Blocks, repeats, residual and concat branches: expansion, naming, agreement of paths, receptive fields."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.claims import check_claims
from symcnn.errors import LayerArgumentError, NeedsValueError, ShapeError, SymcnnError
from symcnn.views.summary import summary_items

BOTTLENECK = """
block bottleneck(c, s=1) {
  residual {
    conv c, 1, bias=false; batchnorm; relu
    conv c, 3, stride=s, padding=1, bias=false; batchnorm; relu
    conv 4 * c, 1, bias=false; batchnorm
  } shortcut {
    conv 4 * c, 1, stride=s, bias=false; batchnorm
  }
  relu
}
"""


def dims(shape):
    return tuple(int(d) for d in shape.dims)


def test_block_layers_are_named_within_the_block():
    net = symcnn.loads(BOTTLENECK + "input 64, 56, 56\nbottleneck 64\nbottleneck 64\n")
    names = [row.name for row in net.rows]
    assert names[:3] == ["bottleneck1.conv1", "bottleneck1.batchnorm1", "bottleneck1.relu1"]
    assert "bottleneck1.shortcut1.conv1" in names and "bottleneck1.add1" in names
    assert names[-1] == "bottleneck2.relu3"
    assert [c.name for c in net.containers] == [
        "bottleneck1",
        "bottleneck1.shortcut1",
        "bottleneck2",
        "bottleneck2.shortcut1",
    ]


def test_block_totals_match_torch():
    torch_block = torch.nn.ModuleList(
        [
            torch.nn.Conv2d(64, 64, 1, bias=False),
            torch.nn.BatchNorm2d(64),
            torch.nn.Conv2d(64, 64, 3, padding=1, bias=False),
            torch.nn.BatchNorm2d(64),
            torch.nn.Conv2d(64, 256, 1, bias=False),
            torch.nn.BatchNorm2d(256),
            torch.nn.Conv2d(64, 256, 1, bias=False),
            torch.nn.BatchNorm2d(256),
        ]
    )
    expected = sum(p.numel() for p in torch_block.parameters())
    net = symcnn.loads(BOTTLENECK + "input 64, 56, 56\nbottleneck 64\n")
    assert net.quantity("bottleneck1", "params") == expected
    assert net.quantity("bottleneck1", "shape") == (256, 56, 56)


def test_tree_items_put_containers_before_their_layers_and_collapse_by_depth():
    net = symcnn.loads(BOTTLENECK + "input 64, 56, 56\nconv 64, 1\nbottleneck 64\n")
    items = summary_items(net)
    assert [i.name for i in items[:3]] == ["conv1", "bottleneck1", "bottleneck1.conv1"]
    assert [i.name for i in summary_items(net, depth=1)] == ["conv1", "bottleneck1"]
    collapsed = summary_items(net, depth=1)[1]
    assert collapsed.params == net.quantity("bottleneck1", "params")


def test_repeat_and_block_defaults_and_locals():
    text = "block b(c, k=3) {\n  half = c // 2\n  conv half, k, padding=k // 2\n}\ninput 3, 16, 16\nrepeat 3 { b 8 }\nb 8, k=5\n"
    net = symcnn.loads(text)
    assert [row.name for row in net.rows] == ["b1.conv1", "b2.conv1", "b3.conv1", "b4.conv1"]
    assert dims(net.output) == (4, 16, 16)
    assert net.row("b4.conv1").params == 4 * 4 * 25 + 4


def test_a_block_sees_the_files_parameters_and_its_arguments_not_its_callers_locals():
    # A caller's local (or parameter) of the same name must not leak into a block it uses: the inner block's
    # `w` is the file's 4 in both calls, and a name only the caller defines is unknown inside the callee.
    inner = "w = 4\nblock inner(c) { conv c * w, 1 }\n"
    outer = "block outer(c, w=8) {\n  g = 2\n  inner c\n}\ninput 3, 8, 8\nouter 1\nouter 1, w=16\n"
    net = symcnn.loads(inner + outer)
    assert [dims(row.output)[0] for row in net.rows] == [4, 4]
    with pytest.raises(SymcnnError, match="unknown name 'g'"):
        symcnn.loads(
            "block inner(c) { conv c * g, 1 }\nblock outer(c) {\n  g = 2\n  inner c\n}\ninput 3, 8, 8\nouter 1\n"
        )
    # a default is evaluated where the block is defined: in the file's parameters and the earlier arguments
    net = symcnn.loads(
        "k = 3\nblock b(c, p=k // 2) { conv c, k, padding=p }\nblock o() {\n  k = 5\n  b 2\n}\ninput 3, 8, 8\no\n"
    )
    assert dims(net.output) == (2, 8, 8)


def test_residual_shape_mismatch_names_both_paths():
    with pytest.raises(ShapeError) as caught:
        symcnn.loads("input 8, 16, 16\nresidual { conv 8, 3 }\n")
    message = caught.value.message
    assert message.startswith("add1: the paths must have the same height")
    assert "main path (8, 14, 14)" in message and "shortcut (8, 16, 16)" in message


def test_concat_sums_channels_and_checks_other_dims():
    net = symcnn.loads("input 3, 9, 9\nconcat {\n branch { conv 4, 1 }\n branch { conv 5, 3, padding=1 }\n}\n")
    assert dims(net.output) == (9, 9, 9)
    with pytest.raises(ShapeError, match="branch1 \\(4, 9, 9\\), branch2 \\(5, 7, 7\\)"):
        symcnn.loads("input 3, 9, 9\nconcat {\n branch { conv 4, 1 }\n branch { conv 5, 3 }\n}\n")


def test_symbolic_paths_that_always_agree_give_no_condition():
    text = BOTTLENECK.replace("bottleneck", "b") + "H = 56\ninput 64, H, H\nb 64, s=2\n"
    net = symcnn.loads(text, symbolic=["H"])
    assert not [c for c in net.conditions if "same" in c.rule]


def test_paths_that_differ_for_every_input_are_an_error_even_with_symbols():
    text = "H = 8\nW = 8\ninput 2, H, W\nresidual { conv 2, (1, 2) } shortcut { conv 2, (2, 1) }\n"
    with pytest.raises(ShapeError, match="the paths must have the same height"):
        symcnn.loads(text, symbolic=["H", "W"])


def test_paths_that_agree_for_some_inputs_become_a_condition():
    # floor(H/2) from the pool, ceil(H/2) from the strided 1x1 conv: equal only for even H.
    text = "H = 8\ninput 2, H, 8\nresidual { maxpool 2 } shortcut { conv 2, 1, stride=2 }\n"
    net = symcnn.loads(text, symbolic=["H"])
    agreement = [c for c in net.conditions if "same height" in c.rule]
    assert len(agreement) == 1
    for h in range(2, 40):
        if h % 2 == 0:
            symcnn.loads(text, overrides={"H": h})
        else:
            with pytest.raises(ShapeError, match="same height"):
                symcnn.loads(text, overrides={"H": h})


def test_blocks_cannot_recurse_and_repeat_counts_must_be_numbers():
    with pytest.raises(SymcnnError, match="uses itself"):
        symcnn.loads("block a(c) { a c }\ninput 3, 8, 8\na 3\n")
    with pytest.raises(NeedsValueError, match="whole number"):
        symcnn.loads("n = 2\ninput 3, 8, 8\nrepeat n { relu }\n", symbolic=["n"])
    with pytest.raises(LayerArgumentError, match="whole number"):
        symcnn.loads("input 3, 8, 8\nrepeat 3 / 2 { relu }\n")
    with pytest.raises(SymcnnError, match=r"more than [0-9,]+ layers"):
        symcnn.loads("input 3, 8, 8\nrepeat 1000 { repeat 1000 { relu } }\n")
    with pytest.raises(SymcnnError, match="only allowed at the top level"):
        symcnn.loads("input 3, 8, 8\nrepeat 2 { input 3, 8, 8 }\n")


def test_block_argument_errors():
    block = "block b(c, k=3) { conv c, k }\ninput 3, 8, 8\n"
    with pytest.raises(LayerArgumentError, match="needs 'c'"):
        symcnn.loads(block + "b k=1\n")
    with pytest.raises(LayerArgumentError, match="unknown b argument 'kk'"):
        symcnn.loads(block + "b 3, kk=1\n")
    with pytest.raises(LayerArgumentError, match="takes 2"):
        symcnn.loads(block + "b 3, 1, 1\n")


def test_claims_on_blocks_and_nested_layers():
    text = (
        BOTTLENECK
        + "input 64, 56, 56\nbottleneck 64\nexpect bottleneck1.params == 75_008\nexpect bottleneck1.shortcut1.conv1.params == 16_384\n"
    )
    assert all(r.ok for r in check_claims(symcnn.loads(text)))


# Receptive fields, against PyTorch: the input pixels a central output pixel's gradient reaches.

layer_specs = st.tuples(
    st.sampled_from(["conv", "avgpool"]), st.integers(1, 4), st.integers(1, 2), st.integers(1, 2), st.integers(0, 1)
)


def _torch_layer(kind, k, s, d, p):
    if kind == "conv":
        layer = torch.nn.Conv2d(1, 1, k, stride=s, dilation=d, padding=p, bias=False)
        torch.nn.init.constant_(layer.weight, 1.0)
        return layer
    return torch.nn.AvgPool2d(k, stride=s, padding=min(p, k // 2))


@given(st.lists(layer_specs, min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_receptive_field_size_matches_the_gradient_extent(specs):
    size = 160
    layers, lines = [], []
    for kind, k, s, d, p in specs:
        layers.append(_torch_layer(kind, k, s, d, p))
        if kind == "conv":
            lines.append(f"conv 1, {k}, stride={s}, dilation={d}, padding={p}, bias=false")
        else:
            lines.append(f"avgpool {k}, stride={s}, padding={min(p, k // 2)}")
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    text = f"input 1, {size}, {size}\n" + "\n".join(lines)
    try:
        out = torch.nn.Sequential(*layers)(x)
    except RuntimeError:  # strided too far for the input: symcnn must refuse the chain too
        with pytest.raises(SymcnnError):
            symcnn.loads(text)
        return
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    extent = int(rows.max() - rows.min() + 1)
    net = symcnn.loads(text)
    field = net.rows[-1].receptive
    # The gradient reaches every pixel of the field, except where the field hangs over the padding.
    assert extent <= field.size[0]
    pad_total = sum(p for *_, p in specs)
    assert extent >= field.size[0] or pad_total > 0
