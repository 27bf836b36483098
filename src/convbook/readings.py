r"""The question's three readings of "a convolution layer after another one".

Each reading is a function of an input stack of ``C_in`` maps and a bank of
``K`` filters. Only :func:`conv2d_type2_2` is the layer deep-learning
frameworks implement; the other two are what readers often imagine, written
out so the book can run them side by side.

======================  =====================  ===========================  ====================
reading                 weight shape           output maps                  inputs per output
======================  =====================  ===========================  ====================
type 1                  (K, K_h, K_w)          ``C_in · K``                 ``K_h · K_w``
type 2.1                (K, K_h, K_w)          ``K``                        ``C_in · K_h · K_w``
type 2.2 (standard)     (K, C_in, K_h, K_w)    ``K``                        ``C_in · K_h · K_w``
======================  =====================  ===========================  ====================
"""

from __future__ import annotations

import numpy as np

from ._validate import ConvArgs, as_numeric_array, check_ndim
from .conv import conv2d


def conv2d_type1(x, weight, bias=None, *, stride=1, padding=0, dilation=1):
    r"""Type 1: apply every 2-D filter to every input map separately.

    Map order: output map ``c · K + k`` is input map ``c`` cross-correlated
    with filter ``k`` (plus ``bias[k]``), so the ``K`` maps made from input
    map 0 come first, then the ``K`` made from map 1, and so on. Maps multiply
    from layer to layer (``C_in · K``), and each output pixel reads
    ``K_h · K_w`` values of one map. This is depthwise convolution with one
    filter bank shared by all maps: ``conv2d`` with ``groups=C_in`` and the
    bank (and its biases) repeated for every map.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (K, K_h, K_w)
        ``K`` two-dimensional filters, shared by all maps.
    bias : ndarray, shape (K,), optional
        One bias per filter: ``bias[k]`` is added to every map filter ``k``
        makes (maps ``c · K + k`` for every ``c``).
    stride, padding, dilation : int or (int, int), default 1, 0, 1

    Returns
    -------
    out : ndarray, shape (N, C_in * K, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        If ``weight`` is not 3-D, ``bias`` is not of shape ``(K,)``, or as
        :func:`convbook.conv2d`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.stack([np.full((3, 3), 1.0), np.full((3, 3), 10.0)])[None]   # C_in = 2 maps
    >>> weight = np.stack([np.ones((2, 2)), -np.ones((2, 2))])               # K = 2 filters
    >>> conv2d_type1(x, weight, np.array([0.5, 0.0]))[0, :, 0, 0]            # map c·K + k
    array([  4.5,  -4. ,  40.5, -40. ])
    """
    x, weight, bias = _check("conv2d_type1", x, weight, bias)
    c_in = x.shape[1]
    depthwise = np.tile(weight, (c_in, 1, 1))[:, None]              # (C_in*K, 1, K_h, K_w)
    biases = None if bias is None else np.tile(bias, c_in)          # (C_in*K,): bias[k] at c*K + k
    return _run(ConvArgs("conv2d_type1", x, depthwise, biases, stride, padding, dilation, c_in, 2))


def conv2d_type2_1(x, weight, bias=None, *, stride=1, padding=0, dilation=1):
    r"""Type 2.1: one 2-D filter, reused on every input map, responses summed.

    Output map ``k`` is the sum over maps ``c`` of map ``c`` cross-correlated
    with the *same* filter ``k``. Each output pixel reads ``C_in · K_h · K_w``
    values, but since the weights do not depend on ``c`` this equals filtering
    the channel sum: the layer cannot tell its input maps apart. As a standard
    layer: ``conv2d`` with the filter broadcast to ``(K, C_in, K_h, K_w)``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (K, K_h, K_w)
    bias : ndarray, shape (K,), optional
        ``bias[k]`` is added once to output map ``k`` (after the sum over maps).
    stride, padding, dilation : int or (int, int), default 1, 0, 1

    Returns
    -------
    out : ndarray, shape (N, K, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        If ``weight`` is not 3-D, ``bias`` is not of shape ``(K,)``, or as
        :func:`convbook.conv2d`.
    """
    x, weight, bias = _check("conv2d_type2_1", x, weight, bias)
    shared = np.broadcast_to(weight[:, None], (weight.shape[0], x.shape[1], *weight.shape[1:]))
    return _run(ConvArgs("conv2d_type2_1", x, shared, bias, stride, padding, dilation, 1, 2))


def conv2d_type2_2(x, weight, bias=None, *, stride=1, padding=0, dilation=1):
    r"""Type 2.2, the standard layer: every filter has its own 2-D slice for every input map.

    Exactly :func:`convbook.conv2d` with ``groups=1``; named here so the three
    readings can be called alike.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (K, C_in, K_h, K_w)
    bias : ndarray, shape (K,), optional
    stride, padding, dilation : int or (int, int), default 1, 0, 1

    Returns
    -------
    out : ndarray, shape (N, K, H_out, W_out)
    """
    return _run(ConvArgs("conv2d_type2_2", x, weight, bias, stride, padding, dilation, 1, 2))


def _check(func, x, weight, bias):
    x = as_numeric_array(x, func=func, name="x")
    weight = as_numeric_array(weight, func=func, name="weight")
    check_ndim(x, 4, "(N, C_in, H, W)", func=func, name="x")
    check_ndim(weight, 3, "(K, K_h, K_w)", func=func, name="weight")
    if bias is not None:
        bias = as_numeric_array(bias, func=func, name="bias")
        if bias.shape != weight.shape[:1]:
            raise ValueError(f"{func}: bias must have shape (K,) = ({weight.shape[0]},), one per filter; "
                             f"got bias.shape={bias.shape}")
    return x, weight, bias


def _run(args: ConvArgs):
    """``conv2d`` on arguments already validated under the reading's own name (so errors name it)."""
    return conv2d(args.x, args.weight, args.bias, stride=args.stride, padding=args.padding,
                  dilation=args.dilation, groups=args.groups)
