"""The model descriptions: derived counts, shapes, forward passes, errors.

Counts are compared with arithmetic written out here from the papers' printed
layer sizes (not with the package's own formulas); shapes with the printed
tables; the grouped and Inception layers with separate engine calls.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import convbook
from convbook.models import LRN, Conv, Dropout, Inception, Linear, Network, Pool, Table, alexnet, googlenet
from convbook.models import forward, init_weights, shape_table, totals, without_groups

# ----------------------------------------------------------------------------- AlexNet

# Krizhevsky et al. 2012, §3.5: (kernels, K, depth per kernel) and the fully connected sizes.
ALEX_CONV = {"conv1": (96, 11, 3), "conv2": (256, 5, 48), "conv3": (384, 3, 256),
             "conv4": (384, 3, 192), "conv5": (256, 3, 192)}
ALEX_FC = {"fc6": (9216, 4096), "fc7": (4096, 4096), "fc8": (4096, 1000)}
ALEX_SIZE = {"conv1": 55, "conv2": 27, "conv3": 13, "conv4": 13, "conv5": 13}


def test_alexnet_params_per_layer_match_the_papers_kernel_shapes():
    rows = {r.name: r for r in shape_table(alexnet.ALEXNET)}
    for name, (count, k, depth) in ALEX_CONV.items():
        assert rows[name].params == count * k * k * depth + count, name
    for name, (n_in, n_out) in ALEX_FC.items():
        assert rows[name].params == n_in * n_out + n_out, name


def test_alexnet_totals():
    expected = sum(c * k * k * d + c for c, k, d in ALEX_CONV.values()) + sum(i * o + o for i, o in ALEX_FC.values())
    assert expected == 60_965_224
    assert totals(alexnet.ALEXNET)[0] == expected
    assert totals(alexnet.ALEXNET_227)[0] == expected
    # without groups conv2, conv4 and conv5 see all 96, 384 and 384 maps
    full_depth = {"conv2": 96, "conv4": 384, "conv5": 384}
    ungrouped = expected + sum(ALEX_CONV[n][0] * ALEX_CONV[n][1] ** 2 * (d - ALEX_CONV[n][2]) for n, d in full_depth.items())
    assert ungrouped == 62_378_344
    assert totals(without_groups(alexnet.ALEXNET))[0] == ungrouped


def test_alexnet_macs():
    macs = sum(ALEX_SIZE[n] ** 2 * c * k * k * d for n, (c, k, d) in ALEX_CONV.items())
    macs += sum(i * o for i, o in ALEX_FC.values())
    assert totals(alexnet.ALEXNET)[1] == macs == 724_406_816


def test_alexnet_kernel_depths_from_the_text():
    for name, (count, shape) in alexnet.KERNELS.items():
        layer = alexnet.ALEXNET[name]
        assert (layer.out_channels, layer.kernel_size, layer.kernel_size, layer.kernel_depth) == (count.value, *shape.value)


def test_alexnet_shape_chain_and_caption():
    rows = {r.name: r for r in shape_table(alexnet.ALEXNET)}
    sizes = [rows[n].out_shape[1] for n in ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5")]
    assert sizes == [55, 27, 27, 13, 13, 13, 13, 6]
    neurons = {n: int(np.prod(rows[n].out_shape)) for n in alexnet.CAPTION_NEURONS}
    mismatched = [n for n, p in alexnet.CAPTION_NEURONS.items() if neurons[n] != p.value]
    assert mismatched == ["conv1"]
    assert neurons["conv1"] == 55 * 55 * 96 == 290_400


def test_torchvision_alexnet_params():
    assert totals(alexnet.TORCHVISION_ALEXNET)[0] == alexnet.PUBLISHED["torchvision_params"].value == 61_100_840


def test_alexnet_at_224_with_floor_rounding_does_not_chain():
    conv1 = dataclasses.replace(alexnet.ALEXNET["conv1"], rounding="floor")
    with pytest.raises(ValueError, match=r"in_features of layer 'fc6' must equal .* got in_features=9216, input shape \(256, 5, 5\)"):
        dataclasses.replace(alexnet.ALEXNET, layers=(conv1, *alexnet.ALEXNET.layers[1:]))


# ----------------------------------------------------------------------------- GoogLeNet

def _inception_weights(c, n1, r3, n3, r5, n5, pp):
    return c * n1 + c * r3 + 9 * r3 * n3 + c * r5 + 25 * r5 * n5 + c * pp


def test_inception_3a_fields_and_size():
    m = googlenet.INCEPTION["3a"]
    fields = (m.in_channels, m.ch1x1, m.ch3x3red, m.ch3x3, m.ch5x5red, m.ch5x5, m.pool_proj)
    assert fields == (192, 64, 96, 128, 16, 32, 32)
    assert googlenet.SPATIAL_SIZE == {"3a": 28, "3b": 28, "4a": 14, "4b": 14, "4c": 14, "4d": 14,
                                      "4e": 14, "5a": 7, "5b": 7}
    assert googlenet.spatial_size("3a") == 28


def test_googlenet_weights_and_macs_per_module():
    rows = {r.name: r for r in shape_table(googlenet.GOOGLENET, bias=False)}
    for name, m in googlenet.INCEPTION.items():
        w = _inception_weights(m.in_channels, m.ch1x1, m.ch3x3red, m.ch3x3, m.ch5x5red, m.ch5x5, m.pool_proj)
        assert rows[name].params == w, name
        assert rows[name].macs == w * googlenet.SPATIAL_SIZE[name] ** 2, name
    assert rows["3a"].params == 163_328 and rows["3a"].macs == 128_049_152
    assert rows["conv1"].params == 7 * 7 * 3 * 64
    assert rows["conv1"].macs == 7 * 7 * 3 * 64 * 112 * 112


def test_googlenet_totals():
    params, macs = totals(googlenet.GOOGLENET)
    assert params == 6_998_552                    # Caffe bvlc_googlenet deploy net, biases included
    assert macs == 1_582_671_872
    assert totals(googlenet.GOOGLENET, bias=False)[0] == 6_998_552 - 8_280   # 8,280 biases


def test_table1_output_sizes_and_depth():
    rows = {r.name: r for r in shape_table(googlenet.GOOGLENET)}
    for printed in googlenet.TABLE1:
        h, w, c = printed.output
        assert rows[printed.layers[-1]].out_shape in ((c, h, w), (c,)), printed.label
    assert sum(r.depth for r in googlenet.TABLE1) == googlenet.PUBLISHED["depth"].value == 22
    learned = sum(2 if r.kind == "inception" else 1 for r in rows.values() if r.params)
    pools = sum(1 for r in rows.values() if r.kind.endswith("pool"))
    assert (learned, learned + pools) == (22, 27)


def test_table1_flagged_rows():
    rows = {r.name: r for r in shape_table(googlenet.GOOGLENET, bias=False)}
    flagged = []
    for printed in googlenet.TABLE1:
        if printed.params is None:
            continue
        weights = sum(rows[n].params for n in printed.layers) / 1024
        macs = sum(rows[n].macs for n in printed.layers) / 1e6
        if abs(weights / printed.params.value - 1) > 0.03 or abs(macs / printed.ops.value - 1) > 0.03:
            flagged.append(printed.label)
    assert flagged == ["convolution 7×7/2", "inception (4c)", "inception (5a)"]
    assert sum(r.ops.value for r in googlenet.TABLE1 if r.ops) == 1502


def test_googlenet_pools_need_ceil_mode():
    floor_layers = tuple(dataclasses.replace(la, ceil_mode=False) if isinstance(la, Pool) else la
                         for la in googlenet.GOOGLENET.layers)
    with pytest.raises(ValueError, match="the dilated kernel must fit"):
        dataclasses.replace(googlenet.GOOGLENET, layers=floor_layers)


# ----------------------------------------------------------------------------- forward passes

@pytest.mark.parametrize("net", [alexnet.ALEXNET, alexnet.ALEXNET_227, googlenet.GOOGLENET],
                         ids=["alexnet224", "alexnet227", "googlenet"])
def test_forward_shapes_match_the_table(net):
    rng = np.random.default_rng(0)
    weights = init_weights(net, rng)
    x = rng.standard_normal((2, *net.input_shape), dtype=np.float32)
    record = []
    out = forward(net, x, weights, record=record)
    assert [name for name, _ in record] == [layer.name for layer in net.layers]
    assert [shape for _, shape in record] == [(2, *r.out_shape) for r in shape_table(net)]
    assert out.shape == (2, 1000) and out.dtype == np.float32 and np.isfinite(out).all()


def test_weight_shapes():
    weights = init_weights(alexnet.ALEXNET, np.random.default_rng(0))
    assert weights["conv2"][0].shape == (256, 48, 5, 5)
    assert weights["fc6"][0].shape == (4096, 9216)
    weights = init_weights(googlenet.GOOGLENET, np.random.default_rng(0))
    assert weights["3a/5x5"][0].shape == (32, 16, 5, 5)
    assert weights["3a/pool_proj"][0].shape == (32, 192, 1, 1)


def test_grouped_layer_is_two_convolutions_side_by_side():
    rng = np.random.default_rng(1)
    layer = alexnet.ALEXNET["conv4"]
    net = Network("conv4 alone", (384, 13, 13), (dataclasses.replace(layer, relu=False),), "test")
    weights = init_weights(net, rng, dtype=np.float64)
    x = rng.standard_normal((1, 384, 13, 13))
    w, b = weights["conv4"]
    halves = [convbook.conv2d(x[:, g * 192:(g + 1) * 192], w[g * 192:(g + 1) * 192], b[g * 192:(g + 1) * 192],
                              padding=1) for g in range(2)]
    np.testing.assert_allclose(forward(net, x, weights), np.concatenate(halves, axis=1), rtol=1e-12, atol=1e-12)
    # one output value as a literal sum over its own GPU's 192 maps
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    o, i, j = 300, 4, 7
    literal = np.sum(xp[0, 192:, i:i + 3, j:j + 3] * w[o]) + b[o]
    np.testing.assert_allclose(forward(net, x, weights)[0, o, i, j], literal, rtol=1e-12)


def test_cuda_convnet_rounding_is_zero_padding_at_the_bottom_right():
    rng = np.random.default_rng(2)
    weights = init_weights(alexnet.ALEXNET, rng, dtype=np.float64)
    x = rng.standard_normal((1, 3, 224, 224))
    padded = np.pad(x, ((0, 0), (0, 0), (0, 3), (0, 3)))        # 54·4 + 11 = 227
    np.testing.assert_allclose(forward(alexnet.ALEXNET, x, weights),
                               forward(alexnet.ALEXNET_227, padded, weights), rtol=1e-12, atol=1e-12)


def test_inception_module_is_four_branches_concatenated():
    rng = np.random.default_rng(3)
    m = Inception("m", 8, 3, 4, 5, 2, 3, 2)
    net = Network("one module", (8, 9, 9), (m,), "test")
    weights = init_weights(net, rng, dtype=np.float64)
    x = rng.standard_normal((2, 8, 9, 9))

    def conv(y, key, padding=0):
        w, b = weights[f"m/{key}"]
        return np.maximum(convbook.conv2d(y, w, b, padding=padding), 0)

    pooled = convbook.max_pool2d(x, 3, stride=1, padding=1)
    expected = np.concatenate([conv(x, "1x1"), conv(conv(x, "3x3_reduce"), "3x3", 1),
                               conv(conv(x, "5x5_reduce"), "5x5", 2), conv(pooled, "pool_proj")], axis=1)
    out = forward(net, x, weights)
    assert out.shape == (2, m.out_channels, 9, 9) == (2, 3 + 5 + 3 + 2, 9, 9)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("make, message", [
    (lambda: Conv("c", 96, 256, 5, groups=3), r"Conv: groups must divide in_channels and out_channels; got in_channels=96"),
    (lambda: Conv("c", 3, 8, 0), r"Conv: kernel_size must be positive; got kernel_size=0"),
    (lambda: Conv("c", 3, 8, 3, padding=-1), r"Conv: padding must be non-negative; got padding=-1"),
    (lambda: Conv("c", 3, 8, 3, rounding="ceil"), r"Conv: rounding must be one of \('floor', 'cuda-convnet'\); got rounding='ceil'"),
    (lambda: Conv("", 3, 8, 3), r"Conv: name must be a non-empty str; got name=''"),
    (lambda: Pool("p", "min", 3, 2), r"Pool: kind must be 'max' or 'avg'; got kind='min'"),
    (lambda: LRN("n", 5, -1.0, 0.75, 2.0), r"LRN: alpha must be a non-negative number; got alpha=-1.0"),
    (lambda: Dropout("d", 1.5), r"Dropout: p must be a number in \[0, 1\); got p=1.5"),
    (lambda: Inception("i", 192, 64, 0, 128, 16, 32, 32), r"Inception: ch3x3red must be positive; got ch3x3red=0"),
    (lambda: Network("n", (3, 8), (), "s"), r"Network: input_shape must be 3 positive ints \(C, H, W\); got input_shape=\(3, 8\)"),
    (lambda: Network("n", (3, 8, 8), (Conv("c", 3, 4, 3), Conv("c", 4, 4, 3)), "s"),
     r"Network: layer names must be unique; got duplicates \['c'\]"),
    (lambda: Network("n", (3, 8, 8), (Conv("c", 4, 4, 3),), "s"),
     r"shape_table: in_channels of layer 'c' must equal the channels reaching it; got in_channels=4, input shape \(3, 8, 8\)"),
    (lambda: Network("n", (3, 8, 8), (Linear("fc", 100, 10),), "s"),
     r"shape_table: in_features of layer 'fc' must equal the flattened input C\*H\*W; got in_features=100"),
    (lambda: Network("n", (3, 4, 4), (Conv("c", 3, 4, 5),), "s"), r"conv_output_size: the dilated kernel must fit"),
    (lambda: googlenet.spatial_size("6a"), r"spatial_size: name must be a layer of GOOGLENET .*; got name='6a'"),
    (lambda: shape_table("alexnet"), r"shape_table: network must be a Network; got str"),
    (lambda: init_weights(alexnet.ALEXNET, 0), r"init_weights: rng must be a numpy.random.Generator; got int"),
    (lambda: forward(googlenet.GOOGLENET, np.zeros((1, 3, 227, 227)), {}),
     r"forward: x must have shape \(N, 3, 224, 224\); got x.shape=\(1, 3, 227, 227\)"),
    (lambda: forward(googlenet.GOOGLENET, np.zeros((1, 3, 224, 224)), {}),
     r"forward: weights must hold every learned layer; got no entry for \['conv1'"),
    (lambda: Table(["a", "b"], [["1"]]), r"Table: every row must have 2 cells \(one per header entry\); got 1"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None)
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_non_integer_size_is_a_type_error():
    with pytest.raises(TypeError, match=r"Conv: kernel_size must be an int; got kernel_size=3.0"):
        Conv("c", 3, 8, 3.0)


def test_table_text_and_html():
    table = Table(["layer", "params"], [["conv1", 34944], ["fc8", "4,097,000"]], caption="AlexNet")
    assert str(table).splitlines() == ["AlexNet", "layer  params", "-----  ---------",
                                       "conv1  34944", "fc8    4,097,000"]
    html = table._repr_html_()
    assert html.count("<tr>") == 3 and "<caption>AlexNet</caption>" in html and "<td>4,097,000</td>" in html
