r"""GoogLeNet (Szegedy et al. 2015), described as data: Table 1 and Figure 3.

Every convolution is type 2.2 (each filter spans all input maps), including
the 1×1 reductions. The description follows Table 1 row by row, plus what
Table 1 leaves out and the Caffe replication ``bvlc_googlenet`` supplies:

* the two local response normalizations of the stem (Figure 3; not in the
  text or in Table 1), after the first max pool and after the 3×3 convolution,
  with Caffe's ``local_size: 5, alpha: 0.0001, beta: 0.75`` and ``k = 1``.
  Caffe divides ``alpha`` by the window size, so in the paper form of
  :func:`convbook.local_response_norm` this is ``alpha = 1e-4 / 5 = 2e-5``;
* the paddings (3 for the 7×7, 1 for 3×3, 2 for 5×5) and the rounding of the
  max pools (Caffe rounds up: ``ceil_mode=True``, needed for 112 → 56 → 28 → 14 → 7);
* the auxiliary classifiers are left out: they are discarded at inference.

:data:`INCEPTION` gives the nine modules by label (``INCEPTION["3a"]``),
:data:`SPATIAL_SIZE` the map size each one runs at, and :data:`TABLE1` the
printed table with its ``params`` and ``ops`` columns, for comparison with
:func:`convbook.models.network.shape_table`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layers import LRN, Conv, Dropout, Inception, Linear, Pool
from .network import Network, Published, shape_table

_T1 = "Szegedy et al. 2015, Table 1"

#: The nine Inception modules of Table 1, keyed by label ("3a" ... "5b"). Fields:
#: in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj.
INCEPTION = {
    m.name: m
    for m in (
        Inception("3a", 192, 64, 96, 128, 16, 32, 32),
        Inception("3b", 256, 128, 128, 192, 32, 96, 64),
        Inception("4a", 480, 192, 96, 208, 16, 48, 64),
        Inception("4b", 512, 160, 112, 224, 24, 64, 64),
        Inception("4c", 512, 128, 128, 256, 24, 64, 64),
        Inception("4d", 512, 112, 144, 288, 32, 64, 64),
        Inception("4e", 528, 256, 160, 320, 32, 128, 128),
        Inception("5a", 832, 256, 160, 320, 32, 128, 128),
        Inception("5b", 832, 384, 192, 384, 48, 128, 128),
    )
}

# Caffe bvlc_googlenet: local_size 5, alpha 1e-4 (divided by 5 in Caffe's formula), beta 0.75, k 1.
_LRN = {"size": 5, "alpha": 1e-4 / 5, "beta": 0.75, "k": 1.0}


def _maxpool(name):
    return Pool(name, "max", 3, 2, ceil_mode=True)


GOOGLENET = Network(
    name="GoogLeNet (inference, no auxiliary classifiers)",
    input_shape=(3, 224, 224),
    layers=(
        Conv("conv1", 3, 64, 7, stride=2, padding=3),
        _maxpool("pool1"),
        LRN("norm1", **_LRN),                                      # Figure 3 / Caffe, not in Table 1
        Conv("conv2_reduce", 64, 64, 1),
        Conv("conv2", 64, 192, 3, padding=1),
        LRN("norm2", **_LRN),
        _maxpool("pool2"),
        INCEPTION["3a"], INCEPTION["3b"],
        _maxpool("pool3"),
        INCEPTION["4a"], INCEPTION["4b"], INCEPTION["4c"], INCEPTION["4d"], INCEPTION["4e"],
        _maxpool("pool4"),
        INCEPTION["5a"], INCEPTION["5b"],
        Pool("avgpool", "avg", 7, 1),
        Dropout("dropout", 0.4),
        Linear("linear", 1024, 1000, relu=False),                  # logits; softmax not included
    ),
    source=f"{_T1} and Figure 3; paddings, pool rounding and LRN constants from Caffe bvlc_googlenet",
)
"""The deploy network at 224 × 224 × 3."""


@dataclass(frozen=True, slots=True)
class Table1Row:
    """One printed row of Table 1.

    Attributes
    ----------
    label : str
        The "type" column, e.g. ``"inception (3a)"``.
    layers : tuple of str
        Names of the :data:`GOOGLENET` layers the row covers (the "convolution
        3×3/1" row is the 1×1 reduction and the 3×3, "depth 2").
    output : (int, int, int)
        "output size" as printed, ``(H, W, C)``.
    depth : int
        Layers with parameters in the row.
    params, ops : Published or None
        "params" (K = thousands of weights) and "ops" (M = millions of multiply-adds).
    """

    label: str
    layers: tuple[str, ...]
    output: tuple[int, int, int]
    depth: int
    params: Published | None = None
    ops: Published | None = None


def _row(label, layers, output, depth, params_k=None, ops_m=None):
    at = f"{_T1}, row {label!r}"
    return Table1Row(label, layers, output, depth,
                     None if params_k is None else Published(params_k, "K params", at + ", params"),
                     None if ops_m is None else Published(ops_m, "M ops", at + ", ops"))


#: Table 1 as printed (the "ops" are multiply-adds). Dropout and softmax rows are listed without numbers.
TABLE1 = (
    _row("convolution 7×7/2", ("conv1",), (112, 112, 64), 1, 2.7, 34),
    _row("max pool 3×3/2", ("pool1",), (56, 56, 64), 0),
    _row("convolution 3×3/1", ("conv2_reduce", "conv2"), (56, 56, 192), 2, 112, 360),
    _row("max pool 3×3/2", ("pool2",), (28, 28, 192), 0),
    _row("inception (3a)", ("3a",), (28, 28, 256), 2, 159, 128),
    _row("inception (3b)", ("3b",), (28, 28, 480), 2, 380, 304),
    _row("max pool 3×3/2", ("pool3",), (14, 14, 480), 0),
    _row("inception (4a)", ("4a",), (14, 14, 512), 2, 364, 73),
    _row("inception (4b)", ("4b",), (14, 14, 512), 2, 437, 88),
    _row("inception (4c)", ("4c",), (14, 14, 512), 2, 463, 100),
    _row("inception (4d)", ("4d",), (14, 14, 528), 2, 580, 119),
    _row("inception (4e)", ("4e",), (14, 14, 832), 2, 840, 170),
    _row("max pool 3×3/2", ("pool4",), (7, 7, 832), 0),
    _row("inception (5a)", ("5a",), (7, 7, 832), 2, 1072, 54),
    _row("inception (5b)", ("5b",), (7, 7, 1024), 2, 1388, 71),
    _row("avg pool 7×7/1", ("avgpool",), (1, 1, 1024), 0),
    _row("dropout (40%)", ("dropout",), (1, 1, 1024), 0),
    _row("linear", ("linear",), (1, 1, 1000), 1, 1000, 1),
)

#: Other printed numbers, with their sources.
PUBLISHED = {
    "ops_budget": Published(1.5e9, "multiply-adds ('1.5 billion')", "Szegedy et al. 2015, §1"),
    "fewer_params_than_alexnet": Published(12, "× fewer parameters ('12×')", "Szegedy et al. 2015, §1"),
    "depth": Published(22, "layers with parameters", "Szegedy et al. 2015, §5"),
    "depth_with_pooling": Published(27, "layers incl. pooling", "Szegedy et al. 2015, §5"),
    "torchvision_params": Published(6_624_904, "parameters (BatchNorm, no LRN, 3×3 in the '5×5' branch)",
                                    "torchvision docs, GoogLeNet_Weights.IMAGENET1K_V1, num_params"),
}


def spatial_size(name: str) -> int:
    """Return the height (= width) of the maps a layer of :data:`GOOGLENET` receives.

    An Inception module keeps its size, so this is the size it runs at.

    Parameters
    ----------
    name : str
        A layer name: ``"3a"`` ... ``"5b"``, ``"conv1"``, ``"pool3"``, ...

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``name`` is not a layer of :data:`GOOGLENET`.

    Examples
    --------
    >>> spatial_size("3a"), spatial_size("4e"), spatial_size("5b")
    (28, 14, 7)
    """
    for row in shape_table(GOOGLENET):
        if row.name == name:
            return row.in_shape[1]
    names = [layer.name for layer in GOOGLENET.layers]
    raise ValueError(f"spatial_size: name must be a layer of GOOGLENET {names}; got name={name!r}")


#: Map size each Inception module runs at, derived from :data:`GOOGLENET`: ``{"3a": 28, ...}``.
SPATIAL_SIZE = {name: spatial_size(name) for name in INCEPTION}
