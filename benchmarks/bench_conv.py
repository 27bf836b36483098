#!/usr/bin/env python3
"""Benchmark convbook's convolution engine against plain GEMM and (optionally) PyTorch.

Run from the repository root::

    PYTHONPATH=src python3 benchmarks/bench_conv.py [--repeats 9] [--threads 2] [--dtype both] [--quick]

What it prints, for each dtype asked for:

1. a table over a suite of real layer shapes (AlexNet, GoogLeNet, a depthwise layer,
   a max pooling), batch 1: the engine's time, the time of a plain NumPy matmul of the
   same GEMM size (per group, ``G`` of them for a grouped layer), their ratio, the
   engine's GFLOP/s and, where PyTorch is installed, PyTorch's time and the
   engine/PyTorch ratio;
2. summary lines: median and worst engine/GEMM ratio over the ungrouped convolutions,
   checked against the targets (median <= 1.3, none above 2.0);
3. a whole GoogLeNet forward pass (Szegedy et al. 2015, Table 1) built from convbook's
   primitives, against the same network in PyTorch's functional ops with the same weights;

and once, a memory demonstration: a convolution whose unchunked column matrix would exceed
``convbook.MAX_TEMP_BYTES``, with the peak traced by ``tracemalloc``.

The machine this was written for has two shared cores, so absolute times move between
runs. Every comparison is timed in one process, alternating the sides round by round
(engine, GEMM, PyTorch, then rotated); times are the median (and min) of the rounds,
ratios the median of the per-round ratios: judge the ratios, not the milliseconds.
NumPy's OpenBLAS and PyTorch's OpenMP keep their idle threads spinning for a while
after each call, which on two cores stalls the other library; the benchmark therefore
pauses before switching between NumPy and PyTorch (see ``SETTLE``).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed rounds per measurement (default 9, or 3 with --quick)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS and PyTorch threads (default 2)")
    parser.add_argument("--dtype", choices=("float32", "float64", "both"), default="both",
                        help="dtype(s) to run the suite and GoogLeNet in (default both: float32, then float64)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and shorter samples: a smoke run in well under a minute")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 9
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be positive")
    return args


if __name__ == "__main__":
    ARGS = parse_args()
    # OpenBLAS (and OpenMP) read their thread count once, when the library loads: set it
    # before NumPy is imported. threadpoolctl, when installed, also limits it at run time.
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread settings above)

import convbook  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None


# --------------------------------------------------------------------------- shapes

def conv(name, c_in, c_out, kernel, size, *, stride=1, padding=0, groups=1, batch=1):
    """A convolution layer of the suite: square kernel, square input of ``size``."""
    return dict(kind="conv", name=name, c_in=c_in, c_out=c_out, kernel=kernel, size=size,
                stride=stride, padding=padding, groups=groups, batch=batch)


SUITE = [
    conv("AlexNet conv1 11x11/4 3->96 @227", 3, 96, 11, 227, stride=4),
    conv("AlexNet conv2 5x5 96->256 g2 @27", 96, 256, 5, 27, padding=2, groups=2),
    conv("AlexNet conv3 3x3 256->384 @13", 256, 384, 3, 13, padding=1),
    conv("AlexNet conv4 3x3 384->384 g2 @13", 384, 384, 3, 13, padding=1, groups=2),
    conv("AlexNet conv5 3x3 384->256 g2 @13", 384, 256, 3, 13, padding=1, groups=2),
    conv("GoogLeNet conv1 7x7/2 3->64 @224", 3, 64, 7, 224, stride=2, padding=3),
    conv("3a 1x1 192->64 @28", 192, 64, 1, 28),
    conv("3a 1x1 192->96 @28", 192, 96, 1, 28),
    conv("3a 3x3 96->128 @28", 96, 128, 3, 28, padding=1),
    conv("3a 1x1 192->16 @28", 192, 16, 1, 28),
    conv("3a 5x5 16->32 @28", 16, 32, 5, 28, padding=2),
    conv("3a pool-proj 1x1 192->32 @28", 192, 32, 1, 28),
    conv("1x1 480->192 @14", 480, 192, 1, 14),
    conv("depthwise 3x3 256 @56", 256, 256, 3, 56, padding=1, groups=256),
    dict(kind="maxpool", name="max pool 3x3/2 96x55x55", channels=96, size=55, kernel=3, stride=2, batch=1),
]


def out_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def layer_macs(layer):
    """Multiply-adds of a convolution layer: N * C_out * P * (C_in/G * k * k)."""
    p = out_size(layer["size"], layer["kernel"], layer["stride"], layer["padding"]) ** 2
    return layer["batch"] * layer["c_out"] * p * layer["c_in"] // layer["groups"] * layer["kernel"] ** 2


def gemm_operands(layer, dtype, rng):
    """The layer's GEMM as ``G`` matmuls (M, K) @ (K, N): M = C_out/G, K = C_in/G*k*k, N = N*P."""
    g = layer["groups"]
    m = layer["c_out"] // g
    k = layer["c_in"] // g * layer["kernel"] ** 2
    n = layer["batch"] * out_size(layer["size"], layer["kernel"], layer["stride"], layer["padding"]) ** 2
    a = rng.standard_normal((g, m, k)).astype(dtype)
    b = rng.standard_normal((g, k, n)).astype(dtype)
    c = np.empty((g, m, n), dtype=dtype)
    return a, b, c, (m, k, n)


