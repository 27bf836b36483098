"""The loop definitions themselves: checked by hand and against SciPy, and order-independent.

The loops of :mod:`convbook.reference` are the oracle of every other test, so
they are checked here against values worked out by hand and against
``scipy.signal.correlate`` (an implementation that shares no code with them).
Their ``order`` argument shows that the output positions can be visited in any
order: no output reads another one.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.signal
from helpers import dilate
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from convbook import avg_pool2d_loops, conv2d_loops, conv3d_loops, max_pool2d_loops

# --------------------------------------------------------------------------- the oracle, checked


def test_conv2d_loops_hand_worked():
    x = np.arange(16.0).reshape(1, 1, 4, 4)               # x[i, j] = 4 i + j
    out = conv2d_loops(x, np.ones((1, 1, 2, 2)))
    # x[i,j] + x[i,j+1] + x[i+1,j] + x[i+1,j+1] = 16 i + 4 j + 10
    i, j = np.mgrid[0:3, 0:3]
    np.testing.assert_array_equal(out[0, 0], 16 * i + 4 * j + 10)
    # padding 1, stride 3: outputs (0, 0) and (0, 3) read one corner each
    padded = conv2d_loops(x, np.ones((1, 1, 2, 2)), padding=1, stride=3)
    np.testing.assert_array_equal(padded[0, 0], [[0.0, 2 + 3], [8 + 12, 10 + 11 + 14 + 15]])


def test_conv2d_loops_hand_worked_groups_and_bias():
    x = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 10.0), np.full((2, 2), 100.0),
                  np.full((2, 2), 1000.0)])[None]            # channels worth 1, 10, 100, 1000
    weight = np.ones((4, 2, 1, 1))
    weight[1, :, 0, 0] = [1.0, -1.0]
    # groups=2: outputs 0, 1 read channels 0, 1; outputs 2, 3 read channels 2, 3
    out = conv2d_loops(x, weight, np.array([0.5, 0.0, 0.0, -0.5]), groups=2)
    np.testing.assert_array_equal(out[0, :, 0, 0], [11.5, -9.0, 1100.0, 1099.5])


def test_conv3d_loops_hand_worked():
    x = np.arange(27.0).reshape(1, 1, 3, 3, 3)            # x[d, i, j] = 9 d + 3 i + j
    out = conv3d_loops(x, np.ones((1, 1, 2, 2, 2)))
    d, i, j = np.mgrid[0:2, 0:2, 0:2]
    # 8 terms: 8 (9 d + 3 i + j) + 4 (9 + 3 + 1)
    np.testing.assert_array_equal(out[0, 0], 8 * (9 * d + 3 * i + j) + 52)


@settings(max_examples=25)
@given(data=st.data(), dims=st.sampled_from([2, 3]))
def test_conv_loops_equal_scipy_correlate(data, dims):
    groups = data.draw(st.integers(1, 2))
    c_in_g, c_out_g = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(data.draw(st.integers(1, 2)) for _ in range(dims))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(data.draw(st.integers(0, 2)) for _ in range(dims))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + data.draw(st.integers(0, 3))
                 for k, d, p in zip(kernel, dilation, padding))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((1, groups * c_in_g, *size))
    weight = rng.standard_normal((groups * c_out_g, c_in_g, *kernel))
    bias = rng.standard_normal(groups * c_out_g)
    loops = (conv2d_loops if dims == 2 else conv3d_loops)(
        x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)
    expected = np.empty_like(loops)
    for o in range(weight.shape[0]):
        g = o // c_out_g
        total = 0.0
        for c in range(c_in_g):
            plane = np.pad(x[0, g * c_in_g + c], [(p, p) for p in padding])
            total = total + scipy.signal.correlate(plane, dilate(weight[o, c], dilation), mode="valid",
                                                   method="direct")
        expected[0, o] = total[tuple(slice(None, None, s) for s in stride)] + bias[o]
    np.testing.assert_allclose(loops, expected, rtol=1e-12, atol=1e-12)


def _brute_pool(x, kernel, stride, padding, fill, reduce):
    """Pooling without ceil_mode: pad with ``fill``, take every window, subsample, reduce."""
    padded = np.pad(x, [(0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2], constant_values=fill)
    windows = sliding_window_view(padded, kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    return reduce(windows, axis=(-2, -1))


@settings(max_examples=25)
@given(data=st.data())
def test_pool_loops_equal_windowed_numpy(data):
    kernel = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(max(1, k - 2 * p) + data.draw(st.integers(0, 4)) for k, p in zip(kernel, padding))
    x = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).standard_normal((2, 2, *size))
    np.testing.assert_array_equal(
        max_pool2d_loops(x, kernel, stride=stride, padding=padding),
        _brute_pool(x, kernel, stride, padding, -np.inf, np.max))
    # count_include_pad: every window lies in the padded input, so the divisor is K_h K_w
    np.testing.assert_allclose(
        avg_pool2d_loops(x, kernel, stride=stride, padding=padding),
        _brute_pool(x, kernel, stride, padding, 0.0, np.mean), rtol=1e-12, atol=1e-15)
    ones = np.ones_like(x)
    counts = _brute_pool(ones, kernel, stride, padding, 0.0, np.sum)          # positions inside the input
    np.testing.assert_allclose(
        avg_pool2d_loops(x, kernel, stride=stride, padding=padding, count_include_pad=False),
        _brute_pool(x, kernel, stride, padding, 0.0, np.sum) / counts, rtol=1e-12, atol=1e-15)


def test_pool_loops_hand_worked_ceil_mode():
    x = np.arange(25.0).reshape(1, 1, 5, 5)               # x[i, j] = 5 i + j
    # 2x2, stride 2: floor keeps 2x2 windows, ceil adds the partial ones at the edge
    np.testing.assert_array_equal(max_pool2d_loops(x, 2)[0, 0], [[6, 8], [16, 18]])
    np.testing.assert_array_equal(max_pool2d_loops(x, 2, ceil_mode=True)[0, 0],
                                  [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    # the averages of the partial windows divide by the positions inside the input
    np.testing.assert_array_equal(avg_pool2d_loops(x, 2, ceil_mode=True)[0, 0],
                                  [[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]])


# --------------------------------------------------------------------------- any visiting order


def _orders(shape, seed):
    raster = list(np.ndindex(*shape))
    rng = np.random.default_rng(seed)
    permutation = [raster[k] for k in rng.permutation(len(raster))]
    column_major = [tuple(reversed(p)) for p in np.ndindex(*reversed(shape))]
    return {
        "raster": raster,
        "reverse": raster[::-1],
        "random": permutation,
        "column-major": column_major,
        "arrays": [np.array(p) for p in permutation],          # index arrays work as well as tuples
        "generator": (p for p in raster[::-1]),               # any iterable, consumed once
    }


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), groups=st.integers(1, 2), stride=st.integers(1, 2),
       padding=st.integers(0, 1))
def test_conv2d_loops_any_order_gives_the_same_output(seed, groups, stride, padding):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2 * groups, 5, 4))
    weight = rng.standard_normal((2 * groups, 2, 3, 2))
    bias = rng.standard_normal(2 * groups)
    params = dict(stride=stride, padding=padding, groups=groups)
    default = conv2d_loops(x, weight, bias, **params)
    for name, order in _orders(default.shape, seed).items():
        np.testing.assert_array_equal(conv2d_loops(x, weight, bias, order=order, **params), default,
                                      err_msg=name)


def test_conv3d_loops_any_order_gives_the_same_output():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((1, 2, 3, 4, 3))
    weight = rng.standard_normal((2, 2, 2, 2, 2))
    default = conv3d_loops(x, weight, padding=(0, 1, 0))
    for name, order in _orders(default.shape, 12).items():
        np.testing.assert_array_equal(conv3d_loops(x, weight, padding=(0, 1, 0), order=order), default,
                                      err_msg=name)


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_loops_any_order_gives_the_same_output(ceil_mode):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 3, 7, 6))
    params = dict(stride=2, padding=1, ceil_mode=ceil_mode)
    default_max = max_pool2d_loops(x, 3, **params)
    default_avg = avg_pool2d_loops(x, 3, count_include_pad=False, **params)
    for name, order in _orders(default_max.shape, 13).items():
        np.testing.assert_array_equal(max_pool2d_loops(x, 3, order=order, **params), default_max, err_msg=name)
    for name, order in _orders(default_avg.shape, 14).items():
        np.testing.assert_array_equal(avg_pool2d_loops(x, 3, count_include_pad=False, order=order, **params),
                                      default_avg, err_msg=name)


# --------------------------------------------------------------------------- bad orders


def _loop_calls():
    rng = np.random.default_rng(15)
    x4 = rng.standard_normal((1, 2, 3, 3))
    x5 = rng.standard_normal((1, 1, 2, 3, 3))
    return [
        ("conv2d_loops", lambda order: conv2d_loops(x4, np.ones((2, 2, 2, 2)), order=order), (1, 2, 2, 2)),
        ("conv3d_loops", lambda order: conv3d_loops(x5, np.ones((1, 1, 1, 2, 2)), order=order), (1, 1, 2, 2, 2)),
        ("max_pool2d_loops", lambda order: max_pool2d_loops(x4, 2, stride=1, order=order), (1, 2, 2, 2)),
        ("avg_pool2d_loops", lambda order: avg_pool2d_loops(x4, 2, stride=1, order=order), (1, 2, 2, 2)),
    ]


@pytest.mark.parametrize("func, call, shape", _loop_calls(), ids=[c[0] for c in _loop_calls()])
def test_order_that_repeats_a_position_raises(func, call, shape):
    raster = list(np.ndindex(*shape))
    repeated = raster[:3] + [raster[1]] + raster[3:]
    message = f"{func}: order must visit each output position once; got {raster[1]} twice"
    with pytest.raises(ValueError, match=re.escape(message)):
        call(repeated)


@pytest.mark.parametrize("func, call, shape", _loop_calls(), ids=[c[0] for c in _loop_calls()])
def test_order_that_misses_a_position_raises(func, call, shape):
    raster = list(np.ndindex(*shape))
    size = len(raster)
    message = (f"{func}: order must visit every output position; "
               f"missed 1 of {size}, e.g. {raster[2]}")
    with pytest.raises(ValueError, match=re.escape(message)):
        call(raster[:2] + raster[3:])
    with pytest.raises(ValueError, match=re.escape(f"missed {size} of {size}, e.g. {raster[0]}")):
        call([])


@pytest.mark.parametrize("func, call, shape", _loop_calls(), ids=[c[0] for c in _loop_calls()])
def test_order_out_of_range_raises(func, call, shape):
    raster = list(np.ndindex(*shape))
    too_far = tuple(s - 1 for s in shape[:-1]) + (shape[-1],)        # last axis one past the end
    negative = (0,) * (len(shape) - 1) + (-1,)
    short = (0,) * (len(shape) - 1)
    for bad in (too_far, negative, short):
        message = f"{func}: order must hold index tuples into the output of shape {shape}; got {bad}"
        with pytest.raises(ValueError, match=re.escape(message)):
            call(raster[:1] + [bad] + raster[1:])
