#!/usr/bin/env python
"""How fast models go in and out: torchvision's ResNet-50 and ConvNeXt-T imported, the zoo's ResNet-50 exported and built.

Each figure is a fresh process, timed from outside (process start, imports and
all), the median of --runs:

  import     symcnn import torch tests/tv_models.py:resnet50 --input 3,224,224 -o FILE
             (build the model, trace it with torch.fx, write and check the DSL)
  torchinfo  python -c "build resnet50; torchinfo.summary(model, (1, 3, 224, 224))"
             (the peer's summary of the same model, for comparison)
  import convnext_tiny, torchinfo convnext_tiny
             the same for ConvNeXt-T (permute, layer norm, layer scale, stochastic depth)
  export     symcnn export examples/zoo/resnet50.cnn --to torch -o FILE
  build      python -c "import FILE; FILE.build()"   (the generated module, lazy layers sized)

Target (reported, never failing the run): import <= torchinfo, for each model.

    python benchmarks/bench_io.py            # 3 runs each
    python benchmarks/bench_io.py --runs 5 --json figures.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SYMCNN = [PYTHON, "-m", "symcnn"]
TORCHINFO = (
    "import sys; sys.path.insert(0, 'tests'); import tv_models, torchinfo; "
    "torchinfo.summary(tv_models.{model}().eval(), (1, 3, 224, 224), verbose=0)"
)
IMPORTED = ["resnet50", "convnext_tiny"]


def timed(command: list[str], runs: int) -> float:
    """Median wall time of `command`, in seconds; it must succeed."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", metavar="FILE", help="Also write the figures here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        imported, generated = Path(directory) / "imported.cnn", Path(directory) / "resnet50_model.py"
        build = f"import sys; sys.path.insert(0, {directory!r}); import resnet50_model; resnet50_model.build()"
        figures = {}
        for model in IMPORTED:
            suffix = "" if model == "resnet50" else f" {model}"
            command = [*SYMCNN, "import", "torch", f"tests/tv_models.py:{model}", "--input", "3,224,224"]
            figures[f"import{suffix}"] = timed([*command, "-o", str(imported)], args.runs)
            figures[f"torchinfo{suffix}"] = timed([PYTHON, "-c", TORCHINFO.format(model=model)], args.runs)
        figures |= {
            "export": timed(
                [*SYMCNN, "export", "examples/zoo/resnet50.cnn", "--to", "torch", "-o", str(generated)], args.runs
            ),
            "build": timed([PYTHON, "-c", build], args.runs),
        }
    for name, seconds in figures.items():
        print(f"{name:>24}  {seconds:6.2f} s")
    for model in IMPORTED:
        suffix = "" if model == "resnet50" else f" {model}"
        ratio = figures[f"import{suffix}"] / figures[f"torchinfo{suffix}"]
        print(f"{model} import <= torchinfo summary: {'MET' if ratio <= 1 else 'MISSED'} ({ratio:.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
