"""symcnn import keras: keras.applications in, DSL text (convention keras) out, counted exactly as Keras counts.

The oracle is Keras: trainable and non-trainable totals from the model's own
weights, the output shape from the model. Keras has no multiply-add counter: the MACs are compared
with the multiply-adds counted from each layer's attributes and output shape, as the zoo's tests count
them (the torch importer's tests compare with torchinfo).
"""

from __future__ import annotations

import functools
import math
import os

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch")
keras_models = pytest.importorskip("keras_models")  # pytest puts tests/ on sys.path

from test_export_torch import import_source
from test_zoo_frameworks import keras_layer_macs

import symcnn
from symcnn.exporters import keras_code
from symcnn.parser import parse

MODELS = ["resnet50", "mobilenet", "mobilenet_v2", "vgg16", "densenet121", "xception"]


def weights(variables) -> int:
    return sum(math.prod(v.shape) for v in variables)


@functools.cache
def imported(name: str):
    model = getattr(keras_models, name)()
    text = symcnn.from_keras(model)
    return model, text, symcnn.loads(text)


def model_and_import(name: str):
    model, _, network = imported(name)
    return model, network


def keras_layers(model):
    """The model's layers in execution order, a nested model's own layers in its place."""
    for layer in model.layers:
        if isinstance(layer, keras_models.keras.Model):
            yield from keras_layers(layer)
        else:
            yield layer


def assert_exports_the_same_function(model, text: str, directory):
    """The Keras model `symcnn export` writes for `text`, given the model's weights layer by layer, computes what
    the model computes."""
    import numpy as np

    keras = keras_models.keras
    exported = import_source(keras_code.render(parse(text), symcnn.loads(text)), directory).build()
    weighted = [[layer for layer in keras_layers(m) if layer.weights] for m in (exported, model)]
    for new, old in zip(*weighted, strict=True):
        new.set_weights(old.get_weights())
    x = np.random.default_rng(0).normal(size=(2, *model.inputs[0].shape[1:])).astype("float32")
    ours, theirs = (keras.ops.convert_to_numpy(m(x)) for m in (exported, model))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def assert_counted_as_keras_counts(model, network, in_order: bool = True):
    """Totals, the output shape, the MACs, and each layer with weights in execution order: its output shape and
    parameters in Keras and in its row (layers without weights have rows of no parameters). Not `in_order`, the
    layers are compared as a whole: Keras lists a functional model's layers by their depth in the graph, which for
    Inception's parallel branches is not the order they run in."""
    assert int(network.totals["params"]) == model.count_params()
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert int(network.totals["non_trainable_params"]) == weights(model.non_trainable_weights)
    assert tuple(int(d) for d in network.output.dims) == tuple(
        model.outputs[0].shape[1:]
    )  # a Sequential has no .output
    assert int(network.totals["macs"]) == sum(keras_layer_macs(layer) for layer in keras_layers(model))
    theirs = [(tuple(layer.output.shape[1:]), layer.count_params()) for layer in keras_layers(model) if layer.weights]
    ours = [(tuple(int(d) for d in row.output.dims), int(row.params)) for row in network.rows if row.params != 0]
    assert ours == theirs if in_order else sorted(ours) == sorted(theirs)


@pytest.mark.parametrize("name", MODELS)
def test_keras_application_imports_with_exact_counts(name):
    model, network = model_and_import(name)
    assert network.convention == "keras"
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert int(network.totals["non_trainable_params"]) == weights(model.non_trainable_weights)
    assert tuple(int(d) for d in network.output.dims) == tuple(model.output.shape[1:])
    assert all(row.keyword != "opaque" for row in network.rows)


@pytest.mark.parametrize("name", MODELS)
def test_keras_application_macs_are_the_layers_multiply_adds(name):
    model, network = model_and_import(name)
    assert int(network.totals["macs"]) == sum(keras_layer_macs(layer) for layer in model.layers)


