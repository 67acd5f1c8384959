"""PyTorch eager on the CPU (float64, one thread), gradients by `torch.autograd.grad`.

Imported only in its own worker process, and only when torch is installed: an ImportError
here makes the worker report the framework as skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, CNNData, LSTMData, MLPData, fan_in_constants

torch: Any = importlib.import_module("torch")  # optional: untyped here on purpose
torch.set_num_threads(1)

NAME: Final = "PyTorch"
VERSION: Final[str] = str(torch.__version__)

Array = NDArray[np.float64]


def _variable(value: Any) -> Any:
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


def chain_forward(triples: int) -> tuple[Any, Any]:
    x = _variable(CHAIN_X)
    y = x
    for _ in range(triples):
        y = torch.sin(y)
        y = y * CHAIN_MUL
        y = y + CHAIN_ADD
    return x, y


def chain_backward(state: tuple[Any, Any]) -> float:
    x, y = state
    return float(torch.autograd.grad(y, x)[0].item())


def chain_backward_create_graph(state: tuple[Any, Any]) -> float:
    x, y = state
    return float(torch.autograd.grad(y, x, create_graph=True)[0].item())


def chain_forward_no_grad(triples: int) -> Any:
    with torch.no_grad():
        _, y = chain_forward(triples)
    return y


def fan_in_forward(n: int) -> tuple[Any, Any]:
    x = _variable(CHAIN_X)
    constants = fan_in_constants(n)
    y = x * constants[0]
    for c in constants[1:]:
        y = y + x * c
    return x, y


def fan_in_backward(state: tuple[Any, Any]) -> float:
    x, y = state
    return float(torch.autograd.grad(y, x)[0].item())


def sin_forward(x: Array, depth: int) -> tuple[Any, Any]:
    xv = torch.from_numpy(np.array(x)).requires_grad_()  # one copy: torch wants writable memory
    y = xv
    for _ in range(depth):
        y = torch.sin(y)
    return xv, y


def sin_backward(state: tuple[Any, Any]) -> Any:
    x, y = state
    return torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))[0]


def mlp_step(data: MLPData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    x = torch.tensor(data.x)
    t = torch.tensor(data.t)
    params = tuple(_variable(a) for a in (data.w1, data.b1, data.w2, data.b2))
    w1, b1, w2, b2 = params
    cross_entropy = torch.nn.functional.cross_entropy

    def step() -> tuple[Any, Any]:
        h = torch.relu(x @ w1 + b1)
        loss = cross_entropy(h @ w2 + b2, t)
        return loss, torch.autograd.grad(loss, params)

    def check(result: tuple[Any, Any]) -> list[float]:
        loss, grads = result
        return [float(loss.item()), *(float(g.sum().item()) for g in grads)]

    return step, check


def lstm_step(data: LSTMData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """A `torch.nn.LSTMCell` loop over the window (`weight_ih = W_x.T`, `weight_hh = W_h.T`,
    `bias_ih = b`, `bias_hh = 0`), the outputs stacked, a linear head, the mean squared
    error."""
    cell = torch.nn.LSTMCell(1, data.hidden, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(data.w_x.T))
        cell.weight_hh.copy_(torch.tensor(data.w_h.T))
        cell.bias_ih.copy_(torch.tensor(data.b))
        cell.bias_hh.zero_()
    w_o, b_o = _variable(data.w_o), _variable(data.b_o)
    params = (cell.weight_ih, cell.weight_hh, cell.bias_ih, w_o, b_o)
    x, t = torch.tensor(data.x), torch.tensor(data.t)
    mse = torch.nn.functional.mse_loss

    def step() -> tuple[Any, Any]:
        state = None
        hs = []
        for x_k in x:
            state = cell(x_k, state)
            hs.append(state[0])
        loss = mse(torch.stack(hs) @ w_o + b_o, t)
        return loss, torch.autograd.grad(loss, params)

    def check(result: tuple[Any, Any]) -> list[float]:
        loss, grads = result
        gw_x, gw_h, g_b, gw_o, gb_o = grads
        return [float(loss.item()), *(float(g.sum().item()) for g in (gw_x, gw_h, g_b, gw_o, gb_o))]

    return step, check


def cnn_step(data: CNNData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    x = torch.tensor(data.x)
    t = torch.tensor(data.t)
    params = tuple(_variable(a) for a in (data.w1, data.b1, data.w2, data.b2, data.w3, data.b3))
    w1, b1, w2, b2, w3, b3 = params
    functional = torch.nn.functional
    n = len(data.t)

    def step() -> tuple[Any, Any]:
        h = functional.max_pool2d(torch.relu(functional.conv2d(x, w1, b1, padding=1)), 2)
        h = functional.max_pool2d(torch.relu(functional.conv2d(h, w2, b2, padding=1)), 2)
        loss = functional.cross_entropy(h.reshape(n, 784) @ w3 + b3, t)
        return loss, torch.autograd.grad(loss, params)

    def check(result: tuple[Any, Any]) -> list[float]:
        loss, grads = result
        return [float(loss.item()), *(float(g.sum().item()) for g in grads)]

    return step, check
