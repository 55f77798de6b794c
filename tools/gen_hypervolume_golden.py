#!/usr/bin/python3
"""Reference hypervolumes from Optuna 3.x's exact WFG (optuna._hypervolume.WFG) on random
point sets in 2-4 objectives, for tests/search/test_pareto.cpp.

Usage: /usr/bin/python3 tools/gen_hypervolume_golden.py > tests/search/golden/hypervolume.json
"""
import json
import sys

import numpy as np
import optuna
from optuna._hypervolume import WFG


def main():
    rng = np.random.RandomState(2024)
    cases = []
    for dims in (2, 3, 4):
        for n_points in (1, 5, 20, 60):
            # Points on a noisy concave front plus dominated points, all inside the box.
            raw = rng.uniform(0.0, 1.0, size=(n_points, dims))
            front = raw / np.linalg.norm(raw, axis=1, keepdims=True)
            pts = np.where(rng.uniform(size=(n_points, 1)) < 0.3, front + 0.2, front)
            ref = np.full(dims, 1.5)
            hv = WFG().compute(pts, ref)
            cases.append({"points": pts.round(12).tolist(), "ref": ref.tolist(), "hv": float(hv)})
    # Recompute on the rounded points so the C++ test sees exactly what produced the value.
    for c in cases:
        c["hv"] = float(WFG().compute(np.array(c["points"]), np.array(c["ref"])))
    json.dump({"generated_by": "tools/gen_hypervolume_golden.py, do not edit",
               "optuna_version": optuna.__version__, "cases": cases}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
