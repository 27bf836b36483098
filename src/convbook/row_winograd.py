r"""Winograd's minimal filtering along the width only; the height summed as in im2col.

A layer on few input maps with a large kernel, such as GoogLeNet's first layer (7×7 at
stride 2 on 3 maps), gains little from 2-D Winograd: its contraction, over the input
channels alone, is too short for the matrix products. Along one axis only, the
contraction keeps the kernel's height: with :math:`F(m, r)` along the width, each of
the ``α = m + r - 1`` positions of a transformed row tile is one matrix product of
``C_out × (C_in·K_h)`` by ``(C_in·K_h) × tiles``, and a row of ``m`` outputs costs ``α``
products per tap row instead of ``m·r``.

Steps, for a layer whose width stride has been folded away (:mod:`convbook.phases`:
``C_in·s_w`` maps, ``⌈K_w / s_w⌉ = r`` taps per row, stride ``(s_h, 1)``):

1. every input row is cut into width tiles of ``α`` values, ``m`` apart, and each tile
   transformed by :math:`B^\top` (one matrix product for all of them), the rows split
   by their phase modulo ``s_h`` on the way;
2. for each transformed position, the ``K_h`` rows that each output row reads are
   gathered into a column matrix (contiguous runs: the rows of one phase);
3. one batched matrix product with the filters transformed along their rows, :math:`G g`;
4. :math:`A^\top` turns each row tile back into ``m`` outputs, copied to every
   ``m``-th column of the output.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _tiling, phases, winograd
from ._validate import ConvArgs

F4_4 = winograd.toom_cook(4, 4, (0, 1, -1, 2, -2, "1/2"),
                          source="constructed by convbook.winograd.toom_cook with the points 0, ±1, ±2, 1/2")
"""F(4, 4) in one dimension: 7 multiplications for 4 outputs of a 4-tap row, instead of 16."""

F4_5 = winograd.toom_cook(4, 5, (0, 1, -1, 2, -2, "1/2", "-1/2"),
                          source="constructed by convbook.winograd.toom_cook with the points 0, ±1, ±2, ±1/2")
"""F(4, 5) in one dimension: 8 multiplications for 4 outputs of a 5-tap row, instead of 20."""

TRANSFORMS = {4: F4_4, 5: F4_5}
"""The algorithm used for each number of taps per row, ``⌈K_w / s_w⌉`` (after folding the width stride).