# --------------------------------------------------------------------------- timing

# Seconds for the idle worker threads of one library to stop competing for the cores.
# OpenBLAS's threads (NumPy) keep polling, yielding, for about 0.1 s after a call;
# PyTorch's OpenMP threads spin for about 15 ms. On two cores a thread spinning there
# stalls the other library's threads for whole scheduler ticks (~4 ms), so each side is
# timed only once the other side's threads have gone to sleep.
SETTLE = {"numpy": 0.15, "torch": 0.03}


def time_alternating(funcs, repeats, min_sample, sides=None):
    """Seconds per call of each function, one sample per round: a list of ``repeats`` samples each.

    Each function is warmed up, then called ``number`` times per sample so that one
    sample lasts about ``min_sample`` seconds (the per-call overhead of a clock read is
    then negligible). Each round takes one sample of every function; the order rotates
    from round to round so no side always runs right after another. Samples of one
    round were taken within a fraction of a second of each other, under the same
    load: their ratio is steadier than the ratio of two medians.

    ``sides`` names the thread pool each function uses ("numpy" or "torch"; default
    all "numpy"): when the side changes, the benchmark sleeps ``SETTLE[previous side]``
    first, and every sample starts with one untimed call.
    """
    sides = sides or ["numpy"] * len(funcs)
    numbers = []
    for func in funcs:
        func()                                                       # warm-up: caches, allocator, threads
        start = time.perf_counter()
        func()
        once = time.perf_counter() - start
        numbers.append(max(1, math.ceil(min_sample / max(once, 1e-7))))
    samples = [[] for _ in funcs]
    order = list(range(len(funcs)))
    previous = sides[-1]
    for r in range(repeats):
        for i in order[r % len(funcs):] + order[:r % len(funcs)]:
            func, number = funcs[i], numbers[i]
            if sides[i] != previous:
                time.sleep(SETTLE[previous])
                previous = sides[i]
            func()
            start = time.perf_counter()
            for _ in range(number):
                func()
            samples[i].append((time.perf_counter() - start) / number)
    return samples


def paired_ratio(samples, reference):
    """Median over rounds of the per-round ratio ``samples / reference``."""
    return statistics.median(s / r for s, r in zip(samples, reference))


def fmt_ms(seconds):
    return f"{seconds * 1e3:8.3f}"


# --------------------------------------------------------------------------- shape suite

