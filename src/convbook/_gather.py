r"""Gathering receptive fields into column matrices: the memory-bound half of im2col.

:func:`columns` copies every receptive field of a tile of output positions into
a ``(n, C_in·taps, P)`` matrix ordered like an OIHW weight's memory, so that a
convolution becomes one matrix product. A copy runs fast when its contiguous
runs are long, so the gather picks its order by stride: contiguous output rows
at stride 1 (in two stages), and the input split into phases at larger strides.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided


def input_slab(x, args, n0, n1, tile):
    """The block of the input that the output tile reads, zero-padded: (n, C_in, *extent).

    A view of ``x`` when the block lies inside the input (no padding to add), else a copy.
    """
    source, target, extent = [], [], []
    for (a, b), size, s, p, d, k in zip(tile, x.shape[2:], args.stride, args.padding, args.dilation,
                                        args.kernel_size):
        start = a * s - p                                              # first index read (may be < 0)
        stop = (b - 1) * s - p + d * (k - 1) + 1                      # one past the last index read
        lo, hi = min(max(start, 0), size), max(min(stop, size), 0)
        hi = max(lo, hi)                                               # a tile may read only padding
        source.append(slice(lo, hi))
        target.append(slice(lo - start, hi - start))
        extent.append(stop - start)
    block = x[(slice(n0, n1), slice(None), *source)]
    if block.shape[2:] == tuple(extent):
        return block
    slab = np.zeros((n1 - n0, x.shape[1], *extent), dtype=x.dtype)
    slab[(slice(None), slice(None), *target)] = block
    return slab


def columns(slab, args, tile, scratch):
    """Gather every receptive field of the tile: a (n, C_in·taps, P) matrix, K ordered (channel, taps...).

    A copy runs fast when its contiguous runs are long. Straight from the slab, a run
    is one output row of one tap. When the second-to-last stride is 1, two stages do
    better: first every last-axis tap of every row of the slab (``rows``, short runs
    but ``K_h`` times fewer of them), then, for each tap, one block of consecutive
    output rows of ``rows``, contiguous as a whole.
    """
    n, channels = slab.shape[:2]
    kernel, dilation, stride = args.kernel_size, args.dilation, args.stride
    tile_out = tuple(b - a for a, b in tile)
    cols = scratch.take("cols", (n, channels, *kernel, *tile_out))              # (n, C_in, *taps, *tile)
    if stride[-2] != 1 or math.prod(kernel[:-1]) == 1 or tile_out[-2] == 1:   # two stages would not pay
        _copy_windows(slab, cols, kernel, dilation, stride, tile_out)
        return cols.reshape(n, channels * math.prod(kernel), math.prod(tile_out))
    # stage 1: rows[n, c, v, *y, j] = slab[n, c, *y, j·s_w + v·d_w] for every slab row y, as the
    # windows of a kernel that is 1 along the leading axes, over the whole leading extent
    extent, width, ones = slab.shape[2:-1], tile_out[-1], (1,) * (len(kernel) - 1)
    rows = scratch.take("rows", (n, channels, kernel[-1], *extent, width))  # (n, C_in, K_w, *extent, W)
    _copy_windows(slab, rows.reshape(n, channels, *ones, kernel[-1], *extent, width),
                  (*ones, kernel[-1]), dilation, (*ones, stride[-1]), (*extent, width))
    # stage 2: cols[n, c, *u, v, *i, j] = rows[n, c, v, *(i·s + u·d), j]; with s = 1 on the
    # second-to-last axis, each (n, c, *u, v) block of output rows is one contiguous run
    n_st, c_st, v_st, *lead_st, j_st = rows.strides
    strides = (n_st, c_st, *(d * st for d, st in zip(dilation, lead_st)), v_st,
               *(s * st for s, st in zip(stride, lead_st)), j_st)
    np.copyto(cols, as_strided(rows, cols.shape, strides, writeable=False))
    return cols.reshape(n, channels * math.prod(kernel), math.prod(tile_out))


def _copy_windows(slab, dest, kernel, dilation, stride, tile_out):
    """``dest[n, c, *taps, *positions] = slab[n, c, *(positions·stride + taps·dilation)]``.

    Each copied run is contiguous in the slab when the last stride is 1. A larger
    last stride would make every run a strided read, so the slab is first split into
    its phases along the last axis (:func:`_phases`): the last-axis taps that read the
    same phase, at evenly spaced shifts, are then copied together as contiguous runs.
    """
    *lead_k, k_last = kernel
    s_last, d_last = stride[-1], dilation[-1]
    if s_last == 1:
        np.copyto(dest, _windows(slab, kernel, dilation, stride, tile_out))
        return
    phases = _phases(slab, s_last)                                    # (n, C_in, *extent[:-1], s, J)
    # tap v reads offset v·d = s·shift + phase; taps r, r + step, r + 2·step, ... share a phase
    # and their shifts grow by d / gcd(d, s)
    common = math.gcd(d_last, s_last)
    step = s_last // common
    for r in range(min(step, k_last)):
        shift, phase = divmod(r * d_last, s_last)
        group = (*lead_k, len(range(r, k_last, step)))
        windows = _windows(phases[..., phase, shift:], group, (*dilation[:-1], d_last // common),
                           (*stride[:-1], 1), tile_out)
        np.copyto(dest[(slice(None),) * (len(kernel) + 1) + (slice(r, None, step),)], windows)


def _windows(slab, kernel, dilation, stride, tile_out):
    """Read-only view (n, C, *kernel, *tile_out) of ``slab`` (n, C, *spatial): every tap of every window."""
    n_stride, c_stride, *spatial = slab.strides
    strides = (n_stride, c_stride, *(d * st for d, st in zip(dilation, spatial)),
               *(s * st for s, st in zip(stride, spatial)))
    return as_strided(slab, (*slab.shape[:2], *kernel, *tile_out), strides, writeable=False)


def _phases(slab, stride):
    """Split the last axis of ``slab`` by position modulo ``stride``: (..., E) to (..., s, ceil(E / s)).

    ``out[..., b, j] = slab[..., j * stride + b]``: a window that starts every
    ``stride`` positions reads each phase contiguously. Entries past the end of a
    shorter phase are left unset; no window reads them.
    """
    extent = slab.shape[-1]
    phases = np.empty((*slab.shape[:-1], stride, -(-extent // stride)), dtype=slab.dtype)
    for b in range(min(stride, extent)):
        np.copyto(phases[..., b, :len(range(b, extent, stride))], slab[..., b::stride])
    return phases
