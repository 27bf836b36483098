r"""Running a described network: seeded weights and a forward pass with the engine.

* :func:`init_weights`: seeded random weights of the right shapes for every
  learned layer of a :class:`~convbook.models.network.Network`;
* :func:`forward`: the whole network run with the engine's primitives
  (:func:`convbook.conv2d`, :func:`convbook.max_pool2d`, ...), recording
  every intermediate shape so that it can be compared with
  :func:`~convbook.models.network.shape_table`.
"""

from __future__ import annotations

import numpy as np

from ..conv import conv2d
from ..cross_channel import local_response_norm
from ..pool import avg_pool2d, max_pool2d
from .layers import LRN, Conv, Dropout, Inception, Linear, Pool
from .network import Network, conv_out_size

__all__ = ["forward", "init_weights"]


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
