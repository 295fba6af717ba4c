"""The quantities a claim, a summary or a what-if question can ask of a layer, a block or the totals.

Apart from `network.py` so that views and the what-if engine name them without
importing the Network itself.
"""

# Summed over the layers for a block's and the network's totals.
SUMMED = ("params", "weights", "bias", "trainable_params", "non_trainable_params", "macs", "flops", "activations")
QUANTITIES = ("output_shape", "input_shape") + SUMMED
QUANTITY_ALIASES = {"shape": "output_shape", "trainable": "trainable_params", "non_trainable": "non_trainable_params"}
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
