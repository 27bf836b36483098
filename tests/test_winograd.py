"""Winograd's minimal filtering (:mod:`convbook.winograd`) and the dispatch rule that selects it.

References: exact rational arithmetic (the transforms are the algorithm; with
fractions the identity is exact), the loop definition :func:`convbook.conv2d_loops`
on random shapes (hypothesis) with the dispatch thresholds lowered so that small
layers take the Winograd path, and the float64 result for the float32 error.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convbook._tiling
import convbook.conv
from convbook import conv2d, conv2d_loops, winograd
from convbook._validate import ConvArgs

TRANSFORMS = [winograd.F2x2_3x3, winograd.F4x4_3x3, winograd.F2x2_5x5]
IDS = [t.name for t in TRANSFORMS]


def _exact(matrix):
    return [[Fraction(v) for v in row] for row in matrix]


def _matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def _transpose(a):
    return [list(row) for row in zip(*a)]


# --------------------------------------------------------------------------- the transforms, exactly


@pytest.mark.parametrize("transform", TRANSFORMS, ids=IDS)
def test_transform_shapes(transform):
    bt, g, at = transform.matrices()
    alpha = transform.m + transform.r - 1
    assert transform.alpha == alpha
    assert bt.shape == (alpha, alpha) and g.shape == (alpha, transform.r) and at.shape == (transform.m, alpha)
    assert not bt.flags.writeable                     # shared, cached arrays


@pytest.mark.parametrize("transform", TRANSFORMS, ids=IDS)
def test_1d_identity_is_exact_in_rationals(transform):
    # y = A^T [(G g) * (B^T d)] equals y[i] = sum_k d[i + k] g[k] for every d and g: the transform
    # is linear in each, so it suffices on the basis vectors, exactly
    bt, g_m, at = (_exact(m) for m in (transform.BT, transform.G, transform.AT))
    alpha, r = transform.alpha, transform.r
    for a, k in itertools.product(range(alpha), range(r)):
        d = [Fraction(int(i == a)) for i in range(alpha)]
        g = [Fraction(int(i == k)) for i in range(r)]
        gg = [sum(g_m[p][q] * g[q] for q in range(r)) for p in range(alpha)]
        dd = [sum(bt[p][q] * d[q] for q in range(alpha)) for p in range(alpha)]
        y = [sum(at[i][p] * gg[p] * dd[p] for p in range(alpha)) for i in range(transform.m)]
        expected = [sum(d[i + q] * g[q] for q in range(r)) for i in range(transform.m)]
        assert y == expected, (a, k, y, expected)


@pytest.mark.parametrize("transform", TRANSFORMS, ids=IDS)
def test_2d_nesting_is_exact_in_rationals(transform):
    # Y = A^T [(G g G^T) * (B^T d B)] A on a small integer tile and filter, in exact arithmetic
    rng = np.random.default_rng(1)
    alpha, r, m = transform.alpha, transform.r, transform.m
    d = [[Fraction(int(v)) for v in row] for row in rng.integers(-9, 10, (alpha, alpha))]
    g = [[Fraction(int(v)) for v in row] for row in rng.integers(-9, 10, (r, r))]
    bt, g_m, at = (_exact(mat) for mat in (transform.BT, transform.G, transform.AT))
    u = _matmul(_matmul(g_m, g), _transpose(g_m))
    v = _matmul(_matmul(bt, d), _transpose(bt))
    y = _matmul(_matmul(at, [[u[i][j] * v[i][j] for j in range(alpha)] for i in range(alpha)]), _transpose(at))
    expected = [[sum(d[i + a][j + b] * g[a][b] for a in range(r) for b in range(r)) for j in range(m)]
                for i in range(m)]
    assert y == expected


@pytest.mark.parametrize("transform", TRANSFORMS, ids=IDS)
def test_correlate1d_matches_numpy(transform):
    rng = np.random.default_rng(2)
    d, g = rng.standard_normal(transform.alpha), rng.standard_normal(transform.r)
    np.testing.assert_allclose(winograd.correlate1d(d, g, transform), np.correlate(d, g, "valid"),
                               rtol=1e-12, atol=1e-12)


def test_toom_cook_reproduces_the_published_f4x4_3x3():
    # Lavin & Gray's F(4x4, 3x3) is the Toom-Cook construction with the points 0, 1, -1, 2, -2
    built = winograd.toom_cook(4, 3, (0, 1, -1, 2, -2), source="test")
    published = winograd.F4x4_3x3
    assert (built.BT, built.G, built.AT) == (published.BT, published.G, published.AT)


def test_toom_cook_needs_alpha_minus_one_distinct_points():
    with pytest.raises(ValueError, match=r"toom_cook: points must be 3 distinct numbers; got points="):
        winograd.toom_cook(2, 3, (0, 1), source="test")
    with pytest.raises(ValueError, match="distinct"):
        winograd.toom_cook(2, 3, (0, 1, 1), source="test")


def test_multiplications_count():
    # per channel pair on a 28 x 28 map: 49 blocks x 36 against 784 x 9
    assert winograd.multiplications(winograd.F4x4_3x3, (28, 28)) == (49 * 36, 784 * 9)
    assert winograd.multiplications(winograd.F2x2_3x3, (4, 4)) == (4 * 16, 16 * 9)


# --------------------------------------------------------------------------- the path, against the loops


@st.composite
def winograd_cases(draw, dtype, r=3):
    """An r x r, stride-1 layer with random batch, channels, groups, odd sizes, padding and bias."""
    n = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 3))
    c_in_g = draw(st.integers(1 if groups == 1 else 2, 4))           # one channel per group is depthwise
    c_out_g = draw(st.integers(1, 3))
    padding = (draw(st.integers(0, r - 1)), draw(st.integers(0, r - 1)))
    size = [draw(st.integers(max(1, r - 2 * p), r - 2 * p + 11)) for p in padding]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, groups * c_in_g, *size)).astype(dtype)
    weight = rng.standard_normal((groups * c_out_g, c_in_g, r, r)).astype(dtype)
    bias = rng.standard_normal(groups * c_out_g).astype(dtype) if draw(st.booleans()) else None
    if padding[0] == padding[1] and draw(st.booleans()):
        padding = padding[0]
    return x, weight, bias, dict(padding=padding, groups=groups)


@pytest.fixture
def winograd_everywhere(monkeypatch):
    """Lower the dispatch thresholds so every float 3x3 stride-1 layer takes the Winograd path; count calls."""
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_BLOCKS", 1)
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(convbook.conv, "WINOGRAD_DTYPES", (np.float32, np.float64))
    calls = []
    original = winograd.conv2d

    def spy(args, out, transform):
        calls.append(transform)
        return original(args, out, transform)

    spy.__wrapped__ = original
    monkeypatch.setattr(winograd, "conv2d", spy)
    return calls


@pytest.mark.parametrize("r, transform", [(3, winograd.F4x4_3x3), (5, winograd.F2x2_5x5)], ids=["3x3", "5x5"])
@pytest.mark.parametrize("dtype, examples", [(np.float64, 50), (np.float32, 30)])
def test_dispatched_winograd_matches_loops(close, magnitude, winograd_everywhere, r, transform, dtype, examples):
    @settings(max_examples=examples)
    @given(case=winograd_cases(dtype, r))
    def check(case):
        x, weight, bias, params = case
        before = len(winograd_everywhere)
        out = conv2d(x, weight, bias, **params)
        assert winograd_everywhere[before:] == [transform]
        close(out, conv2d_loops(x, weight, bias, **params), magnitude=magnitude(x, weight, bias), dtype=dtype)

    check()


@pytest.mark.parametrize("transform", TRANSFORMS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=30)
@given(data=st.data())
def test_each_transform_matches_loops(close, magnitude, transform, dtype, data):
    x, weight, bias, params = data.draw(winograd_cases(dtype, transform.r))
    args = ConvArgs("conv2d", x, weight, None, 1, params["padding"], 1, params["groups"], 2)  # any groups
    out = np.empty(args.out_shape, dtype=dtype)
    winograd.conv2d(args, out, transform)
    close(out, conv2d_loops(x, weight, **params), magnitude=magnitude(x, weight), dtype=dtype)


@settings(max_examples=30)
@given(case=winograd_cases(np.float64))
def test_winograd_in_tiny_tiles_matches_loops(close, magnitude, case):
    # 64-byte tiles: one 4x4 block per tile (or one row of blocks when a row is "too big"),
    # including blocks that overhang the output and blocks that read only padding
    x, weight, bias, params = case
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convbook.conv, "WINOGRAD_MIN_BLOCKS", 1)
        mp.setattr(convbook.conv, "WINOGRAD_MIN_CHANNELS", 1)
        mp.setattr(convbook.conv, "WINOGRAD_DTYPES", (np.float32, np.float64))
        mp.setattr(convbook._tiling, "TILE_BYTES", 64)
        mp.setattr(convbook._tiling, "MAX_TEMP_BYTES", 1 << 30 if x.shape[0] == 1 else 512)
        close(conv2d(x, weight, bias, **params), conv2d_loops(x, weight, bias, **params),
              magnitude=magnitude(x, weight, bias))


def test_integer_input_is_exact_and_never_winograd(winograd_everywhere):
    rng = np.random.default_rng(3)
    x = rng.integers(-50, 50, (1, 4, 9, 9))
    weight = rng.integers(-50, 50, (3, 4, 3, 3))
    out = conv2d(x, weight, padding=1)
    assert winograd_everywhere == []
    np.testing.assert_array_equal(out, conv2d_loops(x, weight, padding=1))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_input_keeps_the_definitions_propagation(close, magnitude, winograd_everywhere, value):
    # A Winograd tile mixes its 36 inputs, so a NaN would reach the whole 4x4 block; the
    # dispatcher sends non-finite input to im2col, which spreads it exactly as the loops do
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 2, 12, 12))
    x[0, 1, 5, 6] = value
    weight = rng.standard_normal((2, 2, 3, 3))
    with np.errstate(invalid="ignore"):
        out = conv2d(x, weight, padding=1)
        expected = conv2d_loops(x, weight, padding=1)
    assert winograd_everywhere == []
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    close(out, expected, magnitude=magnitude(np.nan_to_num(x, posinf=0), weight))


def test_overflow_in_the_transforms_falls_back_to_im2col(close, winograd_everywhere):
    # Every window sums at most 9 values of 2e37, within float32's 3.4e38; but row 1 of F(4x4)'s
    # B^T, (0, -4, -4, 1, 1, 0), takes -4 d1 - 4 d2 + d3 = -9 * 2e37 along each axis: 81 * 2e37 = inf
    x = np.zeros((1, 1, 8, 8), dtype=np.float32)
    signs = np.array([1, 1, -1], dtype=np.float32)
    x[0, 0, 1:4, 1:4] = 2e37 * np.outer(signs, signs)
    weight = np.ones((1, 1, 3, 3), dtype=np.float32)
    args = ConvArgs("conv2d", x, weight, None, 1, 0, 1, 1, 2)
    alone = np.empty(args.out_shape, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        winograd.conv2d.__wrapped__(args, alone, winograd.F4x4_3x3)        # the algorithm alone (not counted)
        out = conv2d(x, weight)
    assert not np.isfinite(alone).all()                  # Winograd alone overflows here
    assert len(winograd_everywhere) == 1                 # tried, overflowed, recomputed with im2col
    assert np.isfinite(out).all()
    close(out, conv2d_loops(x, weight), magnitude=9 * 2e37)


# --------------------------------------------------------------------------- the dispatch rule


def _choose(x_shape, w_shape, dtype=np.float32, **params):
    x, weight = np.zeros(x_shape, dtype=dtype), np.zeros(w_shape, dtype=dtype)
    dims = len(x_shape) - 2
    p = dict(stride=1, padding=0, dilation=1, groups=1) | params
    return convbook.conv.choose(ConvArgs("conv", x, weight, None, p["stride"], p["padding"], p["dilation"],
                                         p["groups"], dims))


@pytest.mark.parametrize("x_shape, w_shape, params, dtype, expected", [
    ((1, 64, 56, 56), (192, 64, 3, 3), dict(padding=1), np.float32, "winograd"),   # GoogLeNet conv2
    ((1, 96, 28, 28), (128, 96, 3, 3), dict(padding=1), np.float32, "winograd"),   # inception 3a 3x3
    ((1, 96, 28, 28), (128, 96, 3, 3), dict(padding=1), np.float64, "im2col"),     # float64 keeps its accuracy
    ((1, 256, 13, 13), (384, 256, 3, 3), dict(padding=1), np.float32, "im2col"),   # AlexNet conv3: 16 blocks
    ((4, 256, 13, 13), (384, 256, 3, 3), dict(padding=1), np.float32, "winograd"),  # ... batch 4: 64 blocks
    ((1, 8, 56, 56), (16, 8, 3, 3), dict(padding=1), np.float32, "im2col"),        # too few input channels
    ((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1, stride=2), np.float32, "im2col"),   # folds to 2x2
    ((1, 3, 227, 227), (96, 3, 11, 11), dict(stride=4), np.float32, "phases_winograd"),  # AlexNet conv1: 3x3 on 48
    ((1, 3, 227, 227), (96, 3, 11, 11), dict(stride=4), np.float64, "im2col"),
    ((1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3), np.float32, "row_winograd"),  # GoogLeNet conv1:
    # folds to 4x4 on 12 maps (no 2-D algorithm); rows of 4 taps on 6 maps, 7 rows: a contraction of 42
    ((1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3), np.float64, "im2col"),
    ((1, 3, 224, 224), (64, 3, 4, 4), dict(), np.float32, "im2col"),                 # contraction 3 * 4 = 12
    ((1, 16, 14, 14), (48, 16, 5, 5), dict(padding=2), np.float32, "im2col"),         # 14 x 4 = 56 row tiles
    ((1, 16, 28, 28), (32, 16, 5, 5), dict(padding=4, dilation=2), np.float32, "im2col"),
    ((1, 16, 112, 112), (32, 16, 5, 5), dict(stride=2, padding=2), np.float32, "phases_winograd"),  # 3x3 on 64
    ((1, 8, 112, 112), (32, 8, 5, 5), dict(stride=2, padding=2), np.float32, "im2col"),  # 3x3 on 32: too few
    ((1, 16, 112, 112), (32, 16, 5, 5), dict(stride=(2, 1), padding=2), np.float32, "row_winograd"),  # 3x5
    ((1, 16, 112, 112), (32, 16, 5, 5), dict(stride=2, padding=4, dilation=2), np.float32, "im2col"),
    ((1, 64, 56, 56), (64, 64, 5, 5), dict(stride=2, padding=2), np.float32, "im2col"),  # 28x28 out: 49 blocks
    ((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=2, dilation=2), np.float32, "im2col"),
    ((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1), np.int64, "im2col"),
    ((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1), np.complex128, "im2col"),
    ((1, 16, 28, 28), (32, 16, 5, 5), dict(padding=2), np.float32, "row_winograd"),  # inception 3a 5x5: 16 maps
    ((1, 32, 28, 28), (96, 32, 5, 5), dict(padding=2), np.float32, "winograd"),     # inception 3b 5x5
    ((1, 48, 7, 7), (128, 48, 5, 5), dict(padding=2), np.float32, "im2col"),        # 5b 5x5: 16 blocks
    ((1, 64, 56, 56), (64, 64, 7, 7), dict(padding=3), np.float32, "im2col"),       # no 7x7 algorithm
    ((1, 64, 56, 56), (64, 64, 3, 5), dict(padding=1), np.float32, "row_winograd"),  # nor 3x5, but rows of 5
    ((1, 64, 56, 56), (64, 32, 3, 3), dict(padding=1, groups=2), np.float32, "winograd"),
    ((1, 64, 56, 56), (64, 1, 3, 3), dict(padding=1, groups=64), np.float32, "depthwise"),
    ((1, 64, 56, 56), (32, 64, 1, 1), dict(), np.float32, "pointwise"),
    ((1, 64, 56, 56), (32, 64, 1, 1), dict(padding=1), np.float32, "im2col"),
    ((1, 32, 8, 28, 28), (32, 32, 3, 3, 3), dict(padding=1), np.float32, "im2col"),   # 3-D
])
def test_dispatch_rule(x_shape, w_shape, params, dtype, expected):
    assert _choose(x_shape, w_shape, dtype, **params) == expected


def test_dispatch_keeps_transformed_filters_within_the_bound(monkeypatch):
    # 36 transformed 3x3 filters of 64 x 64 float32 take 576 KiB
    assert _choose((1, 64, 56, 56), (64, 64, 3, 3), padding=1) == "winograd"
    monkeypatch.setattr(convbook._tiling, "MAX_TEMP_BYTES", 4 * 576 * 1024 - 4)
    assert _choose((1, 64, 56, 56), (64, 64, 3, 3), padding=1) == "im2col"


def test_dispatch_keeps_the_folded_input_within_the_bound(monkeypatch):
    # AlexNet's conv1 folded: 48 maps of 57x57 float32, 623,808 bytes
    assert _choose((1, 3, 227, 227), (96, 3, 11, 11), stride=4) == "phases_winograd"
    monkeypatch.setattr(convbook._tiling, "MAX_TEMP_BYTES", 4 * 623_808 - 4)
    assert _choose((1, 3, 227, 227), (96, 3, 11, 11), stride=4) == "im2col"


# --------------------------------------------------------------------------- a real layer, default thresholds


@pytest.fixture(scope="module")
def inception_like():
    """A 3x3 layer that takes the Winograd path with the default thresholds: 32 -> 8 channels at 24 x 24."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 32, 24, 24))
    weight = rng.standard_normal((8, 32, 3, 3)) * np.sqrt(2 / 288)
    bias = rng.standard_normal(8)
    return x, weight, bias


