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

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch")
keras_models = pytest.importorskip("keras_models")  # pytest puts tests/ on sys.path

from test_zoo_frameworks import keras_layer_macs

import symcnn

MODELS = ["resnet50", "mobilenet", "mobilenet_v2", "vgg16", "densenet121", "xception"]


def weights(variables) -> int:
    return sum(math.prod(v.shape) for v in variables)


@functools.cache
def model_and_import(name: str):
    model = getattr(keras_models, name)()
    return model, symcnn.loads(symcnn.from_keras(model))


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


def test_an_op_with_a_constant_is_a_layer_and_opaque_under_a_label_that_parses():
    """relu6(x + 2) / 6, a near miss of MobileNetV3's hard sigmoid, written with + and *: ops of one tensor and a
    constant."""
    keras = keras_models.keras
    inputs = keras.Input(shape=(8, 8, 4))
    x = keras.layers.Conv2D(4, 1)(inputs)
    x = keras.layers.ReLU(6.0)(x + 2.0) * (1.0 / 6.0)
    outputs = keras.layers.Lambda(lambda t: 2.0 * t, name="add")(x)  # `add` is a keyword of the DSL
    model = keras.Model(inputs, outputs)
    with pytest.raises(symcnn.SymcnnError, match=r"cannot import layer add_\d+ \(Add\): symcnn has no layer for it"):
        symcnn.from_keras(model)
    text = symcnn.from_keras(model, opaque=True)
    network = symcnn.loads(text)
    assert "add_out: opaque (8, 8, 4)" in text
    assert int(network.totals["trainable_params"]) == weights(model.trainable_weights)
    assert tuple(network.output.dims) == tuple(model.output.shape[1:])


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
