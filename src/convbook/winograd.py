r"""Winograd's minimal filtering for stride-1 layers (Lavin & Gray 2016).

:math:`F(m \times m, r \times r)` computes an ``m × m`` block of outputs of an
``r × r`` correlation from an ``α × α`` tile of the input (``α = m + r - 1``)
with ``α²`` multiplications instead of ``r² m²``:

.. math::

    Y = A^\top \left[ (G\,g\,G^\top) \odot (B^\top d\,B) \right] A

for one tile ``d`` of one channel and one filter ``g``. Summed over the input
channels, the elementwise product becomes, for each of the ``α²`` positions
``(ν, ξ)`` of the transformed tile, one matrix product of the transformed
filters ``U`` (C_out × C_in) with the transformed tiles ``V`` (C_in × tiles):
F(2×2, 3×3) does 16 of them for 4 outputs (2.25 times fewer multiplications
than the 36 of the definition), F(4×4, 3×3) 36 for 16 (4 times fewer),
F(2×2, 5×5) 36 for 4 (2.8 times fewer than 100).

The transforms are constant matrices, kept below as data with their source
(F(2×2, 5×5) is constructed by :func:`toom_cook`, which also reproduces
F(4×4, 3×3) exactly). Each one is applied along one axis at a time as a single
matrix product over a gathered copy (rows of tiles first, then columns), so
that the work is a few large BLAS calls rather than many small ones. The sums
run in a different order from the definition's (and involve fractions such as
1/6): float results differ from :func:`convbook.conv2d_loops` by rounding only,
a little more for the 6×6 tiles than for F(2×2, 3×3). Integer inputs never come here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import _gather, _tiling
from ._validate import ConvArgs


@dataclass(frozen=True, eq=False)
class Transform:
    r"""The three matrices of :math:`F(m, r)`, as exact fractions, with their source.

    Attributes
    ----------
    name : str
    m, r : int
        Outputs per tile and filter taps, along one axis; ``alpha = m + r - 1``.
    BT : tuple of tuple of Fraction, shape (alpha, alpha)
        Input transform :math:`B^\top`.
    G : tuple of tuple of Fraction, shape (alpha, r)
        Filter transform.
    AT : tuple of tuple of Fraction, shape (m, alpha)
        Output transform :math:`A^\top`.
    source : str

    Two transforms are equal only if they are the same object (so that hashing
    one, to look up its cached arrays, costs nothing).
    """

    name: str
    m: int
    r: int
    BT: tuple
    G: tuple
    AT: tuple
    source: str

    @property
    def alpha(self) -> int:
        """Input tile size along one axis, ``m + r - 1``."""
        return self.m + self.r - 1

    def matrices(self, dtype=np.float64):
        """``(BT, G, AT)`` as read-only arrays of ``dtype`` (shapes ``(α, α)``, ``(α, r)``, ``(m, α)``)."""
        return _arrays(self, np.dtype(dtype))


@functools.lru_cache(maxsize=None)
def _arrays(transform, dtype):
    arrays = tuple(np.array([[float(v) for v in row] for row in matrix], dtype=dtype)
                   for matrix in (transform.BT, transform.G, transform.AT))
    for array in arrays:
        array.setflags(write=False)
    return arrays


def _q(rows):
    """Rows of ints and strings such as ``"1/6"`` as tuples of exact fractions."""
    return tuple(tuple(Fraction(v) for v in row) for row in rows)


F2x2_3x3 = Transform(
    "F(2x2, 3x3)", 2, 3,
    BT=_q([[1, 0, -1, 0],
           [0, 1, 1, 0],
           [0, -1, 1, 0],
           [0, 1, 0, -1]]),
    G=_q([[1, 0, 0],
          ["1/2", "1/2", "1/2"],
          ["1/2", "-1/2", "1/2"],
          [0, 0, 1]]),
    AT=_q([[1, 1, 1, 0],
           [0, 1, -1, -1]]),
    source="Lavin & Gray 2016, Fast Algorithms for Convolutional Neural Networks, §4, F(2x2, 3x3)",
)
"""4 × 4 input tiles, 2 × 2 outputs, 16 multiplications instead of 36."""

F4x4_3x3 = Transform(
    "F(4x4, 3x3)", 4, 3,
    BT=_q([[4, 0, -5, 0, 1, 0],
           [0, -4, -4, 1, 1, 0],
           [0, 4, -4, -1, 1, 0],
           [0, -2, -1, 2, 1, 0],
           [0, 2, -1, -2, 1, 0],
           [0, 4, 0, -5, 0, 1]]),
    G=_q([["1/4", 0, 0],
          ["-1/6", "-1/6", "-1/6"],
          ["-1/6", "1/6", "-1/6"],
          ["1/24", "1/12", "1/6"],
          ["1/24", "-1/12", "1/6"],
          [0, 0, 1]]),
    AT=_q([[1, 1, 1, 1, 1, 0],
           [0, 1, -1, 2, -2, 0],
           [0, 1, 1, 4, 4, 0],
           [0, 1, -1, 8, -8, 1]]),
    source="Lavin & Gray 2016, Fast Algorithms for Convolutional Neural Networks, §4, F(4x4, 3x3)",
)
"""6 × 6 input tiles, 4 × 4 outputs, 36 multiplications instead of 144."""


def toom_cook(m, r, points, source):
    r"""Construct :math:`F(m, r)` from ``m + r - 2`` interpolation points and the point at infinity.

    The correlation is the transpose of a linear convolution computed by
    evaluation and interpolation (Toom-Cook): with :math:`L_j(x) = \prod_{l \ne j}
    (x - p_l)` and :math:`f_j = L_j(p_j)`, row ``j`` of :math:`B^\top` holds the
    coefficients of :math:`L_j` (the last row those of :math:`\prod_l (x - p_l)`),
    row ``j`` of ``G`` is :math:`(p_j^k / f_j)_k` (the last ``(0, ..., 0, 1)``) and
    column ``j`` of :math:`A^\top` is :math:`(p_j^i)_i` (the last ``(0, ..., 0, 1)``).
    All in exact fractions.

    Examples
    --------
    >>> t = toom_cook(2, 3, (0, 1, -1), "example")
    >>> [[int(v) for v in row] for row in t.BT]
    [[-1, 0, 1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, -1, 0, 1]]
    """
    points = tuple(Fraction(p) for p in points)
    alpha = m + r - 1
    if len(points) != alpha - 1 or len(set(points)) != len(points):
        raise ValueError(f"toom_cook: points must be {alpha - 1} distinct numbers; got points={points}")

    def coefficients(roots):                                          # of prod (x - root), lowest first
        poly = [Fraction(1)]
        for root in roots:
            poly = [a - root * b for a, b in zip([Fraction(0), *poly], [*poly, Fraction(0)])]
        return poly + [Fraction(0)] * (alpha - len(poly))

    bt, g, at_columns = [], [], []
    for j, p in enumerate(points):
        others = points[:j] + points[j + 1:]
        scale = math.prod((p - q for q in others), start=Fraction(1))
        bt.append(tuple(coefficients(others)))
        g.append(tuple(p ** k / scale for k in range(r)))
        at_columns.append([p ** i for i in range(m)])
    bt.append(tuple(coefficients(points)))
    g.append(tuple(Fraction(int(k == r - 1)) for k in range(r)))
    at_columns.append([Fraction(int(i == m - 1)) for i in range(m)])
    at = tuple(tuple(column[i] for column in at_columns) for i in range(m))
    return Transform(f"F({m}x{m}, {r}x{r})", m, r, tuple(bt), tuple(g), at, source)


F2x2_5x5 = toom_cook(2, 5, (0, 1, -1, 2, -2),
                     source="constructed by toom_cook with the points 0, ±1, ±2 of Lavin & Gray 2016's F(4x4, 3x3)")
"""6 × 6 input tiles, 2 × 2 outputs, 36 multiplications instead of 100."""


def correlate1d(d, g, transform=F2x2_3x3):
    r"""One tile in one dimension: :math:`y = A^\top [(G g) \odot (B^\top d)]`.

    Parameters
    ----------
    d : ndarray, shape (alpha,)
        Input tile.
    g : ndarray, shape (r,)
        Filter.
    transform : Transform, default F(2x2, 3x3)

    Returns
    -------
    y : ndarray, shape (m,)
        ``y[i] = sum_k d[i + k] g[k]``, computed with ``alpha`` multiplications.

    Examples
    --------
    >>> import numpy as np
    >>> correlate1d(np.array([1.0, 2, 3, 4]), np.array([1.0, 0, -1]))
    array([-2., -2.])
    """
    bt, g_matrix, at = transform.matrices(np.result_type(d, g, np.float64))
    return at @ ((g_matrix @ g) * (bt @ d))


def conv2d_direct(x, weight, bias=None, *, padding=0, groups=1, transform=F4x4_3x3):
    """Run Winograd's algorithm on a layer, whatever :func:`convbook.conv.choose` would pick.

    For comparisons (the book's page on fast convolution, tests): the arguments of
    :func:`convbook.conv2d` with stride and dilation 1, and the transform to use;
    the kernel must be ``transform.r × transform.r``.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        The correlation, up to rounding; dtype ``numpy.result_type(x, weight, bias)``,
        which must be float32 or float64.

    Raises
    ------
    ValueError
        As :func:`convbook.conv2d`; or if the kernel is not ``r × r`` or the dtype not float32/float64.

    Examples
    --------
    >>> import numpy as np
    >>> x, w = np.arange(36.0).reshape(1, 1, 6, 6), np.ones((1, 1, 3, 3))
    >>> conv2d_direct(x, w)[0, 0, 0]
    array([63., 72., 81., 90.])
    """
    args = ConvArgs("conv2d_direct", x, weight, bias, 1, padding, 1, groups, 2)
    if args.kernel_size != (transform.r, transform.r):
        raise ValueError(f"conv2d_direct: the kernel must be {transform.r}x{transform.r} for {transform.name}; "
                         f"got weight.shape={args.weight.shape}")
    return run_direct(args, lambda out: conv2d(args, out, transform))


def run_direct(args, compute):
    """Allocate the output of validated 2-D ``args``, fill it with ``compute(out)``, add the bias.

    The shared end of the ``conv2d_direct`` functions (here and in
    :mod:`convbook.row_winograd`), which run one algorithm on a layer whatever the
    dispatcher would pick; they take float dtypes only.

    Raises
    ------
    ValueError
        If the dtype is not float32 or float64.
    """
    if args.dtype not in (np.float32, np.float64):
        raise ValueError(f"{args.func}: the dtype must be float32 or float64; got {args.dtype}")
    out = np.empty(args.out_shape, dtype=args.dtype)
    if out.size:
        compute(out)
    if args.bias is not None:
        out += args.bias.reshape(-1, 1, 1)
    return out


def filter_transform(weight, transform, out=None):
    r"""Transform every filter: :math:`U = G g G^\top`, one matrix product for all of them.

    Parameters
    ----------
    weight : ndarray, shape (C_out, C_in / groups, r, r)
    transform : Transform
    out : ndarray, shape (alpha², C_out, C_in / groups), optional
        Where to write ``U`` (the engine passes a scratch buffer); a new array if omitted.

    Returns
    -------
    U : ndarray, shape (alpha², C_out, C_in / groups)
        Indexed ``(ν·alpha + ξ, o, c)`` with ``ξ`` the row (vertical) and ``ν``
        the column position in the transformed tile, matching :func:`conv2d`'s tiles.
    """
    _, g, _ = transform.matrices(weight.dtype)
    alpha, r = g.shape
    c_out, c_in_g = weight.shape[:2]
    kron = np.einsum("xa,yb->yxab", g, g).reshape(alpha * alpha, r * r)      # (α², 9): rows (ν, ξ)
    if out is None:
        out = np.empty((alpha * alpha, c_out, c_in_g), dtype=weight.dtype)
    np.matmul(kron, weight.reshape(c_out * c_in_g, r * r).T,
              out=out.reshape(alpha * alpha, c_out * c_in_g))                 # (α², C_out·C_in/G)
    return out


def conv2d(args, out, transform):
    """Winograd convolution of validated ``args`` (r × r kernel, stride 1, dilation 1) into ``out``.

    Parameters
    ----------
    args : convbook._validate.ConvArgs
        A 2-D layer with the transform's ``r × r`` kernel, unit stride and dilation, float dtype.
    out : ndarray, shape (N, C_out, H_out, W_out)
        Written in place.
    transform : Transform
        :data:`F2x2_3x3`, :data:`F4x4_3x3` or :data:`F2x2_5x5`.

    Notes
    -----
    The output is cut into ``m × m`` blocks (the last ones overhang the output
    and read zeros); blocks are processed in tiles of about
    :data:`convbook._tiling.TILE_BYTES` of temporaries (:func:`convbook._tiling.tiles`).
    """
    x, groups = args.x, args.groups
    m, alpha = transform.m, transform.alpha
    bt, _, at = transform.matrices(out.dtype)
    n, c_in = x.shape[:2]
    c_out = out.shape[1]
    scratch = _tiling.scratch(out.dtype)
    u = filter_transform(args.weight, transform,
                         out=scratch.take("filters", (alpha * alpha, c_out, c_in // groups)))   # (α², C_out, C_in/G)
    u = u.reshape(alpha * alpha, 1, groups, c_out // groups, c_in // groups)  # (α², 1, G, C_out/G, C_in/G)
    h_out, w_out = out.shape[2:]
    blocks = (-(-h_out // m), -(-w_out // m))
    # temporaries per block: input rows gathered and transformed (2·α·m·C_in), columns gathered and
    # transformed (2·α²·C_in), products (α²·C_out), output transform (m·α + m²)
    block_bytes = ((2 * alpha * m + 2 * alpha * alpha) * c_in
                   + (alpha * alpha + m * alpha + m * m) * c_out) * out.itemsize
    for n0, n1, ((t0, t1), (s0, s1)) in _tiling.tiles(blocks, n, block_bytes):
        nb, ty, tx = n1 - n0, t1 - t0, s1 - s0
        slab = _gather.input_slab(x, args, n0, n1, ((t0 * m, t1 * m), (s0 * m, s1 * m)))  # (nb, C_in, ty·m+r-1, ...)
        v = _input_transform(slab, bt, m, ty, tx, scratch)                    # (α², nb, C_in, ty·tx)
        v = v.reshape(alpha * alpha, nb, groups, c_in // groups, ty * tx)     # (α², nb, G, C_in/G, T)
        prod = scratch.take("prod", (alpha * alpha, nb, groups, c_out // groups, ty * tx))
        np.matmul(u, v, out=prod)                                             # α² batched GEMMs
        blocks_out = _output_transform(prod, at, m, scratch)                  # (m, m, nb·C_out·T): (j, i, ...)
        blocks_out = blocks_out.reshape(m, m, nb, c_out, ty, tx).transpose(2, 3, 4, 1, 5, 0)
        dest = out[n0:n1, :, t0 * m:min(h_out, t1 * m), s0 * m:min(w_out, s1 * m)]
        _scatter(blocks_out, dest, m)


def _input_transform(slab, bt, m, ty, tx, scratch):
    r""":math:`V = B^\top d B` for every tile of ``slab``: rows, then columns, one matrix product each.

    Returns ``(α², n, C, ty·tx)``, indexed ``(ν·α + ξ, ...)``.
    """
    alpha = bt.shape[0]
    nb, channels, _, extent_x = slab.shape
    # rows: gathered[a, n, c, i, X] = slab[n, c, i·m + a, X]; then ξ = B^T along a
    gathered = scratch.take("rows", (alpha, nb, channels, ty, extent_x))
    for a in range(alpha):
        np.copyto(gathered[a], slab[:, :, a:a + m * (ty - 1) + 1:m])
    by_rows = scratch.take("by_rows", (alpha, nb, channels, ty, extent_x))
    np.matmul(bt, gathered.reshape(alpha, -1), out=by_rows.reshape(alpha, -1))   # (ξ, n, c, i, X)
    # columns: gathered[b, ξ, n, c, i, j] = by_rows[ξ, n, c, i, j·m + b]; then ν = B^T along b
    gathered = scratch.take("cols", (alpha, alpha, nb, channels, ty, tx))
    for b in range(alpha):
        np.copyto(gathered[b], by_rows[..., b:b + m * (tx - 1) + 1:m])
    v = scratch.take("v", (alpha * alpha, nb, channels, ty * tx))
    np.matmul(bt, gathered.reshape(alpha, -1), out=v.reshape(alpha, -1))         # (ν, ξ, n, c, i, j)
    return v


def _output_transform(prod, at, m, scratch):
    r""":math:`Y = A^\top M A` for every block: ``prod`` (α², ...) to ``(m, m, ...)``, indexed (j, i, ...)."""
    alpha = at.shape[1]
    rest = prod.size // (alpha * alpha)
    half = scratch.take("half", (m, alpha, rest))
    np.matmul(at, prod.reshape(alpha, alpha * rest), out=half.reshape(m, alpha * rest))   # ν -> j: (j, ξ, ...)
    full = scratch.take("full", (m, m, rest))
    np.matmul(at, half, out=full)                                                    # ξ -> i: (j, i, ...)
    return full


def _scatter(blocks, dest, m):
    """Copy ``blocks`` (n, C_out, ty, m, tx, m) into ``dest`` (n, C_out, ≤ ty·m, ≤ tx·m), cropping overhang.

    One copy per position ``(i, j)`` in the block: ``dest[..., i::m, j::m]`` is a plain
    view, cropped by its own shape, and the copy's inner loop runs along the blocks of a
    row, contiguous in ``blocks``. One copy of the whole 6-D view instead would run its
    inner loop along ``j``, a long stride apart in ``blocks``: measured on AlexNet's
    conv1 (96 maps of 55×55) that took twice as long, with the overhang cropped in a
    second copy on top.
    """
    for i in range(m):
        for j in range(m):
            target = dest[:, :, i::m, j::m]
            np.copyto(target, blocks[:, :, :target.shape[2], i, :target.shape[3], j])


def multiplications(transform, out_size):
    """Multiplications per (input channel, output channel) pair for an ``out_size`` map: (Winograd, direct).

    Examples
    --------
    >>> multiplications(F4x4_3x3, (28, 28))
    (1764, 7056)
    """
    blocks = math.prod(-(-size // transform.m) for size in out_size)
    return blocks * transform.alpha ** 2, math.prod(out_size) * transform.r ** 2
