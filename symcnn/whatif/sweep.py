"""Sweeps: every metric at every point of a grid of parameter values, exactly.

The network is derived once with the varied parameters symbolic and compiled
once (symcnn.whatif.compile); the grid is then evaluated in chunks, one numpy
axis per varied parameter, so a term that depends on one parameter is
computed once per value of it, not once per point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import Span, WhatIfError
from ..network import Network
from .compile import INT64_MAX, Check, Input, compile_network
from .load import load_symbolic
from .spec import Metric, check_values, parse_values, resolve_metrics

CHUNK_POINTS = 1 << 16  # points per chunk: the arrays of a chunk stay in the CPU's cache
MAX_POINTS = 20_000_000
DEFAULT_METRICS = ("params", "macs")

Progress = Callable[[int, int], None]  # (points done, points in all)


@dataclass
class SweepResult:
    """A grid of points: the varied parameters' values, the metrics, and which points are valid.

    `columns` holds one flat array per varied parameter and per metric, in grid
    order (the last parameter varies fastest). Metric columns are numpy masked
    arrays, masked where the point is invalid; their values are exact
    integers (int64, or Python ints where int64 would not hold them).
    """

    file: str
    parameters: dict[str, list]  # each varied parameter's values, in --vary order
    metrics: list[Metric]
    columns: dict[str, np.ndarray]
    failure: np.ndarray  # per point: the index of the first failing check, or len(checks)
    checks: tuple[Check, ...]
    network: Network  # derived with the varied parameters symbolic

    def __len__(self) -> int:
        return len(self.failure)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(values) for values in self.parameters.values())

    @property
    def valid(self) -> np.ndarray:
        return self.failure == len(self.checks)

    def reason(self, index: int) -> Check | None:
        """Why point `index` is invalid (its first failing layer and rule), or None."""
        rank = int(self.failure[index])
        return self.checks[rank] if rank < len(self.checks) else None

    @property
    def failed_layer(self) -> np.ndarray:
        """Per point, the first failing layer's name, or None where the point is valid."""
        return np.array([check.layer for check in self.checks] + [None], dtype=object)[self.failure]

    @property
    def failed_rule(self) -> np.ndarray:
        """Per point, the rule its first failing layer breaks, or None where the point is valid."""
        return np.array([check.rule for check in self.checks] + [None], dtype=object)[self.failure]

    def records(self, start: int = 0, stop: int | None = None):
        """The points as dicts: parameters, metrics (None where invalid), valid, failed_layer, rule."""
        names = list(self.columns)
        for index in range(start, len(self) if stop is None else min(stop, len(self))):
            reason = self.reason(index)
            record = {name: _scalar(self.columns[name], index, reason is None) for name in names}
            record.update(valid=reason is None, failed_layer=reason and reason.layer, rule=reason and reason.rule)
            yield record

    def to_pandas(self):
        """The columns as a pandas DataFrame; invalid metric values are missing (pd.NA)."""
        try:
            import pandas as pd
        except ImportError:
            raise WhatIfError("pandas is not installed", hint="pip install pandas, or use result.columns") from None
        frame = {}
        for name, column in self.columns.items():
            if isinstance(column, np.ma.MaskedArray) and column.dtype == np.int64:
                frame[name] = pd.arrays.IntegerArray(column.data, np.ma.getmaskarray(column))
            elif isinstance(column, np.ma.MaskedArray):
                frame[name] = pd.Series(np.where(column.mask, None, column.data), dtype=object)
            else:
                frame[name] = column
        frame["valid"] = self.valid
        frame["failed_layer"] = self.failed_layer
        return pd.DataFrame(frame)

    def plot(
        self, metrics=None, x: str | None = None, series: str | None = None, log: str = "", path=None, budget=None
    ):
        """A figure of each metric against `x`, one line per value of `series` (see symcnn.whatif.plot)."""
        from .plot import plot_sweep

        return plot_sweep(self, metrics, x, series, log, path, budget)


def _scalar(column, index: int, valid: bool):
    value = column.data[index] if isinstance(column, np.ma.MaskedArray) else column[index]
    if isinstance(column, np.ma.MaskedArray) and not valid:
        return None
    return value.item() if isinstance(value, np.generic) else value


