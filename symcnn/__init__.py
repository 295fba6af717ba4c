"""symcnn: exact symbolic shapes, parameter counts and costs of convolutional networks."""

from .api import load, loads
from .derive import Network
from .errors import SymcnnError

__all__ = ["load", "loads", "Network", "SymcnnError"]
__version__ = "0.1.0"
