"""Every public function validates its input: ValueError (TypeError for the wrong kind of value),
with a message "<function>: <argument> must <rule>; got <values>".

Each message is pinned in full.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import convbook
from convbook import (
    avg_pool2d,
    avg_pool2d_loops,
    conv2d,
    conv2d_loops,
    conv2d_macs,
    conv2d_param_count,
    conv2d_type1,
    conv2d_type2_1,
    conv3d,
    conv3d_loops,
    conv_output_size,
    cuda_convnet_output_size,
    global_avg_pool2d,
    local_response_norm,
    max_pool2d,
    max_pool2d_loops,
    maxout,
    receptive_field,
)

X = np.zeros((1, 6, 5, 5))
W = np.zeros((4, 6, 3, 3))
X5 = np.zeros((1, 6, 4, 5, 5))
W5 = np.zeros((4, 6, 2, 3, 3))


def _raises(exception, message, call):
    with pytest.raises(exception, match="^" + re.escape(message) + "$"):
        call()


def _conv2d_cases(func, name):
    """(id, exception, message, call) for conv2d and its loop definition."""
    return [
        ("x ndim", ValueError, f"{name}: x must be 4-D (N, C_in, H, W); got x.shape=(6, 5, 5)",
         lambda: func(np.zeros((6, 5, 5)), W)),
        ("weight ndim", ValueError,
         f"{name}: weight must be 4-D (C_out, C_in/groups, K_h, K_w); got weight.shape=(4, 6, 3)",
         lambda: func(X, np.zeros((4, 6, 3)))),
        ("channel mismatch", ValueError,
         f"{name}: in_channels must equal weight.shape[1] * groups; got in_channels=6 "
         "(x.shape=(1, 6, 5, 5)), weight.shape[1]=3, groups=1",
         lambda: func(X, np.zeros((4, 3, 3, 3)))),
        ("channel mismatch grouped", ValueError,
         f"{name}: in_channels must equal weight.shape[1] * groups; got in_channels=6 "
         "(x.shape=(1, 6, 5, 5)), weight.shape[1]=6, groups=2",
         lambda: func(X, W, groups=2)),
        ("groups vs in_channels", ValueError, f"{name}: groups must divide in_channels; got in_channels=6, groups=4",
         lambda: func(X, np.zeros((4, 1, 3, 3)), groups=4)),
        ("groups vs out_channels", ValueError,
         f"{name}: groups must divide out_channels; got out_channels=4 (weight.shape[0]), groups=3",
         lambda: func(X, np.zeros((4, 2, 3, 3)), groups=3)),
        ("groups zero", ValueError, f"{name}: groups must be positive; got groups=0",
         lambda: func(X, W, groups=0)),
        ("stride zero", ValueError, f"{name}: stride must be positive; got stride=(0, 0)",
         lambda: func(X, W, stride=0)),
        ("stride negative", ValueError, f"{name}: stride must be positive; got stride=(1, -2)",
         lambda: func(X, W, stride=(1, -2))),
        ("dilation zero", ValueError, f"{name}: dilation must be positive; got dilation=(0, 1)",
         lambda: func(X, W, dilation=(0, 1))),
        ("padding negative", ValueError, f"{name}: padding must be non-negative; got padding=(-1, -1)",
         lambda: func(X, W, padding=-1)),
        ("kernel too large", ValueError,
         f"{name}: the dilated kernel must fit in the padded input; got height: "
         "d*(K-1)+1 = 1*(7-1)+1 = 7 > size + 2*padding = 5+2*0 = 5",
         lambda: func(X, np.zeros((4, 6, 7, 3)))),
        ("dilated kernel too large", ValueError,
         f"{name}: the dilated kernel must fit in the padded input; got width: "
         "d*(K-1)+1 = 3*(3-1)+1 = 7 > size + 2*padding = 5+2*0 = 5",
         lambda: func(X, W, dilation=(1, 3))),
        ("dilated kernel too large with padding", ValueError,
         f"{name}: the dilated kernel must fit in the padded input; got height: "
         "d*(K-1)+1 = 5*(3-1)+1 = 11 > size + 2*padding = 5+2*2 = 9",
         lambda: func(X, W, dilation=5, padding=2)),
        ("empty kernel", ValueError, f"{name}: kernel sizes must be positive; got weight.shape=(4, 6, 0, 3)",
         lambda: func(X, np.zeros((4, 6, 0, 3)))),
        ("bias shape", ValueError, f"{name}: bias must have shape (C_out,) = (4,); got bias.shape=(3,)",
         lambda: func(X, W, np.zeros(3))),
        ("bias 2-D", ValueError, f"{name}: bias must have shape (C_out,) = (4,); got bias.shape=(4, 1)",
         lambda: func(X, W, np.zeros((4, 1)))),
        ("stride 3 entries", ValueError,
         f"{name}: stride must be an int or a sequence of 2 ints; got stride=(1, 2, 3)",
         lambda: func(X, W, stride=(1, 2, 3))),
        ("x object", TypeError, f"{name}: x must have a numeric dtype; got dtype=object",
         lambda: func(X.astype(object), W)),
        ("x str", TypeError, f"{name}: x must have a numeric dtype; got dtype=<U1",
         lambda: func(np.full((1, 6, 5, 5), "a"), W)),
        ("x bool", TypeError, f"{name}: x must have a numeric dtype; got dtype=bool",
         lambda: func(X.astype(bool), W)),
        ("weight bool", TypeError, f"{name}: weight must have a numeric dtype; got dtype=bool",
         lambda: func(X, W.astype(bool))),
        ("bias object", TypeError, f"{name}: bias must have a numeric dtype; got dtype=object",
         lambda: func(X, W, np.zeros(4, dtype=object))),
        ("stride float", TypeError, f"{name}: stride must be an int or a sequence of 2 ints; got stride=2.0",
         lambda: func(X, W, stride=2.0)),
        ("padding float in pair", TypeError,
         f"{name}: padding must be an int or a sequence of 2 ints; got padding=(1, 0.5)",
         lambda: func(X, W, padding=(1, 0.5))),
        ("dilation bool", TypeError, f"{name}: dilation must be an int or a sequence of 2 ints; got dilation=True",
         lambda: func(X, W, dilation=True)),
        ("stride str", TypeError, f"{name}: stride must be an int or a sequence of 2 ints; got stride='2'",
         lambda: func(X, W, stride="2")),
        ("groups float", TypeError, f"{name}: groups must be an int; got groups=2.0",
         lambda: func(X, W, groups=2.0)),
        ("groups bool", TypeError, f"{name}: groups must be an int; got groups=True",
         lambda: func(X, W, groups=True)),
    ]


def _conv3d_cases(func, name):
    return [
        ("x ndim", ValueError, f"{name}: x must be 5-D (N, C_in, D, H, W); got x.shape=(1, 6, 5, 5)",
         lambda: func(X, W5)),
        ("weight ndim", ValueError,
         f"{name}: weight must be 5-D (C_out, C_in/groups, K_d, K_h, K_w); got weight.shape=(4, 6, 3, 3)",
         lambda: func(X5, W)),
        ("channel mismatch", ValueError,
         f"{name}: in_channels must equal weight.shape[1] * groups; got in_channels=6 "
         "(x.shape=(1, 6, 4, 5, 5)), weight.shape[1]=2, groups=1",
         lambda: func(X5, np.zeros((4, 2, 2, 3, 3)))),
        ("groups vs in_channels", ValueError, f"{name}: groups must divide in_channels; got in_channels=6, groups=4",
         lambda: func(X5, np.zeros((4, 1, 2, 3, 3)), groups=4)),
        ("groups vs out_channels", ValueError,
         f"{name}: groups must divide out_channels; got out_channels=4 (weight.shape[0]), groups=3",
         lambda: func(X5, np.zeros((4, 2, 2, 3, 3)), groups=3)),
        ("stride zero", ValueError, f"{name}: stride must be positive; got stride=(1, 0, 1)",
         lambda: func(X5, W5, stride=(1, 0, 1))),
        ("dilation zero", ValueError, f"{name}: dilation must be positive; got dilation=(0, 0, 0)",
         lambda: func(X5, W5, dilation=0)),
        ("padding negative", ValueError, f"{name}: padding must be non-negative; got padding=(0, 0, -1)",
         lambda: func(X5, W5, padding=(0, 0, -1))),
        ("depth kernel too large", ValueError,
         f"{name}: the dilated kernel must fit in the padded input; got depth: "
         "d*(K-1)+1 = 1*(5-1)+1 = 5 > size + 2*padding = 4+2*0 = 4",
         lambda: func(X5, np.zeros((4, 6, 5, 3, 3)))),
        ("pair instead of triple", ValueError,
         f"{name}: stride must be an int or a sequence of 3 ints; got stride=(1, 1)",
         lambda: func(X5, W5, stride=(1, 1))),
        ("bias shape", ValueError, f"{name}: bias must have shape (C_out,) = (4,); got bias.shape=(6,)",
         lambda: func(X5, W5, np.zeros(6))),
        ("x str", TypeError, f"{name}: x must have a numeric dtype; got dtype=<U1",
         lambda: func(np.full(X5.shape, "a"), W5)),
        ("stride float", TypeError, f"{name}: stride must be an int or a sequence of 3 ints; got stride=(1, 1.0, 1)",
         lambda: func(X5, W5, stride=(1, 1.0, 1))),
        ("groups float", TypeError, f"{name}: groups must be an int; got groups=1.5",
         lambda: func(X5, W5, groups=1.5)),
    ]


def _pool_cases(func, name):
    x = np.zeros((1, 2, 3, 4))
    return [
        ("x ndim", ValueError, f"{name}: x must be 4-D (N, C, H, W); got x.shape=(2, 3, 4)",
         lambda: func(np.zeros((2, 3, 4)), 2)),
        ("window too large", ValueError,
         f"{name}: the pooling window must fit in the padded input; got height: "
         "kernel_size=5 > size + 2*padding = 3+2*0 = 3",
         lambda: func(x, 5)),
        ("window too large with padding", ValueError,
         f"{name}: the pooling window must fit in the padded input; got width: "
         "kernel_size=7 > size + 2*padding = 4+2*1 = 6",
         lambda: func(x, (3, 7), padding=1)),
        ("padding more than half", ValueError,
         f"{name}: padding must be at most half of kernel_size; got padding=(2, 2), kernel_size=(3, 3)",
         lambda: func(x, 3, padding=2)),
        ("padding more than half on one axis", ValueError,
         f"{name}: padding must be at most half of kernel_size; got padding=(0, 2), kernel_size=(1, 3)",
         lambda: func(x, (1, 3), padding=(0, 2))),
        ("kernel zero", ValueError, f"{name}: kernel_size must be positive; got kernel_size=(0, 0)",
         lambda: func(x, 0)),
        ("stride zero", ValueError, f"{name}: stride must be positive; got stride=(1, 0)",
         lambda: func(x, 2, stride=(1, 0))),
        ("padding negative", ValueError, f"{name}: padding must be non-negative; got padding=(-1, -1)",
         lambda: func(x, 2, padding=-1)),
        ("kernel three entries", ValueError,
         f"{name}: kernel_size must be an int or a sequence of 2 ints; got kernel_size=(2, 2, 2)",
         lambda: func(x, (2, 2, 2))),
        ("kernel float", TypeError, f"{name}: kernel_size must be an int or a sequence of 2 ints; got kernel_size=2.0",
         lambda: func(x, 2.0)),
        ("stride float", TypeError, f"{name}: stride must be an int or a sequence of 2 ints; got stride=1.5",
         lambda: func(x, 2, stride=1.5)),
        ("x object", TypeError, f"{name}: x must have a numeric dtype; got dtype=object",
         lambda: func(x.astype(object), 2)),
        ("x bool", TypeError, f"{name}: x must have a numeric dtype; got dtype=bool",
         lambda: func(x.astype(bool), 2)),
    ]


def _other_cases():
    x = np.zeros((1, 5, 3, 3))
    return [
        # local_response_norm
        ("lrn x ndim", ValueError, "local_response_norm: x must be 4-D (N, C, H, W); got x.shape=(5, 3, 3)",
         lambda: local_response_norm(np.zeros((5, 3, 3)))),
        ("lrn size zero", ValueError, "local_response_norm: size must be positive; got size=0",
         lambda: local_response_norm(x, 0)),
        ("lrn size negative", ValueError, "local_response_norm: size must be positive; got size=-3",
         lambda: local_response_norm(x, -3)),
        ("lrn size float", TypeError, "local_response_norm: size must be an int; got size=5.0",
         lambda: local_response_norm(x, 5.0)),
        ("lrn x str", TypeError, "local_response_norm: x must have a numeric dtype; got dtype=<U1",
         lambda: local_response_norm(np.full((1, 2, 2, 2), "a"))),
        # maxout
        ("maxout pieces not dividing", ValueError, "maxout: pieces must divide the channel count C; got C=5, pieces=2",
         lambda: maxout(x, 2)),
        ("maxout pieces zero", ValueError, "maxout: pieces must be positive; got pieces=0",
         lambda: maxout(x, 0)),
        ("maxout pieces float", TypeError, "maxout: pieces must be an int; got pieces=5.0",
         lambda: maxout(x, 5.0)),
        ("maxout x ndim", ValueError, "maxout: x must be 4-D (N, C, H, W); got x.shape=(1, 5, 3)",
         lambda: maxout(np.zeros((1, 5, 3)), 5)),
        ("maxout x bool", TypeError, "maxout: x must have a numeric dtype; got dtype=bool",
         lambda: maxout(x.astype(bool), 5)),
        # global_avg_pool2d
        ("gap x ndim", ValueError, "global_avg_pool2d: x must be 4-D (N, C, H, W); got x.shape=(5, 3, 3)",
         lambda: global_avg_pool2d(np.zeros((5, 3, 3)))),
        ("gap empty map", ValueError, "global_avg_pool2d: x must have H >= 1 and W >= 1; got x.shape=(1, 2, 0, 3)",
         lambda: global_avg_pool2d(np.zeros((1, 2, 0, 3)))),
        ("gap x object", TypeError, "global_avg_pool2d: x must have a numeric dtype; got dtype=object",
         lambda: global_avg_pool2d(x.astype(object))),
        # readings: their own checks
        ("type1 4-D weight", ValueError,
         "conv2d_type1: weight must be 3-D (K, K_h, K_w); got weight.shape=(2, 5, 3, 3)",
         lambda: conv2d_type1(x, np.zeros((2, 5, 3, 3)))),
        ("type2_1 4-D weight", ValueError,
         "conv2d_type2_1: weight must be 3-D (K, K_h, K_w); got weight.shape=(2, 5, 3, 3)",
         lambda: conv2d_type2_1(x, np.zeros((2, 5, 3, 3)))),
        ("type1 x ndim", ValueError, "conv2d_type1: x must be 4-D (N, C_in, H, W); got x.shape=(5, 3, 3)",
         lambda: conv2d_type1(np.zeros((5, 3, 3)), np.zeros((2, 3, 3)))),
        ("type2_1 weight str", TypeError, "conv2d_type2_1: weight must have a numeric dtype; got dtype=<U1",
         lambda: conv2d_type2_1(x, np.full((2, 3, 3), "a"))),
        ("type1 x bool", TypeError, "conv2d_type1: x must have a numeric dtype; got dtype=bool",
         lambda: conv2d_type1(x.astype(bool), np.zeros((2, 3, 3)))),
        # conv_output_size
        ("cos kernel too large", ValueError,
         "conv_output_size: the dilated kernel must fit in the padded input; got kernel extent "
         "d*(K-1)+1=7 > size + 2*padding=6 (size=4, padding=1, kernel_size=4, dilation=2)",
         lambda: conv_output_size(4, 4, padding=1, dilation=2)),
        ("cos size zero", ValueError, "conv_output_size: size must be positive; got size=0",
         lambda: conv_output_size(0, 1)),
        ("cos kernel zero", ValueError, "conv_output_size: kernel_size must be positive; got kernel_size=0",
         lambda: conv_output_size(5, 0)),
        ("cos stride zero", ValueError, "conv_output_size: stride must be positive; got stride=0",
         lambda: conv_output_size(5, 3, stride=0)),
        ("cos dilation zero", ValueError, "conv_output_size: dilation must be positive; got dilation=0",
         lambda: conv_output_size(5, 3, dilation=0)),
        ("cos padding negative", ValueError, "conv_output_size: padding must be non-negative; got padding=-1",
         lambda: conv_output_size(5, 3, padding=-1)),
        ("cos size float", TypeError, "conv_output_size: size must be an int; got size=224.0",
         lambda: conv_output_size(224.0, 3)),
        ("cos stride pair", TypeError, "conv_output_size: stride must be an int; got stride=(2, 2)",
         lambda: conv_output_size(224, 3, stride=(2, 2))),
        # cuda_convnet_output_size
        ("ccn kernel too large", ValueError,
         "cuda_convnet_output_size: kernel_size must not exceed size + 2*padding; got kernel_size=11, size=8, padding=1",
         lambda: cuda_convnet_output_size(8, 11, padding=1)),
        ("ccn stride zero", ValueError, "cuda_convnet_output_size: stride must be positive; got stride=0",
         lambda: cuda_convnet_output_size(224, 11, stride=0)),
        ("ccn padding negative", ValueError, "cuda_convnet_output_size: padding must be non-negative; got padding=-2",
         lambda: cuda_convnet_output_size(224, 11, padding=-2)),
        ("ccn kernel float", TypeError, "cuda_convnet_output_size: kernel_size must be an int; got kernel_size=11.0",
         lambda: cuda_convnet_output_size(224, 11.0)),
        # receptive_field
        ("rf layer length", ValueError,
         "receptive_field: each layer must be (kernel_size, stride) or (kernel_size, stride, dilation); "
         "got layers[1]=(3,)",
         lambda: receptive_field([(3, 1), (3,)])),
        ("rf layer too long", ValueError,
         "receptive_field: each layer must be (kernel_size, stride) or (kernel_size, stride, dilation); "
         "got layers[0]=(3, 1, 1, 1)",
         lambda: receptive_field([(3, 1, 1, 1)])),
        ("rf float", TypeError, "receptive_field: layers[0] must be an int; got layers[0]=3.0",
         lambda: receptive_field([(3.0, 1)])),
        # conv2d_param_count
        ("pc groups", ValueError,
         "conv2d_param_count: groups must divide c_in and c_out; got c_in=6, c_out=4, groups=4",
         lambda: conv2d_param_count(6, 4, 3, groups=4)),
        ("pc c_in zero", ValueError, "conv2d_param_count: c_in must be positive; got c_in=0",
         lambda: conv2d_param_count(0, 4, 3)),
        ("pc c_out negative", ValueError, "conv2d_param_count: c_out must be positive; got c_out=-4",
         lambda: conv2d_param_count(3, -4, 3)),
        ("pc groups zero", ValueError, "conv2d_param_count: groups must be positive; got groups=0",
         lambda: conv2d_param_count(4, 4, 3, groups=0)),
        ("pc kernel zero", ValueError, "conv2d_param_count: kernel_size must be positive; got kernel_size=(3, 0)",
         lambda: conv2d_param_count(4, 4, (3, 0))),
        ("pc kernel triple", ValueError,
         "conv2d_param_count: kernel_size must be an int or a sequence of 2 ints; got kernel_size=(3, 3, 3)",
         lambda: conv2d_param_count(4, 4, (3, 3, 3))),
        ("pc c_in float", TypeError, "conv2d_param_count: c_in must be an int; got c_in=4.0",
         lambda: conv2d_param_count(4.0, 4, 3)),
        ("pc kernel float", TypeError,
         "conv2d_param_count: kernel_size must be an int or a sequence of 2 ints; got kernel_size=3.0",
         lambda: conv2d_param_count(4, 4, 3.0)),
        # conv2d_macs
        ("macs groups", ValueError, "conv2d_macs: groups must divide c_in and c_out; got c_in=4, c_out=6, groups=4",
         lambda: conv2d_macs(4, 6, 3, 28, groups=4)),
        ("macs output zero", ValueError, "conv2d_macs: output_size must be positive; got output_size=(0, 0)",
         lambda: conv2d_macs(4, 4, 3, 0)),
        ("macs output negative", ValueError, "conv2d_macs: output_size must be positive; got output_size=(28, -1)",
         lambda: conv2d_macs(4, 4, 3, (28, -1))),
        ("macs output float", TypeError,
         "conv2d_macs: output_size must be an int or a sequence of 2 ints; got output_size=28.0",
         lambda: conv2d_macs(4, 4, 3, 28.0)),
        ("macs c_out zero", ValueError, "conv2d_macs: c_out must be positive; got c_out=0",
         lambda: conv2d_macs(4, 0, 3, 28)),
    ]


CASES = (
    [("conv2d " + c[0], *c[1:]) for c in _conv2d_cases(conv2d, "conv2d")]
    + [("conv2d_loops " + c[0], *c[1:]) for c in _conv2d_cases(conv2d_loops, "conv2d_loops")]
    + [("conv3d " + c[0], *c[1:]) for c in _conv3d_cases(conv3d, "conv3d")]
    + [("conv3d_loops " + c[0], *c[1:]) for c in _conv3d_cases(conv3d_loops, "conv3d_loops")]
    + [("max_pool2d " + c[0], *c[1:]) for c in _pool_cases(max_pool2d, "max_pool2d")]
    + [("avg_pool2d " + c[0], *c[1:]) for c in _pool_cases(avg_pool2d, "avg_pool2d")]
    + [("max_pool2d_loops " + c[0], *c[1:]) for c in _pool_cases(max_pool2d_loops, "max_pool2d_loops")]
    + [("avg_pool2d_loops " + c[0], *c[1:]) for c in _pool_cases(avg_pool2d_loops, "avg_pool2d_loops")]
    + _other_cases()
)


@pytest.mark.parametrize("exception, message, call", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_message(exception, message, call):
    _raises(exception, message, call)


def test_receptive_field_non_positive_layer():
    # the message names the layer and shows it as given
    _raises(ValueError, "receptive_field: every entry of a layer must be positive; got layers[1]=(3, 0)",
            lambda: receptive_field([(3, 1), (3, 0)]))
    _raises(ValueError, "receptive_field: every entry of a layer must be positive; got layers[0]=(3, 1, 0)",
            lambda: receptive_field([(3, 1, 0)]))


def test_every_public_function_is_covered():
    """Each callable in convbook.__all__ has at least one pinned error above."""
    covered = {c[0].split(" ")[0] for c in CASES}
    aliases = {"lrn": "local_response_norm", "gap": "global_avg_pool2d", "type1": "conv2d_type1",
               "type2_1": "conv2d_type2_1", "cos": "conv_output_size", "ccn": "cuda_convnet_output_size",
               "rf": "receptive_field", "pc": "conv2d_param_count", "macs": "conv2d_macs"}
    covered = {aliases.get(name, name) for name in covered} | {"conv2d_type2_2"}   # tested below
    public = {name for name in convbook.__all__ if callable(getattr(convbook, name))
              and name != "ReceptiveField"}
    assert public - covered == set()


# --------------------------------------------------------------------------- errors come before any work


def test_validation_happens_before_any_computation():
    # a huge (lazily broadcast) input with an invalid argument fails at once, without allocating
    huge = np.broadcast_to(np.float32(0), (64, 64, 4096, 4096))
    with pytest.raises(ValueError, match=re.escape("conv2d: padding must be non-negative")):
        conv2d(huge, np.zeros((1, 64, 3, 3), dtype=np.float32), padding=-1)
    with pytest.raises(ValueError, match=re.escape("max_pool2d: padding must be at most half of kernel_size")):
        max_pool2d(huge, 2, padding=2)