def test_resnet50_from_the_command_line_has_blocks_and_a_symbolic_input(symcnn_cli, tmp_path):
    target = tmp_path / "resnet50.cnn"
    spec = "tests/keras_models.py:resnet50"
    code, _, err = symcnn_cli("import", "keras", spec, "--input", "224,224,3", "--symbolic-input", "R", "-o", target)
    assert code == 0, err
    text = target.read_text()
    assert "convention keras" in text and "input R, R, 3" in text and "block conv_block(c, s)" in text
    code, out, _ = symcnn_cli("check", target)
    assert code == 0, out


def test_squeeze_and_excitation_is_a_scale_and_an_unknown_layer_an_error_naming_it():
    model = keras_models.efficientnet_b0()
    with pytest.raises(symcnn.SymcnnError, match=r"cannot import layer normalization \(Normalization\): "):
        symcnn.from_keras(model)
    text = symcnn.from_keras(model, opaque=True)  # its input Normalization has no DSL layer
    network = symcnn.loads(text)
    assert "scale {" in text and "block block_unit(" in text
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert int(network.totals["non_trainable_params"]) == weights(model.non_trainable_weights)
    assert [row.keyword for row in network.rows].count("opaque") == 1


def test_an_input_shape_other_than_the_models_is_an_error(symcnn_cli):
    code, _, err = symcnn_cli("import", "keras", "tests/keras_models.py:vgg16", "--input", "160,160,3")
    assert code == 2 and "input shape (224, 224, 3)" in err


def test_a_model_built_without_an_input_size_is_built_on_the_given_one():
    keras = keras_models.keras
    model = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg")  # input (None, None, 3)
    with pytest.raises(symcnn.SymcnnError, match=r"unknown size \(None, None, 3\)"):
        symcnn.from_keras(model)
    network = symcnn.loads(symcnn.from_keras(model, input_shape=(160, 120, 3)))
    fixed = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(160, 120, 3))
    assert int(network.totals["trainable_params"]) == weights(fixed.trainable_weights)
    assert int(network.totals["non_trainable_params"]) == weights(fixed.non_trainable_weights)
    assert network.input.dims == (160, 120, 3)
    assert tuple(network.rows[-1].output.dims) == tuple(fixed.output.shape[1:])
    assert [tuple(row.output.dims) for row in network.rows if row.keyword == "conv"][:3] == [
        tuple(layer.output.shape[1:]) for layer in fixed.layers if type(layer).__name__ == "Conv2D"
    ][:3]


def test_an_op_written_between_layers_is_part_of_the_graph():
    """x + f(x) written with + is an operation, not a layer, of the functional graph (Keras's ConvNeXt adds so)."""
    keras = keras_models.keras
    inputs = keras.Input(shape=(12, 12, 4))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    outputs = keras.layers.ReLU()(x + keras.layers.Conv2D(4, 1)(x))
    model = keras.Model(inputs, outputs)
    text = symcnn.from_keras(model)
    network = symcnn.loads(text)
    assert "residual {" in text
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert tuple(network.output.dims) == tuple(model.output.shape[1:])


def test_an_op_with_a_constant_is_a_rescale_and_a_lambda_opaque_under_a_label_that_parses(tmp_path):
    """relu6(x + 2) / 6, a near miss of MobileNetV3's hard sigmoid, written with + and *: ops of one tensor and a
    constant, each a rescale; a Lambda is opaque."""
    keras = keras_models.keras
    inputs = keras.Input(shape=(8, 8, 4))
    x = keras.layers.Conv2D(4, 1)(inputs)
    x = keras.layers.ReLU(6.0)(x + 2.0) * (1.0 / 6.0)
    model = keras.Model(inputs, x)
    text = symcnn.from_keras(model)
    assert "rescale 1, offset=2.0\nrelu6\nrescale 1 / 6\n" in text
    assert_exports_the_same_function(model, text, tmp_path)
    outputs = keras.layers.Lambda(lambda t: 2.0 * t, name="residual")(x)  # a keyword of the DSL
    model = keras.Model(inputs, outputs)
    with pytest.raises(
        symcnn.SymcnnError, match=r"cannot import layer residual \(Lambda\): symcnn has no layer for"
    ) as error:
        symcnn.from_keras(model)
    assert "--opaque" in error.value.hint  # what mends it, as it mends no other failure
    text = symcnn.from_keras(model, opaque=True)
    network = symcnn.loads(text)
    assert "residual_out: opaque (8, 8, 4)" in text
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert tuple(network.output.dims) == tuple(model.output.shape[1:])


