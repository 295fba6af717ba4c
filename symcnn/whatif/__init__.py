"""What-if analysis, as a Python API for notebooks: each function mirrors a `symcnn` subcommand.

sweep(path, {"H": "31:200", "W": [31, 64]}, ["params", "macs"])   # symcnn sweep
plot_sweep(result, path="sweep.png")                              # symcnn sweep --plot
domain(path); solve(path, "C", target="total.params <= 1_000_000") # symcnn solve
diff(path, set_a={"F": 3}, set_b={"F": 5})                        # symcnn diff
sensitivity(path)                                                 # symcnn sensitivity
"""

from ..errors import WhatIfError
from .diff import Comparison, diff
from .plot import plot_sweep
from .sensitivity import Sensitivity, sensitivity
from .solve import Answer, domain, solve
from .sweep import SweepResult, sweep

__all__ = [
    "Answer",
    "Comparison",
    "Sensitivity",
    "SweepResult",
    "WhatIfError",
    "diff",
    "domain",
    "plot_sweep",
    "sensitivity",
    "solve",
    "sweep",
]