Measured on inception 3a's 5×5 layer on 16 maps (1 thread, float32), F(4, 5) took 0.23 ms,
F(3, 5) 0.27 and F(2, 5) 0.30, against 0.32 for im2col; float32 errors 1.2e-6, 1.2e-6 and
1.1e-6 of the largest output."""


def conv2d_direct(x, weight, bias=None, *, stride=1, padding=0, groups=1):
    """Run this algorithm on a layer, whatever :func:`convbook.conv.choose` would pick.

    For comparisons (the book's page on fast convolution, tests): the arguments of
    :func:`convbook.conv2d` without dilation; ``⌈K_w / s_w⌉`` must be a key of
    :data:`TRANSFORMS`.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        The correlation, up to rounding; dtype ``numpy.result_type(x, weight, bias)``,
        which must be float32 or float64.

    Raises
    ------
    ValueError
        As :func:`convbook.conv2d`; or if the rows' taps have no algorithm, or the dtype is not float32/float64.

    Examples
    --------
    >>> import numpy as np
    >>> x, w = np.arange(16.0).reshape(1, 1, 2, 8), np.ones((1, 1, 1, 4))
    >>> conv2d_direct(x, w)[0, 0]
    array([[ 6., 10., 14., 18., 22.],
           [38., 42., 46., 50., 54.]])
    """
    args = ConvArgs("row_winograd.conv2d_direct", x, weight, bias, stride, padding, 1, groups, 2)
    taps = phases.folded_kernel(args.kernel_size, args.stride)[1]
    if taps not in TRANSFORMS:
        raise ValueError(f"row_winograd.conv2d_direct: ceil(K_w / s_w) must be one of {sorted(TRANSFORMS)}; "
                         f"got ceil({args.kernel_size[1]} / {args.stride[1]}) = {taps}")
    return winograd.run_direct(args, lambda out: conv2d(args, out, TRANSFORMS[taps]))


def folded_sample_bytes(args, transform):
    """Bytes of one sample's input folded along the width (:func:`convbook.phases.fold_input`) for ``args``."""
    (s_h, s_w), (k_h, _) = args.stride, args.kernel_size
    h_out, w_out = args.out_shape[2:]
    width = -(-w_out // transform.m) * transform.m + transform.r - 1
    return args.x.shape[1] * s_w * ((h_out - 1) * s_h + k_h) * width * args.x.itemsize


def position_bytes(args, transform):
    r"""Bytes of temporaries per row tile of output (``m`` positions of one output row) for validated ``args``.

    The column matrix (``α`` transformed values per folded channel and tap row), the
    width tiles before and after :math:`B^\top` (about as much, divided by ``K_h / s_h``
    rows shared), the products and the output transform.
    """
    alpha, m = transform.alpha, transform.m
    c_fold = args.x.shape[1] * args.stride[1]
    c_out = args.out_shape[1]
    return (alpha * c_fold * (args.kernel_size[0] + 2 * args.stride[0]) + alpha * c_out + m * c_out) * args.x.itemsize


def conv2d(args, out, transform):
    """Compute validated 2-D ``args`` (dilation 1, any stride) into ``out``, in tiles of output rows.

    Parameters
    ----------
    args : convbook._validate.ConvArgs
        The layer; ``⌈K_w / s_w⌉`` must be ``transform.r``.
    out : ndarray, shape (N, C_out, H_out, W_out)
        Written in place.
    transform : convbook.winograd.Transform
        A one-dimensional ``F(m, r)`` (:data:`TRANSFORMS`).
    """
    (s_h, s_w), (k_h, _) = args.stride, args.kernel_size
    m, alpha = transform.m, transform.alpha
    n, c_out, h_out, w_out = out.shape
    groups = args.groups
    tiles_x = -(-w_out // m)
    scratch = _tiling.scratch(out.dtype)
    bt, g, at = transform.matrices(out.dtype)
    # fold the width stride; the height keeps its stride: rows (H_out - 1)·s_h + K_h, columns tiles_x·m + r - 1
    folded_w = phases.fold_weight(args.weight, (1, s_w))                                 # (C_out, C'/G, K_h, r)
    c_fold = folded_w.shape[1] * groups
    u = scratch.take("filters", (alpha, groups, c_out // groups, c_fold // groups, k_h))
    np.copyto(u, np.matmul(folded_w, g.T).transpose(3, 0, 1, 2).reshape(u.shape))     # G along each tap row
    u = u.reshape(alpha, groups, c_out // groups, c_fold // groups * k_h)
    # tiles are whole samples or runs of rows of one sample, first rows first: fold each sample at its first
    # tile and reuse the fold for its later ones (choose() keeps a row within bounds, so rows are never split)
    for n0, n1, ((r0, r1), _) in _tiling.tiles((h_out, tiles_x), n, position_bytes(args, transform)):
        for sample in range(n0, n1):
            if r0 == 0:
                folded_x = phases.fold_input(args.x[sample:sample + 1], (1, s_w), args.padding,
                                             ((h_out - 1) * s_h + 1, tiles_x * m), args.kernel_size, scratch)[0]
            rows = folded_x[:, r0 * s_h:(r1 - 1) * s_h + k_h]                          # (C', rows read, columns)
            _row_tile(rows, u, bt, at, transform, args, out[sample, :, r0:r1], scratch)


def _row_tile(rows, u, bt, at, transform, args, out, scratch):
    """Steps 1 to 4 on the folded ``rows`` that the output rows ``out`` (C_out, h, W_out) read."""
    (s_h, _), (k_h, _) = args.stride, args.kernel_size
    m, alpha = transform.m, transform.alpha
    c_fold = rows.shape[0]
    c_out, h_out, w_out = out.shape
    groups = u.shape[1]
    tiles_x = -(-w_out // m)
    rows_per_phase = h_out + (k_h - 1) // s_h
    # 1. width tiles, split by row phase: tiled[b, c, a, y, t] = rows[c, y·s_h + a, t·m + b]
    tiled = scratch.take("rows", (alpha, c_fold, s_h, rows_per_phase, tiles_x))
    for a in range(min(s_h, k_h)):
        phase = rows[:, a::s_h][:, :rows_per_phase]
        for b in range(alpha):
            np.copyto(tiled[b, :, a, :phase.shape[1]], phase[:, :, b:b + m * (tiles_x - 1) + 1:m])
    transformed = scratch.take("by_rows", tiled.shape)
    np.matmul(bt, tiled.reshape(alpha, -1), out=transformed.reshape(alpha, -1))  # (ξ, c, a, y, t)
    # 2. columns[ξ, c, ky, i, t] = transformed[ξ, c, ky % s_h, ky // s_h + i, t]
    columns = scratch.take("cols", (alpha, c_fold, k_h, h_out, tiles_x))
    st_xi, st_c, _, st_y, st_t = transformed.strides
    for a in range(min(s_h, k_h)):
        taps = len(range(a, k_h, s_h))
        view = as_strided(transformed[:, :, a], (alpha, c_fold, taps, h_out, tiles_x),
                          (st_xi, st_c, st_y, st_y, st_t), writeable=False)
        np.copyto(columns[:, :, a::s_h], view)
    # 3. products, every group at once: (α, G, C_out/G, C'/G·K_h) @ (α, G, C'/G·K_h, h·tiles)
    prod = scratch.take("prod", (alpha, groups, c_out // groups, h_out * tiles_x))
    np.matmul(u, columns.reshape(alpha, groups, -1, h_out * tiles_x), out=prod)
    # 4. A^T along the tile; output column t·m + j takes row j
    result = scratch.take("full", (m, c_out, h_out, tiles_x))
    np.matmul(at, prod.reshape(alpha, -1), out=result.reshape(m, -1))
    for j in range(min(m, w_out)):
        target = out[:, :, j::m]
        np.copyto(target, result[j, :, :, :target.shape[2]])
