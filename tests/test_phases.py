"""A strided layer as a stride-1 layer on the input's phases (:mod:`convbook.phases`), and the path that uses it.

References: the loop definition :func:`convbook.conv2d_loops` run on both sides of
the identity (integer data, so equality is exact), and on the engine's results.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convbook._tiling
import convbook.conv
from convbook import conv2d, conv2d_loops, phases, winograd
from convbook._validate import ConvArgs


@st.composite
def strided_layers(draw, *, dtype=np.int64, kernels=(1, 7), max_stride=4, max_channels=3):
    """A valid 2-D layer with any stride, padding and groups (no dilation): x, weight, bias, params."""
    groups = draw(st.integers(1, 2))
    c_in_g, c_out_g = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    kernel = [draw(st.integers(*kernels)) for _ in range(2)]
    stride = [draw(st.integers(1, max_stride)) for _ in range(2)]
    padding = [draw(st.integers(0, 3)) for _ in range(2)]
    size = [draw(st.integers(max(1, k - 2 * p), max(1, k - 2 * p) + 7)) for k, p in zip(kernel, padding)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape_x = (draw(st.integers(1, 2)), groups * c_in_g, *size)
    shape_w = (groups * c_out_g, c_in_g, *kernel)
    if np.dtype(dtype).kind == "i":
        x, weight = rng.integers(-9, 10, shape_x), rng.integers(-9, 10, shape_w)
        bias = None
    else:
        x, weight = rng.standard_normal(shape_x).astype(dtype), rng.standard_normal(shape_w).astype(dtype)
        bias = rng.standard_normal(shape_w[0]).astype(dtype)
    return x, weight, bias, dict(stride=tuple(stride), padding=tuple(padding), groups=groups)


def _folded(x, weight, params):
    args = ConvArgs("test", x, weight, None, params["stride"], params["padding"], 1, params["groups"], 2)
    return (phases.fold_input(x, args.stride, args.padding, args.out_shape[2:], args.kernel_size),
            phases.fold_weight(weight, args.stride))


@settings(max_examples=150)
@given(case=strided_layers())
def test_the_folded_layer_at_stride_1_is_the_strided_layer(case):
    x, weight, _, params = case
    folded_x, folded_w = _folded(x, weight, params)
    assert folded_w.shape[2:] == phases.folded_kernel(weight.shape[2:], params["stride"])
    np.testing.assert_array_equal(conv2d_loops(folded_x, folded_w, groups=params["groups"]),
                                  conv2d_loops(x, weight, **params))


def test_alexnet_conv1_folds_to_a_3x3_layer_on_48_maps():
    x, weight = np.zeros((1, 3, 227, 227)), np.zeros((96, 3, 11, 11))
    folded_x, folded_w = _folded(x, weight, dict(stride=(4, 4), padding=(0, 0), groups=1))
    assert folded_x.shape == (1, 48, 57, 57) and folded_w.shape == (96, 48, 3, 3)


def test_the_folded_weight_holds_every_tap_once_and_zeros():
    # 11 taps at stride 4 fill 3 phases of 3 taps and one of 2: 12 x 12 slots per filter, 23 of them zero
    weight = np.arange(1, 1 + 2 * 121).reshape(2, 1, 11, 11)
    folded = phases.fold_weight(weight, (4, 4))
    assert sorted(folded[folded != 0]) == sorted(weight.ravel())
    assert np.count_nonzero(folded == 0) == 2 * (144 - 121)


def test_fold_input_in_reused_scratch_zeroes_the_padding():
    # the scratch buffer still holds the previous call's values: the padding must be zeros again
    scratch = convbook._tiling.Scratch(np.float64)
    rng = np.random.default_rng(0)
    big = rng.standard_normal((1, 2, 20, 20))
    phases.fold_input(big, (2, 2), (0, 0), (8, 8), (5, 5), scratch)
    x = rng.standard_normal((1, 2, 9, 9))
    reused = phases.fold_input(x, (2, 2), (2, 2), (5, 5), (5, 5), scratch).copy()
    np.testing.assert_array_equal(reused, phases.fold_input(x, (2, 2), (2, 2), (5, 5), (5, 5)))


# --------------------------------------------------------------------------- the engine's path


@pytest.fixture
def phases_everywhere(monkeypatch):
    """Lower Winograd's thresholds (float64 allowed); count the calls of the phases path."""
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_BLOCKS", 1)
    monkeypatch.setattr(convbook.conv, "WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(convbook.conv, "PHASES_MIN_BLOCKS", 1)
    monkeypatch.setattr(convbook.conv, "PHASES_MIN_CHANNELS", 1)
    monkeypatch.setattr(convbook.conv, "WINOGRAD_DTYPES", (np.float32, np.float64))
    calls = []
    original = convbook.conv._phases_winograd

    def spy(args, out):
        calls.append(args.kernel_size)
        return original(args, out)

    monkeypatch.setattr(convbook.conv, "_phases_winograd", spy)
    return calls


@pytest.mark.parametrize("dtype, examples", [(np.float64, 60), (np.float32, 40)])
def test_the_phases_path_matches_loops(close, magnitude, phases_everywhere, dtype, examples):
    # kernels of 5 to 10 taps at stride 2 fold to 3x3 or 5x5, the kernels Winograd takes
    @settings(max_examples=examples)
    @given(case=strided_layers(dtype=dtype, kernels=(5, 10), max_stride=2))
    def check(case):
        x, weight, bias, params = case
        before = len(phases_everywhere)
        out = conv2d(x, weight, bias, **params)
        taken = len(phases_everywhere) > before
        folded = phases.folded_kernel(weight.shape[2:], params["stride"])
        assert taken == (params["stride"] != (1, 1) and folded in convbook.conv.WINOGRAD), (folded, params)
        close(out, conv2d_loops(x, weight, bias, **params), magnitude=magnitude(x, weight, bias), dtype=dtype)

    check()
    assert phases_everywhere, "no example took the phases path"


def test_an_alexnet_like_layer_takes_the_path_by_default(close, magnitude):
    # 11x11 at stride 4 on 3 maps, like AlexNet's conv1, on a 159x159 input: 38x38 outputs, 100 blocks of 4x4
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 3, 159, 159)).astype(np.float32)
    weight = (rng.standard_normal((4, 3, 11, 11)) * 0.1).astype(np.float32)
    assert convbook.conv.strategy(x, weight, stride=4) == "phases_winograd"
    close(conv2d(x, weight, stride=4), conv2d_loops(x.astype(np.float64), weight.astype(np.float64), stride=4),
          magnitude=magnitude(x, weight), dtype=np.float32)


