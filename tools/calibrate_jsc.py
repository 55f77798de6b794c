#!/usr/bin/python3
"""Calibration check of chop's synthetic JSC set: trains MASE's float jsc-s and jsc-tiny (model
definitions as in shared/peers/mase_peer.py) on an .npy export of the generator and prints test
accuracy and the per-class confusion. The numbers are recorded in docs/datasets.md.

  cmake --build build --target data_export_tool
  build/tests/data/data_export_tool jsc /tmp/jsc300k 300000 42
  /usr/bin/python3 tools/calibrate_jsc.py /tmp/jsc300k --epochs 10
"""
import argparse, json, time
import numpy as np
import torch
from torch import nn


def jsc(widths, bn_after_linear, n_in=16, n_out=5):
    layers, prev = [nn.BatchNorm1d(n_in), nn.ReLU()], n_in
    for i, w in enumerate(widths + [n_out]):
        layers.append(nn.Linear(prev, w))
        if bn_after_linear[i]:
            layers.append(nn.BatchNorm1d(w))
        layers.append(nn.ReLU())
        prev = w
    return nn.Sequential(*layers)


MODELS = {
    "jsc-tiny": lambda: jsc([], [False]),
    "jsc-s": lambda: jsc([64, 32, 32, 32], [True, False, False, False, True]),
}


def run(name, data, epochs, bs, lr, seed):
    (xt, yt), (xv, yv), (xs, ys) = data
    torch.manual_seed(seed)
    model = MODELS[name]()
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=1e-6)
    best = (-1.0, None)
    for _ in range(epochs):
        model.train()
        idx = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), bs):
            j = idx[i:i + bs]
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(xt[j]), yt[j]).backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            val = (model(xv).argmax(1) == yv).float().mean().item()
        if val > best[0]:
            best = (val, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[1])
    model.eval()
    with torch.no_grad():
        pred = model(xs).argmax(1)
    cm = np.zeros((5, 5), dtype=np.int64)
    np.add.at(cm, (ys.numpy(), pred.numpy()), 1)
    return {"model": name, "val_acc": round(best[0], 4),
            "test_acc": round((pred == ys).float().mean().item(), 4),
            "per_class_recall": [round(float(cm[k, k] / cm[k].sum()), 3) for k in range(5)],
            "confusion": cm.tolist()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    ld = lambda n: torch.from_numpy(np.load(f"{a.dir}/{n}.npy"))
    data = [(ld("X_" + s), ld("y_" + s)) for s in ("train", "val", "test")]
    for name in ("jsc-s", "jsc-tiny"):
        t0 = time.time()
        r = run(name, data, a.epochs, a.batch_size, a.lr, a.seed)
        r.update(n_train=len(data[0][0]), epochs=a.epochs, batch_size=a.batch_size, lr=a.lr,
                 seconds=round(time.time() - t0, 1))
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
