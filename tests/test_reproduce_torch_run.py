"""The same seeded training program gives torch's losses: init, dropout masks, DataLoader shuffling,
forward, backward and the optimizer all follow torch's random streams and arithmetic."""

import numpy as np
import torch

import ember


def train(L, steps=50):
    L.manual_seed(0)
    rng = np.random.default_rng(0)
    x = L.from_numpy(rng.standard_normal((256, 20)).astype(np.float32))
    y = L.from_numpy(rng.integers(0, 5, 256).astype(np.int64))
    loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    model = L.nn.Sequential(
        L.nn.Linear(20, 64),
        L.nn.ReLU(),
        L.nn.Dropout(0.3),
        L.nn.Linear(64, 64),
        L.nn.Tanh(),
        L.nn.Dropout(0.1),
        L.nn.Linear(64, 5),
    )
    opt = L.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    while len(losses) < steps:
        for xb, yb in loader:
            opt.zero_grad()
            loss = L.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return np.array(losses), model[0].weight.detach().numpy().copy()


def test_fifty_steps_with_dropout_and_shuffling_follow_torch():
    tl, tw = train(torch)
    el, ew = train(ember)
    np.testing.assert_allclose(el, tl, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ew, tw, rtol=1e-4, atol=1e-5)
