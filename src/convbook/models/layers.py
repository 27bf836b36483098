r"""Layer descriptions: plain, frozen records of a network's hyperparameters.

A network in this package is *data*: a :class:`~convbook.models.network.Network`
holds a tuple of the records below, and the functions of
:mod:`convbook.models.network` derive everything else from them (shapes,
parameter and multiply-accumulate counts, a forward pass). No record holds
weights or computes anything; each one only checks, when it is built, that its
own numbers make sense.

Channel counts are written into every record (``in_channels`` as well as
``out_channels``), as the papers print them, so that a description can be
compared with a paper line by line; the network checks that consecutive layers
agree.

Every check raises ``ValueError`` (``TypeError`` for a non-integer size) with
the engine's message format, ``"<Record>: <field> must <rule>; got <values>"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validate import as_int, check_non_negative, check_positive

ROUNDING = ("floor", "cuda-convnet")
"""Output-size rules a :class:`Conv` accepts (see :func:`convbook.conv_output_size`
and :func:`convbook.cuda_convnet_output_size`)."""


def _ints(record, positive=(), non_negative=()):
    """Check integer fields of ``record`` (by name) and store them as Python ints."""
    func = type(record).__name__
    for name in positive + non_negative:
        value = as_int(getattr(record, name), func=func, name=name)
        object.__setattr__(record, name, value)
        (check_positive if name in positive else check_non_negative)((value,), func=func, name=name)


def _name(record):
    if not isinstance(record.name, str) or not record.name:
        raise ValueError(f"{type(record).__name__}: name must be a non-empty str; got name={record.name!r}")


@dataclass(frozen=True, slots=True)
class Conv:
    """A 2-D convolution layer (type 2.2, optionally grouped), followed by a ReLU if ``relu``.

    Parameters
    ----------
    name : str
    in_channels, out_channels : int
        ``C_in`` and ``C_out``; ``groups`` must divide both.
    kernel_size : int
        Square kernel ``K``; the weight has shape ``(C_out, C_in / groups, K, K)``.
    stride, padding : int, default 1, 0
        Symmetric zero padding, as :func:`convbook.conv2d`.
    groups : int, default 1
        Each filter sees only the ``C_in / groups`` maps of its group (AlexNet's
        two GPUs are ``groups=2``).
    relu : bool, default True
    rounding : {"floor", "cuda-convnet"}, default "floor"
        ``"floor"`` is :func:`convbook.conv_output_size` (PyTorch, Caffe);
        ``"cuda-convnet"`` is Krizhevsky's rule :func:`convbook.cuda_convnet_output_size`,
        whose last window may overhang the bottom/right edge (extra zeros there).

    Examples
    --------
    >>> Conv("conv2", 96, 256, 5, padding=2, groups=2).kernel_depth
    48
    """

    name: str
    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    relu: bool = True
    rounding: str = "floor"

    def __post_init__(self):
        _name(self)
        _ints(self, ("in_channels", "out_channels", "kernel_size", "stride", "groups"), ("padding",))
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"Conv: groups must divide in_channels and out_channels; got in_channels={self.in_channels}, "
                f"out_channels={self.out_channels}, groups={self.groups} (layer {self.name!r})"
            )
        if self.rounding not in ROUNDING:
            raise ValueError(f"Conv: rounding must be one of {ROUNDING}; got rounding={self.rounding!r}")

    @property
    def kernel_depth(self) -> int:
        """Input maps one filter sees, ``C_in / groups`` (the paper's "5 × 5 × 48")."""
        return self.in_channels // self.groups


@dataclass(frozen=True, slots=True)
class Pool:
    """A 2-D pooling layer, within each map (max or average).

    Parameters
    ----------
    name : str
    kind : {"max", "avg"}
    kernel_size, stride : int
    padding : int, default 0
    ceil_mode : bool, default False
        Round the output size up (Caffe's pooling; GoogLeNet needs it).

    Examples
    --------
    >>> Pool("pool1", "max", 3, 2).kernel_size
    3
    """

    name: str
    kind: str
    kernel_size: int
    stride: int
    padding: int = 0
    ceil_mode: bool = False

    def __post_init__(self):
        _name(self)
        if self.kind not in ("max", "avg"):
            raise ValueError(f"Pool: kind must be 'max' or 'avg'; got kind={self.kind!r}")
        _ints(self, ("kernel_size", "stride"), ("padding",))


@dataclass(frozen=True, slots=True)
class LRN:
    """Local response normalization across maps, in the paper's form (see
    :func:`convbook.local_response_norm`): ``a / (k + alpha * sum of n squares) ** beta``.

    Parameters
    ----------
    name : str
    size : int
        ``n``, the number of adjacent maps.
    alpha, beta, k : float
        Paper-form constants (``alpha`` multiplies the plain sum of squares).
    """

    name: str
    size: int
    alpha: float
    beta: float
    k: float

    def __post_init__(self):
        _name(self)
        _ints(self, ("size",))
        for field in ("alpha", "beta", "k"):
            value = getattr(self, field)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"LRN: {field} must be a non-negative number; got {field}={value!r}")