def test_overflow_in_the_folded_transforms_falls_back_to_im2col(close, phases_everywhere):
    # phase (0, 0) of x holds the pattern that overflows F(4x4, 3x3)'s input transform (see
    # test_winograd), and only the taps that read that phase are ones; every window sums at
    # most 9 values of 2e37, so the layer's result is finite
    x = np.zeros((1, 1, 16, 16), dtype=np.float32)
    signs = np.array([1, 1, -1], dtype=np.float32)
    x[0, 0, 2:8:2, 2:8:2] = 2e37 * np.outer(signs, signs)
    weight = np.zeros((1, 1, 5, 5), dtype=np.float32)
    weight[0, 0, ::2, ::2] = 1
    folded_x, folded_w = _folded(x, weight, dict(stride=(2, 2), padding=(0, 0), groups=1))
    with np.errstate(over="ignore", invalid="ignore"):
        alone = winograd.conv2d_direct(folded_x, folded_w)                   # the folded layer, Winograd only
        out = conv2d(x, weight, stride=2)
    assert not np.isfinite(alone).all()
    assert phases_everywhere == [(5, 5)]
    assert np.isfinite(out).all()
    close(out, conv2d_loops(x.astype(np.float64), weight.astype(np.float64), stride=2), magnitude=9 * 2e37,
          dtype=np.float32)
