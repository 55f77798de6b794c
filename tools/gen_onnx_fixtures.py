#!/usr/bin/python3
"""Generates tests/interop/fixtures: ONNX exports of PyTorch networks that are not in chop's
zoo, with inputs, PyTorch's outputs, a Lightning-style checkpoint and a torch.save'd state
dict each, plus hand-built QONNX / tf2onnx-style models and bad files for must-fail tests.

Run with Debian's python3-torch 1.13 and python3-onnx 1.12:
    /usr/bin/python3 tools/gen_onnx_fixtures.py [OUT_DIR]
The files are small and committed, so chop's C++ tests need no Python to read them.
"""
import argparse
import collections
import dataclasses
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_reference  # noqa: E402

EVAL = torch.onnx.TrainingMode.EVAL
TRAINING = torch.onnx.TrainingMode.TRAINING


# ---- the PyTorch networks (importable: tests load their state dicts into them) -------------

class JetMLP(nn.Module):
    """An MLP jet tagger (16 features, 5 classes) like hls4ml's, not chop's jsc-s."""

    def __init__(self):
        super().__init__()
        self.input_bn = nn.BatchNorm1d(16)
        self.fc1 = nn.Linear(16, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 32)
        self.out = nn.Linear(32, 5)

    def forward(self, x):
        x = self.input_bn(x)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = torch.relu(self.fc3(x))
        return self.out(x)


class ResBlock(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.bn = nn.BatchNorm1d(width)
        self.act = nn.ReLU()

    def forward(self, x):
        return x + self.act(self.bn(self.fc(x)))


class ResMLP(nn.Module):
    """A residual MLP with BatchNorm: the tensor x is used twice (x + f(x))."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU())
        self.blocks = nn.Sequential(ResBlock(32), ResBlock(32))
        self.head = nn.Linear(32, 5)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class LeNet(nn.Module):
    """A LeNet-style MNIST CNN; x.view(x.size(0), -1) exports as a computed Reshape."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 5)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(8 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        return self.fc2(torch.relu(self.fc1(x)))


class ConvBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class ResCNN(nn.Module):
    """A small residual CIFAR-10 CNN with GlobalAveragePool."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.layer1 = ConvBlock(8)
        self.down = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16),
                                  nn.ReLU())
        self.layer2 = ConvBlock(16)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.layer2(self.down(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class Conv1dNet(nn.Module):
    """A Conv1d net over the 16 jet features as a 1 x 16 sequence."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(4, 8, 3, padding=1, dilation=1), nn.ReLU(),
            nn.AvgPool1d(2), nn.Flatten())
        self.classifier = nn.Linear(8 * 4, 5)

    def forward(self, x):
        return self.classifier(self.features(x))


class ActNet(nn.Module):
    """LeakyReLU, Sigmoid, Tanh, Hardtanh (Clip), Dropout, Concat, constants and Softmax."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.act1 = nn.LeakyReLU(0.1)
        self.fc2 = nn.Linear(32, 16)
        self.gate = nn.Sigmoid()
        self.drop = nn.Dropout(0.2)
        self.clip = nn.Hardtanh(-0.5, 0.5)
        self.fc3 = nn.Linear(32, 5)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        h = self.act1(self.fc1(x))
        g = self.drop(self.gate(self.fc2(h)))
        z = torch.cat([torch.tanh(g), self.clip(g * 2 - 1)], dim=1)
        return self.softmax(self.fc3(z))


class ExtMLP(nn.Module):
    """Activations and arithmetic users' jet taggers write: GELU (Div, Erf, Add, Mul, Mul), SELU,
    ELU, Softplus, Hardsigmoid, torch.maximum/minimum, x / 2, x ** 2, sqrt, reciprocal, erf,
    abs, neg, exp, log and log_softmax."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.act1 = nn.GELU()
        self.fc2 = nn.Linear(32, 32)
        self.act2 = nn.SELU()
        self.fc3 = nn.Linear(32, 16)
        self.gate = nn.Hardsigmoid()
        self.out = nn.Linear(16, 5)

    def forward(self, x):
        h = self.act2(self.fc2(self.act1(self.fc1(x))))
        h = nn.functional.elu(self.fc3(h), alpha=0.5)
        h = torch.maximum(nn.functional.softplus(h), self.gate(h)) + torch.minimum(h, torch.tensor(0.25))
        h = torch.sqrt(h * h + 1.0) / 2.0 + h ** 2 - torch.reciprocal(1.0 + torch.sigmoid(h))
        h = h + torch.erf(h) - torch.exp(-torch.abs(h)) + torch.log(1.0 + h * h)
        return nn.functional.log_softmax(self.out(h), dim=1)


