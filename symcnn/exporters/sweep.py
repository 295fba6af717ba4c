"""`symcnn sweep` as a terminal table, CSV or JSON.

CSV is written chunk by chunk, each chunk's numbers turned into text at once
(numpy does it vectorised) and then dropped, so that a sweep of the largest
allowed grid is written in bounded memory.
"""

from __future__ import annotations

import csv
import json

import numpy as np

from ..notation import group_digits, to_ascii
from .text import table_lines, title_dot

TABLE_ROWS = 1_000  # a terminal table longer than this is unreadable: CSV and JSON carry every point
CSV_CHUNK = 1 << 16  # points turned into text at a time


def render(result, unicode: bool = True) -> str:
    """The first TABLE_ROWS points as a table, and how many points are valid."""
    names = list(result.columns)
    rows = []
    for record in result.records(0, TABLE_ROWS):
        note = "" if record["valid"] else f"invalid: {record['failed_layer']}: {record['rule']}"
        rows.append([_text(record[name]) for name in names] + [note])
    lines = [f"{result.file}{title_dot(unicode)}sweep"]
    lines += table_lines([*names, "note"], rows, [True] * len(names) + [False], unicode)
    valid = int(result.valid.sum())
    summary = f"{len(result):,} points, {valid:,} valid"
    if len(result) > TABLE_ROWS:
        summary += f"; the first {TABLE_ROWS:,} are shown (--format csv or json gives all)"
    lines.append(summary)
    text = "\n".join(lines) + "\n"
    return text if unicode else to_ascii(text)


def write_csv(result, stream, progress=None) -> None:
    """The points as CSV: invalid points have empty metrics and name their failing layer and rule."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([*result.columns, "valid", "failed_layer", "rule"])
    layers = np.array([check.layer for check in result.checks] + [""], dtype=object)
    rules = np.array([check.rule for check in result.checks] + [""], dtype=object)
    valid_rank = len(result.checks)
    for start in range(0, len(result), CSV_CHUNK):
        part = slice(start, min(start + CSV_CHUNK, len(result)))
        failure = result.failure[part]
        texts = [_column_text(column[part]) for column in result.columns.values()]
        texts += [np.where(failure == valid_rank, "True", "False"), layers[failure], rules[failure]]
        writer.writerows(zip(*texts))
        if progress is not None:
            progress(part.stop, len(result))


def document(result) -> dict:
    """The points as a JSON document: exact integers, fractions as strings such as '3/4'."""
    return {
        "file": result.file,
        "parameters": {name: [_jsonable(v) for v in values] for name, values in result.parameters.items()},
        "metrics": [metric.name for metric in result.metrics],
        "points": [{key: _jsonable(value) for key, value in record.items()} for record in result.records()],
        "valid": int(result.valid.sum()),
    }


def render_json(result) -> str:
    return json.dumps(document(result), indent=1, ensure_ascii=False) + "\n"


def _text(value) -> str:
    if value is None:
        return ""
    return group_digits(value) if isinstance(value, int) else str(value)


def _column_text(column) -> np.ndarray:
    """Exact values as text; empty where masked (an invalid point) or None."""
    if isinstance(column, np.ma.MaskedArray):
        return np.where(np.ma.getmaskarray(column), "", column.data.astype(str))
    return np.where(np.equal(column, None), "", column.astype(str)) if column.dtype == object else column.astype(str)


def _jsonable(value):
    return value if value is None or isinstance(value, (int, bool, str)) else str(value)
