#!/usr/bin/python3
"""A small numpy evaluator for the ONNX / QONNX / QDQ models chop imports and exports.

Debian's python3-onnx (1.12) has no reference runtime, so chop's tests evaluate exported
models here: the QONNX Quant op follows the QONNX spec (fastmachinelearning/qonnx,
docs/qonnx-custom-ops/quant_op.md), QuantizeLinear/DequantizeLinear the ONNX spec. Float
arithmetic is float32 in the order the ops define, so quantizers see the values chop's
fake-quantized graph sees.

    /usr/bin/python3 tools/onnx_reference.py MODEL.onnx INPUT.npy OUTPUT.npy
"""
import math
import sys

import numpy as np
import onnx
from onnx import numpy_helper

F32 = np.float32


def quant(x, scale, zeropt, bitwidth, signed, narrow, rounding_mode="ROUND"):
    """QONNX Quant: y = (clip(round(x / s + z), lo, hi) - z) * s."""
    bitwidth = int(bitwidth)
    if signed:
        lo = -(2 ** (bitwidth - 1)) + (1 if narrow else 0)
        hi = 2 ** (bitwidth - 1) - 1
    else:
        lo = 0
        hi = 2 ** bitwidth - 1 - (1 if narrow else 0)
    v = (x / scale + zeropt).astype(F32)
    if rounding_mode.upper() not in ("ROUND", "HALF_EVEN"):
        raise ValueError("rounding mode " + rounding_mode)
    v = np.round(v)  # numpy rounds half to even, as QONNX's ROUND
    v = np.clip(v, lo, hi)
    return ((v - zeropt) * scale).astype(F32)


def bipolar_quant(x, scale):
    return (np.where(x >= 0, F32(1), F32(-1)) * scale).astype(F32)


def quantize_linear(x, scale, zp):
    info = np.iinfo(zp.dtype)
    v = np.round(x / scale) + zp.astype(np.int64)
    return np.clip(v, info.min, info.max).astype(zp.dtype)


def dequantize_linear(q, scale, zp):
    return ((q.astype(np.int64) - zp.astype(np.int64)).astype(F32) * scale).astype(F32)


def conv(x, w, b, strides, pads, dilations, group):
    n, c, *spatial = x.shape
    dims = len(spatial)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + dims]) for i in range(dims)])
    oc, icg, *k = w.shape
    out_sp = [(xp.shape[2 + i] - dilations[i] * (k[i] - 1) - 1) // strides[i] + 1
              for i in range(dims)]
    y = np.zeros([n, oc] + out_sp, dtype=F32)
    ocg = oc // group
    for g in range(group):
        xs = xp[:, g * icg:(g + 1) * icg]
        ws = w[g * ocg:(g + 1) * ocg]
        for idx in np.ndindex(*out_sp):
            sl = [slice(None), slice(None)]
            for i in range(dims):
                start = idx[i] * strides[i]
                sl.append(slice(start, start + dilations[i] * (k[i] - 1) + 1, dilations[i]))
            patch = xs[tuple(sl)].reshape(n, -1)
            y[(slice(None), slice(g * ocg, (g + 1) * ocg)) + idx] = patch @ ws.reshape(ocg, -1).T
    if b is not None:
        y += b.reshape([1, oc] + [1] * dims)
    return y.astype(F32)


def conv_transpose(x, w, b, strides, pads, dilations, group, output_padding):
    """Scatter form: every input pixel adds its weighted kernel to the output (ONNX spec)."""
    n, c, *spatial = x.shape
    dims = len(spatial)
    ic, ocg, *k = w.shape
    icg = ic // group
    full = [(spatial[i] - 1) * strides[i] + dilations[i] * (k[i] - 1) + 1 + output_padding[i]
            for i in range(dims)]
    y = np.zeros([n, ocg * group] + full, dtype=np.float64)
    for g in range(group):
        xs = x[:, g * icg:(g + 1) * icg].astype(np.float64)
        ws = w[g * icg:(g + 1) * icg].astype(np.float64)
        for idx in np.ndindex(*spatial):
            contrib = np.einsum("ni,io...->no...", xs[(slice(None), slice(None)) + idx], ws)
            sl = [slice(None), slice(g * ocg, (g + 1) * ocg)]
            for i in range(dims):
                start = idx[i] * strides[i]
                sl.append(slice(start, start + dilations[i] * (k[i] - 1) + 1, dilations[i]))
            y[tuple(sl)] += contrib
    crop = [slice(None), slice(None)] + [slice(pads[i], full[i] - pads[i + dims]) for i in range(dims)]
    y = y[tuple(crop)]
    if b is not None:
        y += b.reshape([1, -1] + [1] * dims)
    return y.astype(F32)


