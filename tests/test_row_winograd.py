"""Winograd along the width only (:mod:`convbook.row_winograd`) and the path that uses it.

References: exact rational arithmetic for the one-dimensional transforms, the loop
definition :func:`convbook.conv2d_loops` on random layers (hypothesis), and the
float64 result for the float32 error.
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
from convbook import conv2d, conv2d_loops, row_winograd
from convbook._validate import ConvArgs

TRANSFORMS = sorted(row_winograd.TRANSFORMS.items())


@pytest.mark.parametrize("taps, transform", TRANSFORMS, ids=[t.name for _, t in TRANSFORMS])
def test_the_1d_transform_is_exact_in_rationals(taps, transform):
    # y = A^T [(G g) * (B^T d)] is bilinear: on every pair of basis vectors it must give y[i] = d[i + k] g[k]
    assert transform.r == taps
    alpha, m = transform.alpha, transform.m
    for a, k in itertools.product(range(alpha), range(taps)):
        gd = [sum((Fraction(transform.G[x][j]) * (j == k) for j in range(taps)), Fraction(0))
              * sum((Fraction(transform.BT[x][i]) * (i == a) for i in range(alpha)), Fraction(0))
              for x in range(alpha)]
        y = [sum((Fraction(transform.AT[i][x]) * gd[x] for x in range(alpha)), Fraction(0)) for i in range(m)]
        assert y == [Fraction(int(a == i + k)) for i in range(m)]


@st.composite
def row_layers(draw, dtype=np.float64):
    """A layer whose rows have 4 or 5 taps once the width stride is folded: x, weight, params."""
    taps = draw(st.sampled_from([t for t, _ in TRANSFORMS]))
    s_w = draw(st.integers(1, 2))
    k_w = draw(st.integers((taps - 1) * s_w + 1, taps * s_w))
    k_h, s_h = draw(st.integers(1, 7)), draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    size = [draw(st.integers(max(1, k - 2 * p), max(1, k - 2 * p) + 9)) for k, p in zip((k_h, k_w), padding)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), groups * draw(st.integers(1, 3)), *size)).astype(dtype)
    weight = rng.standard_normal((groups * draw(st.integers(1, 3)), x.shape[1] // groups, k_h, k_w)).astype(dtype)
    return x, weight, dict(stride=(s_h, s_w), padding=padding, groups=groups)


@pytest.mark.parametrize("dtype, examples", [(np.float64, 80), (np.float32, 40)])
def test_the_row_algorithm_matches_loops(close, magnitude, dtype, examples):
    @settings(max_examples=examples)
    @given(case=row_layers(dtype))
    def check(case):
        x, weight, params = case
        args = ConvArgs("test", x, weight, None, params["stride"], params["padding"], 1, params["groups"], 2)
        out = np.empty(args.out_shape, dtype=dtype)
        row_winograd.conv2d(args, out, row_winograd.TRANSFORMS[-(-weight.shape[3] // params["stride"][1])])
        close(out, conv2d_loops(x, weight, **params), magnitude=magnitude(x, weight), dtype=dtype)

    check()


@settings(max_examples=30)
@given(case=row_layers())
def test_the_row_algorithm_in_one_row_tiles_matches_loops(close, magnitude, case):
    # 64-byte tiles: one output row per tile, the folded input reused across them
    x, weight, params = case
    args = ConvArgs("test", x, weight, None, params["stride"], params["padding"], 1, params["groups"], 2)
    out = np.empty(args.out_shape)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convbook._tiling, "TILE_BYTES", 64)
        row_winograd.conv2d(args, out, row_winograd.TRANSFORMS[-(-weight.shape[3] // params["stride"][1])])
    close(out, conv2d_loops(x, weight, **params), magnitude=magnitude(x, weight))


@pytest.fixture
def row_calls(monkeypatch):
    """Count the calls of the row path and of im2col (its fallback)."""
    calls = []
    for name in ("_row_winograd", "_im2col"):
        original = getattr(convbook.conv, name)

        def spy(args, out, _original=original, _name=name):
            calls.append(_name)
            return _original(args, out)

        monkeypatch.setattr(convbook.conv, name, spy)
    return calls


def test_googlenet_conv1_takes_the_row_path_by_default(close, magnitude, row_calls):
    # GoogLeNet's first layer, 7x7 at stride 2 on 3 maps, on a 60x60 input (30 x 8 = 240 row tiles)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 3, 60, 60)).astype(np.float32)
    weight = (rng.standard_normal((4, 3, 7, 7)) * 0.1).astype(np.float32)
    out = conv2d(x, weight, stride=2, padding=3)
    assert row_calls == ["_row_winograd"]
    close(out, conv2d_loops(x.astype(np.float64), weight.astype(np.float64), stride=2, padding=3),
          magnitude=magnitude(x, weight), dtype=np.float32)


def test_non_finite_input_goes_to_im2col(row_calls):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 3, 60, 60)).astype(np.float32)
    x[0, 1, 30, 30] = np.nan
    weight = rng.standard_normal((4, 3, 7, 7)).astype(np.float32)
    with np.errstate(invalid="ignore"):
        out = conv2d(x, weight, stride=2, padding=3)
        expected = conv2d_loops(x.astype(np.float64), weight.astype(np.float64), stride=2, padding=3)
    assert row_calls == ["_im2col"]
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))


def test_overflow_in_the_row_transform_falls_back_to_im2col(close, monkeypatch, row_calls):
    # one row tile holds 3e37 times the signs of the row of B^T with the largest absolute sum:
    # that transformed value overflows float32, while every output (one tap of weight 1) is finite
    monkeypatch.setattr(convbook.conv, "ROW_MIN_TILES", 1)
    bt = np.array(row_winograd.F4_4.BT, dtype=np.float64)
    worst = bt[np.argmax(np.abs(bt).sum(axis=1))]
    assert 3e37 * np.abs(worst).sum() > np.finfo(np.float32).max
    x = np.zeros((1, 16, 1, 12), dtype=np.float32)
    x[0, :, 0, :7] = 3e37 * np.sign(worst)
    weight = np.zeros((1, 16, 1, 4), dtype=np.float32)
    weight[0, 0, 0, 0] = 1
    with np.errstate(over="ignore", invalid="ignore"):
        out = conv2d(x, weight)
    assert row_calls == ["_row_winograd", "_im2col"]
    assert np.isfinite(out).all()
    close(out, conv2d_loops(x.astype(np.float64), weight.astype(np.float64)), magnitude=3e37, dtype=np.float32)
