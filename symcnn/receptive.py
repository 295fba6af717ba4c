"""Receptive fields, after Araujo et al., "Computing Receptive Fields of Convolutional
Neural Networks" (Distill, 2019), with dilation.

Per spatial axis, relative to the input: size r, effective stride S and effective
padding P. A window of kernel k, stride s, dilation d and left padding p maps
(r, S, P) to (r + d(k - 1)S, sS, P + pS). Where paths join, the largest field is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic, Integer, Max


@dataclass(frozen=True)
class Window:
    kernel: Basic
    stride: Basic
    dilation: Basic
    pad_left: Basic


@dataclass(frozen=True)
class Receptive:
    size: tuple[Basic, ...]
    stride: tuple[Basic, ...]
    padding: tuple[Basic, ...]

    @classmethod
    def of_input(cls, rank: int) -> Receptive:
        one, zero = (Integer(1),) * rank, (Integer(0),) * rank
        return cls(one, one, zero)

    def through(self, windows: tuple[Window, ...]) -> Receptive:
        size, stride, padding = [], [], []
        for r, jump, start, w in zip(self.size, self.stride, self.padding, windows):
            size.append(r + w.dilation * (w.kernel - 1) * jump)
            stride.append(jump * w.stride)
            padding.append(start + w.pad_left * jump)
        return Receptive(tuple(size), tuple(stride), tuple(padding))

    @staticmethod
    def widest(fields: list[Receptive | None]) -> Receptive | None:
        """The field where paths join: the largest size and padding; the first path's stride."""
        if any(f is None for f in fields):
            return None
        first = fields[0]
        return Receptive(
            tuple(Max(*sizes) for sizes in zip(*(f.size for f in fields))),
            first.stride,
            tuple(Max(*pads) for pads in zip(*(f.padding for f in fields))),
        )
