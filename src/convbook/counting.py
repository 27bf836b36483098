r"""Counting: parameters and multiply-accumulates (MACs) of a layer.

Units are in the names. A MAC is one multiplication and one addition; papers
that say "multiply-adds" (GoogLeNet's "ops" column) count MACs. "FLOPs" is
ambiguous -- some tools count a MAC as one, others as two -- so the engine
never uses the word.
"""

from __future__ import annotations

import math

from ._validate import as_int, as_int_tuple, check_positive


def conv2d_param_count(c_in, c_out, kernel_size, *, groups=1, bias=True) -> int:
    r"""Return the number of learned values of a :func:`convbook.conv2d` layer.

    ``C_out · (C_in / G) · K_h · K_w`` weights, plus ``C_out`` biases.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    kernel_size : int or (int, int)
    groups : int, default 1
    bias : bool, default True

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a size is not positive or ``groups`` does not divide both channel counts.

    Examples
    --------
    The question's second layer, 5×5 from k1 = 32 maps to k2 = 64, without biases:

    >>> conv2d_param_count(32, 64, 5, bias=False)
    51200
    """
    c_in, c_out, (k_h, k_w), groups = _check("conv2d_param_count", c_in, c_out, kernel_size, groups)
    return c_out * (c_in // groups) * k_h * k_w + (c_out if bias else 0)


def conv2d_macs(c_in, c_out, kernel_size, output_size, *, groups=1) -> int:
    r"""Return the multiply-accumulates of one :func:`convbook.conv2d` layer on one sample.

    ``H_out · W_out · C_out · (C_in / G) · K_h · K_w``: every output value is a
    sum of ``(C_in / G) · K_h · K_w`` products. Biases are not counted.

    Parameters
    ----------
    c_in, c_out : int
    kernel_size : int or (int, int)
    output_size : int or (int, int)
        ``(H_out, W_out)``.
    groups : int, default 1

    Returns
    -------
    int

    Raises
    ------
    ValueError
        As :func:`conv2d_param_count`, or if ``output_size`` is not positive.

    Examples
    --------
    GoogLeNet's inception (3a) 3×3 branch, 96 → 128 maps at 28×28:

    >>> conv2d_macs(96, 128, 3, 28)
    86704128
    """
    func = "conv2d_macs"
    c_in, c_out, (k_h, k_w), groups = _check(func, c_in, c_out, kernel_size, groups)
    output_size = as_int_tuple(output_size, 2, func=func, name="output_size")
    check_positive(output_size, func=func, name="output_size")
    return math.prod(output_size) * c_out * (c_in // groups) * k_h * k_w


def _check(func, c_in, c_out, kernel_size, groups):
    c_in = as_int(c_in, func=func, name="c_in")
    c_out = as_int(c_out, func=func, name="c_out")
    kernel_size = as_int_tuple(kernel_size, 2, func=func, name="kernel_size")
    groups = as_int(groups, func=func, name="groups")
    for name, value in (("c_in", c_in), ("c_out", c_out), ("groups", groups)):
        check_positive((value,), func=func, name=name)
    check_positive(kernel_size, func=func, name="kernel_size")
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{func}: groups must divide c_in and c_out; got c_in={c_in}, c_out={c_out}, groups={groups}"
        )
    return c_in, c_out, kernel_size, groups
