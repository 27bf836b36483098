r"""Operations that look *across* maps at one pixel: what pooling within a map does not do.

Pooling (:mod:`convbook.pool`, global average pooling included) combines
pixels of one map. The operations here combine the values of several maps at
the same pixel: :func:`maxout` (a maximum over groups of maps) and
:func:`local_response_norm` (AlexNet's normalisation across adjacent maps).
"""

from __future__ import annotations

import numpy as np

from ._validate import as_int, as_numeric_array, check_ndim, check_positive


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


def local_response_norm(x, size=5, *, alpha=1e-4, beta=0.75, k=2.0):
    r"""Normalise each value by the energy of the same pixel in ``size`` adjacent maps.

    In the form of Krizhevsky et al. (2012), §3.3:

    .. math::

        b^i_{x,y} = a^i_{x,y} \Big/ \Big(k + \alpha \sum_{j=\max(0,\,i-n/2)}^{\min(N-1,\,i+n/2)}
        \big(a^j_{x,y}\big)^2\Big)^{\beta}

    where ``n = size`` and ``N`` is the number of maps. The defaults are the
    paper's constants, ``k = 2, n = 5, alpha = 1e-4, beta = 0.75``. This looks
    *across* maps, at one pixel: it is a normalisation, not a pooling, and it
    keeps the number of maps.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    size : int, default 5
        Number of adjacent maps ``n`` in the sum, the map itself included. For
        an even ``size`` the window is ``size // 2`` maps before and
        ``(size - 1) // 2`` after, as in PyTorch.
    alpha : float, default 1e-4
        Multiplies the *plain* sum of squares (not divided by ``size``).
    beta : float, default 0.75
    k : float, default 2.0

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
        Floating inputs keep their dtype; integers give float64.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D or ``size`` is not positive.
    TypeError
        If ``x`` is not numeric or ``size`` is not an int.

    Notes
    -----
    The frameworks parameterise the same operation differently; with the
    paper's constants:

    * PyTorch ``nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2)``:
      it divides ``alpha`` by ``size``;
    * Caffe ``LRN`` (``ACROSS_CHANNELS``) ``local_size: 5, alpha: 5e-4, beta: 0.75, k: 2``:
      also ``alpha / n``, and ``k`` defaults to 1;
    * TensorFlow ``tf.nn.local_response_normalization(depth_radius=2, bias=2,
      alpha=1e-4, beta=0.75)``: a radius (window ``2 r + 1``) and a plain sum.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 5, 1, 1))
    >>> out = local_response_norm(x)                    # paper constants
    >>> bool(np.isclose(out[0, 2, 0, 0], 1 / (2 + 1e-4 * 5) ** 0.75))
    True
    """
    func = "local_response_norm"
    x = as_numeric_array(x, func=func, name="x")
    check_ndim(x, 4, "(N, C, H, W)", func=func, name="x")
    size = as_int(size, func=func, name="size")
    check_positive((size,), func=func, name="size")
    dtype = np.result_type(x.dtype, 1.0)
    x = x.astype(dtype, copy=False)
    channels = x.shape[1]
    before, after = size // 2, (size - 1) // 2
    squares = np.square(x)
    energy = np.zeros_like(x)
    for shift in range(-before, after + 1):                       # add map i + shift to map i
        lo, hi = max(0, -shift), min(channels, channels - shift)
        if lo < hi:
            energy[:, lo:hi] += squares[:, lo + shift:hi + shift]
    return x / (k + alpha * energy) ** beta
