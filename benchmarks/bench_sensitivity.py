#!/usr/bin/env python
"""How `sensitivity` grows with depth when a kernel is a parameter.

A chain of `conv 8, K, padding=K // 2` layers on an R × R input, R and K
symbolic: every layer's size has ⌊K/2⌋ in it and every row gets a closed
form. Times the engine (`whatif.sensitivity`) and the rendered text in one
process, in CPU seconds, and the time per layer, which stays flat if the
command is linear in depth.

    python benchmarks/bench_sensitivity.py                   # 250, 500, 1,000 and 2,000 layers
    python benchmarks/bench_sensitivity.py --layers 1000 4000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Benchmark the checkout this script sits in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import symcnn  # noqa: E402
from symcnn.exporters import sensitivity as exporter  # noqa: E402
from symcnn.whatif.sensitivity import sensitivity  # noqa: E402


def network_text(layers: int) -> str:
    return f"R = 32\nK = 3\ninput 8, R, R\nrepeat {layers} {{ conv 8, K, padding=K // 2 }}\n"


def main(argv=None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--layers", type=int, nargs="+", default=[250, 500, 1_000, 2_000])
    arguments = options.parse_args(argv)
    print(f"  {'layers':>7} {'derive':>8} {'engine':>8} {'render':>8} {'per layer':>10}   (CPU seconds)")
    for layers in arguments.layers:
        start = time.process_time()
        network = symcnn.loads(network_text(layers), symbolic="all")
        derived = time.process_time()
        result = sensitivity(network)
        engine = time.process_time()
        exporter.render(result)
        rendered = time.process_time()
        per_layer = (rendered - derived) / layers * 1000
        print(
            f"  {layers:>7,} {derived - start:8.2f} {engine - derived:8.2f} {rendered - engine:8.2f} "
            f"{per_layer:7.2f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
