r"""Convolution layers, vectorised: ``conv2d`` and ``conv3d``.

The fast path computes the same sums as :mod:`convbook.reference` with three
strategies, chosen from the layer's shape:

* **pointwise** (1×1 kernel, no padding): one matrix product per group, no copy
  of the input at stride 1;
* **depthwise** (one input channel per group): the im2col product below with
  ``K_h·K_w`` columns per channel, a block of channels at a time, so that the
  many short matrix-vector products run inside one ``np.matmul`` call;
* **im2col** (everything else): gather each output position's receptive field
  into a column of a matrix, then one matrix product for all groups. The column
  matrix is ordered (channel, taps) like the weight's own memory, so the weight
  is used without a copy and the product is written straight into the output.
  The gather copies contiguous runs along the last axis: with stride 1 in two
  stages (the width taps of every input row, then whole blocks of output rows),
  with a larger stride after splitting that axis into its phases.

Work is split into tiles of output rows (and batch samples) so that no
temporary exceeds :data:`TILE_BYTES` (a few MiB, cache-friendly) unless a
single output row needs more; see :data:`MAX_TEMP_BYTES` for the hard bound.
"""

from __future__ import annotations

import math

import numpy as np

from . import _gather
from ._validate import ConvArgs

TILE_BYTES = 8 * 2**20
"""Target size of one tile's column matrix, in bytes."""

MAX_TEMP_BYTES = 256 * 2**20
"""No temporary array allocated by the fast path is larger than this, whatever the input."""


