#!/usr/bin/python3
"""PyTorch side of bench/compare.py: the same spec, data, batch and threads.

Builds a torch model from a Profundo model spec (the subset the benchmark
specs use: flatten, batch_normalization, dropout, dense with elu / relu /
softmax / linear, he_normal / glorot_uniform kernels, zero biases; Nadam /
Adam / SGD) as faithfully to Keras as torch allows:

  BatchNormalization()  -> BatchNorm1d(eps=1e-3, momentum=0.01). torch
                           updates running_var with the unbiased batch
                           variance, Keras with the biased one (N/(N-1)).
  he_normal             -> N(0, sqrt(2/fan_in)/0.8796) truncated at 2 sd, as
                           Keras's truncated normal.
  glorot_uniform        -> xavier_uniform_.
  Dense(softmax) + sparse_categorical_crossentropy
                        -> Linear + CrossEntropyLoss on the logits (what
                           Keras and Profundo compute too).
  Nadam()               -> NAdam(lr=1e-3, eps=1e-7, momentum_decay=1.0), i.e.
                           mu_t = 0.9 (1 - 0.5 * 0.96^t) as Profundo's Nadam.

Training loop: per epoch a random permutation, then per batch x[idx],
forward, loss, backward, step, and the running loss/accuracy sums (as the
engine keeps them); no DataLoader. Prints one JSON object.

  /usr/bin/python3 bench/torch_fashion.py --spec bench/specs/seed_bn_nadam.json \
      --batch_size 32 --epochs 2 --threads 2
  /usr/bin/python3 bench/torch_fashion.py --mode mm --threads 2
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

FASHION = "/usr/share/datasets/fashion-mnist/"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion(directory, validation=5000):
    """The seed's split: x / 255, train = images[5000:], test = t10k."""
    x = read_idx(directory + "train-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(directory + "train-labels-idx1-ubyte.gz").astype(np.int64)
    xt = read_idx(directory + "t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    yt = read_idx(directory + "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return x[validation:], y[validation:], xt, yt


def he_normal_(w, fan_in):
    # Keras: truncated normal (re-drawn outside 2 sd) with final std sqrt(2/n).
    sd = math.sqrt(2.0 / fan_in) / 0.87962566103423978
    nn.init.trunc_normal_(w, std=sd, a=-2 * sd, b=2 * sd)


def build_model(spec):
    layers, features, head = [], None, None
    specs = spec["layers"]
    for i, layer in enumerate(specs):
        (kind, args), = layer.items()
        if kind == "flatten":
            layers.append(nn.Flatten())
            features = int(np.prod(args["input_shape"]))
        elif kind == "batch_normalization":
            momentum = args.get("momentum", 0.99)
            layers.append(nn.BatchNorm1d(features, eps=args.get("epsilon", 1e-3),
                                         momentum=1.0 - momentum))
        elif kind == "dropout":
            layers.append(nn.Dropout(args["rate"]))
        elif kind == "dense":
            units = args["units"]
            linear = nn.Linear(features, units)
            init = args.get("kernel_initializer", "glorot_uniform")
            if init == "he_normal":
                he_normal_(linear.weight, features)
            elif init == "glorot_uniform":
                nn.init.xavier_uniform_(linear.weight)
            else:
                raise ValueError("unsupported initializer " + init)
            nn.init.zeros_(linear.bias)
            layers.append(linear)
            act = args.get("activation", "linear")
            if act == "elu":
                layers.append(nn.ELU())
            elif act == "relu":
                layers.append(nn.ReLU())
            elif act == "softmax" and i == len(specs) - 1:
                head = "softmax"  # fused into the loss
            elif act != "linear":
                raise ValueError("unsupported activation " + act)
            features = units
        else:
            raise ValueError("unsupported layer " + kind)
    if spec.get("loss", "sparse_categorical_crossentropy") != \
            "sparse_categorical_crossentropy" or head != "softmax":
        raise ValueError("the benchmark specs end in softmax + sparse CE")
    return nn.Sequential(*layers)


def make_optimizer(spec, params):
    opt = spec.get("optimizer", {"sgd": {}})
    lr = opt.get("learning_rate")
    if "nadam" in opt:
        a = opt["nadam"]
        return torch.optim.NAdam(params, lr=lr or 1e-3,
                                 betas=(a.get("beta_1", 0.9), a.get("beta_2", 0.999)),
                                 eps=a.get("epsilon", 1e-7), momentum_decay=1.0)
    if "adam" in opt:
        return torch.optim.Adam(params, lr=lr or 1e-3, eps=1e-7)
    if "sgd" in opt:
        a = opt["sgd"]
        return torch.optim.SGD(params, lr=lr or 0.01, momentum=a.get("momentum", 0.0),
                               nesterov=a.get("nesterov", False))
    raise ValueError("unsupported optimizer")


def standardize(x, xt):
    # Profundo's Standardizer: per-pixel mean and (biased) std of the
    # training split; a zero std becomes 1.
    flat = x.reshape(len(x), -1).astype(np.float64)
    mean = flat.mean(axis=0)
    std = flat.std(axis=0)
    std[std <= 1e-7] = 1.0
    f = lambda a: ((a.reshape(len(a), -1) - mean) / std).astype(np.float32).reshape(a.shape)
    return f(x), f(xt)


def mm_peak(size, reps):
    a = torch.full((size, size), 0.5)
    b = torch.full((size, size), 0.25)
    c = torch.empty(size, size)
    for _ in range(2):
        torch.mm(a, b, out=c)
    rates = []
    cpu0 = time.process_time()
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        rates.append(2.0 * size ** 3 / (time.perf_counter() - t0) / 1e9)
    cpu = (time.process_time() - cpu0) / torch.get_num_threads()
    # The best call (a peak: noise only slows a call down), and the rate per
    # CPU-second times the threads (load-independent at 1 thread).
    return float(max(rates)), 2.0 * size ** 3 * reps / cpu / 1e9


def mc_predict(model, x, samples, batch):
    """Dropout active, batch norm on moving statistics; batch inputs x
    samples rows per pass, as Profundo's PredictMc."""
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()
    n = len(x)
    mean = torch.empty(n, 10)
    std = torch.empty(n, 10)
    with torch.no_grad():
        for b in range(0, n, batch):
            xb = x[b:b + batch]
            m = len(xb)
            rows = xb.repeat(samples, *([1] * (xb.dim() - 1)))
            p = torch.softmax(model(rows), dim=1).view(samples, m, -1)
            mean[b:b + m] = p.mean(0)
            std[b:b + m] = p.std(0, unbiased=False)
    return mean, std


def train(args):
    with open(args.spec) as f:
        spec = json.load(f)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    x, y, xt, yt = load_fashion(args.fashion_dir)
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    if spec.get("preprocessing", {}).get("standardize"):
        x, xt = standardize(x, xt)
    x, y, xt, yt = map(torch.from_numpy, (np.ascontiguousarray(x), y, xt, yt))
    model = build_model(spec)
    opt = make_optimizer(spec, model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    n, bs = len(x), args.batch_size
    epoch_seconds = []
    cpu0 = time.process_time()
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        for b in range(0, n, bs):
            idx = perm[b:b + bs]
            xb, yb = x[idx], y[idx]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                loss_sum += loss.detach() * len(idx)
                correct += (logits.argmax(1) == yb).sum()
        train_loss, train_acc = float(loss_sum) / n, int(correct) / n
        epoch_seconds.append(time.perf_counter() - t0)
    fit_cpu_seconds = time.process_time() - cpu0
    model.eval()
    with torch.no_grad():
        logits = model(xt)
        test_loss = float(loss_fn(logits, yt))
        test_acc = float((logits.argmax(1) == yt).float().mean())
    out = {"framework": "pytorch", "threads": torch.get_num_threads(),
           "batch_size": bs, "train_samples": n, "epoch_seconds": epoch_seconds,
           "fit_cpu_seconds": fit_cpu_seconds,
           "train_loss": train_loss, "train_accuracy": train_acc,
           "test_loss": test_loss, "test_accuracy": test_acc}
    if args.mc_samples:
        t0, cpu0 = time.perf_counter(), time.process_time()
        mean, _ = mc_predict(model, xt, args.mc_samples, args.mc_batch_size)
        out["mc_seconds"] = time.perf_counter() - t0
        out["mc_cpu_seconds"] = time.process_time() - cpu0
        out["mc_samples"] = args.mc_samples
        out["mc_batch_size"] = args.mc_batch_size
        out["mc_accuracy"] = float((mean.argmax(1) == yt).float().mean())
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", default="train", choices=["train", "mm", "info"])
    p.add_argument("--spec")
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--mc_samples", type=int, default=0)
    p.add_argument("--mc_batch_size", type=int, default=32)
    p.add_argument("--mm_size", type=int, default=1024)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--fashion_dir", default=FASHION)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    if args.mode == "mm":
        best, per_cpu = mm_peak(args.mm_size, args.reps)
        out = {"mm_gflops": best, "mm_cpu_gflops": per_cpu, "size": args.mm_size,
               "threads": torch.get_num_threads()}
    elif args.mode == "info":
        out = {"torch": torch.__version__, "numpy": np.__version__,
               "blas": blas_info(), "threads": torch.get_num_threads(),
               "config": torch.__config__.show()}
    else:
        out = train(args)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


def blas_info():
    """What torch's CPU sgemm runs on (torch 1.13 without MKL: the system
    libblas, i.e. Debian's OpenBLAS alternative when installed)."""
    info = {"mkl": torch.backends.mkl.is_available(),
            "mkldnn": torch.backends.mkldnn.is_available()}
    try:
        import ctypes
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info["openblas"] = lib.openblas_get_config().decode()
        info["openblas_core"] = lib.openblas_get_corename().decode()
    except OSError:
        info["openblas"] = None
    maps = open("/proc/self/maps").read()
    info["libblas"] = sorted({line.split()[-1] for line in maps.splitlines()
                              if "blas" in line and "/" in line})
    return info


if __name__ == "__main__":
    main()
