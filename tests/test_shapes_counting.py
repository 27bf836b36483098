"""Output-size arithmetic, receptive fields, parameter and MAC counts, against running layers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import (
    ReceptiveField,
    conv2d,
    conv2d_macs,
    conv2d_param_count,
    conv_output_size,
    cuda_convnet_output_size,
    max_pool2d,
    receptive_field,
)

# --------------------------------------------------------------------------- output sizes


def _count_windows(size, kernel, stride, padding, dilation):
    """Floor rule, by counting: window i starts at i*s in the padded input and must end inside it."""
    extent = dilation * (kernel - 1) + 1
    count = 0
    while count * stride + extent <= size + 2 * padding:
        count += 1
    return count


def _count_covering_windows(size, kernel, stride, padding):
    """cuda-convnet's rule, by counting: add windows until the padded input is covered."""
    count = 1
    while (count - 1) * stride + kernel < size + 2 * padding:
        count += 1
    return count


def test_conv_output_size_against_running_conv2d():
    checked = 0
    for size, k, s, p, d in itertools.product(range(1, 11), range(1, 5), range(1, 4), range(0, 3), range(1, 3)):
        extent = d * (k - 1) + 1
        x = np.zeros((1, 1, size, 2))
        weight = np.zeros((1, 1, k, 1))
        if extent > size + 2 * p:
            with pytest.raises(ValueError):
                conv_output_size(size, k, stride=s, padding=p, dilation=d)
            with pytest.raises(ValueError):
                conv2d(x, weight, stride=(s, 1), padding=(p, 0), dilation=(d, 1))
            continue
        expected = conv2d(x, weight, stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]
        assert conv_output_size(size, k, stride=s, padding=p, dilation=d) == expected
        assert expected == _count_windows(size, k, s, p, d)
        checked += 1
    assert checked > 500


