"""The frameworks the oracle tests compare with, imported the way this machine needs."""

from __future__ import annotations

import os


def torchvision():
    import torch

    # torchvision 0.28's wheel is a CUDA build: its compiled ops don't load against the CPU torch.
    torch.library.register_fake = lambda *args, **kwargs: lambda function: function
    import torchvision

    return torchvision


def keras():
    os.environ["KERAS_BACKEND"] = "torch"  # read once, at Keras's first import
    import keras

    return keras
