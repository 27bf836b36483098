"""max_pool2d and avg_pool2d against the loop definitions, hand-worked values and identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convbook
import convbook.conv
import convbook.pool
from convbook import avg_pool2d, avg_pool2d_loops, conv_output_size, global_avg_pool2d, max_pool2d, max_pool2d_loops


@st.composite
def pool_cases(draw, dtype=np.float64, batch=(1, 2)):
    """A valid pooling layer: ``x`` and keyword arguments (padding at most half the window)."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3)), st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(max(1, k - 2 * p) + draw(st.integers(0, 6)) for k, p in zip(kernel, padding))
    shape = (draw(st.integers(*batch)), draw(st.integers(1, 3)), *size)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape, endpoint=True).astype(dtype)
    else:
        x = rng.standard_normal(shape).astype(dtype)
    kernel_arg = kernel[0] if kernel[0] == kernel[1] and draw(st.booleans()) else kernel
    return x, dict(kernel_size=kernel_arg, stride=stride, padding=padding, ceil_mode=draw(st.booleans()))


def _scale(x):
    return float(np.max(np.abs(x), initial=0.0)) + 1.0


# --------------------------------------------------------------------------- against the loops


@settings(max_examples=100)
@given(case=pool_cases(dtype=np.float64))
def test_max_pool2d_matches_loops(close, case):
    x, params = case
    out = max_pool2d(x, **params)
    close(out, max_pool2d_loops(x, **params))
    assert out.dtype == x.dtype


@settings(max_examples=100)
@given(case=pool_cases(dtype=np.float64), count_include_pad=st.booleans())
def test_avg_pool2d_matches_loops(close, case, count_include_pad):
    x, params = case
    out = avg_pool2d(x, count_include_pad=count_include_pad, **params)
    close(out, avg_pool2d_loops(x, count_include_pad=count_include_pad, **params), magnitude=_scale(x))


@pytest.mark.parametrize("dtype, avg_dtype", [(np.float32, np.float32), (np.int64, np.float64)])
@settings(max_examples=25)
@given(data=st.data(), count_include_pad=st.booleans())
def test_pools_keep_or_promote_dtype(close, data, count_include_pad, dtype, avg_dtype):
    # max keeps the dtype (exact for integers); avg keeps floats and averages integers to float64
    x, params = data.draw(pool_cases(dtype=dtype))
    out_max = max_pool2d(x, **params)
    assert out_max.dtype == dtype
    close(out_max, max_pool2d_loops(x, **params))
    out_avg = avg_pool2d(x, count_include_pad=count_include_pad, **params)
    assert out_avg.dtype == avg_dtype
    close(out_avg, avg_pool2d_loops(x, count_include_pad=count_include_pad, **params), magnitude=_scale(x))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.float16])
def test_max_pool2d_small_dtypes_with_padding(close, dtype):
    # the padding never wins, even against the smallest value of the dtype
    if np.dtype(dtype).kind == "f":
        low = np.finfo(dtype).min
    else:
        low = np.iinfo(dtype).min
    x = np.full((1, 2, 5, 4), low, dtype=dtype)
    x[0, 1, 4, 3] = low + 1
    out = max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
    assert out.dtype == np.dtype(dtype)
    close(out, max_pool2d_loops(x, 3, stride=2, padding=1, ceil_mode=True))
    assert (out[0, 0] == low).all()
    assert out[0, 1, -1, -1] == low + 1


@settings(max_examples=30)
@given(case=pool_cases(dtype=np.float64, batch=(1, 3)), count_include_pad=st.booleans())
def test_pools_with_one_map_per_block_match_loops(close, case, count_include_pad):
    # 64-byte blocks: every (sample, channel) map is pooled in a block of its own
    x, params = case
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convbook._tiling, "TILE_BYTES", 64)   # the one patch point for every tiled path
        close(max_pool2d(x, **params), max_pool2d_loops(x, **params))
        close(avg_pool2d(x, count_include_pad=count_include_pad, **params),
              avg_pool2d_loops(x, count_include_pad=count_include_pad, **params), magnitude=_scale(x))


def test_pool_blocks_split_large_inputs(close, monkeypatch):
    rng = np.random.default_rng(20)
    x = rng.standard_normal((3, 5, 9, 8))
    expected_max = max_pool2d_loops(x, 3, stride=2, padding=1, ceil_mode=True)
    expected_avg = avg_pool2d_loops(x, (3, 2), stride=(2, 1), padding=(1, 1), count_include_pad=False)
    for tile in (64, 11 * 10 * 8 * 2, 11 * 10 * 8 * 4 + 8):       # 1, 2, 4 maps per block
        monkeypatch.setattr(convbook._tiling, "TILE_BYTES", tile)
        close(max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), expected_max)
        close(avg_pool2d(x, (3, 2), stride=(2, 1), padding=(1, 1), count_include_pad=False), expected_avg)


# --------------------------------------------------------------------------- per map


