"""Input checks shared by every public function.

Every public function validates its arguments once, at the top, through the
helpers here; the computation below that point assumes valid input. Messages
follow one format so a reader can see the arithmetic that failed::

    "<function>: <argument> must <rule>; got <values>"
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np


def as_int_tuple(value, length: int, *, func: str, name: str) -> tuple[int, ...]:
    """Normalise an ``int`` or a sequence of ``length`` ints to a tuple.

    Integers are taken through :func:`operator.index`, so ``2.0`` and ``True``
    are rejected rather than silently truncated.
    """
    if type(value) is int:                                            # the common case, checked first
        return (value,) * length
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = tuple(value)
        if len(items) != length:
            raise ValueError(
                f"{func}: {name} must be an int or a sequence of {length} ints; "
                f"got {name}={value!r}"
            )
    else:
        items = (value,) * length
    out = []
    for item in items:
        try:
            if isinstance(item, (bool, np.bool_)):
                raise TypeError
            out.append(operator.index(item))
        except TypeError:
            raise TypeError(
                f"{func}: {name} must be an int or a sequence of {length} ints; "
                f"got {name}={value!r}"
            ) from None
    return tuple(out)


def as_int(value, *, func: str, name: str) -> int:
    """Return ``value`` as a Python int, rejecting floats, bools and sequences."""
    if type(value) is int:
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be an int; got {name}={value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{func}: {name} must be an int; got {name}={value!r}") from None


def check_positive(values: tuple[int, ...], *, func: str, name: str) -> None:
    """Raise ``ValueError`` unless every entry of ``values`` is at least 1."""
    if min(values) < 1:
        raise ValueError(f"{func}: {name} must be positive; got {name}={_show(values)}")


def check_non_negative(values: tuple[int, ...], *, func: str, name: str) -> None:
    """Raise ``ValueError`` if any entry of ``values`` is negative."""
    if min(values) < 0:
        raise ValueError(f"{func}: {name} must be non-negative; got {name}={_show(values)}")


def as_numeric_array(value, *, func: str, name: str) -> np.ndarray:
    """Return ``value`` as an ndarray with a numeric (integer, float or complex) dtype.

    Booleans, strings and objects raise ``TypeError``. The input is never copied
    or modified here.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "iufc":                             # signed, unsigned, float, complex
        raise TypeError(f"{func}: {name} must have a numeric dtype; got dtype={array.dtype}")
    return array


def check_ndim(array: np.ndarray, ndim: int, layout: str, *, func: str, name: str) -> None:
    """Raise ``ValueError`` unless ``array`` has ``ndim`` axes laid out as ``layout``."""
    if array.ndim != ndim:
        raise ValueError(
            f"{func}: {name} must be {ndim}-D {layout}; got {name}.shape={array.shape}"
        )


def _show(values: tuple[int, ...]):
    """Show a one-entry tuple as its int, a longer one as the tuple."""
    return values[0] if len(values) == 1 else values


def output_length(size: int, extent: int, stride: int, padding: int, *, ceil_mode: bool = False) -> int:
    """Return the number of windows of ``extent`` positions along a padded axis.

    Floor rule by default; with ``ceil_mode`` a last partial window is kept
    unless it would start inside the right-hand padding (PyTorch's rule).
    Arguments are assumed valid (``extent <= size + 2 * padding``).
    """
    span = size + 2 * padding - extent
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


_LAYOUTS = {2: ("(N, C_in, H, W)", "(C_out, C_in/groups, K_h, K_w)", ("height", "width")),
            3: ("(N, C_in, D, H, W)", "(C_out, C_in/groups, K_d, K_h, K_w)", ("depth", "height", "width"))}


