r"""Depthwise 2-D convolution (one input channel per group) by row taps.

A depthwise layer filters every map on its own: there is no sum over
channels, so no large matrix product to hand to BLAS, only ``K_h·K_w``
multiply-adds per output. The fast way found in NumPy keeps the products in
BLAS anyway, as many short ones in one ``np.matmul`` call, and copies the
input only ``K_w`` times instead of ``K_h·K_w``:

1. for a block of channels, copy the ``K_w`` width taps of every row of the
   zero-padded input, ``rows[c, v, y, j] = x_pad[c, y, j + v·d_w]``, straight
   from the unpadded input (the padding is written as zeros);
2. multiply, per channel, ``weight[c]`` as a ``(K_h, K_w)`` matrix by
   ``rows[c]`` as a ``(K_w, E_h·W_out)`` matrix: row ``u`` of the product holds
   every row of the input filtered by the filter's row ``u``;
3. at unit stride output row ``i`` sums row ``i + u·d_h`` of product row ``u``
   over the ``K_h`` height taps: a sum over a strided view of the product.

Blocks of channels take about half of :data:`convbook._tiling.TILE_BYTES`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _tiling


def channel_bytes(args, multiplier):
    """Bytes of temporaries one input channel of one sample needs: row taps and products."""
    k_h, k_w = args.kernel_size
    extent = (args.out_shape[2] + args.dilation[0] * (k_h - 1)) * args.out_shape[3]
    return (k_w + k_h * multiplier) * extent * args.dtype.itemsize


def conv2d(args, out):
    """Depthwise convolution of validated 2-D ``args`` with unit stride, into ``out``.

    Parameters
    ----------
    args : convbook._validate.ConvArgs
        ``groups == C_in``, weight ``(C_in·m, 1, K_h, K_w)``, ``stride == (1, 1)``.
    out : ndarray, shape (N, C_in·m, H_out, W_out)
        Written in place.
    """
    x = args.x
    n, channels = x.shape[:2]
    multiplier = out.shape[1] // channels
    (k_h, k_w), (h_out, w_out) = args.kernel_size, out.shape[2:]
    weight = args.weight.reshape(channels, multiplier * k_h, k_w)             # (C, m·K_h, K_w): rows (k, u)
    block = max(1, _tiling.TILE_BYTES // 2 // max(1, channel_bytes(args, multiplier)))
    scratch = _tiling.scratch(out.dtype)
    for sample in range(n):
        for c0 in range(0, channels, block):
            c1 = min(channels, c0 + block)
            rows = _row_taps(x[sample, c0:c1], args, w_out, scratch)            # (c, K_w, E_h, W_out)
            extent = rows.shape[2] * w_out
            products = scratch.take("products", (c1 - c0, multiplier * k_h, extent))
            np.matmul(weight[c0:c1], rows.reshape(c1 - c0, k_w, extent), out=products)   # (c, m·K_h, E_h·W_out)
            # out[c, k, p] = sum over u of products[c, k·K_h + u, u·d_h·W_out + p]: a view, stride per u
            c_st, row_st, item = products.strides
            shifted = as_strided(products, (c1 - c0, multiplier, k_h, h_out * w_out),
                                 (c_st, k_h * row_st, row_st + args.dilation[0] * w_out * item, item),
                                 writeable=False)
            dest = out[sample, c0 * multiplier:c1 * multiplier].reshape(c1 - c0, multiplier, h_out * w_out)
            np.sum(shifted, axis=2, out=dest)


def _row_taps(maps, args, w_out, scratch):
    """``rows[c, v, y, j] = x_pad[c, y, j + v·d_w]`` for maps (c, H, W), read from ``x`` unpadded.

    Each width tap ``v`` is one copy of the maps shifted by ``v·d_w - p_w``; the
    padding is written as zeros where the shifted copy does not reach.
    """
    channels, height, width = maps.shape
    (p_h, p_w), d_w, k_w = args.padding, args.dilation[1], args.kernel_size[1]
    rows = scratch.take("rows", (channels, k_w, height + 2 * p_h, w_out))
    rows[:, :, :p_h] = 0
    rows[:, :, p_h + height:] = 0
    for v in range(k_w):
        shift = v * d_w - p_w                                          # rows[..., j] reads maps[..., j + shift]
        j0, j1 = min(max(0, -shift), w_out), max(min(w_out, width - shift), 0)
        j1 = max(j0, j1)
        inside = rows[:, v, p_h:p_h + height]
        inside[..., :j0] = 0
        inside[..., j1:] = 0
        np.copyto(inside[..., j0:j1], maps[..., j0 + shift:j1 + shift])
    return rows
