#!/usr/bin/env python
"""How fast models go in and out: torchvision's ResNet-50 imported, and the zoo's exported and built.

Each figure is a fresh process, timed from outside (process start, imports and
all), the median of --runs:

  import     symcnn import torch tests/tv_models.py:resnet50 --input 3,224,224 -o FILE
             (build the model, trace it with torch.fx, write and check the DSL)
  torchinfo  python -c "build resnet50; torchinfo.summary(model, (1, 3, 224, 224))"
             (the peer's summary of the same model, for comparison)
  export     symcnn export examples/zoo/resnet50.cnn --to torch -o FILE
  build      python -c "import FILE; FILE.build()"   (the generated module, lazy layers sized)

Target (reported, never failing the run): import <= torchinfo.

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
    "torchinfo.summary(tv_models.resnet50().eval(), (1, 3, 224, 224), verbose=0)"
)


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
        imported, generated = Path(directory) / "resnet50.cnn", Path(directory) / "resnet50_model.py"
        spec = "tests/tv_models.py:resnet50"
        build = f"import sys; sys.path.insert(0, {directory!r}); import resnet50_model; resnet50_model.build()"
        figures = {
            "import": timed([*SYMCNN, "import", "torch", spec, "--input", "3,224,224", "-o", str(imported)], args.runs),
            "torchinfo": timed([PYTHON, "-c", TORCHINFO], args.runs),
            "export": timed(
                [*SYMCNN, "export", "examples/zoo/resnet50.cnn", "--to", "torch", "-o", str(generated)], args.runs
            ),
            "build": timed([PYTHON, "-c", build], args.runs),
        }
    for name, seconds in figures.items():
        print(f"{name:>10}  {seconds:6.2f} s")
    met = figures["import"] <= figures["torchinfo"]
    print(
        f"import <= torchinfo summary: {'MET' if met else 'MISSED'} ({figures['import'] / figures['torchinfo']:.2f}x)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
