r"""A network described as data, and what the description alone gives: shapes and counts.

A :class:`Network` is a name, an input shape ``(C, H, W)``, a tuple of layer
records (:mod:`convbook.models.layers`) and a ``source``. The functions here
derive, from that data alone, :func:`shape_table`: one :class:`Row` per layer
with its output shape, its parameter count (:func:`convbook.conv2d_param_count`)
and its multiply-accumulates on one sample (:func:`convbook.conv2d_macs`), and
:func:`totals`. Running a network (weights, a forward pass) is
:mod:`convbook.models.run`.

A fully connected layer is counted as a 1×1 convolution on a 1×1 map (its
``in_features`` inputs are the channels), which is exactly what it computes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..counting import conv2d_macs, conv2d_param_count
from ..shapes import conv_output_size, cuda_convnet_output_size
from .layers import LRN, Conv, Dropout, Inception, Linear, Pool


@dataclass(frozen=True, slots=True)
class Published:
    """A number printed in a source, with the source next to it.

    Parameters
    ----------
    value : int or float
        As printed, in ``unit``.
    unit : str
        E.g. ``"params"``, ``"K params"``, ``"M multiply-adds"``.
    source : str
        Paper (or repository/docs) and section, table or figure.
    """

    value: int | float
    unit: str
    source: str


@dataclass(frozen=True, slots=True)
class Network:
    """A network as data.

    Parameters
    ----------
    name : str
    input_shape : (int, int, int)
        ``(C, H, W)`` of one input sample.
    layers : tuple of layer records
        In order; an :class:`~convbook.models.layers.Inception` counts as one layer.
    source : str
        Where the description comes from (paper and section/table/figure).

    Raises
    ------
    ValueError
        If the layers do not chain: a layer's ``in_channels`` (``in_features``)
        differs from what reaches it, a window does not fit, or two layers share a name.
    """

    name: str
    input_shape: tuple[int, int, int]
    layers: tuple
    source: str

    def __post_init__(self):
        shape = tuple(self.input_shape)
        if len(shape) != 3 or any(not isinstance(v, int) or v < 1 for v in shape):
            raise ValueError(f"Network: input_shape must be 3 positive ints (C, H, W); got input_shape={shape!r}")
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "layers", tuple(self.layers))
        names = [layer.name for layer in self.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Network: layer names must be unique; got duplicates {duplicates}")
        _derive(self)                                            # raises if the layers do not chain

    def __getitem__(self, name: str):
        """The layer record called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"Network {self.name!r} has no layer {name!r}; layers: {[layer.name for layer in self.layers]}")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a :func:`shape_table`.

    Attributes
    ----------
    name, kind : str
        The layer's name and type (``"conv"``, ``"max pool"``, ``"inception"``, ...).
    in_shape, out_shape : tuple of int
        Per sample: ``(C, H, W)``, or ``(F,)`` after a linear layer.
    params : int
        Learned values (weights, plus biases if asked for).
    macs : int
        Multiply-accumulates of the weights on one sample (0 for pooling, LRN, dropout).
    """

    name: str
    kind: str
    in_shape: tuple
    out_shape: tuple
    params: int
    macs: int


def conv_out_size(layer: Conv, size: int) -> int:
    """Output length of a :class:`~convbook.models.layers.Conv` along one axis, with its rounding rule."""
    rule = cuda_convnet_output_size if layer.rounding == "cuda-convnet" else conv_output_size
    return rule(size, layer.kernel_size, stride=layer.stride, padding=layer.padding)


def _layer(layer, shape, bias):
    """Return ``(kind, out_shape, params, macs)`` of ``layer`` on an input of ``shape``."""
    func = "shape_table"
    if isinstance(layer, Inception | Conv) and (len(shape) != 3 or shape[0] != layer.in_channels):
        raise ValueError(
            f"{func}: in_channels of layer {layer.name!r} must equal the channels reaching it; "
            f"got in_channels={layer.in_channels}, input shape {shape}"
        )
    if isinstance(layer, Conv):
        c, h, w = shape
        size = (conv_out_size(layer, h), conv_out_size(layer, w))
        k, g = layer.kernel_size, layer.groups
        params = conv2d_param_count(c, layer.out_channels, k, groups=g, bias=bias)
        return "conv", (layer.out_channels, *size), params, conv2d_macs(c, layer.out_channels, k, size, groups=g)
    if isinstance(layer, Inception):
        params = macs = 0
        for branch in layer.branches():
            branch_shape = shape
            for inner in branch:
                _, branch_shape, p, m = _layer(inner, branch_shape, bias)
                params, macs = params + p, macs + m
        return "inception", (layer.out_channels, *branch_shape[1:]), params, macs
    if isinstance(layer, Pool):
        if len(shape) != 3:
            raise ValueError(f"{func}: the input of pooling layer {layer.name!r} must be (C, H, W); got {shape}")
        size = tuple(conv_output_size(s, layer.kernel_size, stride=layer.stride, padding=layer.padding,
                                      ceil_mode=layer.ceil_mode) for s in shape[1:])
        return f"{layer.kind} pool", (shape[0], *size), 0, 0
    if isinstance(layer, LRN):
        return "LRN", shape, 0, 0
    if isinstance(layer, Dropout):
        return "dropout", shape, 0, 0
    if isinstance(layer, Linear):
        flat = int(np.prod(shape))
        if flat != layer.in_features:
            raise ValueError(
                f"{func}: in_features of layer {layer.name!r} must equal the flattened input C*H*W; "
                f"got in_features={layer.in_features}, input shape {shape} ({flat} values)"
            )
        n_in, n_out = layer.in_features, layer.out_features
        return "linear", (n_out,), conv2d_param_count(n_in, n_out, 1, bias=bias), conv2d_macs(n_in, n_out, 1, 1)
    raise TypeError(f"{func}: layers must be layer records; got {type(layer).__name__}")


def _derive(network, bias=True):
    rows, shape = [], network.input_shape
    for layer in network.layers:
        kind, out_shape, params, macs = _layer(layer, shape, bias)
        rows.append(Row(layer.name, kind, shape, out_shape, params, macs))
        shape = out_shape
    return tuple(rows)


def shape_table(network: Network, *, bias: bool = True) -> tuple[Row, ...]:
    """Derive every layer's output shape, parameters and multiply-accumulates.

    Parameters
    ----------
    network : Network
    bias : bool, default True
        Count biases as parameters (GoogLeNet's Table 1 counts weights only).

    Returns
    -------
    tuple of Row
        One row per layer, in order; shapes are per sample, ``(C, H, W)`` or ``(F,)``.

    Raises
    ------
    ValueError
        If ``network`` is not a :class:`Network`.

    Examples
    --------
    >>> from convbook.models import alexnet
    >>> [r.out_shape[1] for r in shape_table(alexnet.ALEXNET) if r.kind == "conv"]
    [55, 27, 13, 13, 13]
    """
    if not isinstance(network, Network):
        raise ValueError(f"shape_table: network must be a Network; got {type(network).__name__}")
    return _derive(network, bool(bias))


def totals(network: Network, *, bias: bool = True) -> tuple[int, int]:
    """Return ``(parameters, multiply-accumulates per sample)`` of the whole network."""
    rows = shape_table(network, bias=bias)
    return sum(r.params for r in rows), sum(r.macs for r in rows)


def without_groups(network: Network) -> Network:
    """The same network with every convolution ungrouped (``groups=1``): each filter sees all maps."""
    layers = tuple(replace(layer, groups=1) if isinstance(layer, Conv) else layer for layer in network.layers)
    return replace(network, name=f"{network.name} without groups", layers=layers)