@settings(max_examples=30)
@given(case=pool_cases(dtype=np.float64, batch=(1, 2)), seed=st.integers(0, 2**32 - 1))
def test_pooling_commutes_with_permuting_channels_and_samples(close, case, seed):
    x, params = case
    rng = np.random.default_rng(seed)
    channels = rng.permutation(x.shape[1])
    samples = rng.permutation(x.shape[0])
    for pool in (max_pool2d, avg_pool2d):
        out = pool(x, **params)
        np.testing.assert_array_equal(pool(x[:, channels], **params), out[:, channels])
        np.testing.assert_array_equal(pool(x[samples], **params), out[samples])


def test_pooling_output_channel_depends_only_on_its_input_channel():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((2, 4, 7, 7))
    changed = x.copy()
    changed[:, 2] = rng.standard_normal((2, 7, 7)) * 100
    for pool in (max_pool2d, avg_pool2d):
        a, b = pool(x, 3, stride=2, padding=1), pool(changed, 3, stride=2, padding=1)
        assert a.shape[1] == 4                              # channel count unchanged
        np.testing.assert_array_equal(np.delete(a, 2, axis=1), np.delete(b, 2, axis=1))
        assert not np.array_equal(a[:, 2], b[:, 2])


# --------------------------------------------------------------------------- NaN


def _windows_covering(index, kernel, stride, padding, out_hw):
    """Boolean (H_out, W_out) mask: which windows contain input position ``index`` (h, w)."""
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = kernel, stride, padding
    h, w = index
    i = np.arange(out_hw[0])[:, None]
    j = np.arange(out_hw[1])[None, :]
    return ((i * s_h - p_h <= h) & (h < i * s_h - p_h + k_h)
            & (j * s_w - p_w <= w) & (w < j * s_w - p_w + k_w))


@settings(max_examples=40)
@given(case=pool_cases(dtype=np.float64), data=st.data())
def test_nan_propagates_through_max_pool2d(close, case, data):
    x, params = case
    x = x.copy()
    n, c, h, w = (data.draw(st.integers(0, s - 1)) for s in x.shape)
    x[n, c, h, w] = np.nan
    out = max_pool2d(x, **params)
    k = np.broadcast_to(params["kernel_size"], 2)
    s = k if params["stride"] is None else np.broadcast_to(params["stride"], 2)
    mask = np.zeros(out.shape, dtype=bool)
    mask[n, c] = _windows_covering((h, w), k, s, params["padding"], out.shape[2:])
    np.testing.assert_array_equal(np.isnan(out), mask)
    close(out, max_pool2d_loops(x, **params))
    np.testing.assert_array_equal(np.isnan(avg_pool2d(x, **params)), mask)


def test_nan_wins_wherever_it_sits_in_the_window():
    for position in np.ndindex(3, 3):
        x = np.zeros((1, 1, 3, 3))
        x[(0, 0, *position)] = np.nan
        x[0, 0, 1, 1] = np.inf if position != (1, 1) else np.nan
        assert np.isnan(max_pool2d(x, 3)[0, 0, 0, 0]), position


# --------------------------------------------------------------------------- shapes and hand-worked values


def test_googlenet_ceil_mode_112_to_56():
    x = np.zeros((1, 2, 112, 112), dtype=np.float32)
    assert max_pool2d(x, 3, stride=2, ceil_mode=True).shape == (1, 2, 56, 56)
    assert max_pool2d(x, 3, stride=2).shape == (1, 2, 55, 55)
    # GoogLeNet's other ceil-mode pools: 56 -> 28, 28 -> 14, 14 -> 7
    for size, expected in [(56, 28), (28, 14), (14, 7)]:
        assert max_pool2d(np.zeros((1, 1, size, size)), 3, stride=2, ceil_mode=True).shape[2:] == (expected,) * 2


def test_alexnet_overlapping_pool_55_to_27():
    x = np.zeros((1, 3, 55, 55))
    assert max_pool2d(x, 3, stride=2).shape == (1, 3, 27, 27)
    assert max_pool2d(np.zeros((1, 1, 27, 27)), 3, stride=2).shape == (1, 1, 13, 13)
    assert max_pool2d(np.zeros((1, 1, 13, 13)), 3, stride=2).shape == (1, 1, 6, 6)


