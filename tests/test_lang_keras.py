"""The language's gates, layer scale and batch norm without affine, against real Keras (KERAS_BACKEND=torch)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import symcnn  # noqa: E402

EXAMPLES = settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
layers = keras.layers


def counts(model) -> tuple[int, int]:
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    return trainable, sum(int(w.numpy().size) for w in model.non_trainable_weights)


@EXAMPLES
@given(c=st.integers(1, 24), squeeze=st.integers(1, 8), h=st.integers(1, 6))
def test_squeeze_excitation_with_keras_multiply(c, squeeze, h):
    """As keras.applications.EfficientNet writes it: GlobalAveragePooling2D(keepdims=True), two 1x1 convs, Multiply."""
    inputs = keras.Input((h, h, c))
    gate = layers.GlobalAveragePooling2D(keepdims=True)(inputs)
    gate = layers.Conv2D(squeeze, 1, activation="relu")(gate)
    gate = layers.Conv2D(c, 1, activation="sigmoid")(gate)
    model = keras.Model(inputs, layers.Multiply()([inputs, gate]))
    network = symcnn.loads(
        f"convention keras\ninput {h}, {h}, {c}\n"
        f"scale {{ globalavgpool keepdims=true; conv {squeeze}, 1, activation=relu; "
        f"conv {c}, 1, activation=sigmoid }}\n"
    )
    assert tuple(network.rows[-1].output.dims) == tuple(model.output.shape[1:])
    assert (network.quantity("total", "trainable_params"), network.quantity("total", "non_trainable_params")) == counts(
        model
    )


@EXAMPLES
@given(c=st.integers(1, 32), h=st.integers(1, 5))
def test_batchnorm_without_affine_and_layer_scale(c, h):
    from keras.src.applications.convnext import LayerScale

    inputs = keras.Input((h, h, c))
    x = layers.BatchNormalization(center=False, scale=False)(inputs)
    x = LayerScale(1e-6, c)(x)
    model = keras.Model(inputs, x)
    network = symcnn.loads(f"convention keras\ninput {h}, {h}, {c}\nbatchnorm affine=false\nlayerscale\n")
    assert tuple(network.rows[-1].output.dims) == tuple(model.output.shape[1:])
    assert (network.quantity("total", "trainable_params"), network.quantity("total", "non_trainable_params")) == counts(
        model
    )