def bench_layer(layer, dtype, opts, rng):
    """Time one layer of the suite; return a row dict for the table."""
    row = dict(name=layer["name"], kind=layer["kind"])
    funcs = []
    if layer["kind"] == "conv":
        x = rng.standard_normal((layer["batch"], layer["c_in"], layer["size"], layer["size"])).astype(dtype)
        w = (rng.standard_normal((layer["c_out"], layer["c_in"] // layer["groups"], layer["kernel"],
                                  layer["kernel"])) * 0.1).astype(dtype)
        hyper = dict(stride=layer["stride"], padding=layer["padding"], groups=layer["groups"])
        a, b, c, mkn = gemm_operands(layer, dtype, rng)

        def engine():
            return convbook.conv2d(x, w, **hyper)

        def gemm():
            for g in range(a.shape[0]):
                np.matmul(a[g], b[g], out=c[g])

        funcs = [engine, gemm]
        if torch is not None:
            xt, wt = torch.from_numpy(x), torch.from_numpy(w)

            def peer():
                with torch.no_grad():
                    return F.conv2d(xt, wt, None, **hyper)

            funcs.append(peer)
        row.update(groups=layer["groups"], mkn=mkn, flops=2 * layer_macs(layer))
    else:                                                             # max pooling
        x = rng.standard_normal((layer["batch"], layer["channels"], layer["size"], layer["size"])).astype(dtype)

        def engine():
            return convbook.max_pool2d(x, layer["kernel"], stride=layer["stride"])

        funcs = [engine]
        if torch is not None:
            xt = torch.from_numpy(x)

            def peer():
                with torch.no_grad():
                    return F.max_pool2d(xt, layer["kernel"], layer["stride"])

            funcs.append(peer)
    if torch is not None:                                             # same numbers as PyTorch?
        got, want = engine(), funcs[-1]().numpy()
        row["error"] = float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30))
    sides = ["numpy"] * (len(funcs) - (torch is not None)) + ["torch"] * (torch is not None)
    samples = time_alternating(funcs, opts.repeats, opts.min_sample, sides)
    row["engine"] = (statistics.median(samples[0]), min(samples[0]))
    if layer["kind"] == "conv":
        row["gemm"] = (statistics.median(samples[1]), min(samples[1]))
        row["ratio"] = paired_ratio(samples[0], samples[1])
    if torch is not None:
        row["torch"] = (statistics.median(samples[-1]), min(samples[-1]))
        row["torch_ratio"] = paired_ratio(samples[0], samples[-1])
    return row


def print_header(with_torch):
    line = f"{'shape':36} {'engine ms':>17} {'GEMM ms':>8} {'eng/GEMM':>8} {'GFLOP/s':>7}"
    if with_torch:
        line += f" {'torch ms':>8} {'eng/torch':>9} {'rel.err':>8}"
    print(line)
    print("-" * len(line))


def print_row(row):
    med, lo = row["engine"]
    line = f"{row['name']:36} {fmt_ms(med)} ({lo * 1e3:6.3f})"
    if "gemm" in row:
        line += f" {fmt_ms(row['gemm'][0])} {row['ratio']:8.2f} {row['flops'] / med / 1e9:7.1f}"
    else:
        line += f" {'-':>8} {'-':>8} {'-':>7}"
    if "torch" in row:
        line += f" {fmt_ms(row['torch'][0])} {row['torch_ratio']:9.2f} {row['error']:8.1e}"
    print(line, flush=True)


def run_suite(dtype, opts):
    rng = np.random.default_rng(0)
    print(f"\n== Layer suite, {np.dtype(dtype).name}, batch 1: times are medians of {opts.repeats} alternating "
          f"rounds (engine min in parentheses); ratios are medians of the per-round ratios ==", flush=True)
    print_header(torch is not None)
    rows = []
    for layer in SUITE:
        row = bench_layer(layer, dtype, opts, rng)
        print_row(row)
        rows.append(row)
    summarise(rows, dtype)
    return rows


