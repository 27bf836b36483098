"""conv2d and conv3d against independent references.

References: the explicit-loop definitions of :mod:`convbook.reference`,
``scipy.signal.correlate`` / ``convolve`` (method="direct"), NumPy einsum,
algebraic identities and values worked out by hand in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import dilate

import convbook
import convbook._tiling
import convbook.conv
from convbook import conv2d, conv2d_loops, conv3d, conv3d_loops

# --------------------------------------------------------------------------- strategies


@st.composite
def conv_cases(draw, *, dims=2, dtype=np.float64, batch=(1, 2), max_groups=3, max_channels=3,
               max_kernel=3, max_stride=3, max_padding=2, max_dilation=2, max_extra=6,
               padding_below_extent=False, kernel_size=None, depthwise=False):
    """A valid convolution: arrays ``x, weight, bias`` and its hyperparameters.

    Each spatial size is at least the dilated kernel extent minus the padding
    (so the layer is valid) and at most ``max_extra`` more. With
    ``padding_below_extent`` the padding is smaller than the dilated kernel
    extent on every axis (every output window touches the input). ``kernel_size``
    fixes the kernel (one int for every axis); ``depthwise`` draws one input
    channel per group and at least two groups.
    """
    n = draw(st.integers(*batch))
    groups = draw(st.integers(2 if depthwise else 1, max(2, max_groups) if depthwise else max_groups))
    c_in_g = 1 if depthwise else draw(st.integers(1, max_channels))
    c_out_g = draw(st.integers(1, max_channels))
    kernel, stride, padding, dilation, size = [], [], [], [], []
    for _ in range(dims):
        k = kernel_size or draw(st.integers(1, max_kernel))
        d = draw(st.integers(1, max_dilation))
        extent = d * (k - 1) + 1
        p = draw(st.integers(0, min(max_padding, extent - 1) if padding_below_extent else max_padding))
        s = draw(st.integers(1, max_stride))
        low = max(1, extent - 2 * p)
        kernel.append(k), stride.append(s), padding.append(p), dilation.append(d)
        size.append(draw(st.integers(low, low + max_extra)))
    with_bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x_shape = (n, groups * c_in_g, *size)
    w_shape = (groups * c_out_g, c_in_g, *kernel)
    if np.dtype(dtype).kind == "i":
        x = rng.integers(-9, 10, size=x_shape).astype(dtype)
        weight = rng.integers(-9, 10, size=w_shape).astype(dtype)
        bias = rng.integers(-9, 10, size=w_shape[0]).astype(dtype) if with_bias else None
    else:
        x = rng.standard_normal(x_shape).astype(dtype)
        weight = rng.standard_normal(w_shape).astype(dtype)
        bias = rng.standard_normal(w_shape[0]).astype(dtype) if with_bias else None

    def hyper(values):  # sometimes an int, sometimes a tuple, as the API allows
        if len(set(values)) == 1 and draw(st.booleans()):
            return values[0]
        return tuple(values)

    params = dict(stride=hyper(stride), padding=hyper(padding), dilation=hyper(dilation), groups=groups)
    return x, weight, bias, params


def _check_against_loops(close, magnitude, case, *, dims=2):
    x, weight, bias, params = case
    fast = (conv2d if dims == 2 else conv3d)(x, weight, bias, **params)
    slow = (conv2d_loops if dims == 2 else conv3d_loops)(x, weight, bias, **params)
    close(fast, slow, magnitude=magnitude(x, weight, bias), dtype=np.result_type(x, weight, *(
        () if bias is None else (bias,))))
    return fast


# --------------------------------------------------------------------------- 1. against the loops


@settings(max_examples=150)
@given(case=conv_cases(dtype=np.float64))
def test_conv2d_matches_loops_float64(close, magnitude, case):
    _check_against_loops(close, magnitude, case)


@settings(max_examples=80)
@given(case=conv_cases(dtype=np.float32))
def test_conv2d_matches_loops_float32(close, magnitude, case):
    out = _check_against_loops(close, magnitude, case)
    assert out.dtype == np.float32


@settings(max_examples=50)
@given(case=conv_cases(dtype=np.int64))
def test_conv2d_int64_is_exact(close, magnitude, case):
    out = _check_against_loops(close, magnitude, case)
    assert out.dtype == np.int64


@settings(max_examples=40)
@given(case=conv_cases(dims=3, dtype=np.float64, max_groups=2, max_kernel=2, max_stride=2,
                       max_padding=1, max_extra=2))
def test_conv3d_matches_loops_float64(close, magnitude, case):
    _check_against_loops(close, magnitude, case, dims=3)


@settings(max_examples=20)
@given(case=conv_cases(dims=3, dtype=np.float32, max_groups=2, max_kernel=3, max_stride=2,
                       max_padding=1, max_dilation=1, max_extra=2, batch=(1, 1)))
def test_conv3d_matches_loops_float32(close, magnitude, case):
    out = _check_against_loops(close, magnitude, case, dims=3)
    assert out.dtype == np.float32


def test_conv2d_batch_of_several_samples(close, magnitude):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4, 7, 6))
    weight = rng.standard_normal((6, 2, 3, 2))
    bias = rng.standard_normal(6)
    params = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    out = conv2d(x, weight, bias, **params)
    close(out, conv2d_loops(x, weight, bias, **params), magnitude=magnitude(x, weight, bias))
    # each sample is computed on its own
    for n in range(5):
        close(out[n:n + 1], conv2d(x[n:n + 1], weight, bias, **params), magnitude=magnitude(x, weight, bias))


@pytest.mark.parametrize("kernel, params", [
    ((3, 3), dict(padding=1)),                       # im2col
    ((1, 1), dict(stride=2)),                        # pointwise
    ((3, 3), dict(groups=4, stride=2)),              # depthwise
])
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv2d_empty_batch_gives_empty_output(kernel, params, with_bias):
    groups = params.get("groups", 1)
    x = np.zeros((0, 4, 9, 8), dtype=np.float32)
    weight = np.ones((8, 4 // groups, *kernel), dtype=np.float32)
    bias = np.ones(8, dtype=np.float32) if with_bias else None
    out = conv2d(x, weight, bias, **params)
    stride, padding = params.get("stride", 1), params.get("padding", 0)
    expected_hw = tuple((size + 2 * padding - k) // stride + 1 for size, k in zip((9, 8), kernel))
    assert out.shape == (0, 8, *expected_hw)
    assert out.dtype == np.float32
    assert out.shape == conv2d_loops(x, weight, bias, **params).shape


@pytest.mark.parametrize("with_bias", [False, True])
def test_conv3d_empty_batch_gives_empty_output(with_bias):
    x = np.zeros((0, 2, 5, 6, 7))
    bias = np.ones(3) if with_bias else None
    out = conv3d(x, np.ones((3, 2, 2, 3, 3)), bias, stride=(1, 2, 1), padding=(0, 1, 1))
    assert out.shape == (0, 3, 4, 3, 7)
    assert out.dtype == np.float64


def test_conv2d_no_output_channels_gives_empty_output():
    out = conv2d(np.ones((2, 3, 5, 5)), np.ones((0, 3, 3, 3)), np.ones(0))
    assert out.shape == (2, 0, 3, 3)


@pytest.mark.parametrize("kernel, padding", [((1, 1), 0), ((3, 3), 1), ((1, 1), 1)])
def test_conv2d_no_input_channels_is_an_empty_sum(close, kernel, padding):
    # C_in = 0 passes validation (0 is divisible by groups); each output is then
    # an empty sum, 0, plus the bias -- as the loop definition says.
    x = np.zeros((2, 0, 5, 5))
    weight = np.zeros((3, 0, *kernel))
    bias = np.array([1.0, -2.0, 0.5])
    out = conv2d(x, weight, bias, padding=padding)
    expected_hw = 5 + 2 * padding - kernel[0] + 1
    expected = np.broadcast_to(bias[:, None, None], (2, 3, expected_hw, expected_hw))
    close(out, expected)
    close(out, conv2d_loops(x, weight, bias, padding=padding))


@pytest.mark.parametrize("kernel, params", [
    ((1, 1), dict(padding=1)),                       # im2col, every output of the first row in padding
    ((1, 3), dict(padding=(1, 1))),
    ((3, 3), dict(padding=(2, 1), groups=2)),        # depthwise
    ((3, 3), dict(padding=(3, 2), dilation=2)),
])
def test_conv2d_empty_spatial_input_with_padding(close, kernel, params):
    # H = 0 is valid when the padding alone holds the kernel: every output reads only zeros.
    groups = params.get("groups", 1)
    x = np.ones((1, 2, 0, 4))
    weight = np.ones((2, 2 // groups, *kernel))
    bias = np.array([3.0, -1.0])
    out = conv2d(x, weight, bias, **params)
    close(out, conv2d_loops(x, weight, bias, **params))
    np.testing.assert_array_equal(out, np.broadcast_to(bias[:, None, None], out.shape))


# --------------------------------------------------------------------------- 2. strategies and tiling


PATHS = ("_pointwise", "_depthwise", "_depthwise_im2col", "_winograd", "_phases_winograd", "_row_winograd",
         "_im2col")


@pytest.fixture
def paths(monkeypatch):
    """Count the calls of each strategy of :mod:`convbook.conv` (keyed by function name)."""
    calls = dict.fromkeys(PATHS, 0)
    for name in PATHS:
        def spy(*args, _original=getattr(convbook.conv, name), _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(convbook.conv, name, spy)
    return calls


def layer_cases(dtype):
    """Layers that reach every path of the dispatcher (with Winograd's thresholds lowered, float64 allowed)."""
    return st.one_of(
        conv_cases(dtype=dtype),                                                  # mostly im2col
        conv_cases(dtype=dtype, kernel_size=3, max_stride=1, max_dilation=1),      # Winograd
        conv_cases(dtype=dtype, kernel_size=5, max_stride=2, max_dilation=1),      # ... on the phases at stride 2
        conv_cases(dtype=dtype, kernel_size=4, max_stride=2, max_dilation=1),      # Winograd along rows of 4
        conv_cases(dtype=dtype, kernel_size=1, max_padding=0),                    # pointwise
        conv_cases(dtype=dtype, depthwise=True),                                  # both depthwise paths
    )


@pytest.mark.parametrize("dtype, examples", [(np.float64, 140), (np.float32, 100)])
def test_every_path_matches_loops(close, magnitude, paths, monkeypatch, dtype, examples):
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_BLOCKS", 1)
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(convbook.conv, "PHASES_MIN_BLOCKS", 1)
    monkeypatch.setattr(convbook.conv, "PHASES_MIN_CHANNELS", 1)
    monkeypatch.setattr(convbook.conv, "ROW_MIN_CONTRACTION", 1)
    monkeypatch.setattr(convbook.conv, "ROW_MIN_TILES", 1)
    monkeypatch.setattr(convbook.conv, "WINOGRAD_DTYPES", (np.float32, np.float64))

    @settings(max_examples=examples)
    @given(case=layer_cases(dtype))
    def check(case):
        before = sum(paths.values())
        _check_against_loops(close, magnitude, case)
        assert sum(paths.values()) == before + 1, paths

    check()
    assert all(paths.values()), f"a path was never taken: {paths}"


@pytest.mark.parametrize("stride", [1, 2, (1, 3)])
@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pointwise_path(close, magnitude, strategy_calls, stride, groups, dtype):
    rng = np.random.default_rng(groups * 10 + (stride if isinstance(stride, int) else 7))
    x = rng.standard_normal((3, 8, 7, 9)).astype(dtype)
    weight = rng.standard_normal((12, 8 // groups, 1, 1)).astype(dtype)
    bias = rng.standard_normal(12).astype(dtype)
    out = conv2d(x, weight, bias, stride=stride, groups=groups)
    assert strategy_calls["_pointwise"] == 1, strategy_calls
    close(out, conv2d_loops(x, weight, bias, stride=stride, groups=groups), magnitude=magnitude(x, weight, bias))


@pytest.mark.parametrize("multiplier", [1, 2])
@pytest.mark.parametrize("params", [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    dict(stride=3, padding=2, dilation=2),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_depthwise_path(close, magnitude, paths, multiplier, params, dtype):
    rng = np.random.default_rng(multiplier)
    channels = 5
    x = rng.standard_normal((2, channels, 9, 8)).astype(dtype)
    weight = rng.standard_normal((channels * multiplier, 1, 3, 3)).astype(dtype)
    bias = rng.standard_normal(channels * multiplier).astype(dtype)
    out = conv2d(x, weight, bias, groups=channels, **params)
    unit_stride = params.get("stride", 1) == 1
    assert paths["_depthwise" if unit_stride else "_depthwise_im2col"] == 1, paths
    close(out, conv2d_loops(x, weight, bias, groups=channels, **params), magnitude=magnitude(x, weight, bias))


@pytest.mark.parametrize("params, kernel", [
    (dict(), (3, 3)),
    (dict(stride=2, padding=1), (3, 3)),
    (dict(groups=2, dilation=2, padding=(2, 1)), (3, 2)),
    (dict(padding=1), (1, 1)),                       # a padded 1x1 kernel is not the pointwise path
    (dict(groups=3), (2, 2)),                        # grouped with 2 channels per group
])
def test_im2col_path(close, magnitude, strategy_calls, params, kernel):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 8, 7))
    weight = rng.standard_normal((6, 6 // params.get("groups", 1), *kernel))
    out = conv2d(x, weight, **params)
    assert strategy_calls["_im2col"] == 1, strategy_calls
    close(out, conv2d_loops(x, weight, **params), magnitude=magnitude(x, weight))


def test_conv3d_strategies(close, magnitude, paths):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 5, 6, 5))
    cases = [
        ("_pointwise", rng.standard_normal((6, 2, 1, 1, 1)), dict(groups=2, stride=(1, 2, 2))),
        ("_depthwise_im2col", rng.standard_normal((8, 1, 2, 3, 2)), dict(groups=4, padding=(1, 0, 1), stride=2)),
        ("_im2col", rng.standard_normal((3, 4, 3, 2, 3)), dict(padding=1, dilation=(1, 2, 1))),
    ]
    for name, weight, params in cases:
        before = paths[name]
        out = conv3d(x, weight, **params)
        assert paths[name] == before + 1, (name, paths)
        close(out, conv3d_loops(x, weight, **params), magnitude=magnitude(x, weight))


@settings(max_examples=80)
@given(case=conv_cases(dtype=np.float64, padding_below_extent=True))
def test_conv2d_tiny_tiles_match_loops(close, magnitude, case):
    # 64-byte tiles: the im2col path splits into one output row (or less) per tile,
    # the depthwise path into one channel per block.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convbook._tiling, "TILE_BYTES", 64)
        _check_against_loops(close, magnitude, case)


@settings(max_examples=80)
@given(case=conv_cases(dtype=np.float64, max_padding=3))
def test_conv2d_tiny_tiles_match_loops_any_padding(close, magnitude, case):
    # As above, with padding up to 3 on kernels as small as 1: some tiles then lie
    # entirely in the padding.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convbook._tiling, "TILE_BYTES", 64)
        _check_against_loops(close, magnitude, case)


@settings(max_examples=60)
@given(case=conv_cases(dtype=np.float32, padding_below_extent=True))
def test_conv2d_column_tiles_match_loops(close, magnitude, case):
    # MAX_TEMP_BYTES tiny: every output row "is too big", so rows are split into
    # column tiles of TILE_BYTES.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convbook._tiling, "TILE_BYTES", 64)
        mp.setattr(convbook._tiling, "MAX_TEMP_BYTES", 128)
        _check_against_loops(close, magnitude, case)


@settings(max_examples=25)
@given(case=conv_cases(dims=3, dtype=np.float64, max_groups=2, max_kernel=2, max_stride=2,
                       max_padding=1, max_extra=2, padding_below_extent=True))
def test_conv3d_tiny_tiles_match_loops(close, magnitude, case):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convbook._tiling, "TILE_BYTES", 64)
        mp.setattr(convbook._tiling, "MAX_TEMP_BYTES", 256)
        _check_against_loops(close, magnitude, case, dims=3)


def test_tiny_tiles_really_split_the_work(close, magnitude, strategy_calls, monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 10, 9))
    weight = rng.standard_normal((4, 3, 3, 3))
    reference = conv2d_loops(x, weight, padding=1)
    conv2d(x, weight, padding=1)
    untiled = strategy_calls["_columns"]
    monkeypatch.setattr(convbook._tiling, "TILE_BYTES", 64)
    close(conv2d(x, weight, padding=1), reference, magnitude=magnitude(x, weight))
    by_rows = strategy_calls["_columns"] - untiled
    assert by_rows >= 2 * 10 > untiled                   # at least one tile per sample and output row
    monkeypatch.setattr(convbook._tiling, "MAX_TEMP_BYTES", 128)
    close(conv2d(x, weight, padding=1), reference, magnitude=magnitude(x, weight))
    assert strategy_calls["_columns"] - untiled - by_rows >= 2 * 10 * 9   # one tile per output position


@pytest.mark.parametrize("kernel, padding, tile", [
    ((1, 1), (2, 0), 64),       # output rows 0 and 5 read only padding, in tiles of their own
    ((1, 3), (3, 1), 64),
    ((2, 1), (3, 0), 64),
])
def test_conv2d_tiles_entirely_in_the_padding(close, kernel, padding, tile, monkeypatch):
    # Regression cases: with padding larger than the kernel, a tile of output rows
    # can lie entirely in the top or bottom padding; its outputs are just the bias.
    monkeypatch.setattr(convbook._tiling, "TILE_BYTES", tile)
    x = np.arange(1.0, 1.0 + 2 * 2 * 4 * 5).reshape(2, 2, 4, 5)
    weight = np.ones((3, 2, *kernel))
    bias = np.array([0.5, 1.0, -1.0])
    close(conv2d(x, weight, bias, padding=padding), conv2d_loops(x, weight, bias, padding=padding))


def test_conv2d_column_tiles_entirely_in_the_padding(close, monkeypatch):
    monkeypatch.setattr(convbook._tiling, "TILE_BYTES", 64)
    monkeypatch.setattr(convbook._tiling, "MAX_TEMP_BYTES", 128)
    x = np.arange(1.0, 1.0 + 4 * 4).reshape(1, 1, 4, 4)
    weight = np.ones((1, 1, 1, 1))
    close(conv2d(x, weight, padding=(0, 3)), conv2d_loops(x, weight, padding=(0, 3)))


# --------------------------------------------------------------------------- 3. scipy and hand-worked values


@settings(max_examples=40)
@given(h=st.integers(3, 12), w=st.integers(3, 12), kh=st.integers(1, 3), kw=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float64, np.float32]))
def test_single_channel_equals_scipy_correlate_valid(close, h, w, kh, kw, seed, dtype):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((h, w)).astype(dtype)
    kernel = rng.standard_normal((kh, kw)).astype(dtype)
    expected = scipy.signal.correlate(image.astype(np.float64), kernel.astype(np.float64),
                                      mode="valid", method="direct")
    out = conv2d(image[None, None], kernel[None, None])
    close(out[0, 0], expected.astype(dtype), magnitude=kh * kw * np.abs(image).max() * np.abs(kernel).max())