class ConvArgs:
    """Validated arguments of an N-d convolution (N = 2 or 3 spatial axes).

    Attributes hold arrays cast to the result dtype and hyperparameters as
    tuples with one entry per spatial axis.
    """

    def __init__(self, func, x, weight, bias, stride, padding, dilation, groups, spatial_dims):
        self.func = func                                             # the public name, for messages
        x_layout, w_layout, axis_names = _LAYOUTS[spatial_dims]
        x = as_numeric_array(x, func=func, name="x")
        weight = as_numeric_array(weight, func=func, name="weight")
        check_ndim(x, spatial_dims + 2, x_layout, func=func, name="x")
        check_ndim(weight, spatial_dims + 2, w_layout, func=func, name="weight")
        if bias is not None:
            bias = as_numeric_array(bias, func=func, name="bias")
        self.stride = as_int_tuple(stride, spatial_dims, func=func, name="stride")
        self.padding = as_int_tuple(padding, spatial_dims, func=func, name="padding")
        self.dilation = as_int_tuple(dilation, spatial_dims, func=func, name="dilation")
        self.groups = as_int(groups, func=func, name="groups")
        check_positive(self.stride, func=func, name="stride")
        check_non_negative(self.padding, func=func, name="padding")
        check_positive(self.dilation, func=func, name="dilation")
        check_positive((self.groups,), func=func, name="groups")

        in_channels, out_channels = x.shape[1], weight.shape[0]
        if in_channels % self.groups:
            raise ValueError(
                f"{func}: groups must divide in_channels; got in_channels={in_channels}, groups={self.groups}"
            )
        if out_channels % self.groups:
            raise ValueError(
                f"{func}: groups must divide out_channels; got out_channels={out_channels} "
                f"(weight.shape[0]), groups={self.groups}"
            )
        if weight.shape[1] * self.groups != in_channels:
            raise ValueError(
                f"{func}: in_channels must equal weight.shape[1] * groups; got in_channels={in_channels} "
                f"(x.shape={x.shape}), weight.shape[1]={weight.shape[1]}, groups={self.groups}"
            )
        if bias is not None and bias.shape != (out_channels,):
            raise ValueError(
                f"{func}: bias must have shape (C_out,) = ({out_channels},); got bias.shape={bias.shape}"
            )
        kernel_size = weight.shape[2:]
        if 0 in kernel_size:
            raise ValueError(f"{func}: kernel sizes must be positive; got weight.shape={weight.shape}")
        out_size = []
        for axis, name in enumerate(axis_names):
            size, k = x.shape[2 + axis], kernel_size[axis]
            s, p, d = self.stride[axis], self.padding[axis], self.dilation[axis]
            extent = d * (k - 1) + 1
            if extent > size + 2 * p:
                raise ValueError(
                    f"{func}: the dilated kernel must fit in the padded input; got {name}: "
                    f"d*(K-1)+1 = {d}*({k}-1)+1 = {extent} > size + 2*padding = {size}+2*{p} = {size + 2 * p}"
                )
            out_size.append(output_length(size, extent, s, p))

        self.dtype = np.result_type(x, weight, *(() if bias is None else (bias,)))
        self.x = x.astype(self.dtype, copy=False)
        self.weight = weight.astype(self.dtype, copy=False)
        self.bias = None if bias is None else bias.astype(self.dtype, copy=False)
        self.kernel_size = tuple(kernel_size)
        self.out_shape = (x.shape[0], out_channels, *out_size)


class PoolArgs:
    """Validated arguments of a 2-D pooling layer, with PyTorch's semantics."""

    def __init__(self, func, x, kernel_size, stride, padding, ceil_mode):
        x = as_numeric_array(x, func=func, name="x")
        check_ndim(x, 4, "(N, C, H, W)", func=func, name="x")
        self.kernel_size = as_int_tuple(kernel_size, 2, func=func, name="kernel_size")
        self.stride = self.kernel_size if stride is None else as_int_tuple(stride, 2, func=func, name="stride")
        self.padding = as_int_tuple(padding, 2, func=func, name="padding")
        check_positive(self.kernel_size, func=func, name="kernel_size")
        check_positive(self.stride, func=func, name="stride")
        check_non_negative(self.padding, func=func, name="padding")
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{func}: padding must be at most half of kernel_size; "
                f"got padding={self.padding}, kernel_size={self.kernel_size}"
            )
        out_size = []
        for axis, name in enumerate(("height", "width")):
            size, k, s, p = x.shape[2 + axis], self.kernel_size[axis], self.stride[axis], self.padding[axis]
            if k > size + 2 * p:
                raise ValueError(
                    f"{func}: the pooling window must fit in the padded input; got {name}: "
                    f"kernel_size={k} > size + 2*padding = {size}+2*{p} = {size + 2 * p}"
                )
            out_size.append(output_length(size, k, s, p, ceil_mode=ceil_mode))
        self.x = x
        self.ceil_mode = bool(ceil_mode)
        self.out_shape = (*x.shape[:2], *out_size)
