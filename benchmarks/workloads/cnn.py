"""Small CNN train step on 64x3x32x32: (conv3x3-BN-ReLU-maxpool2) x 2 + linear, Adam, cross-entropy."""

import numpy as np

from . import Workload


def build(L):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    rng = np.random.default_rng(0)
    x = L.from_numpy(rng.standard_normal((64, 3, 32, 32), dtype=np.float32))
    y = L.from_numpy(rng.integers(0, 10, 64))
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 10),
    )
    opt = L.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return Workload(step, "ms/step", scale=1e3)
