"""DSL semantics beyond single-layer arithmetic: layouts, names, defaults, conventions, claims."""

import pytest
from sympy import Symbol

import symcnn
from symcnn.claims import check_claims
from symcnn.notation import textbook


def dims(shape):
    return tuple(int(d) for d in shape.dims)


def test_layout_follows_the_convention_unless_declared():
    torch_net = symcnn.loads("input 3, 32, 16\nconv 8, 3\n")
    assert torch_net.input.axes == "CHW" and dims(torch_net.output) == (8, 30, 14)
    keras_net = symcnn.loads("convention keras\ninput 32, 16, 3\nconv 8, 3\n")
    assert keras_net.input.axes == "HWC" and dims(keras_net.output) == (30, 14, 8)
    declared = symcnn.loads("input 32, 16, 3, layout=channels_last\nconv 8, 3\n")
    assert dims(declared.output) == (30, 14, 8)


def test_input_rank_picks_conv1d_2d_3d():
    assert dims(symcnn.loads("input 4, 100\nconv 8, 5\n").output) == (8, 96)
    assert dims(symcnn.loads("input 4, 10, 12, 14\nconv 8, 3\n").output) == (8, 8, 10, 12)
    assert symcnn.loads("input 4, 10, 12, 14\nconv 8, 3\n").rows[0].title == "Conv3d"


def test_per_dim_kernel_stride_and_per_side_padding():
    net = symcnn.loads("input 1, 20, 30\nconv 2, (3, 5), stride=(1, 2), padding=((1, 0), (2, 2))\n")
    # H: 20 + 1 + 0 - 3 + 1 = 19; W: floor((30 + 4 - 5)/2) + 1 = 15
    assert dims(net.output) == (2, 19, 15)


def test_automatic_and_explicit_names():
    net = symcnn.loads("input 3, 8, 8\nconv 4, 3\nrelu\nfeatures: conv 4, 3\nrelu\nconv 4, 1\n")
    assert [row.name for row in net.rows] == ["conv1", "relu1", "features", "relu2", "conv2"]


def test_defaults_apply_to_every_layer_with_that_option():
    net = symcnn.loads("defaults bias=false\ninput 3, 8, 8\nconv 4, 3\nflatten\ndense 10\ndense 5, bias=true\n")
    assert [int(row.bias) for row in net.rows] == [0, 0, 0, 5]


def test_dense_applies_to_the_last_axis():
    net = symcnn.loads("input 3, 8, 8\ndense 5\n")
    assert dims(net.output) == (3, 8, 5)
    assert net.rows[0].params == 8 * 5 + 5
    assert net.rows[0].macs == 3 * 8 * 8 * 5


def test_batchnorm_counts_follow_the_convention():
    torch_bn = symcnn.loads("input 16, 8, 8\nbatchnorm\n").rows[0]
    assert (torch_bn.params, torch_bn.trainable_params, torch_bn.non_trainable_params) == (32, 32, 0)
    keras_bn = symcnn.loads("convention keras\ninput 8, 8, 16\nbatchnorm\n").rows[0]
    assert (keras_bn.params, keras_bn.trainable_params, keras_bn.non_trainable_params) == (64, 32, 32)
    assert keras_bn.title == "BatchNormalization"


def test_a_batch_norm_with_a_scale_or_a_shift_alone_is_keras_only():
    with pytest.raises(symcnn.SymcnnError, match="scale and its shift together") as error:
        symcnn.loads("input 16, 8, 8\nbatchnorm scale=false\n")
    assert (error.value.span.line, error.value.span.column) == (2, 11)  # at the option


def test_global_and_adaptive_pooling():
    assert dims(symcnn.loads("input 16, 7, 9\nglobalavgpool\n").output) == (16,)
    assert dims(symcnn.loads("input 16, 7, 9\nglobalmaxpool keepdims=true\n").output) == (16, 1, 1)
    assert dims(symcnn.loads("input 16, 7, 9\nadaptiveavgpool (2, 3)\n").output) == (16, 2, 3)


def test_keras_same_is_ceil_of_n_over_s():
    net = symcnn.loads(
        "convention keras\ninput 39, 31, 1\nconv 4, 3, stride=2, padding=same\nmaxpool 2, padding=same\n"
    )
    assert dims(net.rows[0].output) == (20, 16, 4)
    assert dims(net.rows[1].output) == (10, 8, 4)


def test_framework_specific_options_are_refused_in_the_other_convention():
    with pytest.raises(symcnn.SymcnnError, match="ceil_mode"):
        symcnn.loads("convention keras\ninput 8, 8, 1\nmaxpool 2, ceil_mode=true\n")
    with pytest.raises(symcnn.SymcnnError, match="no padding=same"):
        symcnn.loads("input 1, 8, 8\nmaxpool 2, padding=same\n")


def test_expressions_over_parameters():
    net = symcnn.loads("C = 16\nK = 3\ninput 3, 32, 32\nconv 2 * C, K, padding=(K - 1) // 2\nconv C, K + 2, stride=2\n")
    assert dims(net.rows[0].output) == (32, 32, 32)
    assert dims(net.rows[1].output) == (16, 14, 14)


def test_symbolic_hyperparameters_give_the_textbook_formula():
    text = "N = 32\nF = 3\nS = 1\nP = 0\ninput 1, N, N\nconv 1, F, stride=S, padding=P\n"
    net = symcnn.loads(text, symbolic="all")
    height = net.closed_form(net.rows[0].output.dims[1])
    assert textbook(height) == "⌊(N + 2P − F)/S⌋ + 1"
    assert isinstance(net.parameters["P"].value, Symbol) and net.parameters["P"].value.is_nonnegative


def test_symbolic_claims_compare_formulas():
    text = "H = 39\ninput 1, H, H\nconv 1, 4\nmaxpool 2\nexpect conv1.shape == (1, H - 3, H - 3)\nexpect maxpool1.shape == (1, (H - 3) // 2, (H - 3) // 2)\n"
    results = check_claims(symcnn.loads(text, symbolic=["H"]))
    assert [r.ok for r in results] == [True, True]


def test_deep_symbolic_networks_fall_back_to_per_layer_forms():
    lines = ["N = 64"] + [f"F{i} = 3\nS{i} = 1\nP{i} = 1" for i in range(30)] + ["input 1, N, N"]
    lines += [f"conv 1, F{i}, stride=S{i}, padding=P{i}" for i in range(30)]
    net = symcnn.loads("\n".join(lines), symbolic="all")
    last = net.rows[-1].output.dims[1]
    assert net.closed_form(last) is None
    assert net.closed_form(net.rows[0].output.dims[1]) is not None
    values = {p.name: 64 if p.name == "N" else (3 if p.name[0] == "F" else 1) for p in net.parameters.values()}
    assert net.assign(values)[last] == 64


def test_very_deep_network_has_no_recursion_error():
    text = "input 1, 64, 64\n" + "conv 1, 3, padding=1\n" * 5000
    net = symcnn.loads(text)
    assert dims(net.output) == (1, 64, 64)
    assert net.totals["params"] == 5000 * 10