@settings(max_examples=60)
@given(case=conv_cases(dtype=np.float64, max_groups=3, max_channels=3, max_kernel=4, max_extra=8,
                       max_padding=3, batch=(1, 3)))
def test_multichannel_equals_sum_of_scipy_correlations(close, magnitude, case):
    # out[n, o] = bias[o] + sum over the group's channels c of
    #   correlate(pad(x[n, c]), dilate(w[o, c]), "valid")[::s_h, ::s_w]
    x, weight, bias, params = case
    stride = np.broadcast_to(params["stride"], 2)
    padding = np.broadcast_to(params["padding"], 2)
    dilation = tuple(np.broadcast_to(params["dilation"], 2))
    groups = params["groups"]
    c_in_g, c_out_g = weight.shape[1], weight.shape[0] // groups
    out = conv2d(x, weight, bias, **params)
    expected = np.zeros_like(out)
    for n in range(x.shape[0]):
        for o in range(weight.shape[0]):
            g = o // c_out_g
            for c in range(c_in_g):
                plane = np.pad(x[n, g * c_in_g + c], [(padding[0],) * 2, (padding[1],) * 2])
                full = scipy.signal.correlate(plane, dilate(weight[o, c], dilation), mode="valid",
                                              method="direct")
                expected[n, o] += full[::stride[0], ::stride[1]]
            if bias is not None:
                expected[n, o] += bias[o]
    close(out, expected, magnitude=magnitude(x, weight, bias))


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(3, 6))
def test_conv3d_single_channel_equals_scipy_correlate(close, seed, size):
    rng = np.random.default_rng(seed)
    volume = rng.standard_normal((size, size + 1, size + 2))
    kernel = rng.standard_normal((2, 3, 2))
    expected = scipy.signal.correlate(volume, kernel, mode="valid", method="direct")
    out = conv3d(volume[None, None], kernel[None, None])
    close(out[0, 0], expected, magnitude=kernel.size * np.abs(volume).max() * np.abs(kernel).max())