def conv2d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Compute the 2-D cross-correlation of a batch of images with a bank of filters.

    Every filter spans all ``C_in / groups`` input channels of its group: output
    channel ``o`` sums, over those channels, the cross-correlation of each
    channel with its own 2-D slice ``weight[o, c]``, then adds ``bias[o]``.
    This is "type 2.2" in the book, the layer of every deep-learning framework.
    The kernel is not flipped (cross-correlation, as in PyTorch).

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
        Input batch (NCHW).
    weight : ndarray, shape (C_out, C_in / groups, K_h, K_w)
        Filters (OIHW). ``C_out`` must be divisible by ``groups``.
    bias : ndarray, shape (C_out,), optional
        Added to every position of output channel ``o``.
    stride : int or (int, int), default 1
        Step between neighbouring windows, (s_h, s_w).
    padding : int or (int, int), default 0
        Zeros added on *both* sides of each spatial axis, (p_h, p_w).
    dilation : int or (int, int), default 1
        Spacing between kernel taps; 1 means none.
    groups : int, default 1
        Split the channels into ``groups`` independent convolutions side by side.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = floor((H + 2 p_h - d_h (K_h - 1) - 1) / s_h) + 1``, likewise ``W_out``.
        Its dtype is ``numpy.result_type(x, weight, bias)``.

    Raises
    ------
    ValueError
        If ``x`` or ``weight`` is not 4-D; ``groups`` does not divide ``C_in`` or
        ``C_out``; ``C_in != weight.shape[1] * groups``; ``bias`` is not
        ``(C_out,)``; stride, dilation or groups is not positive; padding is
        negative; or the dilated kernel is larger than the padded input.
    TypeError
        If an array is not numeric, or a hyperparameter is not an int or pair of ints.

    See Also
    --------
    convbook.conv2d_loops : the same sums as explicit loops (the definition).
    convbook.conv_output_size : the output-size formula for one axis.
    convbook.conv2d_param_count, convbook.conv2d_macs : counting.

    Notes
    -----
    .. math::

        \mathrm{out}[n, o, i, j] = \mathrm{bias}[o] + \sum_{c, u, v}
            x_\mathrm{pad}[n, g\,C_\mathrm{in}/G + c, i s_h + u d_h, j s_w + v d_w]\,
            \mathrm{weight}[o, c, u, v]

    with ``g = o // (C_out / G)``. Special layers are settings of this one:

    * **grouped** (AlexNet's conv2, conv4, conv5): ``groups=G`` equals ``G``
      convolutions side by side on consecutive channel blocks, concatenated;
    * **depthwise** (MobileNets, Xception): ``groups=C_in``, weight
      ``(C_in * m, 1, K_h, K_w)`` -- each input map filtered on its own;
    * **pointwise** (1×1, Network in Network, GoogLeNet's reductions): ``K_h = K_w = 1``
      -- a matrix product across channels at every pixel.

    Conventions match ``torch.nn.functional.conv2d``: NCHW/OIHW, floor rounding,
    symmetric zero padding, keyword names and defaults.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((1, 3, 224, 224), dtype=np.float32)
    >>> weight = np.zeros((64, 3, 7, 7), dtype=np.float32)
    >>> conv2d(x, weight, stride=2, padding=3).shape      # GoogLeNet's conv1
    (1, 64, 112, 112)
    """
    return _conv(ConvArgs("conv2d", x, weight, bias, stride, padding, dilation, groups, 2))


def conv3d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Compute the 3-D cross-correlation of a batch of volumes with a bank of filters.

    The filter slides along depth as well as height and width (C3D, 3-D CNNs for
    action recognition). A filter whose depth equals the input depth, with no
    depth padding, slides nowhere along depth: that is :func:`conv2d` on the
    depth axis treated as channels.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, D, H, W)
    weight : ndarray, shape (C_out, C_in / groups, K_d, K_h, K_w)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation : int or (int, int, int), default 1, 0, 1
    groups : int, default 1

    Returns
    -------
    out : ndarray, shape (N, C_out, D_out, H_out, W_out)
        Each output length follows the floor rule of :func:`conv2d`.

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d`, for 5-D arrays and triples.

    See Also
    --------
    convbook.conv3d_loops : the definition as explicit loops.

    Examples
    --------
    The book's sliding-order example: 42 maps of 314×314, one 3×4×5 filter.

    >>> import numpy as np
    >>> x = np.zeros((1, 1, 42, 314, 314))
    >>> conv3d(x, np.zeros((1, 1, 3, 4, 5))).shape
    (1, 1, 40, 311, 310)
    """
    return _conv(ConvArgs("conv3d", x, weight, bias, stride, padding, dilation, groups, 3))


def _conv(args: ConvArgs) -> np.ndarray:
    """Dispatch validated arguments to the pointwise, depthwise or im2col strategy."""
    out = np.empty(args.out_shape, dtype=args.dtype)
    if out.size:
        c_in_g = args.weight.shape[1]
        if all(k == 1 for k in args.kernel_size) and not any(args.padding):
            _pointwise(args, out)
        elif c_in_g == 1 and args.groups > 1:
            _depthwise(args, out)
        else:
            _im2col(args, out)
    if args.bias is not None:
        out += args.bias.reshape(-1, *(1,) * len(args.kernel_size))
    return out


def _pointwise(args, out):
    """1×1 kernels: per sample and group, ``out = weight @ x`` over flattened pixels.

    At stride 1 on a contiguous input the pixels are a view and one ``np.matmul``
    call does every sample; otherwise runs of output rows are copied, a tile at a time.
    """
    x, groups = args.x, args.groups
    n, c_in = x.shape[:2]
    c_out = out.shape[1]
    weight = args.weight.reshape(groups, c_out // groups, c_in // groups)         # (G, C_out/G, C_in/G)
    out_spatial = out.shape[2:]
    if x.flags.c_contiguous and all(s == 1 for s in args.stride):
        positions = math.prod(out_spatial)
        np.matmul(weight, x.reshape(n, groups, c_in // groups, positions),       # (N, G, C_in/G, P), a view
                  out=out.reshape(n, groups, c_out // groups, positions))
        return
    row_positions = math.prod(out_spatial[1:])
    rows_per_tile = max(1, TILE_BYTES // max(1, c_in * row_positions * x.itemsize))
    for sample in range(n):
        for r0 in range(0, out_spatial[0], rows_per_tile):
            r1 = min(out_spatial[0], r0 + rows_per_tile)
            positions = (r1 - r0) * row_positions
            source = x[(sample, slice(None), slice(r0 * args.stride[0], r1 * args.stride[0], args.stride[0]),
                        *(slice(None, None, s) for s in args.stride[1:]))]
            np.matmul(weight, source.reshape(groups, c_in // groups, positions),    # (G, C_in/G, P), a copy
                      out=out[sample, :, r0:r1].reshape(groups, c_out // groups, positions))


def _depthwise(args, out):
    """One input channel per group: im2col with ``K = K_h·K_w``, a block of channels at a time.

    Each channel's product is a matrix-vector product over its output positions,
    and a block of channels runs them all inside one ``np.matmul`` call. Blocking
    by channels rather than by output rows keeps each of those products long: with
    so little arithmetic per gathered value, per-product overhead is what counts.
    """
    x = args.x
    channels = x.shape[1]
    multiplier = out.shape[1] // channels
    channel_bytes = x.shape[0] * math.prod(args.kernel_size) * math.prod(out.shape[2:]) * x.itemsize
    block = max(1, TILE_BYTES // max(1, channel_bytes))
    for c0 in range(0, channels, block):
        c1 = min(channels, c0 + block)
        _gemm_by_tiles(args, x[:, c0:c1], args.weight[c0 * multiplier:c1 * multiplier], c1 - c0,
                       out[:, c0 * multiplier:c1 * multiplier])


def _im2col(args, out):
    """General case: gather receptive fields into a column matrix per tile, then one stacked GEMM."""
    _gemm_by_tiles(args, args.x, args.weight, args.groups, out)


def _gemm_by_tiles(args, x, weight, groups, out):
    """Convolve ``x`` with ``weight`` in ``groups`` into ``out``, with the geometry of ``args``.

    For each tile of output positions: pad, gather the columns, multiply straight
    into ``out``. The column matrix is ordered (channel, taps...) like the weight's
    own memory (OIHW), so the weight is used as is, reshaped to (G, C_out/G, K),
    and every group of the tile is multiplied in one ``np.matmul`` call.
    """
    n, c_in = x.shape[:2]
    c_out = out.shape[1]
    taps = math.prod(args.kernel_size)
    weight = weight.reshape(groups, c_out // groups, c_in // groups * taps)       # (G, C_out/G, K)
    scratch = _gather.Scratch(x.dtype)
    for n0, n1, tile in _tiles(out.shape[2:], n, c_in * taps * x.itemsize):
        slab = _gather.input_slab(x, args, n0, n1, tile)                                # (n, C_in, *extent)
        cols = _gather.columns(slab, args, tile, scratch)                               # (n, C_in·taps, P)
        positions = cols.shape[2]
        dest = out[(slice(n0, n1), slice(None), *(slice(a, b) for a, b in tile))]
        # a tile is whole rows, or part of one row: its positions merge into one axis, so this is a view
        dest = dest.reshape(n1 - n0, groups, c_out // groups, positions)         # (n, G, C_out/G, P)
        np.matmul(weight, cols.reshape(n1 - n0, groups, -1, positions), out=dest)


def _tiles(out_spatial, n, position_bytes):
    """Split ``n`` samples of output positions into tiles whose columns take about :data:`TILE_BYTES`.

    Yields ``(n0, n1, tile)``, ``tile`` a ``(start, stop)`` pair per spatial axis:
    several whole samples if they fit, else runs of output rows (first spatial
    axis) of one sample; if a single row would exceed ``MAX_TEMP_BYTES / 4``,
    runs along the second axis of one row.
    """
    row_positions = math.prod(out_spatial[1:])
    row_bytes = row_positions * position_bytes
    rows_per_tile = max(1, TILE_BYTES // max(1, row_bytes))
    cols_per_tile = out_spatial[1]
    if row_bytes > MAX_TEMP_BYTES // 4:                                # one output row alone is too big
        rows_per_tile = 1
        column_bytes = math.prod(out_spatial[2:]) * position_bytes
        cols_per_tile = max(1, TILE_BYTES // max(1, column_bytes))
    samples_per_tile = max(1, rows_per_tile // out_spatial[0])
    rest = tuple((0, size) for size in out_spatial[2:])
    for n0 in range(0, n, samples_per_tile):
        n1 = min(n, n0 + samples_per_tile)
        for r0 in range(0, out_spatial[0], rows_per_tile):
            r1 = min(out_spatial[0], r0 + rows_per_tile)
            for q0 in range(0, out_spatial[1], cols_per_tile):
                yield n0, n1, ((r0, r1), (q0, min(out_spatial[1], q0 + cols_per_tile)), *rest)