ARITHMETIC_OPS = ["+", "-", "*", "/", "neg", "rescaling"]


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ARITHMETIC_OPS), st.sampled_from([255.0, 2, 0.5, -1.5, 0.17]), st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_constant_arithmetic_and_rescaling_import_as_rescale_and_export_the_same_function(steps, tmp_path):
    """x + c, c - x, x / c, -x, keras.layers.Rescaling(c, offset): each a rescale, run back through Keras."""
    keras = keras_models.keras
    inputs = keras.Input(shape=(4, 4, 3))
    x = keras.layers.Conv2D(3, 1)(inputs)
    for operator_, number, tensor_first in steps:
        if operator_ == "neg":
            x = -x
        elif operator_ == "rescaling":
            x = keras.layers.Rescaling(number, offset=number if tensor_first else 0.0)(x)
        elif operator_ == "+":
            x = x + number if tensor_first else number + x
        elif operator_ == "-":
            x = x - number if tensor_first else number - x
        elif operator_ == "*":
            x = x * number if tensor_first else number * x
        else:
            x = x / number
    model = keras.Model(inputs, x)
    text = symcnn.from_keras(model)
    assert [row.keyword for row in symcnn.loads(text).rows] == ["conv"] + ["rescale"] * len(steps)
    assert_exports_the_same_function(model, text, tmp_path)


@pytest.mark.parametrize("center, scale", [(True, False), (False, True), (False, False)])
def test_a_batch_norm_without_its_scale_or_shift_imports(center, scale):
    """Inception v3's and Inception-ResNet v2's batch norms have no scale (keras.applications builds them so)."""
    keras = keras_models.keras
    inputs = keras.Input(shape=(6, 6, 5))
    x = keras.layers.Conv2D(5, 3, use_bias=False)(inputs)
    model = keras.Model(inputs, keras.layers.BatchNormalization(center=center, scale=scale)(x))
    text = symcnn.from_keras(model)
    network = symcnn.loads(text)
    assert "batchnorm " in text  # with its options
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert int(network.totals["non_trainable_params"]) == weights(model.non_trainable_weights)


@pytest.mark.parametrize("axis", [-1, [-2, -1], [1, 2, 3]])
def test_layer_norms_and_layer_scales_import(axis):
    """ConvNeXt's per-pixel layer norm and layer scale (keras.applications.convnext's LayerScale)."""
    keras = keras_models.keras
    from keras.src.applications.convnext import LayerScale

    inputs = keras.Input(shape=(5, 6, 8))
    x = keras.layers.LayerNormalization(axis=axis)(keras.layers.Conv2D(8, 3, padding="same")(inputs))
    model = keras.Model(inputs, LayerScale(1e-6, 8)(x))
    text = symcnn.from_keras(model)
    network = symcnn.loads(text)
    assert "layernorm" in text and "layerscale" in text and "opaque" not in text
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert tuple(network.output.dims) == tuple(model.output.shape[1:])


# Nested models and hard activations written as ops: ConvNeXt's stem and downsampling layers are nested
# Sequentials, MobileNetV3's hard sigmoid is ReLU(6.0)(x + 3.0) * (1.0 / 6.0) (keras.applications' own builders).


@pytest.mark.parametrize("name", ["convnext_tiny", "mobilenet_v3_small", "mobilenet_v3_large"])
def test_nested_models_and_hard_sigmoids_of_ops_import_without_opaque(name):
    model, text, network = imported(name)
    assert "opaque" not in text
    assert_counted_as_keras_counts(model, network)


@pytest.mark.parametrize("name", ["inception_resnet_v2", "mobilenet_v3_small_preprocessing"])
def test_scaled_residuals_and_input_rescaling_import_as_rescale(name):
    model, text, network = imported(name)
    assert "opaque" not in text
    assert_counted_as_keras_counts(model, network, in_order=name != "inception_resnet_v2")
    scales = [layer for layer in keras_layers(model) if type(layer).__name__ in ("CustomScaleLayer", "Rescaling")]
    assert [row.keyword for row in network.rows].count("rescale") == len(scales) > 0


