#!/usr/bin/python3
"""Writes tests/fixtures/conv_reference.json: PyTorch 1.13's Conv2d, ConvTranspose2d and
BatchNorm2d (forward output and every gradient) for tests/unit/core/nn/test_conv_parity.cpp.

Run with Debian's python3-torch (1.13), not the pyenv python:
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tests/reference/make_conv_fixtures.py
The suite never needs torch: the JSON is committed with this script.

Each conv case: x (batch x in x H x W), weight and bias drawn U(-0.5, 0.5), r drawn U(-1, 1);
recorded y = f(layer(x)) and, for L = sum(r * y), dL/dx, dL/dweight, dL/dbias (all float32).
The BatchNorm2d case: one training-mode forward (y, gradients of L = sum(r * y) for x, weight,
bias, the running statistics after it) and then one eval-mode forward.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), 'fixtures')

ACTIVATIONS = {
    'identity': lambda t: t,
    'relu': torch.relu,
    'leaky_relu': lambda t: F.leaky_relu(t, 0.2),
    'sigmoid': torch.sigmoid,
    'tanh': torch.tanh,
}


def short(x):
    """The shortest decimal whose double rounds to the float32 value x."""
    f = torch.tensor(float(x), dtype=torch.float32).item()
    for digits in range(6, 10):
        s = '%.*g' % (digits, f)
        if torch.tensor(float(s), dtype=torch.float32).item() == f:
            return float(s)
    raise AssertionError(x)


def flat(t):
    return [short(v) for v in t.detach().to(torch.float32).flatten().tolist()]


def conv_case(kind, in_shape, out_channels, kernel, stride, padding, activation, batch, seed):
    torch.manual_seed(seed)
    c, h, w = in_shape
    if kind == 'conv2d':
        layer = torch.nn.Conv2d(c, out_channels, kernel, stride, padding)
    else:
        layer = torch.nn.ConvTranspose2d(c, out_channels, kernel, stride, padding)
    with torch.no_grad():
        layer.weight.uniform_(-0.5, 0.5)
        layer.bias.uniform_(-0.5, 0.5)
    x = torch.empty(batch, c, h, w).uniform_(-1, 1).requires_grad_(True)
    y = ACTIVATIONS[activation](layer(x))
    r = torch.empty_like(y).uniform_(-1, 1)
    (r * y).sum().backward()
    return {
        'layer': kind, 'input': [c, h, w], 'out_channels': out_channels, 'kernel': kernel, 'stride': stride,
        'padding': padding, 'activation': activation, 'batch': batch, 'output': list(y.shape[1:]),
        'x': flat(x), 'weight': flat(layer.weight), 'weight_shape': list(layer.weight.shape), 'bias': flat(layer.bias),
        'r': flat(r), 'y': flat(y), 'grad_x': flat(x.grad), 'grad_weight': flat(layer.weight.grad),
        'grad_bias': flat(layer.bias.grad),
    }


def batchnorm_case(shape, batch, eps, momentum, seed):
    torch.manual_seed(seed)
    c, h, w = shape
    bn = torch.nn.BatchNorm2d(c, eps=eps, momentum=momentum)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    x = (torch.empty(batch, c, h, w).uniform_(-1, 1) * 2 + 0.3).requires_grad_(True)
    weight, bias = flat(bn.weight), flat(bn.bias)
    bn.train()
    y = bn(x)
    r = torch.empty_like(y).uniform_(-1, 1)
    (r * y).sum().backward()
    bn.eval()
    x_eval = torch.empty(batch, c, h, w).uniform_(-1, 1)
    with torch.no_grad():
        y_eval = bn(x_eval)
    return {
        'layer': 'batchnorm2d', 'input': [c, h, w], 'batch': batch, 'eps': eps, 'momentum': momentum,
        'x': flat(x), 'weight': weight, 'bias': bias, 'r': flat(r), 'y': flat(y), 'grad_x': flat(x.grad),
        'grad_weight': flat(bn.weight.grad), 'grad_bias': flat(bn.bias.grad),
        'running_mean': flat(bn.running_mean), 'running_var': flat(bn.running_var),
        'x_eval': flat(x_eval), 'y_eval': flat(y_eval),
    }


def main():
    torch.set_num_threads(1)
    cases = [
        conv_case('conv2d', (3, 6, 6), 4, 4, 2, 1, 'leaky_relu', 2, seed=1),   # DCGAN's k4 s2 p1
        conv_case('conv2d', (2, 7, 5), 3, 3, 1, 1, 'identity', 1, seed=2),
        conv_case('conv2d', (1, 8, 8), 2, 5, 3, 2, 'tanh', 3, seed=3),
        conv_case('conv_transpose2d', (4, 3, 3), 3, 4, 2, 1, 'relu', 2, seed=4),  # 3×3 → 6×6
        conv_case('conv_transpose2d', (2, 4, 3), 3, 3, 1, 0, 'sigmoid', 1, seed=5),
        conv_case('conv_transpose2d', (3, 2, 2), 2, 5, 3, 2, 'identity', 2, seed=6),
        batchnorm_case((3, 4, 4), 3, 1e-5, 0.1, seed=7),
        batchnorm_case((2, 3, 5), 2, 0.8, 0.3, seed=8),
    ]
    doc = {
        '_format': 'cases: Conv2d / ConvTranspose2d (x, weight, bias, r, y = f(layer(x)), gradients of sum(r*y)) '
                   'and BatchNorm2d (training forward + gradients + running statistics, then an eval forward), '
                   'float32, NCHW, PyTorch layouts.',
        'torch_version': torch.__version__,
        'tolerances': {'value': [1e-5, 1e-4]},
        'cases': cases,
    }
    path = os.path.join(FIXTURES, 'conv_reference.json')
    with open(path, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print('wrote %s (%d bytes)' % (path, os.path.getsize(path)))


if __name__ == '__main__':
    main()
