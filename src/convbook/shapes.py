r"""Output-size arithmetic for one spatial axis: integers only, no arrays.

Three rounding rules appear in the networks this book reproduces:

* **floor** (PyTorch, Caffe and TensorFlow convolutions):
  :math:`\lfloor (H + 2p - d(K-1) - 1)/s \rfloor + 1`;
* **ceil for pooling** (PyTorch ``ceil_mode=True``, Caffe's pooling layer), which
  GoogLeNet's Table 1 needs: the same with :math:`\lceil\cdot\rceil`, dropping the
  last window if it would start inside the right-hand padding;
* **cuda-convnet's ceil** (Krizhevsky's own code):
  :math:`1 + \lceil (2p + H - K)/s \rceil`, which turns AlexNet's 224 into 55.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

from ._validate import as_int, check_non_negative, check_positive, output_length


def conv_output_size(size, kernel_size, *, stride=1, padding=0, dilation=1, ceil_mode=False) -> int:
    r"""Return the number of output positions along one axis.

    Parameters
    ----------
    size : int
        Input length along the axis (``H`` or ``W``).
    kernel_size : int
        Kernel length ``K`` along the axis.
    stride, padding, dilation : int, default 1, 0, 1
        ``padding`` zeros are added on *both* sides; ``dilation=1`` means none.
    ceil_mode : bool, default False
        Round up instead of down, as PyTorch's pooling does with
        ``ceil_mode=True``: a last, partial window is kept when it starts inside
        the input or the left padding.

    Returns
    -------
    int
        ``floor((H + 2p - d*(K - 1) - 1) / s) + 1`` (or ``ceil`` with ``ceil_mode``).

    Raises
    ------
    ValueError
        If ``size`` or ``kernel_size``, ``stride`` or ``dilation`` is not
        positive, ``padding`` is negative, or the dilated kernel does not fit in
        the padded input.

    See Also
    --------
    cuda_convnet_output_size : Krizhevsky's rule, which always rounds up.

    Examples
    --------
    AlexNet's first layer (11×11, stride 4) on the paper's 224 and on 227:

    >>> conv_output_size(224, 11, stride=4), conv_output_size(227, 11, stride=4)
    (54, 55)
    >>> conv_output_size(112, 3, stride=2, ceil_mode=True)   # GoogLeNet's pools
    56
    """
    func = "conv_output_size"
    size, kernel_size, stride, padding, dilation = _check_axis(
        func, size, kernel_size, stride, padding, dilation
    )
    extent = dilation * (kernel_size - 1) + 1
    span = size + 2 * padding - extent
    if span < 0:
        raise ValueError(
            f"{func}: the dilated kernel must fit in the padded input; got kernel extent "
            f"d*(K-1)+1={extent} > size + 2*padding={size + 2 * padding} "
            f"(size={size}, padding={padding}, kernel_size={kernel_size}, dilation={dilation})"
        )
    return output_length(size, extent, stride, padding, ceil_mode=bool(ceil_mode))


def cuda_convnet_output_size(size, kernel_size, *, stride=1, padding=0) -> int:
    r"""Return the output length under cuda-convnet's rule, ``1 + ceil((2p + H - K) / s)``.

    Krizhevsky's cuda-convnet (``layer.py``: ``modulesX = 1 + ceil((2*padding +
    imgSize - filterSize) / stride)``) places as many filter applications as are
    needed to *cover* the padded input, letting the last one overhang the
    bottom/right edge. This is how a 224×224 input gives AlexNet's 55×55 first
    layer with no stated padding.

    Parameters
    ----------
    size, kernel_size : int
        Input and kernel length along the axis.
    stride, padding : int, default 1, 0

    Returns
    -------
    int

    Raises
    ------
    ValueError
        As :func:`conv_output_size`.

    Examples
    --------
    >>> cuda_convnet_output_size(224, 11, stride=4)
    55
    """
    func = "cuda_convnet_output_size"
    size, kernel_size, stride, padding, _ = _check_axis(func, size, kernel_size, stride, padding, 1)
    span = size + 2 * padding - kernel_size
    if span < 0:
        raise ValueError(
            f"{func}: kernel_size must not exceed size + 2*padding; got kernel_size={kernel_size}, "
            f"size={size}, padding={padding}"
        )
    return 1 + math.ceil(span / stride)


class ReceptiveField(NamedTuple):
    """Receptive field of one output unit along one axis."""

    #: Number of input positions that can influence one output unit.
    size: int
    #: Distance, in input positions, between neighbouring output units (the
    #: product of the strides, sometimes called the effective stride).
    jump: int


def receptive_field(layers: Iterable) -> ReceptiveField:
    r"""Return the receptive field of a chain of convolution or pooling layers along one axis.

    With :math:`r_0 = 1, j_0 = 1` and each layer's dilated kernel extent
    :math:`e_l = d_l (K_l - 1) + 1`:
    :math:`r_l = r_{l-1} + (e_l - 1)\, j_{l-1}` and :math:`j_l = j_{l-1} s_l`
    (Araujo et al., *Computing Receptive Fields of Convolutional Neural Networks*,
    Distill 2019). Padding shifts the field but does not change its size.

    Parameters
    ----------
    layers : iterable of (kernel_size, stride) or (kernel_size, stride, dilation)
        The layers from input to output, one axis.

    Returns
    -------
    ReceptiveField
        ``(size, jump)``.

    Raises
    ------
    ValueError
        If a layer is not a pair or triple, or has a non-positive entry.

    Examples
    --------
    Two stacked 3×3 convolutions see 5×5, three see 7×7:

    >>> receptive_field([(3, 1), (3, 1), (3, 1)])
    ReceptiveField(size=7, jump=1)
    """
    func = "receptive_field"
    size, jump = 1, 1
    for index, layer in enumerate(layers):
        layer = tuple(layer)
        if len(layer) not in (2, 3):
            raise ValueError(
                f"{func}: each layer must be (kernel_size, stride) or (kernel_size, stride, dilation); "
                f"got layers[{index}]={layer!r}"
            )
        kernel_size, stride, *rest = (as_int(v, func=func, name=f"layers[{index}]") for v in layer)
        dilation = rest[0] if rest else 1
        if min(kernel_size, stride, dilation) < 1:
            raise ValueError(f"{func}: every entry of a layer must be positive; got layers[{index}]={layer!r}")
        size += dilation * (kernel_size - 1) * jump
        jump *= stride
    return ReceptiveField(size, jump)


def _check_axis(func, size, kernel_size, stride, padding, dilation):
    size = as_int(size, func=func, name="size")
    kernel_size = as_int(kernel_size, func=func, name="kernel_size")
    stride = as_int(stride, func=func, name="stride")
    padding = as_int(padding, func=func, name="padding")
    dilation = as_int(dilation, func=func, name="dilation")
    for name, value in (("size", size), ("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
        check_positive((value,), func=func, name=name)
    check_non_negative((padding,), func=func, name="padding")
    return size, kernel_size, stride, padding, dilation