def test_convnexts_nested_sequentials_are_blocks_under_their_names():
    model, text, _ = imported("convnext_tiny")
    downsampling = [layer for layer in model.layers if layer.name.startswith("convnext_tiny_downsampling_block_")]
    assert len(downsampling) == 3 and all(isinstance(layer, keras_models.keras.Sequential) for layer in downsampling)
    assert "block convnext_tiny_stem() {" in text and "\nconvnext_tiny_stem\n" in text
    assert "block convnext_tiny_downsampling_block(c) {" in text
    assert [f"convnext_tiny_downsampling_block {layer.layers[1].filters}" in text for layer in downsampling] == [
        True
    ] * 3


def test_mobilenet_v3s_hard_sigmoids_are_hardsigmoid_rows():
    model, _, network = imported("mobilenet_v3_small")
    capped = [layer for layer in keras_layers(model) if type(layer).__name__ == "ReLU" and layer.max_value == 6]
    keywords = [row.keyword for row in network.rows]
    assert keywords.count("hardsigmoid") == len(capped) > 0 and "relu6" not in keywords


def hard_unit(keras, x, unit: dict):
    """relu6(x + 3) * (1/6) written as ops, with each part drawn (the exact ones or near misses); times x when asked."""
    shifted = unit["shift"] + x if unit["shift_first"] else x + unit["shift"]
    cap = unit["cap"]
    y = (keras.layers.Activation("relu6") if cap == "relu6" else keras.layers.ReLU(cap))(shifted)
    how, factor = unit["scale"]
    if how == "mul":
        y = factor * y if unit["shift_first"] else y * factor
    else:
        y = y / factor if how == "div" else keras.ops.divide(y, factor)
    if unit["times_input"] == "layer":
        return keras.layers.Multiply()([x, y])
    return x * y if unit["times_input"] == "op" else y


EXACT_PARTS = {"shift": [3, 3.0], "cap": [6.0, "relu6"], "scale": [("mul", 1.0 / 6.0), ("div", 6.0), ("divide", 6)]}
NEAR_MISSES = {"shift": [2.0, -3.0, 4], "cap": [None, 5.0], "scale": [("mul", 0.2), ("div", 5.0), ("divide", 7)]}


@st.composite
def hard_units(draw) -> dict:
    """The exact pattern in any of its spellings half the time, else one part of it a near miss."""
    missed = draw(st.sampled_from([None, None, None, *NEAR_MISSES]))
    unit = {part: draw(st.sampled_from((NEAR_MISSES if part == missed else EXACT_PARTS)[part])) for part in EXACT_PARTS}
    return unit | {"shift_first": draw(st.booleans()), "times_input": draw(st.sampled_from([None, "layer", "op"]))}


def keras_function(keras, unit) -> str | None:
    """What the unit computes, told by Keras itself on [-8, 8]: its hard_sigmoid, its hard_swish, or neither."""
    grid = keras.ops.linspace(-8.0, 8.0, 161)
    values = hard_unit(keras, grid, unit)
    for name, function in (
        ("hardsigmoid", keras.activations.hard_sigmoid),
        ("hardswish", keras.activations.hard_swish),
    ):
        if bool(keras.ops.all(keras.ops.abs(values - function(grid)) <= 1e-6)):
            return name
    return None


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(units=st.lists(hard_units(), min_size=1, max_size=3))
def test_only_the_exact_hard_sigmoid_pattern_is_a_hardsigmoid(units, tmp_path_factory):
    keras = keras_models.keras
    inputs = keras.Input(shape=(5, 5, 3))
    x = inputs
    for index, unit in enumerate(units):
        x = hard_unit(keras, keras.layers.Conv2D(3, 1, name=f"conv{index}")(x), unit)
    model = keras.Model(inputs, x)
    functions = [keras_function(keras, unit) for unit in units]
    for function in functions:
        event(f"a unit Keras finds to be {function or 'another function'}")
    text = symcnn.from_keras(model, opaque=True)
    network = symcnn.loads(text)
    segments, keywords = [], [row.keyword for row in network.rows]
    for keyword in keywords:
        segments = segments + [[]] if keyword == "conv" else segments[:-1] + [segments[-1] + [keyword]]
    for function, segment in zip(functions, segments, strict=True):
        if function is not None:
            assert segment == [function]
        else:  # its parts as they are: rescales, a relu, and a ReLU(5.0) the DSL has no layer for
            assert "hardsigmoid" not in segment and "hardswish" not in segment
    assert_counted_as_keras_counts(model, network)
    if "opaque" in keywords:
        with pytest.raises(symcnn.SymcnnError, match=r"cannot import layer \w+ \(ReLU\): symcnn has no layer for it"):
            symcnn.from_keras(model)
    else:
        assert symcnn.from_keras(model) == text
        assert_exports_the_same_function(model, text, tmp_path_factory.mktemp("hard"))