def sweep(
    source,
    vary: Mapping[str, Iterable | str],
    metrics: Iterable[str] = DEFAULT_METRICS,
    overrides: Mapping[str, object] | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Evaluate `metrics` exactly at every point of the grid `vary` spans.

    `source` is a DSL file's path, or a Network derived with the varied
    parameters symbolic. `vary` maps parameter names to values: a list of
    ints, Fractions or expression strings, or one string "START:STOP[:STEP]"
    (both ends included) or "v1,v2,...". `metrics` as in `expect` claims:
    "params", "macs", "conv1.shape", ...; also "activations" and "memory".
    """
    if not vary:
        raise WhatIfError("nothing to vary", hint="e.g. vary={'H': '32:256'} or --vary H=32:256")
    items = {
        name: f"{name}={given if isinstance(given, str) else ','.join(map(str, given))}" for name, given in vary.items()
    }
    network = load_symbolic(source, list(vary), overrides, {name: _span(item, 0) for name, item in items.items()})
    values = {}
    for name, given in vary.items():
        item, offset = items[name], len(name) + 1
        values[name] = (
            parse_values(given, item=item, offset=offset)
            if isinstance(given, str)
            else _exact_values(given, item, offset)
        )
        if not values[name]:
            raise WhatIfError(f"no values for {name}", _span(item, offset))
        check_values(network.parameters[name], values[name], _span(item, offset))
    resolved = resolve_metrics(network, list(metrics) or list(DEFAULT_METRICS))
    symbols = [network.parameters[name].value for name in values]
    program = compile_network(network, {metric.name: metric.expr for metric in resolved}, symbols)
    columns, failure = evaluate_grid(program, symbols, list(values.values()), progress)
    valid = failure == program.valid_rank
    result_columns = _parameter_columns(values)
    for metric in resolved:
        column = columns[metric.name]
        column[~valid] = 0  # never show a size computed past a failure
        result_columns[metric.name] = np.ma.MaskedArray(column, mask=~valid)
    return SweepResult(
        network.file,
        {name: list(v) for name, v in values.items()},
        resolved,
        result_columns,
        failure,
        program.checks,
        network,
    )


def _span(item: str, offset: int) -> Span:
    """Where in a --vary item (NAME=VALUES) to point: at the name (offset 0) or at the values."""
    return Span("--vary", 1, offset + 1, len(item) + 1 if offset else item.index("=") + 1, text=item)


def _exact_values(given: Iterable, item: str, offset: int) -> list:
    values = []
    for value in given:
        if isinstance(value, str):
            values.extend(parse_values(value, item=item, offset=offset))
        elif isinstance(value, (int, Fraction)) and not isinstance(value, bool):
            values.append(value)
        elif isinstance(value, np.integer):
            values.append(int(value))
        else:
            raise WhatIfError(
                f"{value!r} is not an exact number",
                _span(item, offset),
                "give ints, Fractions or strings such as '0.75'",
            )
        offset += len(str(value)) + 1
    return values


def _input_column(values) -> tuple[np.ndarray, int, int]:
    """Values as (integer numerators, common denominator, largest |numerator|)."""
    den, nums = 1, values
    if not all(isinstance(v, int) for v in values):
        den = math.lcm(*(Fraction(v).denominator for v in values))
        nums = [int(Fraction(v) * den) for v in values]
    bound = max(abs(min(nums)), abs(max(nums)))
    return np.array(nums, dtype=np.int64 if bound <= INT64_MAX else object), den, bound


def _parameter_columns(values: Mapping[str, list]) -> dict[str, np.ndarray]:
    shape = tuple(len(v) for v in values.values())
    columns = {}
    for axis, (name, given) in enumerate(values.items()):
        exact = all(isinstance(v, int) for v in given) and max(abs(v) for v in given) <= INT64_MAX
        array = np.array(given, dtype=np.int64 if exact else object)
        columns[name] = np.broadcast_to(array.reshape(_axis_shape(len(shape), axis, len(given))), shape).ravel()
    return columns


def _axis_shape(rank: int, axis: int, length: int) -> tuple[int, ...]:
    return tuple(length if i == axis else 1 for i in range(rank))


def evaluate_grid(program, symbols, values: list, progress: Progress | None = None):
    """Evaluate chunk by chunk along the longest axis: (flat output columns, flat failure ranks)."""
    shape = tuple(len(v) for v in values)
    total = math.prod(shape)
    if total > MAX_POINTS:
        raise WhatIfError(f"the grid has {total:,} points, more than {MAX_POINTS:,}", hint="use fewer values or a STEP")
    inputs = [_input_column(v) for v in values]
    axis = max(range(len(shape)), key=lambda i: shape[i])
    step = max(1, CHUNK_POINTS * shape[axis] // total)
    failure = np.empty(shape, dtype=np.int32)
    columns: dict[str, np.ndarray] = {}
    for start in range(0, shape[axis], step):
        part = slice(start, min(start + step, shape[axis]))
        chunk_shape = shape[:axis] + (part.stop - part.start,) + shape[axis + 1 :]
        chunk_inputs = {}
        for i, (symbol, (nums, den, bound)) in enumerate(zip(symbols, inputs)):
            nums = nums[part] if i == axis else nums
            chunk_inputs[symbol] = Input(nums.reshape(_axis_shape(len(shape), i, len(nums))), den, bound)
        outputs, first = program.evaluate(chunk_inputs, chunk_shape)
        where = (slice(None),) * axis + (part,)
        failure[where] = first
        for name, value in outputs.items():
            if name not in columns:
                columns[name] = np.empty(shape, dtype=_dtype(value))
            columns[name][where] = value
        if progress is not None:
            progress(part.stop * (total // shape[axis]), total)
    return {name: column.ravel() for name, column in columns.items()}, failure.ravel()


def _dtype(value):
    if isinstance(value, np.ndarray):
        return value.dtype
    if isinstance(value, (bool, np.bool_)):
        return bool
    return np.int64 if abs(value) <= INT64_MAX else object
