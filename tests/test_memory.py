"""Memory safety: the fast paths work in tiles, so their temporaries stay small.

NumPy reports its data allocations to ``tracemalloc``, so the traced peak during
one call, minus what was live before and the output it returns, is the most
the call held in temporaries at any moment. That is deterministic (it counts
bytes, not time). The cases are chosen so that the unchunked column matrix
would be many times the bound.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import convbook._tiling
import convbook.conv
import convbook.pool
from convbook import avg_pool2d, conv2d, max_pool2d

MiB = 2**20


def _peak_temporaries(call):
    """Run ``call()`` under tracemalloc; return (result, bytes held beyond the result at the peak)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # tracing works: the result itself was seen being allocated
    assert after - before >= result.nbytes
    return result, peak - before - result.nbytes


def _spot_check(out, x, weight, padding, positions, stride=1):
    """A few outputs by their defining sum, on the (float64) window."""
    k_h, k_w = weight.shape[2:]
    padded = np.pad(x[:, :, :, :], [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    for n, o, i, j in positions:
        window = padded[n, :, stride * i:stride * i + k_h, stride * j:stride * j + k_w].astype(np.float64)
        expected = np.sum(window * weight[o].astype(np.float64))
        bound = 1e-4 * (np.sum(np.abs(window) * np.abs(weight[o])) + 1)
        assert abs(out[n, o, i, j] - expected) <= bound


@pytest.fixture(scope="module")
def big_case():
    rng = np.random.default_rng(50)
    x = rng.standard_normal((4, 16, 256, 256), dtype=np.float32)
    weight = rng.standard_normal((16, 16, 3, 3), dtype=np.float32)
    return x, weight


@pytest.mark.parametrize("tile_bytes", [None, 1 * MiB])
def test_im2col_temporaries_stay_within_a_few_tiles(big_case, tile_bytes, monkeypatch):
    x, weight = big_case
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_CHANNELS", 10**9)     # this 3x3 layer would be Winograd's
    if tile_bytes is not None:
        monkeypatch.setattr(convbook._tiling, "TILE_BYTES", tile_bytes)
    tile = convbook._tiling.TILE_BYTES
    n, c_in, h, w = x.shape
    unchunked = n * h * w * weight[0].size * x.itemsize           # the whole column matrix: ~151 MB
    padded_sample = c_in * (h + 2) * (w + 2) * x.itemsize          # one padded input sample
    bound = 3 * tile + padded_sample
    assert unchunked >= 5 * bound
    out, temporaries = _peak_temporaries(lambda: conv2d(x, weight, padding=1))
    assert out.shape == (4, 16, 256, 256) and out.dtype == np.float32
    assert temporaries <= bound, f"{temporaries / MiB:.1f} MiB > {bound / MiB:.1f} MiB"
    _spot_check(out, x, weight, 1, [(0, 0, 0, 0), (3, 15, 255, 255), (1, 7, 128, 3), (2, 3, 77, 200)])


@pytest.mark.parametrize("tile_bytes", [None, 1 * MiB])
def test_winograd_temporaries_stay_within_a_few_tiles(big_case, tile_bytes, monkeypatch):
    x, weight = big_case
    if tile_bytes is not None:
        monkeypatch.setattr(convbook._tiling, "TILE_BYTES", tile_bytes)
    tile = convbook._tiling.TILE_BYTES
    calls = []
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_CHANNELS", 16)            # this layer has 16
    monkeypatch.setattr(convbook.conv, "_im2col", lambda *args: calls.append("im2col"))
    padded_sample = 16 * 258 * 258 * x.itemsize                    # one padded input sample
    filters = 36 * weight.size // 9 * x.itemsize                   # the transformed filters
    bound = 2 * tile + padded_sample + filters
    out, temporaries = _peak_temporaries(lambda: conv2d(x, weight, padding=1))
    assert calls == []                                             # neither dispatched nor fallen back to im2col
    assert temporaries <= bound, f"{temporaries / MiB:.1f} MiB > {bound / MiB:.1f} MiB"
    _spot_check(out, x, weight, 1, [(0, 0, 0, 0), (3, 15, 255, 255), (1, 7, 128, 3), (2, 3, 77, 200)])


# Each folded path holds input-sized folds besides its tiles. The phases path: 5x5 at stride 2
# folds to 3x3 on 64 maps, the padded input and its phases for both samples, (128 + 3 - 1)^2 per
# phase map, plus 36 transformed 16 x 64 filters. The row path: GoogLeNet's 7x7 at stride 2 on 3
# maps holds one sample folded along the width (6 maps of 517 x 259, and its padded copy).
FOLDED_PATHS = {
    "phases_winograd": ((2, 16, 256, 256), (16, 16, 5, 5), 2, 2 * (2 * 64 * 130 * 130) + 36 * 16 * 64),
    "row_winograd": ((2, 3, 512, 512), (64, 3, 7, 7), 3, 2 * (6 * 517 * 259)),
}


@pytest.mark.parametrize("strategy", FOLDED_PATHS)
def test_folded_paths_hold_their_folds_and_a_few_tiles(monkeypatch, strategy):
    x_shape, w_shape, padding, folds = FOLDED_PATHS[strategy]
    rng = np.random.default_rng(51)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    weight = rng.standard_normal(w_shape, dtype=np.float32)
    calls = []
    monkeypatch.setattr(convbook.conv, "_im2col", lambda *args: calls.append("im2col"))
    assert convbook.conv.strategy(x, weight, stride=2, padding=padding) == strategy
    bound = folds * x.itemsize + 3 * convbook._tiling.TILE_BYTES
    out_positions = x_shape[0] * (x_shape[2] // 2) ** 2
    assert out_positions * weight[0].size * x.itemsize > bound      # im2col unchunked would hold more
    out, temporaries = _peak_temporaries(lambda: conv2d(x, weight, stride=2, padding=padding))
    assert calls == []
    assert temporaries <= bound, f"{temporaries / MiB:.1f} MiB > {bound / MiB:.1f} MiB"
    last = (out.shape[0] - 1, out.shape[1] - 1, out.shape[2] - 1, out.shape[3] - 1)
    _spot_check(out, x, weight, padding, [(0, 0, 0, 0), last, (0, 7, 64, 3)], stride=2)


def test_scratch_keeps_only_tile_sized_buffers_between_calls(monkeypatch):
    # one output row of columns (512 x 32 x 9 floats, 576 KiB) is more than a 64 KiB tile: the call
    # needs larger buffers, and frees them when it returns; tile-sized ones stay for the next call
    monkeypatch.setattr(convbook._tiling, "TILE_BYTES", 64 * 1024)
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_CHANNELS", 10**9)
    rng = np.random.default_rng(54)
    x = rng.standard_normal((1, 32, 8, 512), dtype=np.float32)
    weight = rng.standard_normal((8, 32, 3, 3), dtype=np.float32)
    space = convbook._tiling.scratch(np.float32)
    grown = []
    original = space.take

    def take(name, shape):
        view = original(name, shape)
        grown.append(view.nbytes)
        return view

    monkeypatch.setattr(space, "take", take)
    conv2d(x, weight, padding=1)
    assert max(grown) > convbook._tiling.TILE_BYTES                       # the call needed more
    assert all(flat.nbytes <= convbook._tiling.TILE_BYTES for flat in space._flat.values())


def test_im2col_column_tiles_stay_within_a_few_tiles(monkeypatch):
    # a "row too big" layer: MAX_TEMP_BYTES lowered so each output row is split into column tiles
    rng = np.random.default_rng(51)
    x = rng.standard_normal((1, 32, 64, 512), dtype=np.float32)
    weight = rng.standard_normal((8, 32, 3, 3), dtype=np.float32)
    monkeypatch.setattr(convbook._tiling, "TILE_BYTES", 64 * 1024)
    monkeypatch.setattr(convbook._tiling, "MAX_TEMP_BYTES", 1 * MiB)
    row = 512 * weight[0].size * x.itemsize                        # one output row of columns: 576 KiB
    assert row > convbook._tiling.MAX_TEMP_BYTES // 4
    bound = 3 * convbook._tiling.TILE_BYTES + 3 * 514 * 32 * x.itemsize   # + one padded strip of 3 input rows
    out, temporaries = _peak_temporaries(lambda: conv2d(x, weight, padding=1))
    assert temporaries <= bound, f"{temporaries / 1024:.0f} KiB > {bound / 1024:.0f} KiB"
    _spot_check(out, x, weight, 1, [(0, 0, 0, 0), (0, 7, 63, 511), (0, 3, 31, 256)])


def test_depthwise_temporaries_stay_within_a_few_tiles(monkeypatch):
    monkeypatch.setattr(convbook._tiling, "TILE_BYTES", 1 * MiB)
    rng = np.random.default_rng(52)
    x = rng.standard_normal((2, 64, 128, 128), dtype=np.float32)
    weight = rng.standard_normal((128, 1, 3, 3), dtype=np.float32)
    tile = convbook._tiling.TILE_BYTES
    per_map = (130 * 130 + 2 * 128 * 128) * x.itemsize            # one padded map and its outputs
    bound = 2 * tile + 4 * per_map
    whole_copies = x.nbytes + 2 * (out_bytes := 2 * 128 * 128 * 128 * x.itemsize)   # pad all maps, scratch for all outputs
    assert whole_copies >= 10 * bound
    out, temporaries = _peak_temporaries(lambda: conv2d(x, weight, padding=1, groups=64))
    assert out.nbytes == out_bytes
    assert temporaries <= bound, f"{temporaries / MiB:.1f} MiB > {bound / MiB:.1f} MiB"
    # one output by hand: channel 5 of sample 1, multiplier 1 -> output 11
    window = np.pad(x[1, 5], 1)[40:43, 60:63].astype(np.float64)
    assert abs(out[1, 11, 40, 60] - np.sum(window * weight[11, 0])) <= 1e-4 * (np.abs(window).sum() + 1) * 3


def test_pointwise_stride_1_needs_no_copy_of_the_input():
    rng = np.random.default_rng(53)
    x = rng.standard_normal((2, 64, 128, 128), dtype=np.float32)
    weight = rng.standard_normal((32, 64, 1, 1), dtype=np.float32)
    out, temporaries = _peak_temporaries(lambda: conv2d(x, weight))
    assert temporaries <= x.nbytes // 8, f"{temporaries / MiB:.1f} MiB"
    np.testing.assert_allclose(out[1, :, 5, 7], weight[:, :, 0, 0] @ x[1, :, 5, 7], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pool_temporaries_stay_within_a_few_blocks(big_case, pool, monkeypatch):
    x, _ = big_case
    monkeypatch.setattr(convbook._tiling, "TILE_BYTES", MiB // 4)
    padded_map = 258 * 258 * x.itemsize                              # one padded map
    bound = 3 * convbook._tiling.TILE_BYTES + 2 * padded_map
    assert x.nbytes >= 5 * bound                                     # a padded copy of x would not fit
    out, temporaries = _peak_temporaries(lambda: pool(x, 3, stride=2, padding=1))
    assert out.shape == (4, 16, 128, 128)
    assert temporaries <= bound, f"{temporaries / MiB:.1f} MiB > {bound / MiB:.1f} MiB"
    window = np.pad(x[2, 9], 1, constant_values=np.nan)[2 * 50:2 * 50 + 3, 2 * 60:2 * 60 + 3]
    expected = np.nanmax(window) if pool is max_pool2d else np.nansum(window) / 9
    assert out[2, 9, 50, 60] == pytest.approx(expected, rel=1e-5)