def test_conv2d_is_correlation_not_convolution(close):
    rng = np.random.default_rng(6)
    image = rng.standard_normal((8, 9))
    kernel = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])          # no symmetry at all
    out = conv2d(image[None, None], kernel[None, None])[0, 0]
    convolved = scipy.signal.convolve(image, kernel, mode="valid", method="direct")
    assert out.shape == convolved.shape
    assert not np.allclose(out, convolved)
    flipped = scipy.signal.convolve(image, kernel[::-1, ::-1], mode="valid", method="direct")
    close(out, flipped)


def test_conv2d_hand_worked_3x3_by_2x2():
    x = np.array([[1, 2, 3],
                  [4, 5, 6],
                  [7, 8, 9]], dtype=np.float64)[None, None]
    w = np.array([[1, 2],
                  [3, 4]], dtype=np.float64)[None, None]
    # out[i, j] = 1 x[i, j] + 2 x[i, j+1] + 3 x[i+1, j] + 4 x[i+1, j+1]
    expected = np.array([[1 + 4 + 12 + 20, 2 + 6 + 15 + 24],
                         [4 + 10 + 21 + 32, 5 + 12 + 24 + 36]], dtype=np.float64)   # 37 47 / 67 77
    np.testing.assert_array_equal(conv2d(x, w)[0, 0], expected)
    # flipping the kernel gives the true convolution: 23 33 / 53 63
    flipped = np.array([[4 + 6 + 8 + 5, 8 + 9 + 10 + 6],
                        [16 + 15 + 14 + 8, 20 + 18 + 16 + 9]], dtype=np.float64)
    np.testing.assert_array_equal(conv2d(x, w[..., ::-1, ::-1])[0, 0], flipped)
    # with bias 10 and padding 1 the corner output reads only x[0, 0] times w[1, 1]
    padded = conv2d(x, w, np.array([10.0]), padding=1)[0, 0]
    assert padded.shape == (4, 4)
    assert padded[0, 0] == 10 + 4 * 1
    assert padded[3, 3] == 10 + 1 * 9
    assert padded[1, 1] == 10 + 37
    # stride 2 keeps outputs (0, 0), (0, 2), (2, 0), (2, 2) of the padded result
    np.testing.assert_array_equal(conv2d(x, w, np.array([10.0]), padding=1, stride=2)[0, 0],
                                  padded[::2, ::2])


