#!/usr/bin/python3
"""Reference fixtures for the convolution and max-pooling kernels of CrossModal.Tensors.

Run with the system Python that has PyTorch 1.13:

    /usr/bin/python3 tests/reference/make_conv_fixtures.py

From fixed seeds it runs torch.nn.functional.conv2d and max_pool2d on small random NCHW inputs (square kernels;
strides 1 and 2; padding 0, 1 and 2; with and without bias; overlapping pooling windows) and writes the inputs, the
weights, the outputs, an upstream gradient and every gradient to tests/reference/fixtures/nn/<name>.safetensors in
the format of make_nn_fixtures.py, and the same for a
small convolutional CLIP image tower without and with its max-pooled branch (conv_tower, conv_tower_max). Runs are single-threaded and byte-identical on re-run.
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nn_fixtures import save  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def conv(name, seed, b, c, h, w, oc, k, stride, padding, bias):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, c, h, w, generator=g, requires_grad=True)
    weight = (torch.randn(oc, c, k, k, generator=g) / (c * k * k) ** 0.5).requires_grad_(True)
    tensors = {"x": x, "weight": weight}
    bias_t = None
    if bias:
        bias_t = torch.randn(oc, generator=g).requires_grad_(True)
        tensors["bias"] = bias_t
    out = F.conv2d(x, weight, bias_t, stride=stride, padding=padding)
    dout = torch.randn(out.shape, generator=g)
    out.backward(dout)
    tensors.update({
        "out": out, "dout": dout, "dx": x.grad, "dweight": weight.grad,
        "stride": torch.tensor([float(stride)]), "padding": torch.tensor([float(padding)]),
    })
    if bias:
        tensors["dbias"] = bias_t.grad
    save(name, tensors)


def pool(name, seed, b, c, h, w, k, stride):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, c, h, w, generator=g, requires_grad=True)
    out = F.max_pool2d(x, k, stride)
    dout = torch.randn(out.shape, generator=g)
    out.backward(dout)
    save(name, {
        "x": x, "out": out, "dout": dout, "dx": x.grad,
        "kernel": torch.tensor([float(k)]), "stride": torch.tensor([float(stride)]),
    })


def tower(name, seed, global_max_pool=False):
    """The convolutional CLIP image tower "4 M 6 M" at S = 8 with D = 5: conv3x3 (pad 1, bias) -> GELU (tanh) ->
    max-pool 2 -> conv3x3 -> GELU -> max-pool 2 -> flatten (C, y, x) -> LayerNorm -> linear without bias. With
    global_max_pool (conv_global_max_pool), the last (6, 2, 2) map is also max-pooled over its 2x2 positions ->
    LayerNorm(6) -> linear without bias, and the two projections are summed. Names as the C# tower's parameters
    (layers.{i}.weight, layers.{i}.bias, post_layernorm.*, visual_projection.weight, pool_layernorm.*,
    pool_projection.weight). The pooled branch's tensors are drawn after the others, so the tower without it gets
    the same numbers either way."""
    g = torch.Generator().manual_seed(seed)
    pixels = torch.randn(3, 3, 8, 8, generator=g)
    params = {
        "layers.0.weight": torch.randn(4, 3, 3, 3, generator=g) * 0.3,
        "layers.0.bias": torch.randn(4, generator=g) * 0.1,
        "layers.1.weight": torch.randn(6, 4, 3, 3, generator=g) * 0.3,
        "layers.1.bias": torch.randn(6, generator=g) * 0.1,
        "post_layernorm.weight": 1 + 0.1 * torch.randn(24, generator=g),
        "post_layernorm.bias": 0.1 * torch.randn(24, generator=g),
        "visual_projection.weight": torch.randn(5, 6 * 2 * 2, generator=g) * 0.3,
    }
    if global_max_pool:
        params["pool_layernorm.weight"] = 1 + 0.1 * torch.randn(6, generator=g)
        params["pool_layernorm.bias"] = 0.1 * torch.randn(6, generator=g)
        params["pool_projection.weight"] = torch.randn(5, 6, generator=g) * 0.3
    for p in params.values():
        p.requires_grad_(True)
    x = F.max_pool2d(F.gelu(F.conv2d(pixels, params["layers.0.weight"], params["layers.0.bias"], padding=1), approximate="tanh"), 2)
    x = F.max_pool2d(F.gelu(F.conv2d(x, params["layers.1.weight"], params["layers.1.bias"], padding=1), approximate="tanh"), 2)
    out = F.layer_norm(x.flatten(1), (24,), params["post_layernorm.weight"], params["post_layernorm.bias"], 1e-5) @ params["visual_projection.weight"].t()
    if global_max_pool:
        pooled = F.layer_norm(F.max_pool2d(x, 2).flatten(1), (6,), params["pool_layernorm.weight"], params["pool_layernorm.bias"], 1e-5)
        out = out + pooled @ params["pool_projection.weight"].t()
    dout = torch.randn(out.shape, generator=g)
    out.backward(dout)
    tensors = {"pixels": pixels, **params, "out": out, "dout": dout}
    tensors.update({"d." + k: p.grad for k, p in params.items()})
    save(name, tensors)


def main():
    conv("conv_k3_s1_p1", 11, 2, 3, 8, 8, 5, 3, 1, 1, True)
    conv("conv_k3_s2_p1", 12, 2, 4, 7, 9, 6, 3, 2, 1, True)
    conv("conv_k5_s2_p2_nobias", 13, 3, 2, 11, 10, 3, 5, 2, 2, False)
    conv("conv_k1_s1_p0", 14, 2, 8, 4, 4, 4, 1, 1, 0, True)
    conv("conv_k3_s1_p0", 15, 1, 16, 6, 6, 8, 3, 1, 0, True)
    pool("maxpool_k2_s2", 21, 2, 3, 8, 8, 2, 2)
    pool("maxpool_k2_s2_odd", 22, 2, 2, 9, 7, 2, 2)
    pool("maxpool_k3_s2", 23, 1, 3, 9, 9, 3, 2)
    tower("conv_tower", 31)
    tower("conv_tower_max", 32, global_max_pool=True)


if __name__ == "__main__":
    main()
