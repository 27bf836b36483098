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
from .conv import _conv


def conv2d_type1(x, weight, *, stride=1, padding=0, dilation=1):
    r"""Type 1: apply every 2-D filter to every input map separately.

    Output map ``c · K + k`` is input map ``c`` cross-correlated with filter
    ``k``. Maps multiply from layer to layer (``C_in · K``), and each output
    pixel reads ``K_h · K_w`` values of one map. This is depthwise convolution
    with one filter bank shared by all maps: ``conv2d`` with ``groups=C_in``
    and the bank repeated for every map.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (K, K_h, K_w)
        ``K`` two-dimensional filters, shared by all maps.
    stride, padding, dilation : int or (int, int), default 1, 0, 1

    Returns
    -------
    out : ndarray, shape (N, C_in * K, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        If ``weight`` is not 3-D, or as :func:`convbook.conv2d`.
    """
    x, weight = _check("conv2d_type1", x, weight)
    c_in = x.shape[1]
    depthwise = np.tile(weight, (c_in, 1, 1))[:, None]              # (C_in*K, 1, K_h, K_w)
    return _conv(ConvArgs("conv2d_type1", x, depthwise, None, stride, padding, dilation, c_in, 2))


def conv2d_type2_1(x, weight, *, stride=1, padding=0, dilation=1):
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
    stride, padding, dilation : int or (int, int), default 1, 0, 1

    Returns
    -------
    out : ndarray, shape (N, K, H_out, W_out)

    Raises
    ------
    ValueError, TypeError
        If ``weight`` is not 3-D, or as :func:`convbook.conv2d`.
    """
    x, weight = _check("conv2d_type2_1", x, weight)
    shared = np.broadcast_to(weight[:, None], (weight.shape[0], x.shape[1], *weight.shape[1:]))
    return _conv(ConvArgs("conv2d_type2_1", x, shared, None, stride, padding, dilation, 1, 2))


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
    return _conv(ConvArgs("conv2d_type2_2", x, weight, bias, stride, padding, dilation, 1, 2))


def _check(func, x, weight):
    x = as_numeric_array(x, func=func, name="x")
    weight = as_numeric_array(weight, func=func, name="weight")
    check_ndim(x, 4, "(N, C_in, H, W)", func=func, name="x")
    check_ndim(weight, 3, "(K, K_h, K_w)", func=func, name="weight")
    return x, weight