def test_conv2d_hand_worked_dilation_and_channels():
    x = np.arange(25, dtype=np.int64).reshape(1, 1, 5, 5)         # x[i, j] = 5 i + j
    w = np.array([[[[1, 0, -1]]]], dtype=np.int64)                # x[i, j] - x[i, j + 2d]
    out = conv2d(x, w, dilation=(1, 2))
    np.testing.assert_array_equal(out, np.full((1, 1, 5, 1), -4))
    two = np.concatenate([x, 10 * x], axis=1)                     # channels 1 and 10
    w2 = np.ones((1, 2, 1, 1), dtype=np.int64)                    # adds the channels
    np.testing.assert_array_equal(conv2d(two, w2), 11 * x)


# --------------------------------------------------------------------------- 4. identities


@settings(max_examples=30)
@given(case=conv_cases(dtype=np.float64, max_groups=4, max_channels=3))
def test_grouped_conv_is_concatenation_of_per_group_convs(close, magnitude, case):
    x, weight, bias, params = case
    groups = params.pop("groups")
    c_in_g, c_out_g = weight.shape[1], weight.shape[0] // groups
    parts = [
        conv2d(x[:, g * c_in_g:(g + 1) * c_in_g], weight[g * c_out_g:(g + 1) * c_out_g],
               None if bias is None else bias[g * c_out_g:(g + 1) * c_out_g], **params)
        for g in range(groups)
    ]
    close(conv2d(x, weight, bias, groups=groups, **params), np.concatenate(parts, axis=1),
          magnitude=magnitude(x, weight, bias))


