#!/usr/bin/python3
"""Reference numbers for tests/train: PyTorch (python3-torch 1.13) training runs that chop's
trainer must reproduce. Run with /usr/bin/python3 tools/gen_train_golden.py; writes
tests/train/golden/train_reference.json.

Each case trains MASE's jsc-toy (BN1d-ReLU-Linear stack, as in mase_peer.py) exactly as
mase_peer.py's train() does: per-epoch torch.randperm with a generator seeded once, the optimizer
and MASE's CosineAnnealingLR stepped per epoch. The initial state dict, the data, the learning
rate per epoch, the mean training loss per epoch and the final state dict are stored.
"""
import json, math, os
import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)


def jsc_toy(n_in=16, n_out=5):
    return nn.Sequential(nn.BatchNorm1d(n_in), nn.ReLU(), nn.Linear(n_in, 8), nn.BatchNorm1d(8),
                         nn.ReLU(), nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(),
                         nn.Linear(8, n_out), nn.BatchNorm1d(n_out), nn.ReLU())


def make_optimizer(kind, params, lr, wd):
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd), 1e-6
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd), 1e-6
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd, nesterov=True), 0.0
    raise ValueError(kind)


def state(model):
    return [{"name": k, "shape": list(v.shape), "values": v.detach().double().flatten().tolist()}
            for k, v in model.state_dict().items()]


def run_case(kind, lr, wd, epochs, bs, seed, n=200):
    rng = np.random.RandomState(seed)
    x = rng.standard_normal((n, 16)).astype(np.float32)
    w = rng.standard_normal((16, 5)).astype(np.float32)
    y = (x @ w + 0.5 * rng.standard_normal((n, 5))).argmax(1).astype(np.int64)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    torch.manual_seed(seed)
    model = jsc_toy()
    init = state(model)
    opt, eta_min = make_optimizer(kind, model.parameters(), lr, wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1), eta_min=eta_min)
    gen = torch.Generator().manual_seed(seed)
    lrs, losses = [], []
    model.train()
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        idx = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, bs):
            j = idx[i:i + bs]
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(xt[j]), yt[j])
            loss.backward()
            opt.step()
            total += loss.item() * len(j)
        losses.append(total / n)
        sched.step()
    return {"optimizer": kind, "learning_rate": lr, "weight_decay": wd, "epochs": epochs,
            "batch_size": bs, "seed": seed, "x": x.flatten().tolist(), "y": y.tolist(),
            "initial_state": init, "lr_per_epoch": lrs, "train_loss_per_epoch": losses,
            "final_state": state(model)}


def cosine_cases():
    out = []
    for base, t_max, eta_min, steps in [(1e-3, 20, 1e-6, 45), (1e-2, 1, 1e-6, 5), (0.1, 7, 0.0, 30)]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=base)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        out.append({"base_lr": base, "t_max": t_max, "eta_min": eta_min, "lrs": lrs})
    return out


def main():
    cases = [run_case("adam", 1e-2, 0.0, 3, 32, 1), run_case("adamw", 5e-3, 1e-2, 3, 32, 2),
             run_case("sgd", 5e-2, 5e-4, 3, 48, 3), run_case("adam", 1e-2, 1e-3, 2, 64, 4)]
    doc = {"generated_by": "tools/gen_train_golden.py, do not edit",
           "torch_version": torch.__version__, "cases": cases, "cosine": cosine_cases()}
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "train", "golden",
                        "train_reference.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
