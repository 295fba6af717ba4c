"""What-if analysis: sweeps, solving, comparisons and sensitivity, as a Python API.

Each function mirrors a `symcnn` subcommand: `sweep` (symcnn sweep),
`plot_sweep` (its --plot).
"""

from .spec import WhatIfError
from .sweep import SweepResult, sweep
from .plot import plot_sweep

__all__ = ["WhatIfError", "SweepResult", "sweep", "plot_sweep"]