@settings(max_examples=30)
@given(n=st.integers(1, 3), c_in=st.integers(1, 6), c_out=st.integers(1, 6), h=st.integers(1, 7),
       w=st.integers(1, 7), s=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_pointwise_conv_is_per_pixel_matrix_product(close, n, c_in, c_out, h, w, s, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, h, w))
    weight = rng.standard_normal((c_out, c_in, 1, 1))
    expected = np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], x[:, :, ::s, ::s])
    close(conv2d(x, weight, stride=s), expected, magnitude=c_in * np.abs(x).max() * np.abs(weight).max())


@settings(max_examples=20)
@given(case=conv_cases(dtype=np.float64, max_groups=2, max_channels=2, max_kernel=3, max_stride=2,
                       max_padding=2, max_extra=3),
       depth=st.integers(1, 3))
def test_conv3d_full_depth_kernel_is_conv2d_with_depth_as_channels(close, magnitude, case, depth):
    # A volume of depth D and a kernel of depth D with no depth padding: the kernel
    # cannot slide along depth, so (channel, depth) pairs act as C_in * D channels.
    x2, w2, bias, params = case
    n, c_in, h, w = x2.shape
    c_out, c_in_g, k_h, k_w = w2.shape
    rng = np.random.default_rng(x2.size * 7 + depth)
    x = rng.standard_normal((n, c_in, depth, h, w))
    weight = rng.standard_normal((c_out, c_in_g, depth, k_h, k_w))

    def with_depth(value, depth_value):
        return (depth_value, *np.broadcast_to(value, 2).tolist())

    params3 = dict(stride=with_depth(params["stride"], 1), padding=with_depth(params["padding"], 0),
                   dilation=with_depth(params["dilation"], 1), groups=params["groups"])
    out3 = conv3d(x, weight, bias, **params3)
    assert out3.shape[2] == 1
    out2 = conv2d(x.reshape(n, c_in * depth, h, w), weight.reshape(c_out, c_in_g * depth, k_h, k_w),
                  bias, **params)
    close(out3[:, :, 0], out2, magnitude=magnitude(x, weight, bias))
    close(out3, conv3d_loops(x, weight, bias, **params3), magnitude=magnitude(x, weight, bias))