def test_a_hard_sigmoid_whose_relu_output_is_used_again_is_not_one_activation():
    keras = keras_models.keras
    inputs = keras.Input(shape=(4, 4, 2))
    x = keras.layers.Conv2D(2, 1)(inputs)
    capped = keras.layers.ReLU(6.0)(x + 3.0)
    model = keras.Model(inputs, keras.layers.Add()([capped * (1.0 / 6.0), capped]))
    network = symcnn.loads(symcnn.from_keras(model, opaque=True))
    assert [row.keyword for row in network.rows] == ["conv", "rescale", "relu6", "rescale", "add"]
    assert_counted_as_keras_counts(model, network)


LAYER_SPECS = st.one_of(
    st.tuples(
        st.just("conv"), st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.sampled_from(["same", "valid"])
    ),
    st.tuples(st.just("depthwise"), st.integers(1, 3)),
    st.tuples(st.just("dense"), st.integers(1, 5)),
    st.sampled_from([("batchnorm",), ("layernorm",), ("relu",), ("maxpool",)]),
)


def sequential_specs(depth: int):
    inner = LAYER_SPECS if depth == 1 else st.one_of(LAYER_SPECS, sequential_specs(depth - 1))
    return st.tuples(st.just("sequential"), st.booleans(), st.lists(inner, min_size=1, max_size=3))


def functional_specs(depth: int):
    inner = (
        LAYER_SPECS if depth == 1 else st.one_of(LAYER_SPECS, sequential_specs(depth - 1), functional_specs(depth - 1))
    )
    return st.tuples(st.just("functional"), st.booleans(), st.lists(inner, min_size=1, max_size=3))


def keras_layer(keras, spec):
    """A layer, or a Sequential of them (a functional model needs its input's shape: see `called`)."""
    kind = spec[0]
    if kind == "sequential":
        return keras.Sequential([keras_layer(keras, inner) for inner in spec[2]])
    if kind == "conv":
        return keras.layers.Conv2D(spec[1], spec[2], strides=spec[3], padding=spec[4])
    if kind == "depthwise":
        return keras.layers.DepthwiseConv2D(spec[1], padding="same")
    if kind == "dense":
        return keras.layers.Dense(spec[1])
    layers = {"batchnorm": keras.layers.BatchNormalization, "layernorm": keras.layers.LayerNormalization}
    layers |= {"relu": keras.layers.ReLU, "maxpool": keras.layers.MaxPooling2D}
    return layers[kind]()