def test_pool_shapes_agree_with_conv_output_size():
    for size in range(1, 12):
        for k in range(1, min(size, 4) + 1):
            for s in range(1, 4):
                for p in range(0, k // 2 + 1):
                    for ceil_mode in (False, True):
                        out = max_pool2d(np.zeros((1, 1, size, size + 1)), k, stride=s, padding=p,
                                         ceil_mode=ceil_mode)
                        assert out.shape[2:] == (
                            conv_output_size(size, k, stride=s, padding=p, ceil_mode=ceil_mode),
                            conv_output_size(size + 1, k, stride=s, padding=p, ceil_mode=ceil_mode),
                        )


def test_stride_defaults_to_kernel_size():
    rng = np.random.default_rng(22)
    x = rng.standard_normal((1, 2, 9, 8))
    np.testing.assert_array_equal(max_pool2d(x, (3, 2)), max_pool2d(x, (3, 2), stride=(3, 2)))
    np.testing.assert_array_equal(avg_pool2d(x, 3), avg_pool2d(x, 3, stride=3))


def test_pools_hand_worked():
    x = np.arange(16.0).reshape(1, 1, 4, 4)               # x[i, j] = 4 i + j
    np.testing.assert_array_equal(max_pool2d(x, 2)[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(avg_pool2d(x, 2)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    # overlapping 3x3, stride 1: max is the bottom-right value of each window
    np.testing.assert_array_equal(max_pool2d(x, 3, stride=1)[0, 0], [[10, 11], [14, 15]])
    # padding 1, 3x3, stride 2 on a 2x2 map of ones: one window, 4 ones in 9 positions
    ones = np.ones((1, 1, 2, 2))
    assert avg_pool2d(ones, 3, stride=2, padding=1)[0, 0, 0, 0] == 4 / 9
    assert avg_pool2d(ones, 3, stride=2, padding=1, count_include_pad=False)[0, 0, 0, 0] == 1.0
    assert max_pool2d(-ones, 3, stride=2, padding=1)[0, 0, 0, 0] == -1.0     # the padding is not 0


def test_ceil_mode_hand_worked():
    x = np.arange(25.0).reshape(1, 1, 5, 5)               # x[i, j] = 5 i + j
    np.testing.assert_array_equal(max_pool2d(x, 2, ceil_mode=True)[0, 0],
                                  [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    np.testing.assert_array_equal(avg_pool2d(x, 2, ceil_mode=True)[0, 0],
                                  [[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]])
    # padding 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 would start in the right padding
    out = max_pool2d(x, 2, padding=1, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(out[0, 0], [[0, 2, 4], [10, 12, 14], [20, 22, 24]])
    # with count_include_pad the corner window counts its padding: (0) / 4; without: 0 / 1
    avg = avg_pool2d(x + 1, 2, padding=1, ceil_mode=True)
    assert avg[0, 0, 0, 0] == 1 / 4
    assert avg_pool2d(x + 1, 2, padding=1, ceil_mode=True, count_include_pad=False)[0, 0, 0, 0] == 1.0
    # window (2, 1) covers rows 3, 4 and columns 1, 2 of the input: x + 1 = 5 i + j + 1 there
    assert avg[0, 0, 2, 1] == (17 + 18 + 22 + 23) / 4


def test_avg_pool2d_ceil_mode_overhang_is_not_counted():
    # 5 columns, 2x2 windows, stride 2, ceil_mode: the last window overhangs the
    # input with no padding there: its divisor is 2 (count_include_pad or not)
    x = np.ones((1, 1, 2, 5))
    x[0, 0, :, 4] = 3.0
    for count_include_pad in (True, False):
        out = avg_pool2d(x, 2, ceil_mode=True, count_include_pad=count_include_pad)
        np.testing.assert_array_equal(out[0, 0], [[1.0, 1.0, 3.0]])


def test_pools_of_an_empty_batch():
    for pool in (max_pool2d, avg_pool2d):
        out = pool(np.zeros((0, 3, 8, 8), dtype=np.float32), 3, stride=2, padding=1)
        assert out.shape == (0, 3, 4, 4)
        assert out.dtype == np.float32
    assert max_pool2d(np.zeros((2, 0, 5, 5)), 2).shape == (2, 0, 2, 2)


# --------------------------------------------------------------------------- global average pooling


@settings(max_examples=30)
@given(shape=st.tuples(st.integers(0, 2), st.integers(1, 4), st.integers(1, 6), st.integers(1, 6)),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float64, np.float32, np.int64]))
def test_global_avg_pool2d_is_the_mean_of_each_map(close, shape, seed, dtype):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 10).astype(dtype) if np.dtype(dtype).kind == "f" \
        else rng.integers(-100, 100, size=shape).astype(dtype)
    out = global_avg_pool2d(x)
    expected_dtype = np.float32 if dtype == np.float32 else np.float64
    assert out.shape == (*shape[:2], 1, 1)
    assert out.dtype == expected_dtype
    expected = np.empty(out.shape)
    for n in range(shape[0]):
        for c in range(shape[1]):
            total = 0.0
            for h in range(shape[2]):
                for w in range(shape[3]):
                    total += float(x[n, c, h, w])
            expected[n, c, 0, 0] = total / (shape[2] * shape[3])
    close(out, expected.astype(expected_dtype), magnitude=np.abs(x).max(initial=0) + 1.0)


def test_global_avg_pool2d_hand_worked():
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(global_avg_pool2d(x).ravel(), [1.5, 5.5])
    x = np.arange(12).reshape(1, 1, 3, 4)
    out = global_avg_pool2d(x)
    assert out.dtype == np.float64 and out[0, 0, 0, 0] == 5.5