def summarise(rows, dtype):
    ungrouped = [r["ratio"] for r in rows if r["kind"] == "conv" and r["groups"] == 1]
    grouped = [(r["name"], r["ratio"]) for r in rows if r["kind"] == "conv" and r["groups"] > 1]
    median, worst = statistics.median(ungrouped), max(ungrouped)
    ok = median <= 1.3 and worst <= 2.0
    name = np.dtype(dtype).name
    print(f"\n[{name}] ungrouped convolutions ({len(ungrouped)}): median engine/GEMM {median:.2f} (target <= 1.3), "
          f"max {worst:.2f} (target <= 2.0): {'PASS' if ok else 'FAIL'}")
    print(f"[{name}] grouped/depthwise, engine / per-group GEMMs (no target): "
          + ", ".join(f"{n.split(' @')[0]} {r:.2f}" for n, r in grouped))
    with_torch = [r for r in rows if "torch" in r]
    if with_torch:
        ratios = [r["torch_ratio"] for r in with_torch]
        print(f"[{name}] engine/PyTorch over {len(ratios)} shapes: median {statistics.median(ratios):.2f}, "
              f"min {min(ratios):.2f}, max {max(ratios):.2f}; "
              f"total {sum(r['engine'][0] for r in with_torch) * 1e3:.2f} ms vs "
              f"{sum(r['torch'][0] for r in with_torch) * 1e3:.2f} ms", flush=True)


# --------------------------------------------------------------------------- GoogLeNet

