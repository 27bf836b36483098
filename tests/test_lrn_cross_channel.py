"""Local response normalization and maxout: operations across maps (global average pooling: test_pool.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import local_response_norm, maxout

# --------------------------------------------------------------------------- LRN


def lrn_by_the_paper(x, n=5, *, alpha=1e-4, beta=0.75, k=2.0):
    r"""AlexNet §3.3, one value at a time, in float64.

    b^i_{x,y} = a^i_{x,y} / (k + alpha * sum_{j=max(0, i-n/2)}^{min(N-1, i+n/2)} (a^j_{x,y})^2)^beta

    For an odd n, n/2 is the integer radius (n - 1) / 2. For an even n the window
    is n // 2 maps before and (n - 1) // 2 after (PyTorch's convention).
    """
    x = np.asarray(x, dtype=np.float64)
    batch, maps, height, width = x.shape
    before, after = n // 2, (n - 1) // 2
    out = np.empty_like(x)
    for b in range(batch):
        for i in range(maps):
            for h in range(height):
                for w in range(width):
                    total = 0.0
                    for j in range(max(0, i - before), min(maps - 1, i + after) + 1):
                        total += x[b, j, h, w] ** 2
                    out[b, i, h, w] = x[b, i, h, w] / (k + alpha * total) ** beta
    return out


@settings(max_examples=40)
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 9), st.integers(1, 3), st.integers(1, 3)),
       n=st.integers(1, 11), seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1.0, 30.0]))
def test_lrn_matches_the_paper_with_its_constants(close, shape, n, seed, scale):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    out = local_response_norm(x, n)
    close(out, lrn_by_the_paper(x, n))


@settings(max_examples=40)
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 8), st.integers(1, 3), st.integers(1, 3)),
       n=st.integers(1, 9), alpha=st.floats(1e-5, 1.0), beta=st.floats(0.1, 2.0), k=st.floats(0.5, 3.0),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float64, np.float32]))
def test_lrn_matches_the_paper_any_constants(close, shape, n, alpha, beta, k, seed, dtype):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    out = local_response_norm(x, n, alpha=alpha, beta=beta, k=k)
    assert out.dtype == dtype
    expected = lrn_by_the_paper(x, n, alpha=alpha, beta=beta, k=k).astype(dtype)
    close(out, expected, magnitude=np.abs(x.astype(np.float64)) / k**beta + 1e-3)


def test_lrn_defaults_are_the_papers_constants():
    rng = np.random.default_rng(30)
    x = rng.standard_normal((2, 7, 3, 4)) * 50
    np.testing.assert_array_equal(local_response_norm(x),
                                  local_response_norm(x, 5, alpha=1e-4, beta=0.75, k=2.0))
    np.testing.assert_allclose(local_response_norm(x), lrn_by_the_paper(x, 5, alpha=1e-4, beta=0.75, k=2.0),
                               rtol=1e-13)


def test_lrn_hand_worked():
    # one pixel, maps worth 1, 2, 3, 4, 5, 6
    x = np.arange(1.0, 7.0).reshape(1, 6, 1, 1)
    out = local_response_norm(x).ravel()
    # map 0 (i = 0): j = 0..2 -> 1 + 4 + 9 = 14; map 2: j = 0..4 -> 55; map 5: j = 3..5 -> 16 + 25 + 36 = 77
    assert out[0] == pytest.approx(1 / (2 + 1e-4 * 14) ** 0.75, rel=1e-14)
    assert out[2] == pytest.approx(3 / (2 + 1e-4 * 55) ** 0.75, rel=1e-14)
    assert out[5] == pytest.approx(6 / (2 + 1e-4 * 77) ** 0.75, rel=1e-14)
    # size=1: each map normalised by itself only
    one = local_response_norm(x, 1, alpha=1.0, beta=1.0, k=0.0).ravel()
    np.testing.assert_allclose(one, 1 / np.arange(1.0, 7.0), rtol=1e-15)
    # even size 2: map i sees maps i - 1 and i
    two = local_response_norm(x, 2, alpha=1.0, beta=1.0, k=0.0).ravel()
    np.testing.assert_allclose(two, [1 / 1, 2 / 5, 3 / 13, 4 / 25, 5 / 41, 6 / 61], rtol=1e-15)


def test_lrn_looks_across_maps_not_across_pixels():
    rng = np.random.default_rng(31)
    x = rng.standard_normal((1, 8, 4, 4)) * 40
    out = local_response_norm(x)
    # changing pixel (1, 1) of every map changes only pixel (1, 1) of the output
    changed = x.copy()
    changed[:, :, 1, 1] *= 3
    diff = local_response_norm(changed) != out
    assert diff[:, :, 1, 1].all()
    diff[:, :, 1, 1] = False
    assert not diff.any()
    # changing map 0 changes maps 0..2 (radius 2), not map 3 or beyond
    changed = x.copy()
    changed[:, 0] *= 3
    differs = (local_response_norm(changed) != out).any(axis=(0, 2, 3))
    np.testing.assert_array_equal(differs, [True, True, True] + [False] * 5)


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64),
                                             (np.int64, np.float64), (np.int8, np.float64)])
def test_lrn_dtype(close, dtype, expected):
    x = np.arange(-6, 6).reshape(1, 12, 1, 1).astype(dtype)
    out = local_response_norm(x, 3, alpha=0.1)
    assert out.dtype == expected
    close(out, lrn_by_the_paper(x, 3, alpha=0.1).astype(expected), magnitude=6.0)
    assert local_response_norm(np.zeros((0, 4, 2, 2)), 3).shape == (0, 4, 2, 2)


def test_lrn_nan_stays_in_its_neighbourhood():
    x = np.ones((1, 7, 2, 2))
    x[0, 3, 1, 0] = np.nan
    out = local_response_norm(x, 3)
    expected = np.zeros(x.shape, dtype=bool)
    expected[0, 2:5, 1, 0] = True
    np.testing.assert_array_equal(np.isnan(out), expected)


# --------------------------------------------------------------------------- maxout


def maxout_by_loops(x, pieces):
    n, c, h, w = x.shape
    out = np.empty((n, c // pieces, h, w), dtype=x.dtype)
    for b in range(n):
        for j in range(c // pieces):
            for r in range(h):
                for s in range(w):
                    best = x[b, j * pieces, r, s]
                    for q in range(1, pieces):
                        value = x[b, j * pieces + q, r, s]
                        if value > best or value != value:     # NaN wins, as in np.max
                            best = value
                    out[b, j, r, s] = best
    return out


@settings(max_examples=40)
@given(n=st.integers(0, 2), groups=st.integers(1, 4), pieces=st.integers(1, 4), h=st.integers(1, 4),
       w=st.integers(1, 4), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.float64, np.float32, np.int64, np.uint8]))
def test_maxout_is_max_over_groups_of_adjacent_maps(n, groups, pieces, h, w, seed, dtype):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, groups * pieces, h, w)) * 50).astype(dtype) if np.dtype(dtype).kind == "f" \
        else rng.integers(0, 200, size=(n, groups * pieces, h, w)).astype(dtype)
    out = maxout(x, pieces)
    assert out.shape == (n, groups, h, w)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, maxout_by_loops(x, pieces))


def test_maxout_hand_worked_and_nan():
    x = np.array([1.0, 5.0, 2.0, 0.0, -3.0, -1.0]).reshape(1, 6, 1, 1)
    np.testing.assert_array_equal(maxout(x, 2).ravel(), [5.0, 2.0, -1.0])
    np.testing.assert_array_equal(maxout(x, 3).ravel(), [5.0, 0.0])
    np.testing.assert_array_equal(maxout(x, 1), x)
    np.testing.assert_array_equal(maxout(x, 6).ravel(), [5.0])
    x[0, 4, 0, 0] = np.nan
    out = maxout(x, 2).ravel()
    assert out[0] == 5.0 and out[1] == 2.0 and np.isnan(out[2])
