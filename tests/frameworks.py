"""The frameworks themselves, imported the way this machine needs: torchvision and keras."""

from __future__ import annotations

import os


def torchvision():
    """torchvision, importable against the CPU torch."""
    import torch

    # torchvision 0.28's wheel is a CUDA build whose compiled ops don't load against the CPU torch.
    torch.library.register_fake = lambda *a, **k: lambda f: f
    import torchvision

    return torchvision


def keras():
    """keras 3 on the torch backend."""
    os.environ["KERAS_BACKEND"] = "torch"  # read once, at Keras's first import
    import keras

    return keras
