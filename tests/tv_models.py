"""torchvision's model builders for `symcnn import torch tests.tv_models:resnet18` and the tests.

torchvision's wheel here is a CUDA build whose compiled ops do not load against
the CPU torch; its builders work once torch.library.register_fake is a no-op.
"""

import torch

torch.library.register_fake = lambda *args, **kwargs: lambda function: function

from torchvision.models import *