def called(keras, spec, x):
    """The spec applied to x; a nested model added to its input when drawn so and the shapes allow."""
    if spec[0] == "functional":
        inputs = keras.Input(shape=x.shape[1:])
        outputs = inputs
        for inner in spec[2]:
            outputs = called(keras, inner, outputs)
        y = keras.Model(inputs, outputs)(x)
    else:
        y = keras_layer(keras, spec)(x)
    residual = spec[0] in ("sequential", "functional") and spec[1] and tuple(y.shape) == tuple(x.shape)
    return keras.layers.Add()([x, y]) if residual else y


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(LAYER_SPECS, max_size=2),
    nested=st.one_of(sequential_specs(2), functional_specs(2)),
    after=st.lists(st.one_of(LAYER_SPECS, sequential_specs(1), functional_specs(1)), max_size=2),
)
def test_nested_models_import_as_if_written_inline(before, nested, after):
    keras = keras_models.keras
    inputs = keras.Input(shape=(12, 12, 3))
    x = inputs
    try:
        for spec in [*before, nested, *after]:
            x = called(keras, spec, x)
    except ValueError:  # a kernel or window larger than what is left of the input
        assume(False)
    model = keras.Model(inputs, x)
    text = symcnn.from_keras(model)
    assert "opaque" not in text
    assert_counted_as_keras_counts(model, symcnn.loads(text))


def test_a_sequential_model_of_sequentials_imports():
    keras = keras_models.keras
    inner = keras.Sequential([keras.layers.Conv2D(4, 3), keras.layers.ReLU()], name="stage_1")
    model = keras.Sequential([keras.Input((9, 9, 3)), inner, keras.Sequential([keras.layers.Conv2D(2, 1)])])
    network = symcnn.loads(symcnn.from_keras(model))
    assert [row.keyword for row in network.rows] == ["conv", "relu", "conv"]
    assert_counted_as_keras_counts(model, network)


def test_a_model_without_a_layer_graph_is_an_error():
    keras = keras_models.keras
    with pytest.raises(symcnn.SymcnnError, match=r"sequential\w* is a Sequential without a layer graph"):
        symcnn.from_keras(keras.Sequential([keras.layers.Dense(3)]))  # not built: no input yet


def test_a_nested_model_called_twice_or_on_another_shape_is_an_error_naming_it():
    keras = keras_models.keras
    inputs = keras.Input(shape=(8, 8, 4))
    shared = keras.Sequential([keras.layers.Conv2D(4, 3, padding="same")], name="shared")
    with pytest.raises(symcnn.SymcnnError, match=r"layer shared \(Sequential\): it is called more than once"):
        symcnn.from_keras(keras.Model(inputs, shared(shared(inputs))))
    flexible_inputs = keras.Input(shape=(None, None, 4))
    flexible = keras.Model(flexible_inputs, keras.layers.Conv2D(2, 1)(flexible_inputs), name="flexible")
    with pytest.raises(symcnn.SymcnnError, match=r"built on \(None, None, 4\) and called on \(8, 8, 4\)"):
        symcnn.from_keras(keras.Model(inputs, flexible(inputs)))


@pytest.mark.parametrize("shared", ["conv", "relu"])
def test_a_layer_called_twice_is_an_error_not_one_layer(shared):
    """Keras gives such a layer's first call as its input and output: read so, the second call would be lost."""
    keras = keras_models.keras
    inputs = keras.Input(shape=(6, 6, 4))
    layer = keras.layers.Conv2D(4, 3, padding="same") if shared == "conv" else keras.layers.ReLU()
    model = keras.Model(inputs, layer(keras.layers.Conv2D(4, 1)(layer(inputs))))
    for opaque in (False, True):
        with pytest.raises(
            symcnn.SymcnnError, match=rf"layer {layer.name} \(\w+\): it is called more than once"
        ) as error:
            symcnn.from_keras(model, opaque=opaque)
        assert "--opaque" not in error.value.hint  # it would not mend this


def test_inception_resnets_scaled_residual_is_a_residual_whose_path_ends_in_a_rescale(tmp_path):
    """keras.applications' CustomScaleLayer, x + r * 0.17: `residual { ...; rescale 0.17 }`, which exports x + 0.17 r."""
    keras = keras_models.keras
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    inputs = keras.Input(shape=(6, 6, 4))
    x = keras.layers.Conv2D(4, 1)(inputs)
    model = keras.Model(inputs, CustomScaleLayer(0.17)([x, keras.layers.Conv2D(4, 3, padding="same")(x)]))
    text = symcnn.from_keras(model)
    assert "residual {\n  conv 4, 3, padding=same\n  rescale 0.17\n}" in text
    assert_exports_the_same_function(model, text, tmp_path)
