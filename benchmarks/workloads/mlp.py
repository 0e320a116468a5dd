"""MLP 784-512-512-10 train step: batch 128, SGD with momentum, cross-entropy."""

import numpy as np

from . import Workload


def build(L):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    rng = np.random.default_rng(0)
    x = L.from_numpy(rng.standard_normal((128, 784), dtype=np.float32))
    y = L.from_numpy(rng.integers(0, 10, 128))
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = L.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return Workload(step, "ms/step", scale=1e3)