def resize_nearest(x, scales):
    """Resize, mode nearest, asymmetric + floor: output index o reads floor(o / scale)."""
    y = x
    for axis, s in enumerate(scales):
        if s != 1:
            idx = np.floor(np.arange(int(x.shape[axis] * s)) / s).astype(np.int64)
            y = np.take(y, idx, axis=axis)
    return y


def pool(x, kernel, strides, pads, mode, count_include_pad=0, ceil_mode=0, dilations=None):
    n, c, *spatial = x.shape
    dims = len(spatial)
    dilations = dilations or [1] * dims
    out_sp = []
    for i in range(dims):
        span = spatial[i] + 2 * pads[i] - dilations[i] * (kernel[i] - 1) - 1
        o = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        if ceil_mode and (o - 1) * strides[i] >= spatial[i] + pads[i]:
            o -= 1
        out_sp.append(o)
    y = np.zeros([n, c] + out_sp, dtype=F32)
    for idx in np.ndindex(*out_sp):
        sl = [slice(None), slice(None)]
        count = 1
        for i in range(dims):
            start = idx[i] * strides[i] - pads[i]
            end = start + dilations[i] * (kernel[i] - 1) + 1
            lo, hi = max(start, 0), min(end, spatial[i])
            sl.append(slice(lo + (-(lo - start)) % dilations[i], hi, dilations[i]))
            if count_include_pad:
                count *= min(end, spatial[i] + pads[i]) - start
            else:
                count *= len(range(lo, hi))
        win = x[tuple(sl)].reshape(n, c, -1)
        y[(slice(None), slice(None)) + idx] = win.max(-1) if mode == "max" else win.sum(-1) / F32(count)
    return y


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model, x):
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in env]
    env[inputs[0]] = x.astype(F32)
    for node in model.graph.node:
        a = attrs_of(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = (F32(a.get("alpha", 1.0)) * (A @ B)).astype(F32)
            if len(ins) > 2 and ins[2] is not None:
                y = y + F32(a.get("beta", 1.0)) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](ins[0], ins[1])
        elif op == "Relu":
            y = np.maximum(ins[0], F32(0))
        elif op == "LeakyRelu":
            y = np.where(ins[0] >= 0, ins[0], ins[0] * F32(a.get("alpha", 0.01)))
        elif op == "Sigmoid":
            y = F32(1) / (F32(1) + np.exp(-ins[0]))
        elif op == "Tanh":
            y = np.tanh(ins[0])
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
            y = np.clip(ins[0], lo, hi)
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "LogSoftmax":
            ax = a.get("axis", -1)
            z = ins[0] - ins[0].max(axis=ax, keepdims=True)
            y = z - np.log(np.exp(z).sum(axis=ax, keepdims=True))
        elif op in ("Elu", "Selu"):
            alpha = F32(a.get("alpha", 1.0 if op == "Elu" else 1.67326319217681884765625))
            gamma = F32(a.get("gamma", 1.05070102214813232421875)) if op == "Selu" else F32(1)
            y = gamma * np.where(ins[0] > 0, ins[0], alpha * np.expm1(ins[0]))
        elif op in ("HardSigmoid", "HardSwish"):
            alpha, beta = (F32(a.get("alpha", 0.2)), F32(a.get("beta", 0.5))) if op == "HardSigmoid" \
                else (F32(1 / 6), F32(0.5))
            y = np.clip(alpha * ins[0] + beta, F32(0), F32(1))
            if op == "HardSwish":
                y = ins[0] * y
        elif op == "Softplus":
            y = np.logaddexp(F32(0), ins[0])
        elif op == "PRelu":
            y = np.where(ins[0] >= 0, ins[0], ins[0] * ins[1])
        elif op == "Erf":
            y = np.vectorize(math.erf, otypes=[np.float64])(ins[0].astype(np.float64))
        elif op == "Pow":
            y = np.power(ins[0], ins[1])
        elif op in ("Abs", "Neg", "Exp", "Log"):
            y = {"Abs": np.abs, "Neg": np.negative, "Exp": np.exp, "Log": np.log}[op](ins[0])
        elif op == "Sqrt":
            y = np.sqrt(ins[0])
        elif op == "Reciprocal":
            y = F32(1) / ins[0]
        elif op in ("Max", "Min", "Sum"):
            f = {"Max": np.maximum, "Min": np.minimum, "Sum": np.add}[op]
            y = ins[0]
            for other in ins[1:]:
                y = f(y, other)
        elif op in ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin"):
            axes = a.get("axes") if op != "ReduceSum" or len(ins) < 2 else ins[1]
            axes = tuple(int(v) for v in axes) if axes is not None else None
            f = {"ReduceMean": np.mean, "ReduceSum": np.sum, "ReduceMax": np.max, "ReduceMin": np.min}[op]
            y = f(ins[0], axis=axes, keepdims=bool(a.get("keepdims", 1)))
        elif op == "BatchNormalization":
            X, s, b, m, v = ins[:5]
            shape = [1, -1] + [1] * (X.ndim - 2)
            # PyTorch's inference kernel: y = x * alpha + beta with alpha, beta in float32.
            inv = F32(1) / np.sqrt(v + F32(a.get("epsilon", 1e-5)))
            alpha = (inv * s).astype(F32)
            beta = (b - m * alpha).astype(F32)
            y = X * alpha.reshape(shape) + beta.reshape(shape)
        elif op == "Conv":
            dims = ins[1].ndim - 2
            y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a.get("strides", [1] * dims),
                     a.get("pads", [0] * 2 * dims), a.get("dilations", [1] * dims), a.get("group", 1))
        elif op == "ConvTranspose":
            dims = ins[1].ndim - 2
            if "output_shape" in a or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise NotImplementedError("ConvTranspose output_shape/auto_pad")
            y = conv_transpose(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                               a.get("strides", [1] * dims), a.get("pads", [0] * 2 * dims),
                               a.get("dilations", [1] * dims), a.get("group", 1),
                               a.get("output_padding", [0] * dims))
        elif op == "Resize":
            mode = a.get("mode", b"nearest")
            coord = a.get("coordinate_transformation_mode", b"half_pixel")
            if mode not in (b"nearest", "nearest") or coord not in (b"asymmetric", "asymmetric"):
                raise NotImplementedError("Resize other than nearest asymmetric")
            y = resize_nearest(ins[0], [float(s) for s in ins[2]])
        elif op in ("MaxPool", "AveragePool"):
            k = a["kernel_shape"]
            dims = len(k)
            y = pool(ins[0], k, a.get("strides", [1] * dims), a.get("pads", [0] * 2 * dims)[:dims],
                     "max" if op == "MaxPool" else "avg", a.get("count_include_pad", 0),
                     a.get("ceil_mode", 0), a.get("dilations"))
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=tuple(range(2, ins[0].ndim)), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            y = ins[0].reshape(shape)
        elif op == "Transpose":
            y = np.transpose(ins[0], a.get("perm"))
        elif op == "Concat":
            y = np.concatenate(ins, axis=a["axis"])
        elif op in ("Identity", "Dropout"):
            y = ins[0]
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"]) if "value" in a else np.array(a.get("value_float"), F32)
        elif op in ("Quant", "IntQuant"):
            y = quant(ins[0], ins[1], ins[2], ins[3], a.get("signed", 1), a.get("narrow", 0),
                      a.get("rounding_mode", b"ROUND").decode() if isinstance(a.get("rounding_mode"), bytes)
                      else a.get("rounding_mode", "ROUND"))
        elif op == "BipolarQuant":
            y = bipolar_quant(ins[0], ins[1])
        elif op == "QuantizeLinear":
            y = quantize_linear(ins[0], ins[1], ins[2])
        elif op == "DequantizeLinear":
            y = dequantize_linear(ins[0], ins[1], ins[2])
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = np.asarray(y).astype(F32) if op != "QuantizeLinear" else y
    return env[model.graph.output[0].name]


def main():
    model = onnx.load(sys.argv[1])
    y = run(model, np.load(sys.argv[2]))
    np.save(sys.argv[3], y.astype(F32))


if __name__ == "__main__":
    main()
