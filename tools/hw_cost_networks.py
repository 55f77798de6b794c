"""The reference networks of tools/gen_hw_cost_reference.py (imported by it): jsc-tiny, jsc-s, the jet tagger and
vgg7 with parameters from closed formulas (FNV-1a of the state-dict name, a multiplicative hash of
the element index; chop's tests/passes/analysis/hw_cost_case.h reproduces them bit for bit), the
two integer quantization configs, and the per-layer records the cost formulas read.
"""

import numpy as np

# ---------------------------------------------------------------- deterministic tensors


def fnv1a(name):
    h = 2166136261
    for c in name.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


def hashes(name, n):
    j = np.arange(n, dtype=np.uint64)
    return (j * np.uint64(2654435761) + np.uint64(fnv1a(name))) & np.uint64(0xFFFFFFFF)


def weight_values(name, shape, fan_in):
    """(r - 1000) * 2^-(10 + s), s = floor(log2(fan_in) / 2); zero when (h >> 3) % 11 == 0."""
    n = int(np.prod(shape))
    h = hashes(name, n)
    r = ((h >> np.uint64(7)) % np.uint64(2001)).astype(np.int64)
    s = (int(fan_in).bit_length() - 1) // 2
    v = (r - 1000).astype(np.float32) * np.float32(2.0 ** -(10 + s))
    v[((h >> np.uint64(3)) % np.uint64(11)) == 0] = 0
    return v.reshape(shape)


def bn_values(name, kind, c):
    h = hashes(name, c)
    r = ((h >> np.uint64(7)) % np.uint64(2001)).astype(np.int64)
    if kind == "weight":
        return (np.float32(1) + (r - 1000).astype(np.float32) * np.float32(2.0 ** -12))
    if kind == "running_var":
        return (np.float32(0.5) + r.astype(np.float32) * np.float32(2.0 ** -11))
    return (r - 1000).astype(np.float32) * np.float32(2.0 ** -11)  # bias, running_mean


# ---------------------------------------------------------------- the four networks
# Each layer: (fx name, target, op, attrs); shapes are per sample (no batch dimension).


def jsc_tiny():
    return [("seq_blocks_0", "seq_blocks.0", "bn", 16), ("seq_blocks_1", None, "relu", None),
            ("seq_blocks_2", "seq_blocks.2", "linear", (16, 5)),
            ("seq_blocks_3", None, "relu", None)], (16,)


def jsc_s():
    L = [("module_list_0", "module_list.0", "bn", 16), ("module_list_1", None, "relu", None),
         ("module_list_2", "module_list.2", "linear", (16, 64)),
         ("module_list_3", "module_list.3", "bn", 64), ("module_list_4", None, "relu", None)]
    i, prev = 5, 64
    for w in (32, 32, 32):
        L += [("module_list_%d" % i, "module_list.%d" % i, "linear", (prev, w)),
              ("module_list_%d" % (i + 1), None, "relu", None)]
        i, prev = i + 2, w
    L += [("module_list_11", "module_list.11", "linear", (32, 5)),
          ("module_list_12", "module_list.12", "bn", 5), ("module_list_13", None, "relu", None)]
    return L, (16,)


def jet_tagger():
    L, prev, i = [], 16, 0
    for w in (64, 32, 32):
        L += [("seq_blocks_%d" % i, "seq_blocks.%d" % i, "linear", (prev, w)),
              ("seq_blocks_%d" % (i + 1), None, "relu", None)]
        i, prev = i + 2, w
    L.append(("seq_blocks_6", "seq_blocks.6", "linear", (32, 5)))
    return L, (16,)


def vgg7():
    L, idx, prev = [], 0, 3
    for k, c in enumerate((128, 128, 256, 256, 512, 512)):
        L.append(("feature_layers_%d" % idx, "feature_layers.%d" % idx, "conv", (prev, c)))
        L.append(("feature_layers_%d" % (idx + 1), "feature_layers.%d" % (idx + 1), "bn", c))
        L.append(("feature_layers_%d" % (idx + 2), None, "relu", None))
        idx += 3
        if k % 2 == 1:
            L.append(("feature_layers_%d" % idx, None, "maxpool", None))
            idx += 1
        prev = c
    L += [("view", None, "view", None), ("classifier_0", "classifier.0", "linear", (8192, 1024)),
          ("classifier_1", None, "relu", None),
          ("classifier_2", "classifier.2", "linear", (1024, 1024)),
          ("classifier_3", None, "relu", None), ("last_layer", "last_layer", "linear", (1024, 10))]
    return L, (3, 32, 32)


