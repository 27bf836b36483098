r"""From one description, everything: shapes, counts, weights and a forward pass.

A :class:`Network` is a name, an input shape ``(C, H, W)``, a tuple of layer
records (:mod:`convbook.models.layers`) and a ``source``. The functions here
derive, from that data alone:

* :func:`shape_table`: one :class:`Row` per layer with its output shape, its
  parameter count (:func:`convbook.conv2d_param_count`) and its
  multiply-accumulates on one sample (:func:`convbook.conv2d_macs`);
* :func:`init_weights`: seeded random weights of the right shapes;
* :func:`forward`: the whole network run with the engine's primitives
  (:func:`convbook.conv2d`, :func:`convbook.max_pool2d`, ...), recording
  every intermediate shape so that it can be compared with the table.

A fully connected layer is counted as a 1×1 convolution on a 1×1 map (its
``in_features`` inputs are the channels), which is exactly what it computes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..conv import conv2d
from ..counting import conv2d_macs, conv2d_param_count
from ..lrn import local_response_norm
from ..pool import avg_pool2d, max_pool2d
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


def _all_params(network):
    """Yield ``(name, weight shape, bias shape)`` of every learned layer, inception branches included."""
    for layer in network.layers:
        inner = [x for branch in layer.branches() for x in branch] if isinstance(layer, Inception) else [layer]
        for item in inner:
            if isinstance(item, Conv):
                k = item.kernel_size
                yield item.name, (item.out_channels, item.kernel_depth, k, k), (item.out_channels,)
            elif isinstance(item, Linear):
                yield item.name, (item.out_features, item.in_features), (item.out_features,)


def init_weights(network: Network, rng: np.random.Generator, *, dtype=np.float32) -> dict:
    """Draw random weights for every learned layer (He-scaled uniform, zero biases).

    Weights are uniform in ``[-b, b)`` with ``b = sqrt(6 / fan_in)`` (variance
    ``2 / fan_in``, so activations keep their scale through ReLU layers);
    uniform numbers are several times faster to draw than normal ones.

    Parameters
    ----------
    network : Network
    rng : numpy.random.Generator
        Seeded by the caller, e.g. ``np.random.default_rng(0)``.
    dtype : dtype, default float32

    Returns
    -------
    dict of str to (ndarray, ndarray)
        ``name -> (weight, bias)``: convolutions ``(C_out, C_in / groups, K, K)``
        and ``(C_out,)``; linear layers ``(out_features, in_features)`` and ``(out_features,)``.
        Inception convolutions are keyed ``"3a/1x1"``, ``"3a/3x3_reduce"``, ...

    Raises
    ------
    ValueError
        If ``rng`` is not a ``numpy.random.Generator``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"init_weights: rng must be a numpy.random.Generator; got {type(rng).__name__}")
    dtype = np.dtype(dtype)
    draw = np.float32 if dtype == np.float32 else np.float64       # the generator draws only these two
    weights = {}
    for name, w_shape, b_shape in _all_params(network):
        fan_in = int(np.prod(w_shape[1:]))
        bound = np.sqrt(6.0 / fan_in, dtype=draw)                # variance 2 / fan_in, as He et al.
        weight = rng.random(w_shape, dtype=draw)                 # uniform in [0, 1)
        weight *= 2 * bound
        weight -= bound                                          # uniform in [-bound, bound)
        weights[name] = (weight.astype(dtype, copy=False), np.zeros(b_shape, dtype=dtype))
    return weights


def _run(layer, x, weights):
    if isinstance(layer, Conv):
        weight, bias = weights[layer.name]
        if layer.rounding == "cuda-convnet":                     # zeros where the last window overhangs
            extra = [(conv_out_size(layer, s) - 1) * layer.stride + layer.kernel_size - s - 2 * layer.padding
                     for s in x.shape[2:]]
            x = np.pad(x, ((0, 0), (0, 0), (0, max(extra[0], 0)), (0, max(extra[1], 0))))
        x = conv2d(x, weight, bias, stride=layer.stride, padding=layer.padding, groups=layer.groups)
        return np.maximum(x, 0, out=x) if layer.relu else x
    if isinstance(layer, Pool):
        pool = max_pool2d if layer.kind == "max" else avg_pool2d
        return pool(x, layer.kernel_size, stride=layer.stride, padding=layer.padding, ceil_mode=layer.ceil_mode)
    if isinstance(layer, LRN):
        return local_response_norm(x, layer.size, alpha=layer.alpha, beta=layer.beta, k=layer.k)
    if isinstance(layer, Dropout):
        return x                                                 # identity at inference
    if isinstance(layer, Linear):
        weight, bias = weights[layer.name]
        x = x.reshape(x.shape[0], -1) @ weight.T + bias          # (N, F_in) @ (F_in, F_out)
        return np.maximum(x, 0, out=x) if layer.relu else x
    outs = []                                                    # Inception: four branches
    for branch in layer.branches():
        y = x
        for inner in branch:
            y = _run(inner, y, weights)
        outs.append(y)
    return np.concatenate(outs, axis=1)                          # (N, out_channels, H, W)


def forward(network: Network, x, weights: dict, *, record: list | None = None) -> np.ndarray:
    """Run ``network`` on a batch with the engine's primitives.

    Parameters
    ----------
    network : Network
    x : ndarray, shape (N, C, H, W)
        ``(C, H, W)`` must equal ``network.input_shape``.
    weights : dict
        As returned by :func:`init_weights`.
    record : list, optional
        If given, ``(layer name, output shape)`` is appended for every layer,
        shapes including the batch axis ``N``.

    Returns
    -------
    ndarray, shape (N, F) or (N, C, H, W)
        The last layer's output (logits for a classifier: no softmax).

    Raises
    ------
    ValueError
        If ``x`` does not have shape ``(N, *network.input_shape)`` or a learned
        layer has no entry in ``weights``.
    """
    func = "forward"
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1:] != network.input_shape:
        raise ValueError(
            f"{func}: x must have shape (N, {', '.join(map(str, network.input_shape))}); got x.shape={x.shape}"
        )
    missing = [name for name, _, _ in _all_params(network) if name not in weights]
    if missing:
        raise ValueError(f"{func}: weights must hold every learned layer; got no entry for {missing}")
    for layer in network.layers:
        x = _run(layer, x, weights)
        if record is not None:
            record.append((layer.name, x.shape))
    return x