@dataclass(frozen=True, slots=True)
class Linear:
    """A fully connected layer on the flattened input, followed by a ReLU if ``relu``.

    Parameters
    ----------
    name : str
    in_features, out_features : int
        ``in_features`` must equal ``C · H · W`` of the input it receives.
    relu : bool, default True
    """

    name: str
    in_features: int
    out_features: int
    relu: bool = True

    def __post_init__(self):
        _name(self)
        _ints(self, ("in_features", "out_features"))


@dataclass(frozen=True, slots=True)
class Dropout:
    """Dropout with probability ``p``: the identity at inference (kept so the
    description lists every row of the paper's table)."""

    name: str
    p: float

    def __post_init__(self):
        _name(self)
        if not isinstance(self.p, (int, float)) or isinstance(self.p, bool) or not 0 <= self.p < 1:
            raise ValueError(f"Dropout: p must be a number in [0, 1); got p={self.p!r}")


@dataclass(frozen=True, slots=True)
class Inception:
    """An Inception module with dimension reductions (Szegedy et al. 2015, Figure 2(b)).

    Four branches on the same input, concatenated along the channels:
    1×1; 1×1 reduce then 3×3 (padding 1); 1×1 reduce then 5×5 (padding 2);
    3×3 max pool (stride 1, padding 1) then 1×1 projection. Every convolution
    is followed by a ReLU. The field names are those of Table 1's columns
    (and of torchvision's ``Inception`` block).

    Parameters
    ----------
    name : str
        Table 1's label without "inception", e.g. ``"3a"``.
    in_channels : int
    ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj : int
        "#1×1", "#3×3 reduce", "#3×3", "#5×5 reduce", "#5×5", "pool proj".

    Examples
    --------
    >>> m = Inception("3a", 192, 64, 96, 128, 16, 32, 32)
    >>> m.out_channels, len(m.convs())
    (256, 6)
    """

    name: str
    in_channels: int
    ch1x1: int
    ch3x3red: int
    ch3x3: int
    ch5x5red: int
    ch5x5: int
    pool_proj: int

    def __post_init__(self):
        _name(self)
        _ints(self, ("in_channels", "ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj"))

    @property
    def out_channels(self) -> int:
        """``ch1x1 + ch3x3 + ch5x5 + pool_proj``, the depth of the concatenation."""
        return self.ch1x1 + self.ch3x3 + self.ch5x5 + self.pool_proj

    def branches(self) -> tuple[tuple[Conv | Pool, ...], ...]:
        """The four branches as plain layers, named ``"<name>/1x1"``, ``"<name>/3x3_reduce"``, ...

        Returns
        -------
        tuple of 4 tuples of Conv or Pool
            Each branch maps ``(C_in, H, W)`` to ``(C_branch, H, W)``.
        """
        n, c = self.name, self.in_channels
        return (
            (Conv(f"{n}/1x1", c, self.ch1x1, 1),),
            (Conv(f"{n}/3x3_reduce", c, self.ch3x3red, 1),
             Conv(f"{n}/3x3", self.ch3x3red, self.ch3x3, 3, padding=1)),
            (Conv(f"{n}/5x5_reduce", c, self.ch5x5red, 1),
             Conv(f"{n}/5x5", self.ch5x5red, self.ch5x5, 5, padding=2)),
            (Pool(f"{n}/pool", "max", 3, 1, padding=1, ceil_mode=True),
             Conv(f"{n}/pool_proj", c, self.pool_proj, 1)),
        )

    def convs(self) -> tuple[Conv, ...]:
        """The module's six convolutions, in branch order."""
        return tuple(layer for branch in self.branches() for layer in branch if isinstance(layer, Conv))


Layer = Conv | Pool | LRN | Linear | Dropout | Inception
"""Any record a :class:`~convbook.models.network.Network` may hold."""