MODELS = {
    "jsc-tiny": ("jsc-tiny", None, jsc_tiny),
    "jsc-s": ("jsc-s", None, jsc_s),
    "jet-tagger-16-64-32-32-5": ("mlp", [64, 32, 32], jet_tagger),
    "vgg7": ("vgg7", None, vgg7),
}

# ---------------------------------------------------------------- quantization configs
# (width, frac, signed) per operand; MASE's integer quantizer, frac "NA" = width // 2.
CONFIGS = {
    "float": None,
    # MASE's jsc_toy_by_type.toml [passes.quantize]: linear (and conv2d) at 8/4 everywhere.
    "A": {"data_in": (8, 4), "weight": (8, 4), "bias": (8, 4), "relu": None},
    # Low precision with quantized ReLUs: data_in 6/3, weight 3/2, bias 6/3, relu 6/3.
    "B": {"data_in": (6, 3), "weight": (3, 2), "bias": (6, 3), "relu": (6, 3)},
}


def quantize(x, width, frac, signed=True):
    """MASE's integer quantizer: clamp(round_half_even(x * 2^f), lo, hi) / 2^f in float32."""
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2 ** width - 1)
    v = np.round(x.astype(np.float32) * np.float32(2.0 ** frac))
    return (np.clip(v, lo, hi) / np.float32(2.0 ** frac)).astype(np.float32)


def qonnx_type(spec, signed=True):
    """IntQuant.get_output_dtype: unit scale -> INT<w>/UINT<w> (1 bit: BIPOLAR/BINARY),
    otherwise SCALEDINT<w>; no quantizer -> FLOAT32."""
    if spec is None:
        return "FLOAT32", 32, "float"
    w, f = spec
    if f == 0:
        if w == 1:
            return ("BIPOLAR" if signed else "BINARY"), 1, "int"
        return ("INT%d" % w if signed else "UINT%d" % w), w, "int"
    return "SCALEDINT<%d>" % w, w, "scaled"


def mac_result_type(kinds):
    """infer_mac_result_dtype: all integer -> INT32, all integer-like -> SCALEDINT<32>,
    otherwise FLOAT32 (every type here is signed)."""
    if all(k == "int" for k in kinds):
        return "INT32", 32
    if all(k in ("int", "scaled") for k in kinds):
        return "SCALEDINT<32>", 32
    return "FLOAT32", 32


# ---------------------------------------------------------------- the network, instantiated


class Layer:
    pass


def build(model_key, config_key):
    layers_spec, in_shape = MODELS[model_key][2]()
    cfg = CONFIGS[config_key]
    layers, shape = [], in_shape
    for name, target, op, attrs in layers_spec:
        L = Layer()
        L.name, L.op, L.in_shape = name, op, shape
        if op == "linear":
            fi, fo = attrs
            L.w = weight_values(target + ".weight", (fo, fi), fi)
            L.b = weight_values(target + ".bias", (fo,), fi)
            shape = (fo,)
        elif op == "conv":
            ci, co = attrs
            L.w = weight_values(target + ".weight", (co, ci, 3, 3), ci * 9)
            L.b = weight_values(target + ".bias", (co,), ci * 9)
            shape = (co,) + shape[1:]
        elif op == "bn":
            L.gamma = bn_values(target + ".weight", "weight", attrs)
            L.beta = bn_values(target + ".bias", "bias", attrs)
            L.mean = bn_values(target + ".running_mean", "running_mean", attrs)
            L.var = bn_values(target + ".running_var", "running_var", attrs)
        elif op == "maxpool":
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
        elif op == "view":
            shape = (int(np.prod(shape)),)
        L.out_shape = shape
        L.q = None
        if cfg is not None and op in ("linear", "conv"):
            L.q = {"data_in": cfg["data_in"], "weight": cfg["weight"], "bias": cfg["bias"]}
        if cfg is not None and op == "relu" and cfg["relu"] is not None:
            L.q = {"data_in": cfg["relu"]}
        if op in ("linear", "conv"):
            L.wq = quantize(L.w, *L.q["weight"]) if L.q else L.w
            L.bq = quantize(L.b, *L.q["bias"]) if L.q else L.b
        layers.append(L)
    return layers
