"""convbook: a NumPy convolution engine that proves what the book says.

PyTorch's conventions throughout: NCHW activations, OIHW weights,
cross-correlation (no kernel flip), keyword-only hyperparameters that accept an
int or a pair, ``dilation=1`` meaning none. Every public function validates its
input and raises ``ValueError`` (``TypeError`` for non-numeric input) with a
message naming the function, the argument, the rule and the values.
"""

from ._tiling import MAX_TEMP_BYTES
from .conv import conv2d, conv3d
from .counting import conv2d_macs, conv2d_param_count
from .cross_channel import local_response_norm, maxout
from .pool import avg_pool2d, global_avg_pool2d, max_pool2d
from .readings import conv2d_type1, conv2d_type2_1, conv2d_type2_2
from .reference import avg_pool2d_loops, conv2d_loops, conv3d_loops, max_pool2d_loops
from .shapes import ReceptiveField, conv_output_size, cuda_convnet_output_size, receptive_field

__version__ = "0.1.0"

__all__ = [
    "MAX_TEMP_BYTES",
    "ReceptiveField",
    "avg_pool2d",
    "avg_pool2d_loops",
    "conv2d",
    "conv2d_loops",
    "conv2d_macs",
    "conv2d_param_count",
    "conv2d_type1",
    "conv2d_type2_1",
    "conv2d_type2_2",
    "conv3d",
    "conv3d_loops",
    "conv_output_size",
    "cuda_convnet_output_size",
    "global_avg_pool2d",
    "local_response_norm",
    "max_pool2d",
    "max_pool2d_loops",
    "maxout",
    "receptive_field",
]
