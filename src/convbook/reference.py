r"""The definitions, as explicit loops: the book's literal text and the tests' oracle.

Nothing here is vectorised. Every output value is computed by its own loop
over the input values it depends on, exactly as the defining sums are written:

.. math::

    \mathrm{out}[n, o, i, j] = \mathrm{bias}[o] + \sum_{c=0}^{C_\mathrm{in}/G - 1}
        \sum_{u=0}^{K_h-1} \sum_{v=0}^{K_w-1}
        x_\mathrm{pad}[n,\ g C_\mathrm{in}/G + c,\ i s_h + u d_h,\ j s_w + v d_w]\;
        \mathrm{weight}[o, c, u, v],
    \qquad g = \lfloor o / (C_\mathrm{out}/G) \rfloor .

Each function takes an ``order``: the output positions to visit, as index
tuples into the output. Any order that visits each position once gives the
same result, because no output reads another output -- which is why a
framework may compute them all in parallel.

These functions depend only on NumPy and the argument checks, never on the
fast path, so they stay an independent reference. They are slow: use them on
small inputs.
"""

from __future__ import annotations

import itertools

import numpy as np

from ._validate import ConvArgs, PoolArgs


def conv2d_loops(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1, order=None):
    """Compute :func:`convbook.conv2d` by explicit loops over outputs, channels and kernel taps.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in / groups, K_h, K_w)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation : int or (int, int), default 1, 0, 1
    groups : int, default 1
    order : iterable of (n, o, i, j), optional
        Output positions in the order to visit them; each must appear once.
        Default: raster order (``numpy.ndindex`` over the output shape).

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        Same values as :func:`convbook.conv2d` up to floating-point rounding.

    Raises
    ------
    ValueError
        As :func:`convbook.conv2d`, or if ``order`` misses or repeats a position.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_loops(x, np.ones((1, 1, 2, 2)))[0, 0]
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    """
    args = ConvArgs("conv2d_loops", x, weight, bias, stride, padding, dilation, groups, 2)
    return _conv_loops(args, order, "conv2d_loops")


def conv3d_loops(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1, order=None):
    """Compute :func:`convbook.conv3d` by explicit loops.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, D, H, W)
    weight : ndarray, shape (C_out, C_in / groups, K_d, K_h, K_w)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation : int or (int, int, int), default 1, 0, 1
    groups : int, default 1
    order : iterable of (n, o, k, i, j), optional
        Output positions in the order to visit them; each must appear once.

    Returns
    -------
    out : ndarray, shape (N, C_out, D_out, H_out, W_out)
    """
    args = ConvArgs("conv3d_loops", x, weight, bias, stride, padding, dilation, groups, 3)
    return _conv_loops(args, order, "conv3d_loops")


def max_pool2d_loops(x, kernel_size, *, stride=None, padding=0, ceil_mode=False, order=None):
    """Compute :func:`convbook.max_pool2d` by explicit loops: each output is the max of its window.

    Positions in the padding or past the input edge (``ceil_mode``) are skipped,
    which is what padding with ``-inf`` means. ``order`` is as in :func:`conv2d_loops`.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    """
    args = PoolArgs("max_pool2d_loops", x, kernel_size, stride, padding, ceil_mode)
    out = np.empty(args.out_shape, dtype=args.x.dtype)
    for n, c, i, j in _positions(args.out_shape, order, "max_pool2d_loops"):
        best = None
        for h, w in _window(args, i, j, clip_to_input=True):
            value = args.x[n, c, h, w]
            if best is None or value > best or value != value:  # a NaN wins, as in np.maximum
                best = value
        out[n, c, i, j] = best
    return out


def avg_pool2d_loops(x, kernel_size, *, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True, order=None):
    """Compute :func:`convbook.avg_pool2d` by explicit loops: each output is its window's mean.

    The divisor follows PyTorch: with ``count_include_pad`` it counts the window's
    positions inside the padded input (padding included, overhang past it
    excluded); otherwise only the positions inside the input.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    """
    args = PoolArgs("avg_pool2d_loops", x, kernel_size, stride, padding, ceil_mode)
    out = np.empty(args.out_shape, dtype=np.result_type(args.x.dtype, 1.0))  # integers average to float
    for n, c, i, j in _positions(args.out_shape, order, "avg_pool2d_loops"):
        total = 0
        for h, w in _window(args, i, j, clip_to_input=True):
            total += args.x[n, c, h, w]
        divisor = len(_window(args, i, j, clip_to_input=not count_include_pad))
        out[n, c, i, j] = total / divisor
    return out


def _conv_loops(args, order, func):
    x, weight = args.x, args.weight
    out = np.empty(args.out_shape, dtype=args.dtype)
    c_in_g = weight.shape[1]
    c_out_g = weight.shape[0] // args.groups
    spatial = x.shape[2:]
    for position in _positions(args.out_shape, order, func):
        n, o, *out_index = position
        g = o // c_out_g
        total = args.dtype.type(0)
        for c in range(c_in_g):
            for tap in itertools.product(*(range(k) for k in args.kernel_size)):
                # input coordinate along each axis: out * stride - padding + tap * dilation
                index = tuple(
                    i * s - p + t * d
                    for i, s, p, t, d in zip(out_index, args.stride, args.padding, tap, args.dilation)
                )
                if all(0 <= v < size for v, size in zip(index, spatial)):  # outside = zero padding
                    total += x[(n, g * c_in_g + c, *index)] * weight[(o, c, *tap)]
        out[position] = total if args.bias is None else total + args.bias[o]
    return out


def _window(args, i, j, *, clip_to_input):
    """Input positions (h, w) of pooling window (i, j), inside the input or the padded input."""
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = args.kernel_size, args.stride, args.padding
    height, width = args.x.shape[2:]
    low_h, low_w = (0, 0) if clip_to_input else (-p_h, -p_w)
    high_h, high_w = (height, width) if clip_to_input else (height + p_h, width + p_w)
    return [
        (h, w)
        for h in range(i * s_h - p_h, i * s_h - p_h + k_h)
        for w in range(j * s_w - p_w, j * s_w - p_w + k_w)
        if low_h <= h < high_h and low_w <= w < high_w
    ]


def _positions(out_shape, order, func):
    """Yield the output positions of ``order`` (default raster), checking each is visited once."""
    if order is None:
        yield from np.ndindex(*out_shape)
        return
    visited = np.zeros(out_shape, dtype=bool)
    for position in order:
        position = tuple(int(v) for v in position)
        if len(position) != len(out_shape) or not all(0 <= v < s for v, s in zip(position, out_shape)):
            raise ValueError(
                f"{func}: order must hold index tuples into the output of shape {out_shape}; got {position}"
            )
        if visited[position]:
            raise ValueError(f"{func}: order must visit each output position once; got {position} twice")
        visited[position] = True
        yield position
    if not visited.all():
        missing = tuple(int(v) for v in np.argwhere(~visited)[0])
        raise ValueError(
            f"{func}: order must visit every output position; "
            f"missed {int((~visited).sum())} of {visited.size}, e.g. {missing}"
        )
