"""The sliding-window output size that convolution and pooling share.

PyTorch: floor((N + P_l + P_r - d(F - 1) - 1)/S) + 1; with ceil_mode the
ceiling instead, except that the last window must start inside the input or
the left padding (aten/src/ATen/native/Pool.h). Keras 'same' is ceil(N/S).
"""

from __future__ import annotations

import functools

from sympy import Max, Min

from ..intdiv import CeilDiv, FloorDiv
from ..receptive import Window
from .base import AXIS_NAMES, D, F, N, P, P_left, P_right, S, Step


@functools.cache
def _formula(symmetric: bool, dilated: bool, ceil_mode: bool):
    """The general formula for one case, built once: it is the same for every layer."""
    padding = 2 * P if symmetric else P_left + P_right
    reach = D * (F - 1) if dilated else F - 1
    numerator = N + padding - reach - 1
    if ceil_mode:
        return Min(CeilDiv(numerator, S) + 1, CeilDiv(N + (P if symmetric else P_left), S))
    return FloorDiv(numerator, S) + 1


def window_step(axis: str, size, kernel, stride, pads, dilation=1, ceil_mode: bool = False) -> Step:
    """The output size along one axis for explicit padding `pads` = (left, right)."""
    left, right = pads
    symmetric = left == right
    values = {N: size, F: kernel, S: stride}
    values.update({P: left} if symmetric else {P_left: left, P_right: right})
    if dilation != 1:
        values[D] = dilation
    return Step.of(AXIS_NAMES[axis], _formula(symmetric, dilation != 1, bool(ceil_mode)), values)


def same_step(axis: str, size, stride, torch: bool) -> Step:
    """'same' padding: the size is kept (PyTorch, stride 1) or ceil(N/S) (Keras)."""
    if torch:
        return Step.of(AXIS_NAMES[axis], N, {N: size})
    return Step.of(AXIS_NAMES[axis], CeilDiv(N, S), {N: size, S: stride})


def slide(shape, kernel, stride, dilation, padding, torch: bool, ceil_mode: bool = False):
    """Steps for each spatial axis of `shape`, and the windows for the receptive field.

    `padding` is a (left, right) pair per axis, or the word same.
    """
    axes = list(zip(shape.spatial_axes, shape.spatial, kernel, stride, dilation))
    if isinstance(padding, tuple):
        steps = [window_step(axis, n, k, s, pads, d, ceil_mode) for (axis, n, k, s, d), pads in zip(axes, padding)]
        lefts = [left for left, _ in padding]
    else:
        steps = [same_step(axis, n, s, torch) for axis, n, _, s, _ in axes]
        # PyTorch pads d(F - 1) in all; Keras what ceil(N/S) needs. The odd pixel goes right.
        totals = [
            d * (k - 1) if torch else Max((CeilDiv(n, s) - 1) * s + d * (k - 1) + 1 - n, 0) for _, n, k, s, d in axes
        ]
        lefts = [FloorDiv(total, 2) for total in totals]
    windows = tuple(Window(k, s, d, left) for (_, _, k, s, d), left in zip(axes, lefts))
    return tuple(steps), windows
