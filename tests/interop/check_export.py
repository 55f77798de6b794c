#!/usr/bin/python3
"""Checks chop's exports from Python (run by tests/cli/test_cli_interop.cpp; never skipped):

  check_export.py onnx FILE.onnx X.npy WANT.npy TOL
      onnx.checker accepts FILE, and tools/onnx_reference.py (numpy; QONNX's Quant op,
      QuantizeLinear/DequantizeLinear) evaluates it on X to WANT within TOL (max abs).
  check_export.py state_dict FILE.pt NETWORK X.npy WANT.npy TOL
      torch.load reads FILE and the PyTorch module NETWORK of tools/gen_onnx_fixtures.py loads it
      strictly (load_state_dict), and its outputs on X equal WANT within TOL.
Prints one line and exits 1 on any mismatch.
"""
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))


def main():
    kind = sys.argv[1]
    if kind == "onnx":
        import onnx
        import onnx_reference
        path, x, want, tol = sys.argv[2], np.load(sys.argv[3]), np.load(sys.argv[4]), float(sys.argv[5])
        model = onnx.load(path)
        onnx.checker.check_model(model)
        got = onnx_reference.run(model, x)
    elif kind == "state_dict":
        import torch
        import gen_onnx_fixtures
        path, network = sys.argv[2], sys.argv[3]
        x, want, tol = np.load(sys.argv[4]), np.load(sys.argv[5]), float(sys.argv[6])
        state = torch.load(path)
        model = gen_onnx_fixtures.NETWORKS[network][0]()
        model.load_state_dict(state, strict=True)
        model.eval()
        with torch.no_grad():
            got = model(torch.from_numpy(x)).numpy()
    else:
        raise SystemExit("unknown check " + kind)
    if got.shape != want.shape:
        print("shape mismatch: got %s, want %s" % (got.shape, want.shape))
        return 1
    diff = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
    print("max abs diff %.3g (tolerance %.3g)" % (diff, tol))
    return 0 if diff <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
