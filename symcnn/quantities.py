"""The quantities a claim, a summary or a what-if question can ask of a layer, a block or the totals.

Apart from `network.py` so that views and the what-if engine name them without
importing the Network itself.
"""

from sympy import Basic, Integer
from sympy.core.mul import _keep_coeff

# Summed over the layers for a block's and the network's totals.
SUMMED = ("params", "weights", "bias", "trainable_params", "non_trainable_params", "macs", "flops", "activations")
QUANTITIES = ("output_shape", "input_shape") + SUMMED
QUANTITY_ALIASES = {"shape": "output_shape", "trainable": "trainable_params", "non_trainable": "non_trainable_params"}
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


def scaled(number: int, expr: Basic) -> Basic:
    """number * expr, as SymPy builds it. A product of a number and names' powers (64*H_7*K7**2*W_7) is built
    directly: SymPy's flattening of it was most of what a deep network's FLOPs and bytes cost (property-tested)."""
    if expr.is_Mul and all(f.is_Number or f.is_Symbol or (f.is_Pow and f.base.is_Symbol) for f in expr.args):
        return _keep_coeff(Integer(number), expr)
    return number * expr
