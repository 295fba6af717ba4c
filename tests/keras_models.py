"""keras.applications' builders without weights, for `symcnn import keras tests/keras_models.py:resnet50`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a file SPEC is loaded without its folder on the path
from frameworks import keras as import_keras  # noqa: E402

keras = import_keras()


def resnet50():
    return keras.applications.ResNet50(weights=None)


def mobilenet():
    return keras.applications.MobileNet(weights=None)


def mobilenet_v2():
    return keras.applications.MobileNetV2(weights=None)


def vgg16():
    return keras.applications.VGG16(weights=None)


def densenet121():
    return keras.applications.DenseNet121(weights=None)


def xception():
    return keras.applications.Xception(weights=None)


def efficientnet_b0():
    return keras.applications.EfficientNetB0(weights=None)


def convnext_tiny():
    return keras.applications.ConvNeXtTiny(weights=None, include_preprocessing=False)


def mobilenet_v3_small():
    return keras.applications.MobileNetV3Small(weights=None, include_preprocessing=False, input_shape=(224, 224, 3))


def mobilenet_v3_large():
    return keras.applications.MobileNetV3Large(weights=None, include_preprocessing=False, input_shape=(224, 224, 3))


def inception_resnet_v2():
    """At its smallest input: its scaled residuals (CustomScaleLayer) are what it adds to Inception."""
    return keras.applications.InceptionResNetV2(weights=None, input_shape=(75, 75, 3))


def mobilenet_v3_small_preprocessing():
    """With its input Rescaling(1 / 127.5, offset=-1)."""
    return keras.applications.MobileNetV3Small(weights=None, input_shape=(224, 224, 3))
