r"""Convolution layers, vectorised: ``conv2d`` and ``conv3d``.

The fast path computes the same sums as :mod:`convbook.reference` with three
strategies, chosen from the layer's shape:

* **pointwise** (1×1 kernel, no padding): one matrix product per group, no copy
  of the input at stride 1;
* **depthwise** (one input channel per group): ``K_h·K_w`` broadcast
  multiply-adds over shifted views of the input, which beats many tiny matrix
  products;
* **im2col** (everything else): gather each output position's receptive field
  into the rows of a column matrix, then one matrix product per group. The
  columns are gathered from a channels-last copy of the input, so each copied
  run is ``K_w·C_in/G`` contiguous values long rather than one output row.

Work is split into tiles of output rows (and batch samples) so that no
temporary exceeds :data:`TILE_BYTES` (a few MiB, cache-friendly) unless a
single output row needs more; see :data:`MAX_TEMP_BYTES` for the hard bound.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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
    """1×1 kernels: per sample and group, ``out = weight @ x`` over flattened pixels."""
    x = args.x[(slice(None), slice(None), *(slice(None, None, s) for s in args.stride))]
    n, c_in = x.shape[:2]
    c_out = out.shape[1]
    groups = args.groups
    c_in_g, c_out_g = c_in // groups, c_out // groups
    weight = args.weight.reshape(groups, c_out_g, c_in_g)           # (G, C_out/G, C_in/G)
    out_flat = out.reshape(n, groups, c_out_g, -1)                   # (N, G, C_out/G, P), a view
    for sample in range(n):
        x_flat = x[sample].reshape(groups, c_in_g, -1)               # (G, C_in/G, P), copies only if strided
        np.matmul(weight, x_flat, out=out_flat[sample])


def _depthwise(args, out):
    """One input channel per group: accumulate ``K_h·K_w`` shifted, scaled copies of the input."""
    x, kernel_size = args.x, args.kernel_size
    n, channels = x.shape[:2]
    multiplier = out.shape[1] // channels
    weight = args.weight.reshape(channels, multiplier, -1)           # (C_in, m, K_h*K_w)
    out_view = out.reshape(n, channels, multiplier, *out.shape[2:])  # (N, C_in, m, H_out, W_out)
    per_channel = math.prod(x.shape[2:]) + multiplier * math.prod(out.shape[2:])
    block = max(1, TILE_BYTES // 8 // (per_channel * x.itemsize))     # channels per block: cache-sized
    taps = list(np.ndindex(*kernel_size))
    for sample in range(n):
        for c0 in range(0, channels, block):
            c1 = min(channels, c0 + block)
            xpad = _pad(x[sample, c0:c1], args.padding)                # (c, H + 2p_h, W + 2p_w)
            acc = out_view[sample, c0:c1]                             # (c, m, H_out, W_out)
            acc[...] = 0
            scratch = np.empty_like(acc)
            for t, tap in enumerate(taps):
                shifted = xpad[(slice(None), *_tap_slices(tap, args, out.shape[2:]))][:, None]
                np.multiply(shifted, weight[c0:c1, :, t].reshape(c1 - c0, multiplier, *(1,) * len(tap)),
                            out=scratch)
                acc += scratch


def _im2col(args, out):
    """General case: gather receptive fields into a column matrix, one GEMM per group and tile."""
    x, weight, groups = args.x, args.weight, args.groups
    n, c_in = x.shape[:2]
    c_out = out.shape[1]
    c_in_g, c_out_g = c_in // groups, c_out // groups
    depth = math.prod(args.kernel_size) * c_in_g                                           # K of the GEMM
    # weight as (G, C_out/G, K) with the K axis ordered (taps..., channel) like the columns
    weight_cols = np.moveaxis(weight, 1, -1).reshape(groups, c_out_g, depth)
    out_spatial = out.shape[2:]
    row_positions = math.prod(out_spatial[1:])
    row_bytes = row_positions * max(depth, c_out_g) * x.itemsize
    rows_per_tile = max(1, TILE_BYTES // max(1, row_bytes))
    cols_per_tile = out_spatial[1]
    if row_bytes > MAX_TEMP_BYTES // 4:                              # one output row alone is too big
        rows_per_tile = 1
        per_column = math.prod(out_spatial[2:]) * max(depth, c_out_g) * x.itemsize
        cols_per_tile = max(1, TILE_BYTES // max(1, per_column))
    samples_per_tile = max(1, rows_per_tile // out_spatial[0]) if rows_per_tile >= out_spatial[0] else 1
    for n0 in range(0, n, samples_per_tile):
        n1 = min(n, n0 + samples_per_tile)
        for r0 in range(0, out_spatial[0], rows_per_tile):
            r1 = min(out_spatial[0], r0 + rows_per_tile)
            for q0 in range(0, out_spatial[1], cols_per_tile):
                q1 = min(out_spatial[1], q0 + cols_per_tile)
                tile = ((r0, r1), (q0, q1), *((0, size) for size in out_spatial[2:]))
                for g in range(groups):
                    slab = _input_slab(x, args, n0, n1, g * c_in_g, (g + 1) * c_in_g, tile)
                    cols = _columns(slab, args, tile)                 # (n, P, K)
                    result = np.matmul(weight_cols[g], cols.transpose(0, 2, 1))  # (n, C_out/G, P)
                    dest = out[(slice(n0, n1), slice(g * c_out_g, (g + 1) * c_out_g),
                                *(slice(a, b) for a, b in tile))]
                    dest[...] = result.reshape(dest.shape)


def _input_slab(x, args, n0, n1, c0, c1, tile):
    """Channels-last, zero-padded block of the input that the output tile reads.

    Returns an array of shape (n, *padded spatial extent of the tile, C_in/G).
    """
    spatial = x.shape[2:]
    source, target, shape = [], [], []
    for (a, b), size, s, p, d, k in zip(tile, spatial, args.stride, args.padding, args.dilation,
                                        args.kernel_size):
        start = a * s - p                                             # first input index read (may be < 0)
        stop = (b - 1) * s - p + d * (k - 1) + 1                     # one past the last index read
        lo, hi = max(start, 0), min(stop, size)
        source.append(slice(lo, hi))
        target.append(slice(lo - start, hi - start))
        shape.append(stop - start)
    slab = np.zeros((n1 - n0, *shape, c1 - c0), dtype=x.dtype)
    block = x[(slice(n0, n1), slice(c0, c1), *source)]
    slab[(slice(None), *target, slice(None))] = np.moveaxis(block, 1, -1)
    return slab


def _columns(slab, args, tile):
    """Gather every receptive field of the tile into a (n, P, K) matrix, K ordered (taps..., channel)."""
    dims = len(args.kernel_size)
    extents = [d * (k - 1) + 1 for k, d in zip(args.kernel_size, args.dilation)]
    windows = sliding_window_view(slab, extents, axis=tuple(range(1, dims + 1)))
    # windows: (n, *window starts, C, *extents); keep every stride-th start and dilation-th tap
    windows = windows[(slice(None), *(slice(None, None, s) for s in args.stride), slice(None),
                       *(slice(None, None, d) for d in args.dilation))]
    windows = windows[(slice(None), *(slice(0, b - a) for a, b in tile))]
    order = (0, *range(1, dims + 1), *range(dims + 2, 2 * dims + 2), dims + 1)
    windows = windows.transpose(order)                                # (n, *tile, *K_taps, C)
    n = slab.shape[0]
    positions = math.prod(b - a for a, b in tile)
    return windows.reshape(n, positions, -1)                          # copies: the column matrix


def _pad(x, padding):
    """Zero-pad the trailing spatial axes of ``x`` by ``padding`` on both sides."""
    if not any(padding):
        return x
    lead = x.ndim - len(padding)
    return np.pad(x, [(0, 0)] * lead + [(p, p) for p in padding])


def _tap_slices(tap, args, out_spatial):
    """Slices of the padded input that kernel tap ``tap`` reads for every output position."""
    return tuple(
        slice(t * d, t * d + s * (size - 1) + 1, s)
        for t, d, s, size in zip(tap, args.dilation, args.stride, out_spatial)
    )
