"""Cross-check convbook against PyTorch's CPU functions, where PyTorch is installed.

PyTorch is an optional peer, never a dependency: this script is not part of
``make test``. It draws many random layer configurations, runs each through
convbook and through ``torch.nn.functional``, and reports the largest
difference relative to the output's scale. Run it with

    python benchmarks/crosscheck_torch.py [--cases 300] [--seed 0]

It exits non-zero if any configuration disagrees.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import convbook

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("crosscheck_torch.py: PyTorch is not installed (pip install torch); nothing to compare")


def random_conv(rng, spatial_dims):
    """Return (x, weight, bias, kwargs) for a random valid convolution."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c_in = groups * int(rng.integers(1, 4))
    c_out = groups * int(rng.integers(1, 4))
    kernel = tuple(int(k) for k in rng.integers(1, 4, spatial_dims))
    stride = tuple(int(s) for s in rng.integers(1, 4, spatial_dims))
    padding = tuple(int(p) for p in rng.integers(0, 3, spatial_dims))
    dilation = tuple(int(d) for d in rng.integers(1, 3, spatial_dims))
    size = [max(d * (k - 1) + 1 - 2 * p, 1) + int(rng.integers(0, 6))
            for k, p, d in zip(kernel, padding, dilation)]
    x = rng.standard_normal((int(rng.integers(1, 3)), c_in, *size))
    weight = rng.standard_normal((c_out, c_in // groups, *kernel))
    bias = rng.standard_normal(c_out) if rng.random() < 0.5 else None
    return x, weight, bias, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def random_pool(rng):
    """Return (x, kwargs) for a random valid 2-D pooling layer."""
    kernel = tuple(int(k) for k in rng.integers(1, 5, 2))
    stride = tuple(int(s) for s in rng.integers(1, 4, 2))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    size = [k + int(rng.integers(0, 7)) for k in kernel]
    x = rng.standard_normal((1, 2, *size))
    return x, dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=bool(rng.random() < 0.5))


def relative_error(ours, theirs):
    theirs = theirs.numpy()
    if ours.shape != theirs.shape:
        return np.inf
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    return float(np.abs(ours - theirs).max(initial=0.0)) / scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300, help="random configurations per operation")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    t = torch.from_numpy
    worst = {}

    def record(name, error, detail):
        if error > worst.get(name, (-1.0, None))[0]:
            worst[name] = (error, detail)

    for _ in range(args.cases):
        x, weight, bias, kw = random_conv(rng, 2)
        ours = convbook.conv2d(x, weight, bias, **kw)
        theirs = F.conv2d(t(x), t(weight), None if bias is None else t(bias), **kw)
        record("conv2d", relative_error(ours, theirs), (x.shape, weight.shape, kw))

        x, weight, bias, kw = random_conv(rng, 3)
        ours = convbook.conv3d(x, weight, bias, **kw)
        theirs = F.conv3d(t(x), t(weight), None if bias is None else t(bias), **kw)
        record("conv3d", relative_error(ours, theirs), (x.shape, weight.shape, kw))

        x, kw = random_pool(rng)
        record("max_pool2d", relative_error(convbook.max_pool2d(x, **kw), F.max_pool2d(t(x), **kw)), (x.shape, kw))
        include = bool(rng.random() < 0.5)
        record("avg_pool2d",
               relative_error(convbook.avg_pool2d(x, **kw, count_include_pad=include),
                              F.avg_pool2d(t(x), **kw, count_include_pad=include)),
               (x.shape, kw, include))

        x = rng.standard_normal((2, int(rng.integers(1, 12)), 3, 4))
        size = int(rng.integers(1, 8))
        # PyTorch divides alpha by size; the paper's form does not (see local_response_norm).
        ours = convbook.local_response_norm(x, size, alpha=1e-2, beta=0.75, k=2.0)
        theirs = F.local_response_norm(t(x), size, alpha=1e-2 * size, beta=0.75, k=2.0)
        record("local_response_norm", relative_error(ours, theirs), (x.shape, size))

    x = rng.standard_normal((2, 5, 7, 6))
    record("global_avg_pool2d",
           relative_error(convbook.global_avg_pool2d(x), F.adaptive_avg_pool2d(t(x), 1)), x.shape)

    print(f"{'operation':22s} {'worst relative error':>22s}   configuration")
    failed = False
    for name, (error, detail) in worst.items():
        flag = "" if error < 1e-10 else "   <-- DISAGREES"
        failed |= bool(flag)
        print(f"{name:22s} {error:22.3e}   {detail}{flag}")
    print(f"torch {torch.__version__}, numpy {np.__version__}, {args.cases} random cases per operation")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
