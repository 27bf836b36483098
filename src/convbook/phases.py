r"""A strided layer as a stride-1 layer on the input's phases (space-to-depth).

With stride :math:`s`, output ``(i, j)`` reads the padded input at rows
:math:`i s + u` and columns :math:`j s + v`. Write each tap as
:math:`u = p s + a` with phase :math:`0 \le a < s`: the tap reads row
:math:`(i + p) s + a`, which is row :math:`i + p` of *phase* ``a``, the rows
``a, a + s, a + 2s, ...``. So the layer equals a stride-1 layer on
``C_in · s_h · s_w`` maps (every channel split into its ``s_h × s_w`` phases) with
kernels of ``⌈K_h / s_h⌉ × ⌈K_w / s_w⌉`` taps, the taps past ``K`` set to zero:

.. math::

    \mathrm{out}[n, o, i, j] = \sum_{c, a, b, p, q}
        \underbrace{w[o, c, p s_h + a, q s_w + b]}_{\texttt{fold\_weight}}\,
        \underbrace{x_\mathrm{pad}[n, c, (i + p) s_h + a, (j + q) s_w + b]}_{\texttt{fold\_input}}

AlexNet's conv1, 11×11 with stride 4 on 3 maps, becomes a 3×3 layer with stride 1
on 48 maps of 57×57 (one zero tap row and column per phase: 432 taps for 363), which
Winograd's F(4×4, 3×3) computes with about a third of the multiplications of the
definition (:mod:`convbook.winograd`). The folds are copies of the input and the weight, each
ordered (channel, row phase, column phase), so the channel groups of a grouped layer
stay consecutive blocks.
"""

from __future__ import annotations

import math

import numpy as np


def folded_kernel(kernel_size, stride):
    """The kernel size of the folded layer: ``⌈K / s⌉`` per axis.

    Examples
    --------
    >>> folded_kernel((11, 11), (4, 4))      # AlexNet's conv1
    (3, 3)
    """
    return tuple(-(-k // s) for k, s in zip(kernel_size, stride))


def fold_input(x, stride, padding, out_size, kernel_size, scratch=None):
    """Split every channel of the zero-padded input into its phases: the folded layer's input.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    stride, padding : (int, int)
    out_size : (int, int)
        ``(H_out, W_out)`` of the strided layer.
    kernel_size : (int, int)
        ``(K_h, K_w)`` of the strided layer.
    scratch : convbook._tiling.Scratch, optional
        Buffers to build the result in (the engine's, reused between calls); new arrays if omitted.

    Returns
    -------
    folded : ndarray, shape (N, C_in·s_h·s_w, H_out + ⌈K_h/s_h⌉ - 1, W_out + ⌈K_w/s_w⌉ - 1)
        ``folded[n, (c·s_h + a)·s_w + b, i, j] = x_pad[n, c, i·s_h + a, j·s_w + b]``,
        zero where that lies outside the input (padding, or past its far edge).

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> fold_input(x, (2, 2), (0, 0), (2, 2), (2, 2))[0, :, 0, 0]    # the 4 phases of the first 2x2 block
    array([0., 1., 4., 5.])
    """
    n, channels, height, width = x.shape
    folded_size = [o + k - 1 for o, k in zip(out_size, folded_kernel(kernel_size, stride))]
    extent = [f * s for f, s in zip(folded_size, stride)]                       # padded rows and columns read
    if scratch is None:
        padded = np.zeros((n, channels, *extent), dtype=x.dtype)
    else:
        padded = scratch.take("phases_padded", (n, channels, *extent))
        padded.fill(0)
    inside = [max(0, min(size, e - p)) for size, e, p in zip((height, width), extent, padding)]
    padded[:, :, padding[0]:padding[0] + inside[0], padding[1]:padding[1] + inside[1]] = \
        x[:, :, :inside[0], :inside[1]]
    (s_h, s_w), (f_h, f_w) = stride, folded_size
    phases = padded.reshape(n, channels, f_h, s_h, f_w, s_w).transpose(0, 1, 3, 5, 2, 4)   # (n, c, a, b, i, j)
    if scratch is None:
        folded = np.empty(phases.shape, dtype=x.dtype)
    else:
        folded = scratch.take("phases", phases.shape)
    np.copyto(folded, phases)
    return folded.reshape(n, channels * s_h * s_w, f_h, f_w)


def fold_weight(weight, stride):
    """Split every filter into the taps that read each phase: the folded layer's weight.

    Parameters
    ----------
    weight : ndarray, shape (C_out, C_in / groups, K_h, K_w)
    stride : (int, int)

    Returns
    -------
    folded : ndarray, shape (C_out, C_in/groups·s_h·s_w, ⌈K_h/s_h⌉, ⌈K_w/s_w⌉)
        ``folded[o, (c·s_h + a)·s_w + b, p, q] = weight[o, c, p·s_h + a, q·s_w + b]``,
        zero for taps past the kernel's edge.
    """
    c_out, c_in_g, k_h, k_w = weight.shape
    (s_h, s_w), (f_h, f_w) = stride, folded_kernel((k_h, k_w), stride)
    padded = np.zeros((c_out, c_in_g, f_h * s_h, f_w * s_w), dtype=weight.dtype)
    padded[:, :, :k_h, :k_w] = weight
    phases = padded.reshape(c_out, c_in_g, f_h, s_h, f_w, s_w).transpose(0, 1, 3, 5, 2, 4)  # (o, c, a, b, p, q)
    return np.ascontiguousarray(phases).reshape(c_out, c_in_g * s_h * s_w, f_h, f_w)


def folded_input_bytes(args):
    """Bytes of :func:`fold_input`'s result for validated 2-D ``args`` (its padded copy takes as many)."""
    n, c_in = args.x.shape[:2]
    folded = folded_kernel(args.kernel_size, args.stride)
    return (n * c_in * math.prod(args.stride) * math.prod(o + f - 1 for o, f in zip(args.out_shape[2:], folded))
            * args.x.itemsize)
