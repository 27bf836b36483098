r"""Pooling within each map, with PyTorch's semantics: windows, or the whole map.

``max_pool2d`` and ``avg_pool2d`` pool windows; ``global_avg_pool2d`` averages
whole maps. All three act on every (sample, channel) map separately: the
channel count is unchanged and output channel ``c`` depends only on input
channel ``c``. The windowed pools combine shifted, strided views of the padded
input with ``np.maximum`` or ``np.add``, first along rows (``K_w`` taps) then
along columns (``K_h`` taps), which is faster than reducing a window view and
needs no temporary larger than one padded block of maps.
"""

from __future__ import annotations

import numpy as np

from ._validate import PoolArgs, as_numeric_array, check_ndim
from . import _tiling


def max_pool2d(x, kernel_size, *, stride=None, padding=0, ceil_mode=False):
    r"""Take the maximum of each ``K_h × K_w`` window, map by map.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (int, int)
        Window size (K_h, K_w).
    stride : int or (int, int), optional
        Step between windows; default ``kernel_size`` (non-overlapping).
    padding : int or (int, int), default 0
        Implicit ``-inf`` padding on both sides; at most half the window.
    ceil_mode : bool, default False
        Round the output size up, keeping a last partial window (GoogLeNet, Caffe).

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        ``H_out = floor((H + 2p - K_h) / s) + 1`` (``ceil`` with ``ceil_mode``,
        dropping a last window that would start in the right padding). Same dtype as ``x``.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D, the window is larger than the padded input, padding
        is more than half the window, or a size is not positive.
    TypeError
        If ``x`` is not numeric or a hyperparameter is not an int or pair.

    See Also
    --------
    convbook.max_pool2d_loops : the definition as loops.

    Notes
    -----
    Matches ``torch.nn.functional.max_pool2d`` (without ``dilation`` and
    ``return_indices``). A NaN in a window makes its output NaN.

    Examples
    --------
    AlexNet's overlapping pooling, 3×3 with stride 2, on conv1's 55×55 maps:

    >>> import numpy as np
    >>> max_pool2d(np.zeros((1, 96, 55, 55)), 3, stride=2).shape
    (1, 96, 27, 27)
    """
    args = PoolArgs("max_pool2d", x, kernel_size, stride, padding, ceil_mode)
    fill = -np.inf if args.x.dtype.kind in "fc" else np.iinfo(args.x.dtype).min
    return _pool(args, args.x.dtype, fill, np.maximum)


