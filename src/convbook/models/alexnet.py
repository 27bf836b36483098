r"""AlexNet (Krizhevsky, Sutskever and Hinton 2012), the two-GPU original, described as data.

The two GPUs are grouped convolutions: "The kernels of the second, fourth, and
fifth convolutional layers are connected only to those kernel maps in the
previous layer which reside on the same GPU" (§3.5), so conv2, conv4 and conv5
have ``groups=2``; conv1 (the image) and conv3 ("connected to all kernel maps in
the second layer") have ``groups=1``.

What the paper states and what it leaves out:

* kernel counts and sizes, the stride 4 of conv1, the 224 × 224 × 3 input (§3.5);
* LRN after conv1 and conv2 with ``k = 2, n = 5, alpha = 1e-4, beta = 0.75`` (§3.3),
  max pooling ``z = 3, s = 2`` after both LRNs and after conv5 (§3.4, §3.5);
* dropout 0.5 in the first two fully connected layers (§4.2);
* **not stated**: the paddings. Those of conv2-conv5 (2, 1, 1, 1) are Caffe's
  ``bvlc_alexnet`` ``deploy.prototxt``, the only values that keep Figure 2's map
  sizes. conv1 has no padding and Krizhevsky's cuda-convnet output-size rule
  (``rounding="cuda-convnet"``), which turns 224 into 55 (:data:`ALEXNET`);
  :data:`ALEXNET_227` is the same net on Caffe's 227 × 227 input with the floor rule.

:data:`PUBLISHED` holds the paper's own numbers, each with its source, for
comparison with what :func:`convbook.models.network.shape_table` derives.
"""

from __future__ import annotations

from dataclasses import replace

from .layers import LRN, Conv, Dropout, Linear, Pool
from .network import Network, Published

SOURCE = "Krizhevsky et al. 2012, §3.3-§3.5 and Figure 2; paddings of conv2-conv5 from Caffe bvlc_alexnet"

_LRN = {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0}        # §3.3: k = 2, n = 5, α = 1e-4, β = 0.75

ALEXNET = Network(
    name="AlexNet (two GPUs, 224 × 224, cuda-convnet rounding in conv1)",
    input_shape=(3, 224, 224),
    layers=(
        Conv("conv1", 3, 96, 11, stride=4, rounding="cuda-convnet"),
        LRN("norm1", **_LRN),
        Pool("pool1", "max", 3, 2),
        Conv("conv2", 96, 256, 5, padding=2, groups=2),            # same-GPU maps only
        LRN("norm2", **_LRN),
        Pool("pool2", "max", 3, 2),
        Conv("conv3", 256, 384, 3, padding=1),                     # all maps: the GPUs talk
        Conv("conv4", 384, 384, 3, padding=1, groups=2),
        Conv("conv5", 384, 256, 3, padding=1, groups=2),
        Pool("pool5", "max", 3, 2),
        Linear("fc6", 256 * 6 * 6, 4096),
        Dropout("drop6", 0.5),
        Linear("fc7", 4096, 4096),
        Dropout("drop7", 0.5),
        Linear("fc8", 4096, 1000, relu=False),                     # logits; softmax not included
    ),
    source=SOURCE,
)
"""The paper's network at the paper's input size, 224 × 224 × 3."""

ALEXNET_227 = replace(
    ALEXNET,
    name="AlexNet (two GPUs, 227 × 227, floor rounding)",
    input_shape=(3, 227, 227),
    layers=(replace(ALEXNET["conv1"], rounding="floor"), *ALEXNET.layers[1:]),
    source=SOURCE + "; input 227 × 227 as Caffe bvlc_alexnet deploy.prototxt",
)
"""The same network on the 227 × 227 input of Caffe's ``bvlc_alexnet``, floor rounding everywhere."""

TORCHVISION_ALEXNET = Network(
    name="torchvision alexnet (One weird trick variant)",
    input_shape=(3, 224, 224),
    layers=(
        Conv("conv1", 3, 64, 11, stride=4, padding=2),
        Pool("pool1", "max", 3, 2),
        Conv("conv2", 64, 192, 5, padding=2),
        Pool("pool2", "max", 3, 2),
        Conv("conv3", 192, 384, 3, padding=1),
        Conv("conv4", 384, 256, 3, padding=1),
        Conv("conv5", 256, 256, 3, padding=1),
        Pool("pool5", "max", 3, 2),                                # then AdaptiveAvgPool2d((6, 6)): identity at 224
        Dropout("drop6", 0.5),
        Linear("fc6", 256 * 6 * 6, 4096),
        Dropout("drop7", 0.5),
        Linear("fc7", 4096, 4096),
        Linear("fc8", 4096, 1000, relu=False),
    ),
    source="pytorch/vision torchvision/models/alexnet.py (no LRN, no groups)",
)
"""torchvision's ``alexnet``: a different network (64-192-384-256-256 filters, no groups, no LRN)."""

_S35 = "Krizhevsky et al. 2012, §3.5"
_FIG2 = "Krizhevsky et al. 2012, Figure 2 caption"

#: The kernels of §3.5 as printed, by layer, as (number of kernels, (K_h, K_w, depth)).
KERNELS = {
    "conv1": (Published(96, "kernels", _S35), Published((11, 11, 3), "K_h × K_w × depth", _S35)),
    "conv2": (Published(256, "kernels", _S35), Published((5, 5, 48), "K_h × K_w × depth", _S35)),
    "conv3": (Published(384, "kernels", _S35), Published((3, 3, 256), "K_h × K_w × depth", _S35)),
    "conv4": (Published(384, "kernels", _S35), Published((3, 3, 192), "K_h × K_w × depth", _S35)),
    "conv5": (Published(256, "kernels", _S35), Published((3, 3, 192), "K_h × K_w × depth", _S35)),
}

#: Neurons per layer as printed in Figure 2's caption ("253,440–186,624–64,896–64,896–43,264–4096–4096–1000").
CAPTION_NEURONS = {
    name: Published(value, "neurons", _FIG2)
    for name, value in zip(("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"),
                           (253_440, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000))
}

#: Other printed numbers, with their sources.
PUBLISHED = {
    "input_size": Published(224, "pixels (224 × 224 × 3)", _S35),
    "input_neurons": Published(150_528, "input dimensions", _FIG2),
    "params": Published(60_000_000, "parameters ('60 million')", "Krizhevsky et al. 2012, abstract and §4"),
    "neurons": Published(650_000, "neurons ('650,000')", "Krizhevsky et al. 2012, abstract"),
    "lrn": Published(dict(_LRN), "paper-form constants", "Krizhevsky et al. 2012, §3.3"),
    "pool": Published({"z": 3, "s": 2}, "window z, stride s", "Krizhevsky et al. 2012, §3.4"),
    "torchvision_params": Published(
        61_100_840, "parameters", "torchvision docs, AlexNet_Weights.IMAGENET1K_V1, num_params"),
}