class ExtCNN(nn.Module):
    """A CNN with ELU, F.hardswish (HardSigmoid + Mul at opset 13), per-channel PReLU, and global
    pooling written by hand: x.mean(dim=(2, 3)) and x.amax(dim=(2, 3))."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.act = nn.PReLU(8)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = nn.functional.elu(self.conv1(x))
        x = self.act(nn.functional.hardswish(self.conv2(x)))
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return self.fc(pooled)


class DeepSets(nn.Module):
    """A deep-sets jet tagger over 8 particles x 4 features: a per-particle MLP (PReLU with one
    slope, HardSwish at opset 14), then sum and mean over the particles (ReduceSum/ReduceMean
    over dimension 1) and the least per-particle mean (ReduceMean keepdims, ReduceMin)."""

    def __init__(self):
        super().__init__()
        self.phi = nn.Linear(4, 16)
        self.act = nn.PReLU()
        self.phi2 = nn.Linear(16, 16)
        self.rho = nn.Linear(33, 5)

    def forward(self, x):
        h = nn.functional.hardswish(self.phi2(self.act(self.phi(x))))
        pooled = torch.cat([h.sum(dim=1), h.mean(dim=1),
                            h.mean(dim=2, keepdim=True).amin(dim=1)], dim=1)
        return self.rho(pooled)


class ConvAutoencoder(nn.Module):
    """An LHC-trigger style convolutional autoencoder: strided Conv2d down, ConvTranspose2d
    (output_padding) and nn.Upsample (Resize, nearest) up, Sigmoid out."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.dec = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)
        self.up = nn.Upsample(scale_factor=2)
        self.out = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, x):
        h = self.up(torch.relu(self.dec(torch.relu(self.enc(x)))))
        return torch.sigmoid(self.out(h))


# name -> (class, input sample shape, opset, training mode for export)
NETWORKS = {
    "jet_mlp": (JetMLP, (16,), 11, EVAL),
    "res_mlp": (ResMLP, (16,), 13, EVAL),
    "lenet": (LeNet, (1, 28, 28), 17, EVAL),
    "res_cnn": (ResCNN, (3, 32, 32), 13, TRAINING),
    "conv1d_net": (Conv1dNet, (1, 16), 13, EVAL),
    "act_net": (ActNet, (16,), 17, EVAL),
    "ext_mlp": (ExtMLP, (16,), 13, EVAL),
    "ext_cnn": (ExtCNN, (3, 8, 8), 13, EVAL),
    "deep_sets": (DeepSets, (8, 4), 14, EVAL),
    "conv_ae": (ConvAutoencoder, (1, 8, 8), 13, EVAL),
}


@dataclasses.dataclass
class DatasetInfo:  # a non-tensor Python object, as MASE's hyper_parameters hold
    name: str
    num_classes: int


