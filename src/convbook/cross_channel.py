r"""Operations that look *across* maps: what pooling within a map does not do.

Standard pooling (:mod:`convbook.pool`) combines neighbouring pixels of one map.
The operations here combine values of several maps at the same pixel, or a
whole map into one number.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_int, as_numeric_array, check_ndim, check_positive


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


def maxout(x, pieces):
    r"""Take the maximum over each group of ``pieces`` adjacent maps (Goodfellow et al. 2013).

    Output map ``j`` is the elementwise maximum of input maps
    ``j*pieces, ..., j*pieces + pieces - 1``: pooling *across* channels at each
    pixel, which divides the channel count by ``pieces``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    pieces : int
        Maps per group (``k`` in the maxout paper); must divide ``C``.

    Returns
    -------
    out : ndarray, shape (N, C / pieces, H, W)

    Raises
    ------
    ValueError
        If ``x`` is not 4-D, ``pieces`` is not positive or does not divide ``C``.
    TypeError
        If ``x`` is not numeric or ``pieces`` is not an int.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 5.0, 2.0, 0.0]).reshape(1, 4, 1, 1)
    >>> maxout(x, 2).ravel()
    array([5., 2.])
    """
    func = "maxout"
    x = as_numeric_array(x, func=func, name="x")
    check_ndim(x, 4, "(N, C, H, W)", func=func, name="x")
    pieces = as_int(pieces, func=func, name="pieces")
    check_positive((pieces,), func=func, name="pieces")
    n, c, h, w = x.shape
    if c % pieces:
        raise ValueError(f"{func}: pieces must divide the channel count C; got C={c}, pieces={pieces}")
    return x.reshape(n, c // pieces, pieces, h, w).max(axis=2)
