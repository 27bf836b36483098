r"""Convolution layers, vectorised: ``conv2d`` and ``conv3d``.

The fast path computes the same sums as :mod:`convbook.reference` with five
strategies; :func:`choose` picks one from the layer's shape (the dispatch rule,
written in one place):

* **pointwise** (1×1 kernel, no padding): one matrix product per group, no copy
  of the input at stride 1;
* **depthwise** (one input channel per group, 2-D, unit stride): the
  ``K_w`` width taps of every row copied once, then for each height tap one
  short product per channel on a view, :mod:`convbook.depthwise`;
* **depthwise_im2col** (any other depthwise layer): the im2col product below with
  ``K_h·K_w`` columns per channel, a block of channels at a time, so that the
  many short matrix-vector products run inside one ``np.matmul`` call;
* **winograd** (3×3 or 5×5, stride 1, float32, enough channels and output):
  Winograd's minimal filtering, :mod:`convbook.winograd`: F(4×4, 3×3) does 4
  times fewer multiplications than the definition, F(2×2, 5×5) 2.8 times fewer;
* **phases_winograd** (a strided layer whose kernel, folded by the stride, is 3×3
  or 5×5, such as AlexNet's 11×11 at stride 4): the input split into its phases,
  :mod:`convbook.phases`, makes it a stride-1 layer on more maps, computed with Winograd;
* **row_winograd** (few input maps, rows of 4 or 5 taps once the width stride is
  folded, such as GoogLeNet's 7×7 at stride 2 on 3 maps or inception 3a's 5×5 on 16):
  Winograd along the width only, the kernel's height kept in the contraction,
  :mod:`convbook.row_winograd`;
* **im2col** (everything else): gather each output position's receptive field
  into a column of a matrix, then one matrix product for all groups. The column
  matrix is ordered (channel, taps) like the weight's own memory, so the weight
  is used without a copy and the product is written straight into the output.
  The gather copies contiguous runs along the last axis: with stride 1 in two
  stages (the width taps of every input row, then whole blocks of output rows),
  with a larger stride after splitting that axis into its phases.

Work is split into tiles of output rows (and batch samples) so that no
temporary exceeds :data:`convbook._tiling.TILE_BYTES` (a few MiB,
cache-friendly) unless a single output row needs more; see
:data:`convbook._tiling.MAX_TEMP_BYTES` for the hard bound.
"""

from __future__ import annotations

import math

import numpy as np

from . import _gather, _tiling, depthwise, phases, row_winograd, winograd
from ._validate import ConvArgs


