"""LSTM train step: input 32, hidden 128, seq 50, batch 32; linear head on the last step, SGD."""

import numpy as np

from . import Workload


def build(L):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    rng = np.random.default_rng(0)
    x = L.from_numpy(rng.standard_normal((50, 32, 32), dtype=np.float32))
    y = L.from_numpy(rng.integers(0, 10, 32))
    lstm = nn.LSTM(32, 128)
    head = nn.Linear(128, 10)
    opt = L.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.1)

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        loss = F.cross_entropy(head(out[-1]), y)
        loss.backward()
        opt.step()
        return loss

    return Workload(step, "ms/step", scale=1e3)
