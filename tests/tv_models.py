"""torchvision's model builders for `symcnn import torch tests/tv_models.py:resnet18` and the tests.

symcnn never patches a user's packages, so the torchvision shim (tests/frameworks.py) is applied here.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a file SPEC is loaded without its folder on the path
from frameworks import torchvision  # noqa: E402

torchvision()
from torchvision.models import *  # noqa: E402, F403