def test_conv_output_size_ceil_mode_against_running_max_pool2d():
    for size, k, s in itertools.product(range(1, 13), range(1, 5), range(1, 4)):
        for p in range(0, k // 2 + 1):
            if k > size + 2 * p:
                continue
            pooled = max_pool2d(np.zeros((1, 1, size, 1)), (k, 1), stride=(s, 1), padding=(p, 0), ceil_mode=True)
            # ceil rule, by counting: cover the padded input, but no window may start in the right padding
            expected = _count_covering_windows(size, k, s, p)
            if (expected - 1) * s >= size + p:
                expected -= 1
            assert pooled.shape[2] == expected == conv_output_size(size, k, stride=s, padding=p, ceil_mode=True)
            floor = max_pool2d(np.zeros((1, 1, size, 1)), (k, 1), stride=(s, 1), padding=(p, 0)).shape[2]
            assert floor == conv_output_size(size, k, stride=s, padding=p) == _count_windows(size, k, s, p, 1)


def test_conv_output_size_hand_worked():
    assert conv_output_size(224, 11, stride=4) == 54           # floor((224 - 11) / 4) + 1
    assert conv_output_size(227, 11, stride=4) == 55
    assert conv_output_size(224, 7, stride=2, padding=3) == 112  # GoogLeNet conv1
    assert conv_output_size(112, 3, stride=2, ceil_mode=True) == 56
    assert conv_output_size(112, 3, stride=2) == 55
    assert conv_output_size(5, 3, dilation=2) == 1
    assert conv_output_size(7, 3, padding=1) == 7


def test_cuda_convnet_output_size():
    assert cuda_convnet_output_size(224, 11, stride=4) == 55    # AlexNet's conv1, no stated padding
    assert cuda_convnet_output_size(227, 11, stride=4) == 55
    for size, k, s, p in itertools.product(range(1, 15), range(1, 6), range(1, 5), range(0, 3)):
        if k > size + 2 * p:
            with pytest.raises(ValueError):
                cuda_convnet_output_size(size, k, stride=s, padding=p)
            continue
        expected = _count_covering_windows(size, k, s, p)
        assert cuda_convnet_output_size(size, k, stride=s, padding=p) == expected
        # it never gives fewer outputs than the floor rule, and at most one more
        assert 0 <= expected - conv_output_size(size, k, stride=s, padding=p) <= 1


# --------------------------------------------------------------------------- receptive fields


def _measure(layers, length, *, padding=0, unit=0):
    """Receptive field of output unit ``unit`` of a chain, measured by running it.

    Every one-hot input of the given length goes through the chain at once (as a
    batch); input position i influences the unit if its output is non-zero. Layers
    are (kind, kernel, stride[, dilation]) along the width; "conv" uses an
    all-ones kernel, "pool" a max pool (both keep a one-hot's support).
    """
    x = np.eye(length).reshape(length, 1, 1, length)
    for kind, kernel, stride, *rest in layers:
        if kind == "conv":
            dilation = rest[0] if rest else 1
            x = conv2d(x, np.ones((1, 1, 1, kernel)), stride=(1, stride), padding=(0, padding),
                       dilation=(1, dilation))
        else:
            x = max_pool2d(x, (1, kernel), stride=(1, stride))
    influence = x[:, 0, 0, :] != 0                     # (input position, output unit)
    field = np.flatnonzero(influence[:, unit])
    jump = np.flatnonzero(influence[:, unit + 1])[0] - field[0]
    return ReceptiveField(int(field[-1] - field[0] + 1), int(jump)), field.size


@pytest.mark.parametrize("layers, length", [
    ([("conv", 3, 1)], 10),
    ([("conv", 3, 1)] * 2, 12),                                            # two 3x3 see 5x5
    ([("conv", 3, 1)] * 3, 12),                                            # three see 7x7
    ([("conv", 5, 2), ("conv", 3, 1), ("pool", 2, 2)], 40),
    ([("conv", 3, 1, 1), ("conv", 3, 1, 2), ("conv", 3, 1, 4)], 30),       # dilated: 1 + 2 + 4 + 8 = 15
    ([("conv", 7, 2), ("pool", 3, 2), ("conv", 1, 1), ("conv", 3, 1), ("pool", 3, 2)], 80),
])
def test_receptive_field_against_measurement(layers, length):
    formula = receptive_field([tuple(layer[1:]) for layer in layers])
    span, count = _measure(layers, length)
    assert formula == span
    assert count == span.size                           # these fields have no holes


def test_receptive_field_of_a_dilated_chain_with_holes():
    # dilations 2 then 4 skip every other input: the field spans 1 + 4 + 8 = 13 positions, 7 of them read
    layers = [("conv", 3, 1, 2), ("conv", 3, 1, 4)]
    span, count = _measure(layers, 30)
    assert receptive_field([layer[1:] for layer in layers]) == span == ReceptiveField(13, 1)
    assert count == 7


def test_receptive_field_of_a_centre_unit_with_padding():
    layers = [("conv", 3, 1), ("conv", 3, 2), ("conv", 3, 1)]
    formula = receptive_field([layer[1:] for layer in layers])
    assert formula == ReceptiveField(9, 2)
    assert _measure(layers, 31, padding=1, unit=8) == (formula, 9)       # padding shifts, not resizes


def test_alexnet_receptive_field_is_195():
    kernels, strides = (11, 3, 5, 3, 3, 3, 3, 3), (4, 2, 1, 2, 1, 1, 1, 2)
    kinds = ("conv", "pool", "conv", "pool", "conv", "conv", "conv", "pool")
    assert receptive_field(zip(kernels, strides)) == ReceptiveField(195, 32)
    measured = _measure(list(zip(kinds, kernels, strides)), 227)
    assert measured == (ReceptiveField(195, 32), 195)


def test_receptive_field_hand_worked():
    assert receptive_field([]) == ReceptiveField(1, 1)
    assert receptive_field([(3, 1), (3, 1), (3, 1)]) == ReceptiveField(7, 1)
    assert receptive_field([(2, 2), (2, 2), (2, 2)]) == ReceptiveField(8, 8)      # 1 + 1 + 2 + 4
    assert receptive_field([[3, 1, 2], (3, 1)]) == ReceptiveField(7, 1)           # 1 + 4 + 2
    assert receptive_field(iter([(1, 3)])) == ReceptiveField(1, 3)


# --------------------------------------------------------------------------- counting


@settings(max_examples=40)
@given(g=st.integers(1, 4), c_in_g=st.integers(1, 4), c_out_g=st.integers(1, 4), k_h=st.integers(1, 5),
       k_w=st.integers(1, 5), bias=st.booleans())
def test_param_count_is_weight_size_plus_bias_size(g, c_in_g, c_out_g, k_h, k_w, bias):
    c_in, c_out = g * c_in_g, g * c_out_g
    weight = np.zeros((c_out, c_in // g, k_h, k_w))
    expected = weight.size + (c_out if bias else 0)
    kernel = k_h if k_h == k_w else (k_h, k_w)
    assert conv2d_param_count(c_in, c_out, kernel, groups=g, bias=bias) == expected
    # the layer accepts those shapes
    out = conv2d(np.zeros((1, c_in, k_h, k_w)), weight, np.zeros(c_out) if bias else None, groups=g)
    assert out.shape == (1, c_out, 1, 1)


@settings(max_examples=30)
@given(g=st.integers(1, 3), c_in_g=st.integers(1, 3), c_out_g=st.integers(1, 3), k_h=st.integers(1, 3),
       k_w=st.integers(1, 3), s=st.integers(1, 2), extra_h=st.integers(0, 5), extra_w=st.integers(0, 5),
       n=st.integers(1, 2))
def test_macs_count_the_multiplications(g, c_in_g, c_out_g, k_h, k_w, s, extra_h, extra_w, n):
    c_in, c_out = g * c_in_g, g * c_out_g
    x = np.ones((n, c_in, k_h + extra_h, k_w + extra_w), dtype=np.int64)
    weight = np.ones((c_out, c_in_g, k_h, k_w), dtype=np.int64)
    out = conv2d(x, weight, stride=s, groups=g)
    macs = conv2d_macs(c_in, c_out, (k_h, k_w), out.shape[2:], groups=g)
    # all ones, no padding: each output is the number of products summed into it
    assert int(out.sum()) == n * macs
    assert macs == out[0].size * weight[0].size
    # a grouped layer is G smaller layers side by side
    assert macs == g * conv2d_macs(c_in_g, c_out_g, (k_h, k_w), out.shape[2:])
    assert macs == conv2d_param_count(c_in, c_out, (k_h, k_w), groups=g, bias=False) * out.shape[2] * out.shape[3]


def test_counts_hand_worked():
    assert conv2d_param_count(32, 64, 5, bias=False) == 64 * 32 * 25
    assert conv2d_param_count(3, 96, 11) == 96 * 3 * 121 + 96                      # AlexNet conv1
    assert conv2d_param_count(96, 256, 5, groups=2) == 256 * 48 * 25 + 256          # AlexNet conv2, two GPUs
    assert conv2d_macs(96, 128, 3, 28) == 28 * 28 * 128 * 96 * 9                    # GoogLeNet 3a, 3x3
    assert conv2d_macs(96, 256, 5, 27, groups=2) == 27 * 27 * 256 * 48 * 25
    assert conv2d_macs(4, 4, (1, 3), (2, 5), groups=4) == 2 * 5 * 4 * 1 * 3
    assert isinstance(conv2d_macs(96, 128, 3, 28), int)