def conv2d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Compute the 2-D cross-correlation of a batch of images with a bank of filters.

    Every filter spans all ``C_in / groups`` input channels of its group: output
    channel ``o`` sums, over those channels, the cross-correlation of each
    channel with its own 2-D slice ``weight[o, c]``, then adds ``bias[o]``.
    This is "type 2.2" in the book, the layer of every deep-learning framework.
    The kernel is not flipped (cross-correlation, as in PyTorch).

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
        Input batch (NCHW).
    weight : ndarray, shape (C_out, C_in / groups, K_h, K_w)
        Filters (OIHW). ``C_out`` must be divisible by ``groups``.
    bias : ndarray, shape (C_out,), optional
        Added to every position of output channel ``o``.
    stride : int or (int, int), default 1
        Step between neighbouring windows, (s_h, s_w).
    padding : int or (int, int), default 0
        Zeros added on *both* sides of each spatial axis, (p_h, p_w).
    dilation : int or (int, int), default 1
        Spacing between kernel taps; 1 means none.
    groups : int, default 1
        Split the channels into ``groups`` independent convolutions side by side.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = floor((H + 2 p_h - d_h (K_h - 1) - 1) / s_h) + 1``, likewise ``W_out``.
        Its dtype is ``numpy.result_type(x, weight, bias)``.

    Raises
    ------
    ValueError
        If ``x`` or ``weight`` is not 4-D; ``groups`` does not divide ``C_in`` or
        ``C_out``; ``C_in != weight.shape[1] * groups``; ``bias`` is not
        ``(C_out,)``; stride, dilation or groups is not positive; padding is
        negative; or the dilated kernel is larger than the padded input.
    TypeError
        If an array is not numeric, or a hyperparameter is not an int or pair of ints.

    See Also
    --------
    convbook.conv2d_loops : the same sums as explicit loops (the definition).
    convbook.conv_output_size : the output-size formula for one axis.
    convbook.conv2d_param_count, convbook.conv2d_macs : counting.

    Notes
    -----
    .. math::

        \mathrm{out}[n, o, i, j] = \mathrm{bias}[o] + \sum_{c, u, v}
            x_\mathrm{pad}[n, g\,C_\mathrm{in}/G + c, i s_h + u d_h, j s_w + v d_w]\,
            \mathrm{weight}[o, c, u, v]

    with ``g = o // (C_out / G)``. Special layers are settings of this one:

    * **grouped** (AlexNet's conv2, conv4, conv5): ``groups=G`` equals ``G``
      convolutions side by side on consecutive channel blocks, concatenated;
    * **depthwise** (MobileNets, Xception): ``groups=C_in``, weight
      ``(C_in * m, 1, K_h, K_w)`` -- each input map filtered on its own;
    * **pointwise** (1×1, Network in Network, GoogLeNet's reductions): ``K_h = K_w = 1``
      -- a matrix product across channels at every pixel.

    Conventions match ``torch.nn.functional.conv2d``: NCHW/OIHW, floor rounding,
    symmetric zero padding, keyword names and defaults.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((1, 3, 224, 224), dtype=np.float32)
    >>> weight = np.zeros((64, 3, 7, 7), dtype=np.float32)
    >>> conv2d(x, weight, stride=2, padding=3).shape      # GoogLeNet's conv1
    (1, 64, 112, 112)
    """
    return _conv(ConvArgs("conv2d", x, weight, bias, stride, padding, dilation, groups, 2))


def conv3d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Compute the 3-D cross-correlation of a batch of volumes with a bank of filters.

    The filter slides along depth as well as height and width (C3D, 3-D CNNs for
    action recognition). A filter whose depth equals the input depth, with no
    depth padding, slides nowhere along depth: that is :func:`conv2d` on the
    depth axis treated as channels.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, D, H, W)
    weight : ndarray, shape (C_out, C_in / groups, K_d, K_h, K_w)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation : int or (int, int, int), default 1, 0, 1
    groups : int, default 1

    Returns
    -------
    out : ndarray, shape (N, C_out, D_out, H_out, W_out)
        Each output length follows the floor rule of :func:`conv2d`.

    Raises
    ------
    ValueError, TypeError
        As :func:`conv2d`, for 5-D arrays and triples.

    See Also
    --------
    convbook.conv3d_loops : the definition as explicit loops.

    Examples
    --------
    The book's sliding-order example: 42 maps of 314×314, one 3×4×5 filter.

    >>> import numpy as np
    >>> x = np.zeros((1, 1, 42, 314, 314))
    >>> conv3d(x, np.zeros((1, 1, 3, 4, 5))).shape
    (1, 1, 40, 311, 310)
    """
    return _conv(ConvArgs("conv3d", x, weight, bias, stride, padding, dilation, groups, 3))


def _conv(args: ConvArgs) -> np.ndarray:
    """Compute validated arguments with the strategy :func:`choose` names."""
    out = np.empty(args.out_shape, dtype=args.dtype)
    if out.size:
        strategy = choose(args)
        if strategy == "pointwise":
            _pointwise(args, out)
        elif strategy == "depthwise":
            _depthwise(args, out)
        elif strategy == "depthwise_im2col":
            _depthwise_im2col(args, out)
        elif strategy == "winograd":
            _winograd(args, out)
        elif strategy == "phases_winograd":
            _phases_winograd(args, out)
        elif strategy == "row_winograd":
            _row_winograd(args, out)
        else:
            _im2col(args, out)
        if strategy in WINOGRAD_STRATEGIES and not np.isfinite(np.sum(out)):
            _im2col(args, out)     # a transform overflowed: choose() saw finite inputs, so recompute exactly
        if strategy != "pointwise":                   # the only path that takes no scratch buffers
            _tiling.release(out.dtype)
    if args.bias is not None:
        out += args.bias.reshape(-1, *(1,) * len(args.kernel_size))
    return out


WINOGRAD_STRATEGIES = ("winograd", "phases_winograd", "row_winograd")
"""The strategies that transform their inputs: values multiplied by up to 100 before the products
can overflow where the definition's sums do not. :func:`_conv` then recomputes the layer with
im2col, so the result is the definition's up to rounding."""

WINOGRAD = {(3, 3): winograd.F4x4_3x3, (5, 5): winograd.F2x2_5x5}
"""The Winograd algorithm used for each kernel size (stride 1, no dilation).

F(2×2, 3×3) measured slower than F(4×4, 3×3) wherever either beat im2col; F(2×2,
5×5) has the same 6×6 tiles as F(4×4, 3×3) and a float32 error as small."""

WINOGRAD_MIN_BLOCKS = 36
"""Fewest output blocks (over the batch) for which Winograd beats im2col.

The filter transform costs about as much as ``r² / blocks`` of the batched
products, and the products run short below a few dozen blocks: measured on
this project's reference machine (1 thread, float32; see the benchmark), a
28×28 output (49 blocks of 4×4) wins, 14×14 and AlexNet's 13×13 (16 blocks)
lose; with F(2×2, 5×5), 14×14 (49 blocks of 2×2) wins and 7×7 (16) loses."""

WINOGRAD_DTYPES = (np.float32,)
"""Dtypes computed with Winograd. Not float64: there its transforms (fractions such as 1/6,
values mixed with weights up to 25) leave an error about ten times im2col's (on inception 3a's
3×3 layer, 1.4e-14 of the largest output against 1.2e-15), and float64 keeps the accuracy it
had; in float64 the engine was already faster than PyTorch with im2col."""

WINOGRAD_MIN_CHANNELS = 32
"""Fewest input channels per group for Winograd: below that the transforms outweigh the products
(inception 3a's 5×5 layer, 16 channels, measured slower with F(2×2, 5×5) than with im2col)."""


PHASES_MIN_BLOCKS = 100
"""Fewest output blocks for which a strided layer is folded (:mod:`convbook.phases`) for Winograd.

Folding copies the input and the weight, pads each kernel to a multiple of the stride
(AlexNet's 11×11 to 12×12) and multiplies the input channels by ``s_h·s_w``, so the
filter transform grows while the products shrink: measured (1 thread, float32),
AlexNet's conv1 wins by about 20% at 55×55 (196 blocks) and 8% at 31×31 (64), 5×5
layers at stride 2 on 16 to 64 maps by 9 to 15% from 48×48 (144 blocks); at 27×27
and 28×28 (49 blocks) it ties, or is 40% slower (5×5 at stride 2 on 64 maps)."""

PHASES_MIN_CHANNELS = 48
"""Fewest input channels per group *after* folding for the phases path: a 5×5 layer at
stride 2 on 8 maps (32 once folded) measured 8% slower folded; AlexNet's conv1 folds
3 maps into 48."""


ROW_MIN_CONTRACTION = 16
"""Fewest products summed per output value and transformed position for the row path,
``C_in/groups·s_w·K_h``: measured faster than im2col from 15 (a 5×5 layer on 3 maps) up to
224; at 12 (a 4×4 layer on 3 maps) 1.6 times slower."""

ROW_MIN_TILES = 196
"""Fewest row tiles (``m`` outputs of one row, over the batch) for the row path: at 28×28
outputs (196 tiles of 4) it was 10 to 27% faster than im2col, at 25×25 even, at 14×14 and
7×7 slower (a few dozen NumPy calls per tile of rows outweigh the saved products)."""


def strategy(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1) -> str:
    """Name the strategy :func:`conv2d` (4-D ``x``) or :func:`conv3d` (5-D) would use for these arguments.

    Takes the arguments of :func:`conv2d` and returns what :func:`choose` decides:
    ``"pointwise"``, ``"depthwise"``, ``"depthwise_im2col"``, ``"winograd"``, ``"phases_winograd"``,
    ``"row_winograd"`` or ``"im2col"``.

    Examples
    --------
    >>> import numpy as np
    >>> strategy(np.zeros((1, 96, 28, 28), np.float32), np.zeros((128, 96, 3, 3), np.float32), padding=1)
    'winograd'
    """
    dims = max(2, min(3, np.ndim(x) - 2))
    return choose(ConvArgs(f"conv{dims}d", x, weight, bias, stride, padding, dilation, groups, dims))


def choose(args: ConvArgs) -> str:
    """The dispatch rule: name the strategy that computes this layer.

    Parameters
    ----------
    args : ConvArgs
        Validated arguments.

    Returns
    -------
    str
        ``"pointwise"``: a 1×1 kernel without padding; ``"depthwise"``: one
        input channel per group (``groups > 1``), 2-D, unit stride and one
        channel's temporaries within a quarter of
        :data:`~convbook._tiling.MAX_TEMP_BYTES`; ``"depthwise_im2col"``: any other
        depthwise layer; ``"winograd"``: a 2-D kernel listed in
        :data:`WINOGRAD` (3×3, 5×5), unit stride and dilation, a dtype in
        :data:`WINOGRAD_DTYPES` (float32), at least
        :data:`WINOGRAD_MIN_CHANNELS` input channels per group, at least
        :data:`WINOGRAD_MIN_BLOCKS` output blocks and transformed filters
        within a quarter of :data:`~convbook._tiling.MAX_TEMP_BYTES`, and no
        NaN or infinity in ``x`` or ``weight`` (a Winograd tile mixes its
        inputs, so one NaN would reach all 16 outputs of its block, not only
        those whose windows hold it); ``"phases_winograd"``: the same
        conditions for the layer folded by its stride (:mod:`convbook.phases`:
        kernel ``⌈K/s⌉``, ``C_in/groups·s_h·s_w`` input channels), with
        :data:`PHASES_MIN_CHANNELS` and :data:`PHASES_MIN_BLOCKS` in place of
        Winograd's minimums and the folded input within a quarter of
        :data:`~convbook._tiling.MAX_TEMP_BYTES`; ``"row_winograd"``: otherwise,
        a 2-D float32 layer without dilation whose rows, folded by the width
        stride, have a number of taps listed in
        :data:`convbook.row_winograd.TRANSFORMS` (4, 5), with a contraction
        ``C_in/groups·s_w·K_h`` of at least :data:`ROW_MIN_CONTRACTION`, at
        least :data:`ROW_MIN_TILES` row tiles over the batch, one output row's
        temporaries and one sample's folded input within a quarter of
        :data:`~convbook._tiling.MAX_TEMP_BYTES`, and no NaN or infinity;
        ``"im2col"``: everything else.
    """
    c_in_g = args.weight.shape[1]
    if all(k == 1 for k in args.kernel_size) and not any(args.padding):
        return "pointwise"
    if c_in_g == 1 and args.groups > 1:
        if (len(args.kernel_size) == 2 and args.stride == (1, 1)
                and depthwise.channel_bytes(args, args.out_shape[1] // args.groups) <= _tiling.MAX_TEMP_BYTES // 4):
            return "depthwise"
        return "depthwise_im2col"
    if len(args.kernel_size) != 2 or args.dilation != (1, 1) or args.dtype not in WINOGRAD_DTYPES:
        return "im2col"
    bound = _tiling.MAX_TEMP_BYTES // 4
    strategy = None
    # 2-D Winograd, on the layer folded by its stride if it has one
    strided = args.stride != (1, 1)
    folded = phases.folded_kernel(args.kernel_size, args.stride)             # the kernel itself at stride 1
    c_fold = c_in_g * math.prod(args.stride)
    transform = WINOGRAD.get(folded)
    if transform is not None and c_fold >= (PHASES_MIN_CHANNELS if strided else WINOGRAD_MIN_CHANNELS):
        blocks = args.out_shape[0] * math.prod(-(-size // transform.m) for size in args.out_shape[2:])
        filters_bytes = transform.alpha ** 2 * args.out_shape[1] * c_fold * args.dtype.itemsize
        if (blocks >= (PHASES_MIN_BLOCKS if strided else WINOGRAD_MIN_BLOCKS) and filters_bytes <= bound
                and not (strided and phases.folded_input_bytes(args) > bound)):
            strategy = "phases_winograd" if strided else "winograd"
    # else Winograd along the width only, the width folded by its stride
    row = row_winograd.TRANSFORMS.get(folded[1])
    if strategy is None and row is not None:
        row_tiles = args.out_shape[0] * args.out_shape[2] * -(-args.out_shape[3] // row.m)
        if (c_in_g * args.stride[1] * args.kernel_size[0] >= ROW_MIN_CONTRACTION and row_tiles >= ROW_MIN_TILES
                and row_winograd.position_bytes(args, row) * -(-args.out_shape[3] // row.m) <= bound
                and row_winograd.folded_sample_bytes(args, row) <= bound):
            strategy = "row_winograd"
    if strategy is None or not (np.isfinite(np.sum(args.x)) and np.isfinite(np.sum(args.weight))):
        return "im2col"
    return strategy


def _pointwise(args, out):
    """1×1 kernels: per sample and group, ``out = weight @ x`` over flattened pixels.

    At stride 1 on a contiguous input the pixels are a view and one ``np.matmul``
    call does every sample; otherwise runs of output rows are copied, a tile at a time.
    """
    x, groups = args.x, args.groups
    n, c_in = x.shape[:2]
    c_out = out.shape[1]
    weight = args.weight.reshape(groups, c_out // groups, c_in // groups)         # (G, C_out/G, C_in/G)
    out_spatial = out.shape[2:]
    if x.flags.c_contiguous and max(args.stride) == 1:
        positions = math.prod(out_spatial)
        np.matmul(weight, x.reshape(n, groups, c_in // groups, positions),       # (N, G, C_in/G, P), a view
                  out=out.reshape(n, groups, c_out // groups, positions))
        return
    row_positions = math.prod(out_spatial[1:])
    rows_per_tile = max(1, _tiling.TILE_BYTES // max(1, c_in * row_positions * x.itemsize))
    for sample in range(n):
        for r0 in range(0, out_spatial[0], rows_per_tile):
            r1 = min(out_spatial[0], r0 + rows_per_tile)
            positions = (r1 - r0) * row_positions
            source = x[(sample, slice(None), slice(r0 * args.stride[0], r1 * args.stride[0], args.stride[0]),
                        *(slice(None, None, s) for s in args.stride[1:]))]
            np.matmul(weight, source.reshape(groups, c_in // groups, positions),    # (G, C_in/G, P), a copy
                      out=out[sample, :, r0:r1].reshape(groups, c_out // groups, positions))


def _depthwise(args, out):
    """One input channel per group, 2-D, unit stride: row taps, :func:`convbook.depthwise.conv2d`."""
    depthwise.conv2d(args, out)


def _depthwise_im2col(args, out):
    """One input channel per group: im2col with ``K = K_h·K_w``, a block of channels at a time.

    Each channel's product is a matrix-vector product over its output positions,
    and a block of channels runs them all inside one ``np.matmul`` call. Blocking
    by channels rather than by output rows keeps each of those products long: with
    so little arithmetic per gathered value, per-product overhead is what counts.
    """
    x = args.x
    channels = x.shape[1]
    multiplier = out.shape[1] // channels
    channel_bytes = x.shape[0] * math.prod(args.kernel_size) * math.prod(out.shape[2:]) * x.itemsize
    block = max(1, _tiling.TILE_BYTES // max(1, channel_bytes))
    for c0 in range(0, channels, block):
        c1 = min(channels, c0 + block)
        _gemm_by_tiles(args, x[:, c0:c1], args.weight[c0 * multiplier:c1 * multiplier], c1 - c0,
                       out[:, c0 * multiplier:c1 * multiplier])


def _winograd(args, out):
    """3×3 or 5×5, stride 1: Winograd's minimal filtering (:data:`WINOGRAD`), :func:`convbook.winograd.conv2d`."""
    winograd.conv2d(args, out, WINOGRAD[args.kernel_size])


def _phases_winograd(args, out):
    """A strided layer whose folded kernel is 3×3 or 5×5: fold it (:mod:`convbook.phases`), then Winograd.

    The folded layer has stride 1, ``C_in·s_h·s_w`` input maps and the same output.
    """
    folded = ConvArgs("conv2d", phases.fold_input(args.x, args.stride, args.padding, args.out_shape[2:],
                                                  args.kernel_size, _tiling.scratch(args.dtype)),
                      phases.fold_weight(args.weight, args.stride), None, 1, 0, 1, args.groups, 2)
    winograd.conv2d(folded, out, WINOGRAD[folded.kernel_size])


def _row_winograd(args, out):
    """Winograd along the width only, :mod:`convbook.row_winograd`."""
    row_winograd.conv2d(args, out, row_winograd.TRANSFORMS[phases.folded_kernel(args.kernel_size, args.stride)[1]])


def _im2col(args, out):
    """General case: gather receptive fields into a column matrix per tile, then one stacked GEMM."""
    _gemm_by_tiles(args, args.x, args.weight, args.groups, out)


def _gemm_by_tiles(args, x, weight, groups, out):
    """Convolve ``x`` with ``weight`` in ``groups`` into ``out``, with the geometry of ``args``.

    For each tile of output positions: pad, gather the columns, multiply straight
    into ``out``. The column matrix is ordered (channel, taps...) like the weight's
    own memory (OIHW), so the weight is used as is, reshaped to (G, C_out/G, K),
    and every group of the tile is multiplied in one ``np.matmul`` call.
    """
    n, c_in = x.shape[:2]
    c_out = out.shape[1]
    taps = math.prod(args.kernel_size)
    weight = weight.reshape(groups, c_out // groups, c_in // groups * taps)       # (G, C_out/G, K)
    scratch = _tiling.scratch(x.dtype)
    for n0, n1, tile in _tiling.tiles(out.shape[2:], n, c_in * taps * x.itemsize):
        slab = _gather.input_slab(x, args, n0, n1, tile)                                # (n, C_in, *extent)
        cols = _gather.columns(slab, args, tile, scratch)                               # (n, C_in·taps, P)
        positions = cols.shape[2]
        dest = out[(slice(n0, n1), slice(None), *(slice(a, b) for a, b in tile))]
        # a tile is whole rows, or part of one row: its positions merge into one axis, so this is a view
        dest = dest.reshape(n1 - n0, groups, c_out // groups, positions)         # (n, G, C_out/G, P)
        np.matmul(weight, cols.reshape(n1 - n0, groups, -1, positions), out=dest)