def inception(name, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    return {"op": "inception", "name": name, "1x1": n1x1, "3x3_reduce": n3x3_reduce, "3x3": n3x3,
            "5x5_reduce": n5x5_reduce, "5x5": n5x5, "pool_proj": pool_proj}


# Szegedy et al. (2015), "Going deeper with convolutions", Table 1 (as in the BVLC Caffe model:
# max pooling rounds up, LRN of 5 maps with alpha 1e-4 / 5 per map, beta 0.75, k 1).
# Dropout is the identity at inference and is left out; so is the final softmax.
GOOGLENET = [
    {"op": "conv", "name": "conv1/7x7_s2", "out": 64, "kernel": 7, "stride": 2, "padding": 3},
    {"op": "maxpool", "kernel": 3, "stride": 2},
    {"op": "lrn", "size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0},
    {"op": "conv", "name": "conv2/3x3_reduce", "out": 64, "kernel": 1},
    {"op": "conv", "name": "conv2/3x3", "out": 192, "kernel": 3, "padding": 1},
    {"op": "lrn", "size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0},
    {"op": "maxpool", "kernel": 3, "stride": 2},
    inception("3a", 64, 96, 128, 16, 32, 32),
    inception("3b", 128, 128, 192, 32, 96, 64),
    {"op": "maxpool", "kernel": 3, "stride": 2},
    inception("4a", 192, 96, 208, 16, 48, 64),
    inception("4b", 160, 112, 224, 24, 64, 64),
    inception("4c", 128, 128, 256, 24, 64, 64),
    inception("4d", 112, 144, 288, 32, 64, 64),
    inception("4e", 256, 160, 320, 32, 128, 128),
    {"op": "maxpool", "kernel": 3, "stride": 2},
    inception("5a", 256, 160, 320, 32, 128, 128),
    inception("5b", 384, 192, 384, 48, 128, 128),
    {"op": "global_avgpool"},
    {"op": "fc", "name": "loss3/classifier", "out": 1000},
]


def expand_inception(spec):
    """An inception module as four branches of plain layer specs (concatenated along channels)."""
    return [
        [{"op": "conv", "out": spec["1x1"], "kernel": 1}],
        [{"op": "conv", "out": spec["3x3_reduce"], "kernel": 1},
         {"op": "conv", "out": spec["3x3"], "kernel": 3, "padding": 1}],
        [{"op": "conv", "out": spec["5x5_reduce"], "kernel": 1},
         {"op": "conv", "out": spec["5x5"], "kernel": 5, "padding": 2}],
        [{"op": "maxpool", "kernel": 3, "stride": 1, "padding": 1},
         {"op": "conv", "out": spec["pool_proj"], "kernel": 1}],
    ]


def build_network(specs, in_channels, dtype, rng):
    """Give every layer spec its weights (He-scaled normal, small biases); return (layers, channels out)."""
    layers = []
    channels = in_channels
    for spec in specs:
        layer = dict(spec)
        if spec["op"] == "conv":
            fan_in = channels * spec["kernel"] ** 2
            layer["weight"] = (rng.standard_normal((spec["out"], channels, spec["kernel"], spec["kernel"]))
                               * math.sqrt(2 / fan_in)).astype(dtype)
            layer["bias"] = (0.01 * rng.standard_normal(spec["out"])).astype(dtype)
            channels = spec["out"]
        elif spec["op"] == "fc":
            layer["weight"] = (rng.standard_normal((spec["out"], channels)) / math.sqrt(channels)).astype(dtype)
            layer["bias"] = (0.01 * rng.standard_normal(spec["out"])).astype(dtype)
            channels = spec["out"]
        elif spec["op"] == "inception":
            layer["branches"] = []
            total = 0
            for branch in expand_inception(spec):
                built, branch_out = build_network(branch, channels, dtype, rng)
                layer["branches"].append(built)
                total += branch_out
            channels = total
        layers.append(layer)
    return layers, channels


def engine_forward(layers, x, clock=None):
    """The network with convbook's primitives (ReLU after every convolution).

    ``clock``, if given, is a dict that accumulates seconds per op kind.
    """
    for layer in layers:
        start = time.perf_counter() if clock is not None else 0.0
        op = layer["op"]
        if op == "conv":
            x = convbook.conv2d(x, layer["weight"], layer["bias"], stride=layer.get("stride", 1),
                                padding=layer.get("padding", 0))
            np.maximum(x, 0, out=x)                                       # ReLU
        elif op == "maxpool":
            x = convbook.max_pool2d(x, layer["kernel"], stride=layer["stride"], padding=layer.get("padding", 0),
                                    ceil_mode=True)
        elif op == "lrn":
            x = convbook.local_response_norm(x, layer["size"], alpha=layer["alpha"] / layer["size"],
                                             beta=layer["beta"], k=layer["k"])
        elif op == "inception":
            outs = [engine_forward(branch, x, clock) for branch in layer["branches"]]
            start = time.perf_counter() if clock is not None else 0.0   # branches timed themselves
            x = np.concatenate(outs, axis=1)
            op = "concat"
        elif op == "global_avgpool":
            x = convbook.global_avg_pool2d(x)
        elif op == "fc":
            x = x.reshape(x.shape[0], -1) @ layer["weight"].T + layer["bias"]
        if clock is not None:
            clock[op] = clock.get(op, 0.0) + time.perf_counter() - start
    return x


def torch_layers(layers):
    """The same layers with their weights as torch tensors (sharing memory)."""
    out = []
    for layer in layers:
        layer = dict(layer)
        for key in ("weight", "bias"):
            if key in layer:
                layer[key] = torch.from_numpy(layer[key])
        if "branches" in layer:
            layer["branches"] = [torch_layers(branch) for branch in layer["branches"]]
        out.append(layer)
    return out


def torch_forward(layers, x, clock=None):
    """The network in PyTorch functional ops (PyTorch's LRN divides alpha by size itself)."""
    for layer in layers:
        start = time.perf_counter() if clock is not None else 0.0
        op = layer["op"]
        if op == "conv":
            x = F.conv2d(x, layer["weight"], layer["bias"], layer.get("stride", 1), layer.get("padding", 0))
            x = F.relu(x, inplace=True)
        elif op == "maxpool":
            x = F.max_pool2d(x, layer["kernel"], layer["stride"], layer.get("padding", 0), ceil_mode=True)
        elif op == "lrn":
            x = F.local_response_norm(x, layer["size"], alpha=layer["alpha"], beta=layer["beta"], k=layer["k"])
        elif op == "inception":
            outs = [torch_forward(branch, x, clock) for branch in layer["branches"]]
            start = time.perf_counter() if clock is not None else 0.0
            x = torch.cat(outs, 1)
            op = "concat"
        elif op == "global_avgpool":
            x = F.adaptive_avg_pool2d(x, 1)
        elif op == "fc":
            x = F.linear(x.reshape(x.shape[0], -1), layer["weight"], layer["bias"])
        if clock is not None:
            clock[op] = clock.get(op, 0.0) + time.perf_counter() - start
    return x


def count_macs(layers, channels, size):
    """Multiply-adds of the convolutions and the fully connected layer; returns (macs, channels, size)."""
    macs = 0
    for layer in layers:
        op = layer["op"]
        if op == "conv":
            size = out_size(size, layer["kernel"], layer.get("stride", 1), layer.get("padding", 0))
            macs += layer["out"] * size * size * channels * layer["kernel"] ** 2
            channels = layer["out"]
        elif op == "maxpool":
            pad = layer.get("padding", 0)
            size = -(-(size + 2 * pad - layer["kernel"]) // layer["stride"]) + 1
        elif op == "inception":
            outs = [count_macs(branch, channels, size) for branch in layer["branches"]]
            macs += sum(m for m, _, _ in outs)
            channels = sum(c for _, c, _ in outs)
        elif op == "global_avgpool":
            size = 1
        elif op == "fc":
            macs += layer["out"] * channels * size * size
            channels = layer["out"]
    return macs, channels, size


def clock_ops(forward, layers, x, repeats, previous_side):
    """Mean seconds per pass spent in each kind of op, over ``repeats`` passes of ``forward``."""
    time.sleep(SETTLE[previous_side])
    forward(layers, x)                                                 # untimed, as in time_alternating
    clock = {}
    for _ in range(repeats):
        forward(layers, x, clock)
    return {op: seconds / repeats for op, seconds in clock.items()}


def run_googlenet(dtype, opts):
    rng = np.random.default_rng(1)
    layers, _ = build_network(GOOGLENET, 3, dtype, rng)
    x = rng.standard_normal((1, 3, 224, 224)).astype(dtype)
    macs = count_macs(layers, 3, 224)[0]
    name = np.dtype(dtype).name
    print(f"\n== GoogLeNet forward pass, {name}, batch 1, 224x224 ({macs / 1e9:.2f} G multiply-adds) ==", flush=True)
    out = engine_forward(layers, x)
    funcs = [lambda: engine_forward(layers, x)]
    if torch is not None:
        t_layers, xt = torch_layers(layers), torch.from_numpy(x)

        def peer():
            with torch.no_grad():
                return torch_forward(t_layers, xt)

        want = peer().numpy()
        error = np.max(np.abs(out - want)) / np.max(np.abs(want))
        funcs.append(peer)
    samples = time_alternating(funcs, opts.repeats, 0.0, ["numpy", "torch"][:len(funcs)])
    times = [(statistics.median(s), min(s)) for s in samples]
    line = f"[{name}] GoogLeNet: engine {times[0][0] * 1e3:.1f} ms (min {times[0][1] * 1e3:.1f}), "\
           f"{2 * macs / times[0][0] / 1e9:.1f} GFLOP/s"
    if torch is not None:
        ratio = paired_ratio(samples[0], samples[1])
        line += (f"; PyTorch {times[1][0] * 1e3:.1f} ms (min {times[1][1] * 1e3:.1f}); engine/PyTorch {ratio:.2f} "
                 f"({'at least as fast' if ratio <= 1 else 'SLOWER'}); logits rel. error {error:.1e}")
    else:
        line += "; torch not installed: no PyTorch comparison"
    print(line)
    # where the time goes, op by op: more passes of each side, after the timed ones
    clocks = [clock_ops(engine_forward, layers, x, opts.repeats, "torch" if torch is not None else "numpy")]
    if torch is not None:
        with torch.no_grad():
            clocks.append(clock_ops(torch_forward, t_layers, xt, opts.repeats, "numpy"))
    parts = [op + " " + "/".join(f"{clock.get(op, 0.0) * 1e3:.1f}" for clock in clocks) for op in clocks[0]]
    print(f"[{name}] time by op, ms per pass (mean{', engine/PyTorch' if torch is not None else ''}): "
          + ", ".join(parts), flush=True)


# --------------------------------------------------------------------------- memory

def run_memory_demo():
    """GoogLeNet conv1 at batch 64: the unchunked column matrix would be ~470 MB."""
    batch, c_in, size, c_out, kernel, stride, padding = 64, 3, 224, 64, 7, 2, 3
    dtype = np.float32
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, c_in, size, size)).astype(dtype)
    w = rng.standard_normal((c_out, c_in, kernel, kernel)).astype(dtype)
    h_out = out_size(size, kernel, stride, padding)
    itemsize = np.dtype(dtype).itemsize
    unchunked = batch * h_out * h_out * c_in * kernel * kernel * itemsize
    output = batch * c_out * h_out * h_out * itemsize
    print(f"\n== Memory: GoogLeNet conv1 7x7/2 3->64 at batch {batch}, float32 ==", flush=True)
    tracemalloc.start()
    start = time.perf_counter()
    out = convbook.conv2d(x, w, stride=stride, padding=padding)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out.nbytes == output
    mib = 2**20
    temporaries = peak - output
    print(f"unchunked im2col matrix (N*H_out*W_out x C_in*k*k): {unchunked / mib:7.1f} MiB "
          f"({unchunked / 1e6:.0f} MB) > MAX_TEMP_BYTES = {convbook.MAX_TEMP_BYTES / mib:.0f} MiB")
    print(f"measured peak (tracemalloc, input excluded):        {peak / mib:7.1f} MiB, of which the output "
          f"{output / mib:.1f} MiB, temporaries at most {temporaries / mib:.1f} MiB "
          f"({'within' if temporaries <= convbook.MAX_TEMP_BYTES else 'OVER'} the bound); "
          f"{elapsed * 1e3:.0f} ms (traced)")


# --------------------------------------------------------------------------- main

def describe_environment():
    print(f"python {platform.python_version()}, numpy {np.__version__}, convbook {convbook.__version__}, "
          + (f"torch {torch.__version__}" if torch is not None else "torch not installed (PyTorch columns skipped)"))
    blas = "threadpoolctl not installed: BLAS threads set through OPENBLAS_NUM_THREADS"
    if threadpool_info is not None:
        pools = [f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}), {p.get('num_threads')} threads"
                 for p in threadpool_info() if p.get("user_api") == "blas"]
        blas = "; ".join(pools) or "no BLAS found by threadpoolctl"
    print(f"BLAS: {blas}")
    print("environment: " + ", ".join(f"{var}={os.environ.get(var, '(unset)')}" for var in
                                     ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")))
    if torch is not None:
        print(f"torch: {torch.get_num_threads()} threads, no_grad, CPU capability "
              f"{torch.backends.cpu.get_cpu_capability()} (its kernels may use wider vectors than OpenBLAS's)")
    print(f"convbook.conv TILE_BYTES = {convbook.conv.TILE_BYTES / 2**20:g} MiB; {os.cpu_count()} CPUs")


def main(opts):
    opts.min_sample = 0.005 if opts.quick else 0.02                  # seconds per timed sample
    if threadpool_limits is not None:
        threadpool_limits(opts.threads)
    if torch is not None:
        torch.set_num_threads(opts.threads)
    describe_environment()
    dtypes = {"float32": [np.float32], "float64": [np.float64], "both": [np.float32, np.float64]}[opts.dtype]
    for dtype in dtypes:
        run_suite(dtype, opts)
        run_googlenet(dtype, opts)
    run_memory_demo()


if __name__ == "__main__":
    sys.exit(main(ARGS))