def randomise_bn(model, gen):
    """Trained-looking BatchNorm statistics, so imports must carry them."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.num_batches_tracked.fill_(17)


def lightning_checkpoint(model, name, n_classes):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    return {
        "epoch": 9,
        "global_step": 620,
        "pytorch-lightning_version": "1.9.4",
        "state_dict": collections.OrderedDict(
            ("model." + k, v.clone()) for k, v in model.state_dict().items()),
        "loops": {"fit_loop": {"epoch_progress": {"total": {"ready": 10, "completed": 9}}}},
        "callbacks": {"ModelCheckpoint{'monitor': 'val_loss_epoch', 'mode': 'min'}": {
            "best_model_score": torch.tensor(0.42), "best_model_path": "best.ckpt",
            "dirpath": "/tmp/training_ckpts"}},
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [sched.state_dict()],
        "hparams_name": "kwargs",
        "hyper_parameters": {"learning_rate": 1e-3, "epochs": 10,
                             "dataset_info": DatasetInfo(name, n_classes),
                             "args": argparse.Namespace(model=name, batch_size=64)},
    }


def export_network(name, out):
    cls, sample, opset, mode = NETWORKS[name]
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = cls()
    with torch.no_grad():
        randomise_bn(model, gen)
    model.eval()
    path = os.path.join(out, name + ".onnx")
    # Exporting in training mode traces the model in training mode, which updates BatchNorm's
    # running statistics: the file holds the model as it is after the export, so the outputs
    # and checkpoints below are taken after it too.
    torch.onnx.export(model, torch.randn(2, *sample, generator=gen), path, opset_version=opset,
                      training=mode, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path))
    model.eval()
    x = torch.randn(4, *sample, generator=gen)
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(out, name + "_x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, name + "_y.npy"), y.numpy().astype(np.float32))
    n_classes = y.shape[-1]
    torch.save(lightning_checkpoint(model, name, n_classes), os.path.join(out, name + "_pl.ckpt"))
    torch.save(model.state_dict(), os.path.join(out, name + "_state.pt"))
    return model


# ---- hand-built models: QONNX, tf2onnx style, and bad files -------------------------------

def tensor(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def make_model(nodes, inits, in_shape, out_shape, opset=13, name="fixture", extra_opsets=()):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in extra_opsets]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="gen_onnx_fixtures")
    model.ir_version = 8
    return model


QONNX = "qonnx.custom_op.general"


def quant_node(x, y, scale, bits, signed=1, narrow=0, name=None):
    s, z, b = y + "_scale", y + "_zeropt", y + "_bitwidth"
    inits = [tensor(s, np.float32(scale)), tensor(z, np.float32(0)), tensor(b, np.float32(bits))]
    node = helper.make_node("Quant", [x, s, z, b], [y], name=name or "/" + y + "/Quant",
                            domain=QONNX, signed=signed, narrow=narrow, rounding_mode="ROUND")
    return node, inits


def qonnx_mlp(rng):
    """A Brevitas-style fixed-point MLP: quantized input, weights, biases and activations."""
    w1 = rng.standard_normal((32, 16)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(32).astype(np.float32) * 0.1
    w2 = rng.standard_normal((5, 32)).astype(np.float32) * 0.3
    b2 = rng.standard_normal(5).astype(np.float32) * 0.1
    nodes, inits = [], [tensor("fc1.weight", w1), tensor("fc1.bias", b1),
                        tensor("fc2.weight", w2), tensor("fc2.bias", b2)]
    for n, i in [quant_node("x", "x_q", 2 ** -4, 8, name="/input_quant/Quant"),
                 quant_node("fc1.weight", "w1_q", 2 ** -6, 8, narrow=1, name="/fc1/weight_quant/Quant"),
                 quant_node("fc1.bias", "b1_q", 2 ** -10, 16, name="/fc1/bias_quant/Quant"),
                 quant_node("fc2.weight", "w2_q", 2 ** -6, 8, narrow=1, name="/fc2/weight_quant/Quant"),
                 quant_node("fc2.bias", "b2_q", 2 ** -10, 16, name="/fc2/bias_quant/Quant"),
                 quant_node("h_relu", "h_q", 2 ** -3, 4, signed=0, name="/act_quant/Quant"),
                 quant_node("y_lin", "y", 2 ** -4, 12, name="/out_quant/Quant")]:
        nodes.append(n)
        inits += i
    nodes = [nodes[0], nodes[1], nodes[2],
             helper.make_node("Gemm", ["x_q", "w1_q", "b1_q"], ["h"], name="/fc1/Gemm", transB=1),
             helper.make_node("Relu", ["h"], ["h_relu"], name="/act/Relu"),
             nodes[5], nodes[3], nodes[4],
             helper.make_node("Gemm", ["h_q", "w2_q", "b2_q"], ["y_lin"], name="/fc2/Gemm", transB=1),
             nodes[6]]
    return make_model(nodes, inits, ["batch", 16], ["batch", 5], extra_opsets=[QONNX])


def qonnx_binary(rng):
    """A binarised (BNN) layer: BipolarQuant on the input and the weights of a MatMul."""
    w = rng.standard_normal((16, 8)).astype(np.float32)
    nodes = [helper.make_node("BipolarQuant", ["x", "one"], ["xb"], name="/in_quant/BipolarQuant",
                              domain=QONNX),
             helper.make_node("BipolarQuant", ["w", "one"], ["wb"], name="/fc/w_quant/BipolarQuant",
                              domain=QONNX),
             helper.make_node("MatMul", ["xb", "wb"], ["y"], name="/fc/MatMul")]
    return make_model(nodes, [tensor("w", w), tensor("one", np.float32(1))],
                      ["batch", 16], ["batch", 8], extra_opsets=[QONNX])


def tf2onnx_mlp(rng):
    """What tf2onnx writes for a Keras Dense model: MatMul + Add with tf names, Reshape."""
    k1 = rng.standard_normal((16, 12)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(12).astype(np.float32) * 0.1
    k2 = rng.standard_normal((12, 5)).astype(np.float32) * 0.3
    b2 = rng.standard_normal(5).astype(np.float32) * 0.1
    inits = [tensor("sequential/dense/MatMul/ReadVariableOp:0", k1),
             tensor("sequential/dense/BiasAdd/ReadVariableOp:0", b1),
             tensor("sequential/dense_1/MatMul/ReadVariableOp:0", k2),
             tensor("sequential/dense_1/BiasAdd/ReadVariableOp:0", b2),
             tensor("const_shape", np.array([-1, 16], np.int64))]
    nodes = [
        helper.make_node("Reshape", ["x", "const_shape"], ["x2"], name="sequential/flatten/Reshape"),
        helper.make_node("MatMul", ["x2", inits[0].name], ["m1"], name="sequential/dense/MatMul"),
        helper.make_node("Add", ["m1", inits[1].name], ["a1"], name="sequential/dense/BiasAdd"),
        helper.make_node("Relu", ["a1"], ["r1"], name="sequential/dense/Relu"),
        helper.make_node("MatMul", ["r1", inits[2].name], ["m2"], name="sequential/dense_1/MatMul"),
        helper.make_node("Add", ["m2", inits[3].name], ["a2"], name="sequential/dense_1/BiasAdd"),
        helper.make_node("Softmax", ["a2"], ["y"], name="sequential/dense_1/Softmax", axis=-1),
    ]
    return make_model(nodes, inits, ["unk__6", 4, 4], ["unk__6", 5])


def bad_models(rng, out):
    w = tensor("fc.weight", rng.standard_normal((5, 16)).astype(np.float32))
    bad = {
        # an op chop does not import
        "bad_op": make_model([helper.make_node("Gemm", ["x", "fc.weight"], ["h"], name="/fc/Gemm", transB=1),
                              helper.make_node("Hardmax", ["h"], ["y"], name="/act/Hardmax")],
                             [w], ["batch", 16], ["batch", 5]),
        # an attribute value chop does not support
        "bad_attr": make_model([helper.make_node("Conv", ["x", "cw"], ["y"], name="/conv/Conv",
                                                 auto_pad="SAME_UPPER", kernel_shape=[2, 2])],
                               [tensor("cw", rng.standard_normal((2, 1, 2, 2)).astype(np.float32))],
                               ["batch", 1, 4, 4], ["batch", 2, 4, 4]),
        # asymmetric padding
        "bad_pads": make_model([helper.make_node("Conv", ["x", "cw"], ["y"], name="/conv/Conv",
                                                 pads=[0, 0, 1, 1])],
                               [tensor("cw", rng.standard_normal((2, 1, 3, 3)).astype(np.float32))],
                               ["batch", 1, 4, 4], ["batch", 2, 3, 3]),
        # a dynamic dimension other than the batch
        "bad_dynamic": make_model([helper.make_node("Relu", ["x"], ["y"], name="/act/Relu")], [],
                                  ["batch", "seq"], ["batch", "seq"]),
        # two inputs
        "bad_two_inputs": None,
        # an NHWC -> NCHW transpose (tf2onnx without --inputs-as-nchw)
        "bad_transpose": make_model([helper.make_node("Transpose", ["x"], ["y"], name="/Transpose",
                                                      perm=[0, 3, 1, 2])], [],
                                    ["batch", 4, 4, 3], ["batch", 3, 4, 4]),
        # QONNX with a scale that is not a power of two
        "bad_qonnx_scale": make_model(
            [quant_node("x", "xq", 0.3, 8, name="/q/Quant")[0],
             helper.make_node("Gemm", ["xq", "fc.weight"], ["y"], name="/fc/Gemm", transB=1)],
            [w] + quant_node("x", "xq", 0.3, 8)[1], ["batch", 16], ["batch", 5],
            extra_opsets=[QONNX]),
        # a Reshape that mixes the batch into the features
        "bad_reshape": make_model(
            [helper.make_node("Reshape", ["x", "s"], ["y"], name="/Reshape")],
            [tensor("s", np.array([-1, 8], np.int64))], ["batch", 16], ["batch", 8]),
        # attributes and operands the new ops cannot express
        "bad_selu": make_model([helper.make_node("Selu", ["x"], ["y"], name="/act/Selu", alpha=2.0)],
                               [], ["batch", 16], ["batch", 16]),
        "bad_reduce_batch": make_model(
            [helper.make_node("ReduceMean", ["x"], ["y"], name="/ReduceMean", axes=[0, 1], keepdims=0)],
            [], ["batch", 16], []),
        "bad_reduce_all": make_model(
            [helper.make_node("ReduceSum", ["x"], ["y"], name="/ReduceSum", keepdims=0)],
            [], ["batch", 16], []),
        "bad_prelu": make_model(
            [helper.make_node("PRelu", ["x", "slope"], ["y"], name="/act/PRelu")],
            [tensor("slope", rng.random(8).astype(np.float32))], ["batch", 4, 8], ["batch", 4, 8]),
        "bad_conv_transpose": make_model(
            [helper.make_node("ConvTranspose", ["x", "tw"], ["y"], name="/dec/ConvTranspose",
                              output_shape=[9, 9], strides=[2, 2])],
            [tensor("tw", rng.standard_normal((1, 2, 3, 3)).astype(np.float32))],
            ["batch", 1, 4, 4], ["batch", 2, 9, 9]),
        "bad_pow": make_model(
            [helper.make_node("Relu", ["x"], ["r"], name="/act/Relu"),
             helper.make_node("Pow", ["x", "r"], ["y"], name="/Pow")], [], ["batch", 16], ["batch", 16]),
    }
    g = helper.make_graph([helper.make_node("Add", ["x", "x2"], ["y"], name="/Add")], "two",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16]),
                           helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["batch", 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16])])
    bad["bad_two_inputs"] = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    bad["bad_two_inputs"].ir_version = 8
    for name, model in bad.items():
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(out, name + ".onnx"))
    # A model torch exports with an op chop does not import (nn.PixelShuffle -> DepthToSpace).
    shuffle = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.PixelShuffle(2))
    torch.onnx.export(shuffle, torch.randn(2, 1, 4, 4), os.path.join(out, "bad_pixel_shuffle.onnx"),
                      opset_version=13, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}})
    # ... and one with an attribute value it refuses (bilinear upsampling: Resize mode = linear).
    bilinear = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1),
                             nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False))
    torch.onnx.export(bilinear, torch.randn(2, 1, 4, 4), os.path.join(out, "bad_upsample.onnx"),
                      opset_version=13, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}})


def save_reference(model, name, out, x):
    onnx.checker.check_model(model)
    path = os.path.join(out, name + ".onnx")
    onnx.save(model, path)
    np.save(os.path.join(out, name + "_x.npy"), x)
    np.save(os.path.join(out, name + "_y.npy"), onnx_reference.run(model, x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop", "fixtures"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for name in NETWORKS:
        export_network(name, out)
    rng = np.random.default_rng(7)
    save_reference(qonnx_mlp(rng), "qonnx_mlp", out, rng.standard_normal((8, 16)).astype(np.float32))
    save_reference(qonnx_binary(rng), "qonnx_binary", out,
                   rng.standard_normal((8, 16)).astype(np.float32))
    save_reference(tf2onnx_mlp(rng), "tf2onnx_mlp", out,
                   rng.standard_normal((4, 4, 4)).astype(np.float32))
    bad_models(rng, out)
    print("fixtures written to", os.path.abspath(out))


if __name__ == "__main__":
    main()
