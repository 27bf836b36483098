"""The three readings of "a convolution layer after another one", against their definitions."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import conv2d, conv2d_loops, conv2d_type1, conv2d_type2_1, conv2d_type2_2


@st.composite
def reading_cases(draw):
    """``x`` of shape (N, C_in, H, W), a 3-D bank of K 2-D filters and hyperparameters."""
    c_in, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 4))
                 for k, d, p in zip(kernel, dilation, padding))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, *size))
    weight = rng.standard_normal((filters, *kernel))
    return x, weight, dict(stride=stride, padding=padding, dilation=dilation)


def _magnitude(x, taps, weight):
    return taps * np.abs(x).max() * np.abs(weight).max() + 1.0


@settings(max_examples=40)
@given(case=reading_cases())
def test_type1_output_map_c_times_k_plus_k_is_map_c_filtered_by_filter_k(close, case):
    x, weight, params = case
    c_in, filters = x.shape[1], weight.shape[0]
    out = conv2d_type1(x, weight, **params)
    assert out.shape[:2] == (x.shape[0], c_in * filters)
    for c in range(c_in):
        for k in range(filters):
            expected = conv2d_loops(x[:, c:c + 1], weight[k][None, None], **params)[:, 0]
            close(out[:, c * filters + k], expected, magnitude=_magnitude(x, weight[0].size, weight))


def test_type1_against_scipy_correlate(close):
    rng = np.random.default_rng(40)
    x = rng.standard_normal((1, 3, 7, 6))
    weight = rng.standard_normal((2, 3, 2))
    out = conv2d_type1(x, weight)
    for c in range(3):
        for k in range(2):
            close(out[0, c * 2 + k], scipy.signal.correlate(x[0, c], weight[k], mode="valid", method="direct"))


@settings(max_examples=40)
@given(case=reading_cases())
def test_type2_1_is_a_conv_of_the_channel_sum(close, case):
    x, weight, params = case
    out = conv2d_type2_1(x, weight, **params)
    expected = conv2d_loops(x.sum(axis=1, keepdims=True), weight[:, None], **params)
    close(out, expected, magnitude=_magnitude(x, x.shape[1] * weight[0].size, weight))


@settings(max_examples=20)
@given(case=reading_cases(), seed=st.integers(0, 2**32 - 1))
def test_type2_1_cannot_tell_its_input_maps_apart(close, case, seed):
    x, weight, params = case
    permutation = np.random.default_rng(seed).permutation(x.shape[1])
    close(conv2d_type2_1(x[:, permutation], weight, **params), conv2d_type2_1(x, weight, **params),
          magnitude=_magnitude(x, x.shape[1] * weight[0].size, weight))


@settings(max_examples=30)
@given(case=reading_cases(), with_bias=st.booleans())
def test_type2_2_is_the_standard_layer(close, case, with_bias):
    x, bank, params = case
    rng = np.random.default_rng(x.size)
    weight = rng.standard_normal((bank.shape[0], x.shape[1], *bank.shape[1:]))
    bias = rng.standard_normal(bank.shape[0]) if with_bias else None
    out = conv2d_type2_2(x, weight, bias, **params)
    np.testing.assert_array_equal(out, conv2d(x, weight, bias, **params))
    close(out, conv2d_loops(x, weight, bias, **params),
          magnitude=_magnitude(x, weight[0].size, weight) + (0 if bias is None else np.abs(bias).max()))


def test_type2_2_with_a_shared_slice_is_type2_1(close):
    rng = np.random.default_rng(41)
    x = rng.standard_normal((2, 3, 6, 5))
    bank = rng.standard_normal((4, 3, 3))
    shared = np.repeat(bank[:, None], 3, axis=1)          # the same 2-D filter for every input map
    close(conv2d_type2_2(x, shared, padding=1), conv2d_type2_1(x, bank, padding=1), magnitude=100.0)


def _inputs_read_by_one_output(reading, c_in, weight, output_channel):
    """Count the input values (channel, h, w) that output (output_channel, 2, 2) depends on.

    The readings are linear, so feed every one-hot input at once as a batch and
    see which make the chosen output non-zero (all weights are 1).
    """
    height = width = 7
    basis = np.eye(c_in * height * width).reshape(-1, c_in, height, width)
    out = reading(basis, weight)
    return int(np.count_nonzero(out[:, output_channel, 2, 2]))


def test_the_table_of_the_three_readings():
    c_in, filters, k_h, k_w = 3, 4, 3, 2
    bank = np.ones((filters, k_h, k_w))
    full = np.ones((filters, c_in, k_h, k_w))
    x = np.zeros((1, c_in, 7, 7))
    # output maps
    assert conv2d_type1(x, bank).shape[1] == c_in * filters
    assert conv2d_type2_1(x, bank).shape[1] == filters
    assert conv2d_type2_2(x, full).shape[1] == filters
    # inputs per output
    assert _inputs_read_by_one_output(conv2d_type1, c_in, bank, 5) == k_h * k_w
    assert _inputs_read_by_one_output(conv2d_type2_1, c_in, bank, 1) == c_in * k_h * k_w
    assert _inputs_read_by_one_output(conv2d_type2_2, c_in, full, 1) == c_in * k_h * k_w


def test_readings_dtypes_and_empty_batch():
    x32 = np.ones((2, 3, 5, 5), dtype=np.float32)
    w32 = np.ones((2, 3, 3), dtype=np.float32)
    assert conv2d_type1(x32, w32).dtype == np.float32
    assert conv2d_type2_1(x32, w32).dtype == np.float32
    assert conv2d_type1(x32, w32.astype(np.float64)).dtype == np.float64
    assert conv2d_type2_1(x32.astype(np.int64), w32.astype(np.int64)).dtype == np.int64
    np.testing.assert_array_equal(conv2d_type2_1(x32.astype(np.int64), w32.astype(np.int64)),
                                  np.full((2, 2, 3, 3), 27))
    assert conv2d_type1(np.zeros((0, 3, 5, 5)), w32).shape == (0, 6, 3, 3)
    assert conv2d_type2_1(np.zeros((0, 3, 5, 5)), w32).shape == (0, 2, 3, 3)


@settings(max_examples=30)
@given(case=reading_cases())
def test_type1_bias_of_filter_k_goes_to_every_map_it_makes(close, case):
    x, weight, params = case
    c_in, filters = x.shape[1], weight.shape[0]
    bias = np.random.default_rng(x.size).standard_normal(filters)
    out = conv2d_type1(x, weight, bias, **params)
    for c in range(c_in):
        for k in range(filters):
            expected = conv2d_loops(x[:, c:c + 1], weight[k][None, None], bias[k:k + 1], **params)[:, 0]
            close(out[:, c * filters + k], expected,
                  magnitude=_magnitude(x, weight[0].size, weight) + np.abs(bias).max())


@settings(max_examples=30)
@given(case=reading_cases())
def test_type2_1_bias_is_added_once_after_the_sum_over_maps(close, case):
    x, weight, params = case
    bias = np.random.default_rng(x.size).standard_normal(weight.shape[0])
    out = conv2d_type2_1(x, weight, bias, **params)
    expected = conv2d_loops(x.sum(axis=1, keepdims=True), weight[:, None], bias, **params)
    close(out, expected, magnitude=_magnitude(x, x.shape[1] * weight[0].size, weight) + np.abs(bias).max())


@pytest.mark.parametrize("reading", [conv2d_type1, conv2d_type2_1], ids=["type1", "type2_1"])
def test_readings_bias_must_have_one_value_per_filter(reading):
    name = reading.__name__
    with pytest.raises(ValueError, match=rf"^{name}: bias must have shape \(K,\) = \(2,\), one per filter; "
                                         r"got bias\.shape=\(6,\)$"):
        reading(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3)), np.zeros(6))


# --------------------------------------------------------------------------- the readings name themselves

# The readings delegate to conv2d; the package promises that every public
# function's message names *that* function, so an error raised for a reading
# must start with the reading's own name, not "conv2d:".

READING_CASES = [
    ("type1 stride zero", "conv2d_type1: stride must be positive; got stride=(0, 0)",
     lambda: conv2d_type1(np.zeros((1, 2, 5, 5)), np.zeros((3, 3, 3)), stride=0)),
    ("type1 kernel too large", "conv2d_type1: the dilated kernel must fit in the padded input; got height: "
     "d*(K-1)+1 = 1*(7-1)+1 = 7 > size + 2*padding = 5+2*0 = 5",
     lambda: conv2d_type1(np.zeros((1, 2, 5, 5)), np.zeros((3, 7, 3)))),
    ("type2_1 padding negative", "conv2d_type2_1: padding must be non-negative; got padding=(-1, -1)",
     lambda: conv2d_type2_1(np.zeros((1, 2, 5, 5)), np.zeros((3, 3, 3)), padding=-1)),
    ("type2_2 weight ndim", "conv2d_type2_2: weight must be 4-D (C_out, C_in/groups, K_h, K_w); "
     "got weight.shape=(3, 3, 3)",
     lambda: conv2d_type2_2(np.zeros((1, 2, 5, 5)), np.zeros((3, 3, 3)))),
    ("type2_2 stride zero", "conv2d_type2_2: stride must be positive; got stride=(0, 0)",
     lambda: conv2d_type2_2(np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3)), stride=0)),
]


@pytest.mark.parametrize("message, call", [c[1:] for c in READING_CASES], ids=[c[0] for c in READING_CASES])
def test_readings_errors_name_the_reading(message, call):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value) == message


def test_type2_2_channel_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match=re.escape("in_channels must equal weight.shape[1] * groups")):
        conv2d_type2_2(np.zeros((1, 2, 5, 5)), np.zeros((3, 4, 3, 3)))
    with pytest.raises(TypeError, match=re.escape("stride must be an int or a sequence of 2 ints; got stride=1.0")):
        conv2d_type1(np.zeros((1, 2, 5, 5)), np.zeros((3, 3, 3)), stride=1.0)
