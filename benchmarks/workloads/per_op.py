"""Per-op overhead: a chain of 100 small elementwise ops on 16 floats (forward + backward, or under no_grad)."""

from . import Workload

N_OPS = 100


def build(L, grad=True):
    x = L.linspace(-1.0, 1.0, 16).requires_grad_(grad)

    def chain(y):
        for _ in range(N_OPS // 4):
            y = y * 1.01
            y = y + 0.1
            y = L.tanh(y)
            y = y.sin()
        return y

    if grad:

        def step():
            x.grad = None
            chain(x).sum().backward()

        return Workload(step, "us/op", scale=1e6 / N_OPS, notes="forward + backward time / 100 ops")

    def step_no_grad():
        with L.no_grad():
            chain(x)

    return Workload(step_no_grad, "us/op", scale=1e6 / N_OPS)