def avg_pool2d(x, kernel_size, *, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    r"""Average each ``K_h × K_w`` window, map by map.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default ``kernel_size``.
    padding : int or (int, int), default 0
        Implicit zero padding on both sides; at most half the window.
    ceil_mode : bool, default False
    count_include_pad : bool, default True
        Divide by the number of window positions inside the *padded* input
        (padding counted, overhang past it not); if False, only those inside the input.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        Sizes as :func:`max_pool2d`. Floating inputs keep their dtype; integers give float64.

    Raises
    ------
    ValueError, TypeError
        As :func:`max_pool2d`.

    See Also
    --------
    convbook.avg_pool2d_loops : the definition as loops.
    convbook.global_avg_pool2d : one average per map.

    Notes
    -----
    Matches ``torch.nn.functional.avg_pool2d`` (without ``divisor_override``).

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.ones((1, 1, 4, 4)), 2)[0, 0]
    array([[1., 1.],
           [1., 1.]])
    """
    args = PoolArgs("avg_pool2d", x, kernel_size, stride, padding, ceil_mode)
    dtype = np.result_type(args.x.dtype, 1.0)
    total = _pool(args, dtype, 0, np.add)
    divisor = np.multiply.outer(*(
        _window_counts(size, k, s, p, n_out, count_include_pad)
        for size, k, s, p, n_out in zip(args.x.shape[2:], args.kernel_size, args.stride,
                                        args.padding, args.out_shape[2:])
    ))
    total /= divisor.astype(dtype)
    return total


def _pool(args, dtype, fill, combine):
    """Combine the windows of each block of padded maps with ``combine``, one axis at a time.

    A ``K_h × K_w`` window is separable: combining ``K_w`` neighbours along each row,
    then ``K_h`` of those row results along each column, takes
    ``(K_w - 1) + (K_h - 1)`` passes over the block instead of ``K_h·K_w - 1``.
    """
    x = args.x
    n, c, height, width = x.shape
    h_out, w_out = args.out_shape[2:]
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = args.kernel_size, args.stride, args.padding
    # padded extent, including the overhang of a last ceil-mode window
    h_pad = max(height + 2 * p_h, (h_out - 1) * s_h + k_h)
    w_pad = max(width + 2 * p_w, (w_out - 1) * s_w + k_w)
    maps = x.reshape(n * c, height, width)
    out = np.empty((n * c, h_out, w_out), dtype=dtype)
    copy_needed = (h_pad, w_pad) != (height, width) or maps.dtype != dtype
    block = max(1, _tiling.TILE_BYTES // (h_pad * w_pad * np.dtype(dtype).itemsize))
    for m0 in range(0, n * c, block):
        m1 = min(n * c, m0 + block)
        if copy_needed:
            padded = np.full((m1 - m0, h_pad, w_pad), fill, dtype=dtype)
            padded[:, p_h:p_h + height, p_w:p_w + width] = maps[m0:m1]
        else:                                                         # nothing to pad: read the input itself
            padded = maps[m0:m1]
        rows = _combine_taps(padded, 2, k_w, s_w, w_out, combine,
                             np.empty((m1 - m0, h_pad, w_out), dtype=dtype))   # (m, h_pad, W_out)
        _combine_taps(rows, 1, k_h, s_h, h_out, combine, out[m0:m1])            # (m, H_out, W_out)
    return out.reshape(args.out_shape)


def _combine_taps(a, axis, kernel_size, stride, n_out, combine, out):
    """``out`` = ``combine`` of the ``kernel_size`` shifted, strided views of ``a`` along ``axis``."""
    def tap(t):
        index = [slice(None)] * a.ndim
        index[axis] = slice(t, t + stride * (n_out - 1) + 1, stride)
        return a[tuple(index)]

    if kernel_size == 1:
        np.copyto(out, tap(0))
    else:
        combine(tap(0), tap(1), out=out)
    for t in range(2, kernel_size):
        combine(out, tap(t), out=out)
    return out


def _window_counts(size, kernel_size, stride, padding, n_out, count_include_pad):
    """Number of positions each window covers along one axis (PyTorch's divisor rule)."""
    start = np.arange(n_out) * stride - padding
    stop = np.minimum(start + kernel_size, size + padding)
    if count_include_pad:
        return stop - start
    return np.minimum(stop, size) - np.maximum(start, 0)


def global_avg_pool2d(x):
    r"""Average each map over all its pixels (Network in Network, GoogLeNet's last pool).

    Still a per-map operation: output channel ``c`` depends only on input channel ``c``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)

    Returns
    -------
    out : ndarray, shape (N, C, 1, 1)
        As ``torch.nn.functional.adaptive_avg_pool2d(x, 1)``. Integers give float64.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D or has an empty spatial axis.
    TypeError
        If ``x`` is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> global_avg_pool2d(np.arange(8.0).reshape(1, 2, 2, 2)).ravel()
    array([1.5, 5.5])
    """
    func = "global_avg_pool2d"
    x = as_numeric_array(x, func=func, name="x")
    check_ndim(x, 4, "(N, C, H, W)", func=func, name="x")
    if 0 in x.shape[2:]:
        raise ValueError(f"{func}: x must have H >= 1 and W >= 1; got x.shape={x.shape}")
    return x.mean(axis=(2, 3), keepdims=True, dtype=np.result_type(x.dtype, 1.0))