def test_default_dispatch_on_a_real_layer_matches_loops(close, magnitude, inception_like):
    x, weight, bias = (a.astype(np.float32) for a in inception_like)
    assert _choose(x.shape, weight.shape, np.float32, padding=1) == "winograd"
    close(conv2d(x, weight, bias, padding=1), conv2d_loops(x, weight, bias, padding=1),
          magnitude=magnitude(x, weight, bias))


def test_conv2d_direct_runs_the_algorithm_whatever_the_dispatch(close, magnitude, inception_like):
    x, weight, bias = inception_like                                       # float64: the engine uses im2col
    assert _choose(x.shape, weight.shape, np.float64, padding=1) == "im2col"
    close(winograd.conv2d_direct(x, weight, bias, padding=1), conv2d_loops(x, weight, bias, padding=1),
          magnitude=magnitude(x, weight, bias))
    with pytest.raises(ValueError, match=r"conv2d_direct: the kernel must be 5x5 for F\(2x2, 5x5\); got"):
        winograd.conv2d_direct(x, weight, transform=winograd.F2x2_5x5)
    with pytest.raises(ValueError, match="conv2d_direct: the dtype must be float32 or float64; got int64"):
        winograd.conv2d_direct(np.ones((1, 1, 4, 4), dtype=np.int64), np.ones((1, 1, 3, 3), dtype=np.int64))


def test_float64_winograd_rounds_more_than_im2col(inception_like):
    # why float64 stays on im2col: against an extended-precision result, Winograd's error is larger
    x, weight, bias = inception_like
    exact = conv2d(x.astype(np.longdouble), weight.astype(np.longdouble), padding=1)
    scale = np.max(np.abs(exact))
    by_columns = float(np.max(np.abs(conv2d(x, weight, padding=1) - exact)) / scale)
    by_winograd = float(np.max(np.abs(winograd.conv2d_direct(x, weight, padding=1) - exact)) / scale)
    assert by_columns < by_winograd < 1e-13


def test_float32_error_against_float64_within_the_target(inception_like):
    # Issue 11's target for every layer: max |float32 - float64| / max |float64| <= 2e-5
    x, weight, bias = inception_like
    exact = conv2d(x, weight, bias, padding=1)
    single = conv2d(x.astype(np.float32), weight.astype(np.float32), bias.astype(np.float32), padding=1)
    error = np.max(np.abs(single - exact)) / np.max(np.abs(exact))
    assert error <= 2e-5, error