@settings(max_examples=20)
@given(case=conv_cases(dtype=np.float64), a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_conv2d_is_linear_in_x(close, magnitude, case, a, b):
    x, weight, _, params = case
    y = np.random.default_rng(x.size).standard_normal(x.shape)
    lhs = conv2d(a * x + b * y, weight, **params)
    rhs = a * conv2d(x, weight, **params) + b * conv2d(y, weight, **params)
    close(lhs, rhs, magnitude=4 * magnitude(np.concatenate([x, y]), weight))


def test_bias_adds_a_constant_per_output_channel(close):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 6, 6))
    weight = rng.standard_normal((4, 3, 3, 3))
    bias = np.array([1.0, -2.0, 0.0, 100.0])
    close(conv2d(x, weight, bias, padding=1),
          conv2d(x, weight, padding=1) + bias[None, :, None, None], magnitude=200.0)


# --------------------------------------------------------------------------- 8. dtypes, NaN, inf


@pytest.mark.parametrize("x_dtype, w_dtype, b_dtype, expected", [
    (np.float32, np.float32, None, np.float32),
    (np.float64, np.float64, None, np.float64),
    (np.float32, np.float64, None, np.float64),
    (np.float64, np.float32, None, np.float64),
    (np.float32, np.float32, np.float64, np.float64),
    (np.int64, np.int64, None, np.int64),
    (np.int32, np.int32, np.int32, np.int32),
    (np.int16, np.int8, None, np.int16),
    (np.uint8, np.int8, None, np.int16),
    (np.int64, np.float32, None, np.float64),
    (np.int32, np.float64, None, np.float64),
    (np.complex128, np.float64, None, np.complex128),
])
@pytest.mark.parametrize("kernel, groups", [((3, 3), 1), ((1, 1), 1), ((3, 3), 2)])
def test_result_dtype_follows_numpy_promotion(close, magnitude, x_dtype, w_dtype, b_dtype, expected,
                                              kernel, groups):
    rng = np.random.default_rng(8)
    x = rng.integers(0, 5, size=(2, 2, 5, 6)).astype(x_dtype)
    weight = rng.integers(-3, 4, size=(4, 2 // groups, *kernel)).astype(w_dtype)
    bias = None if b_dtype is None else rng.integers(-3, 4, size=4).astype(b_dtype)
    args = (x, weight) if bias is None else (x, weight, bias)
    assert np.result_type(*args) == expected
    out = conv2d(x, weight, bias, groups=groups, padding=1)
    assert out.dtype == expected
    close(out, conv2d_loops(x, weight, bias, groups=groups, padding=1), magnitude=magnitude(x, weight, bias))
    out3 = conv3d(x[:, :, None], weight[:, :, None], bias, groups=groups, padding=(0, 1, 1))
    assert out3.dtype == expected
    close(out3[:, :, 0], out, magnitude=magnitude(x, weight, bias))


def test_integer_conv_is_exact_beyond_float64_precision():
    # products near 2**60 are exact in int64 and not in float64
    x = np.full((1, 1, 2, 2), 2**30 + 1, dtype=np.int64)
    weight = np.full((1, 1, 2, 2), 2**28 + 3, dtype=np.int64)
    expected = 4 * (2**30 + 1) * (2**28 + 3)
    out = conv2d(x, weight)
    assert out.dtype == np.int64
    assert int(out[0, 0, 0, 0]) == expected
    assert int(conv2d_loops(x, weight)[0, 0, 0, 0]) == expected


def test_conv2d_accepts_nested_lists(close):
    x = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]
    w = [[[[1, 2], [3, 4]]]]
    out = conv2d(x, w)
    assert out.dtype == np.result_type(np.asarray(x), np.asarray(w))
    np.testing.assert_array_equal(out, [[[[37, 47], [67, 77]]]])


@settings(max_examples=30)
@given(case=conv_cases(dtype=np.float64, max_padding=2), data=st.data())
def test_nan_in_x_reaches_exactly_the_outputs_that_read_it(close, magnitude, case, data):
    x, weight, bias, params = case
    x = x.copy()
    index = tuple(data.draw(st.integers(0, size - 1), label=f"axis {a}") for a, size in enumerate(x.shape))
    x[index] = np.nan
    out = conv2d(x, weight, bias, **params)
    # which outputs read x[index]: the loop definition on a 0/1 indicator and all-ones weights
    indicator = np.zeros(x.shape)
    indicator[index] = 1.0
    reads = conv2d_loops(indicator, np.ones_like(weight), **params) > 0
    np.testing.assert_array_equal(np.isnan(out), reads)
    close(out, conv2d_loops(x, weight, bias, **params), magnitude=magnitude(np.nan_to_num(x), weight, bias))


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("kernel, groups", [((3, 3), 1), ((1, 1), 1), ((3, 3), 4)])
def test_inf_in_x_propagates_like_numpy(close, value, kernel, groups):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 4, 6, 6))
    x[0, 1, 2, 3] = value
    x[0, 2, 3, 3] = -value
    weight = rng.standard_normal((4, 4 // groups, *kernel))
    weight[1] = 0.0                                     # output 1 reads channel 1: 0 * inf is NaN
    with np.errstate(invalid="ignore"):                 # inf * 0 and inf - inf, as NumPy warns
        out = conv2d(x, weight, padding=1, groups=groups)
        expected = conv2d_loops(x, weight, padding=1, groups=groups)
    assert np.isinf(expected).any() and np.isnan(expected).any()
    close(out, expected, magnitude=100.0)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_conv_matches_loops(close, magnitude, dtype):
    rng = np.random.default_rng(10)
    x = (rng.standard_normal((2, 4, 6, 5)) + 1j * rng.standard_normal((2, 4, 6, 5))).astype(dtype)
    for weight, params in [
        ((rng.standard_normal((4, 2, 3, 2)) - 1j * rng.standard_normal((4, 2, 3, 2))).astype(dtype),
         dict(groups=2, padding=1, stride=(1, 2))),
        ((rng.standard_normal((4, 1, 3, 3)) + 1j).astype(dtype), dict(groups=4, dilation=2, padding=2)),
        ((rng.standard_normal((3, 4, 1, 1)) + 2j).astype(dtype), dict(stride=2)),
    ]:
        close(conv2d(x, weight, **params), conv2d_loops(x, weight, **params),
              magnitude=magnitude(x, weight) * 2)


# --------------------------------------------------------------------------- inputs are never modified


def _frozen(array):
    array = np.array(array)
    array.setflags(write=False)
    return array


def _public_calls():
    rng = np.random.default_rng(11)
    x4 = rng.standard_normal((2, 4, 7, 6))
    x4i = rng.integers(-5, 5, size=(2, 4, 7, 6))
    x5 = rng.standard_normal((1, 2, 4, 5, 4))
    w4 = rng.standard_normal((6, 2, 3, 3))
    w4_1x1 = rng.standard_normal((4, 4, 1, 1))
    w4_dw = rng.standard_normal((8, 1, 3, 3))
    w3 = rng.standard_normal((3, 2, 2))
    w5 = rng.standard_normal((3, 2, 2, 2, 3))
    b6, b4, b8, b3 = (rng.standard_normal(k) for k in (6, 4, 8, 3))
    return [
        ("conv2d im2col", convbook.conv2d, (x4, w4, b6), dict(groups=2, padding=1)),
        ("conv2d pointwise", convbook.conv2d, (x4, w4_1x1, b4), dict(stride=2)),
        ("conv2d depthwise", convbook.conv2d, (x4, w4_dw, b8), dict(groups=4, padding=1)),
        ("conv2d float32 x, float64 weight", convbook.conv2d, (x4.astype(np.float32), w4, b6), dict(groups=2)),
        ("conv2d int", convbook.conv2d, (x4i, w4.astype(np.int64)), dict(groups=2)),
        ("conv3d", convbook.conv3d, (x5, w5, b3), dict(padding=1)),
        ("conv2d_loops", convbook.conv2d_loops, (x4, w4, b6), dict(groups=2, padding=1)),
        ("conv3d_loops", convbook.conv3d_loops, (x5, w5, b3), dict(padding=(0, 1, 0))),
        ("max_pool2d", convbook.max_pool2d, (x4, 3), dict(stride=2, padding=1, ceil_mode=True)),
        ("max_pool2d int", convbook.max_pool2d, (x4i, 2), dict()),
        ("avg_pool2d", convbook.avg_pool2d, (x4, 3), dict(stride=2, padding=1, count_include_pad=False)),
        ("avg_pool2d int", convbook.avg_pool2d, (x4i, 2), dict(stride=1)),
        ("max_pool2d_loops", convbook.max_pool2d_loops, (x4, 3), dict(stride=2, padding=1)),
        ("avg_pool2d_loops", convbook.avg_pool2d_loops, (x4, 3), dict(stride=2, padding=1)),
        ("local_response_norm", convbook.local_response_norm, (x4,), dict(size=3)),
        ("local_response_norm int", convbook.local_response_norm, (x4i,), dict()),
        ("maxout", convbook.maxout, (x4, 2), dict()),
        ("global_avg_pool2d", convbook.global_avg_pool2d, (x4,), dict()),
        ("conv2d_type1", convbook.conv2d_type1, (x4, w3), dict(padding=1, stride=2)),
        ("conv2d_type2_1", convbook.conv2d_type2_1, (x4, w3), dict(dilation=2)),
        ("conv2d_type2_2", convbook.conv2d_type2_2, (x4, rng.standard_normal((3, 4, 2, 2)), b3), dict()),
    ]


@pytest.mark.parametrize("name, func, args, kwargs", _public_calls(), ids=[c[0] for c in _public_calls()])
def test_public_functions_never_modify_their_inputs(name, func, args, kwargs):
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    frozen = [_frozen(a) if isinstance(a, np.ndarray) else a for a in args]    # writing would raise
    out = func(*frozen, **kwargs)
    for before, after in zip(copies, frozen):
        if isinstance(before, np.ndarray):
            np.testing.assert_array_equal(after, before)
    # and the result does not share memory with any input
    for a in frozen:
        if isinstance(a, np.ndarray):
            assert not np.shares_memory(out, a), name
    # writable inputs are not written either
    writable = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    func(*writable, **kwargs)
    for before, after in zip(copies, writable):
        if isinstance(before, np.ndarray):
            np.testing.assert_array_equal(after, before)
