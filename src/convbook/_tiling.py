r"""The temporaries of the fast paths: how big they may be, the tiles, the buffers that hold them.

The fast paths (:mod:`convbook.conv`, :mod:`convbook.winograd`,
:mod:`convbook.depthwise`, :mod:`convbook.pool`) never build a temporary for
the whole input at once: they cut the output into tiles whose temporaries take
about :data:`TILE_BYTES`, and no temporary ever exceeds :data:`MAX_TEMP_BYTES`.
Both are read at call time from this module, so a test that patches them here
changes every path.

The temporaries live in :func:`scratch` buffers that each thread keeps between
calls, those of at most :data:`TILE_BYTES` each (a few of them per strategy, so a
few tens of MiB per thread and dtype at most): on this project's reference
machine, allocating a few MiB of temporaries afresh at every call (the C library
returns them to the system in between, and touching new pages costs a fault per
4 KiB) doubled the time of a Winograd layer.
"""

from __future__ import annotations

import math
import threading

import numpy as np

TILE_BYTES = 8 * 2**20
"""Target size of one tile's temporaries (a column matrix, a block of transformed tiles), in bytes."""

MAX_TEMP_BYTES = 256 * 2**20
"""No temporary array allocated by the fast paths is larger than this, whatever the input."""


def tiles(out_spatial, n, position_bytes):
    """Split ``n`` samples of output positions into tiles whose temporaries take about :data:`TILE_BYTES`.

    Parameters
    ----------
    out_spatial : tuple of int
        The output's spatial shape, (H_out, W_out) or (D_out, H_out, W_out).
    n : int
        Batch size.
    position_bytes : int
        Bytes of temporaries needed per output position.

    Yields
    ------
    n0, n1 : int
        The samples of the tile, ``n0:n1``.
    tile : tuple of (int, int)
        ``(start, stop)`` per spatial axis: several whole samples if they fit,
        else runs of output rows (first spatial axis) of one sample; if a single
        row would exceed ``MAX_TEMP_BYTES / 4``, runs along the second axis of one row.
    """
    row_positions = math.prod(out_spatial[1:])
    row_bytes = row_positions * position_bytes
    rows_per_tile = max(1, TILE_BYTES // max(1, row_bytes))
    cols_per_tile = out_spatial[1]
    if row_bytes > MAX_TEMP_BYTES // 4:                                # one output row alone is too big
        rows_per_tile = 1
        column_bytes = math.prod(out_spatial[2:]) * position_bytes
        cols_per_tile = max(1, TILE_BYTES // max(1, column_bytes))
    samples_per_tile = max(1, rows_per_tile // out_spatial[0])
    rest = tuple((0, size) for size in out_spatial[2:])
    for n0 in range(0, n, samples_per_tile):
        n1 = min(n, n0 + samples_per_tile)
        for r0 in range(0, out_spatial[0], rows_per_tile):
            r1 = min(out_spatial[0], r0 + rows_per_tile)
            for q0 in range(0, out_spatial[1], cols_per_tile):
                yield n0, n1, ((r0, r1), (q0, min(out_spatial[1], q0 + cols_per_tile)), *rest)


class Scratch:
    """Named growing flat buffers whose views serve as the temporaries of every tile in turn.

    Tiles of one call then allocate (and page-fault) their temporaries once, not
    once per tile; the :func:`scratch` of a thread keeps them for later calls too.
    """

    def __init__(self, dtype):
        self._dtype = np.dtype(dtype)
        self._flat = {}

    def take(self, name, shape):
        """A ``shape`` view of buffer ``name``, grown if needed; its contents are undefined."""
        size = math.prod(shape)
        flat = self._flat.get(name)
        if flat is None or flat.size < size:
            flat = self._flat[name] = np.empty(size, dtype=self._dtype)
        return flat[:size].reshape(shape)

    def trim(self, limit):
        """Drop the buffers larger than ``limit`` bytes."""
        for name in [name for name, flat in self._flat.items() if flat.nbytes > limit]:
            del self._flat[name]


_THREAD = threading.local()


def scratch(dtype):
    """The calling thread's :class:`Scratch` for ``dtype``, kept between calls.

    The fast paths take their temporaries from it; :func:`release`, at the end of
    each call, frees any buffer larger than :data:`TILE_BYTES` (a layer whose
    single output row needed more) and keeps the others for the next call.
    """
    spaces = _THREAD.__dict__.setdefault("spaces", {})
    key = np.dtype(dtype)
    if key not in spaces:
        spaces[key] = Scratch(key)
    return spaces[key]


def release(dtype):
    """End of a call: free the calling thread's ``dtype`` buffers larger than :data:`TILE_BYTES`."""
    scratch(dtype).trim(TILE_BYTES)
