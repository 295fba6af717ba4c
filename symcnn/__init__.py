"""symcnn: exact symbolic shapes, parameter counts and costs of convolutional networks."""

from .api import from_keras, from_torch, load, loads
from .derive import Network
from .errors import SymcnnError

__all__ = ["load", "loads", "from_keras", "from_torch", "Network", "SymcnnError"]
__version__ = "0.1.0"
