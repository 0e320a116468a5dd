"""ember quickstart: the seed notes' tensor and autograd examples, printed.

Run with `make demo`. Every line works the same with `import torch`.
"""

import numpy as np

import ember as torch

print("== tensors ==")
a = torch.tensor([[1.0, -1.0], [1.0, -1.0]])
print(a, a.dtype, a.shape)
b = torch.from_numpy(np.array([[1, 2, 3], [4, 5, 6]]))  # shares memory with the array
print(b, b.dtype)
print(torch.zeros(2, 3), torch.ones(2, 2, dtype=torch.int64), torch.eye(3), sep="\n")
print(torch.arange(1, 10, 2), torch.linspace(0, 1, 5))
t = torch.arange(12).view(3, 4)
print(t, t.t().is_contiguous(), t.t().contiguous().view(12), sep="\n")
f = (torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) - 11.5) / 10
print(f[:, 1:, 1:3], f[f > 0.5], f.mean(), f.sum(-1), sep="\n")
m = torch.tensor([[20, 95, 9, 94], [97, 61, 80, 67], [76, 66, 64, 65]])
print(m.max(0), m.sort(-1, descending=True), sep="\n")
print(m @ m.t(), torch.einsum("ij,kj->ik", m.float(), m.float()), sep="\n")
print(torch.stack([a, a]).shape, torch.cat([a, a], 1).shape, m.split([1, 3], -1))
print(torch.flip(torch.arange(4), [0]), torch.isinf(torch.tensor([1.0, float("inf")])))

print("\n== autograd ==")
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
print(z, out)
out.backward()
print(x.grad)


def walk(fn, depth=0):
    print("  " * depth + (type(fn).__name__ if fn is not None else "None"))
    for child, _ in fn.next_functions if fn is not None else ():
        walk(child, depth + 1)


walk(out.grad_fn)
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
(w**3).backward(torch.tensor([0.1, 1.0, 0.0001]))
print(w.grad)
with torch.no_grad():
    print((w * 2).requires_grad)
(g,) = torch.autograd.grad((w**3).sum(), w, create_graph=True)
(h,) = torch.autograd.grad(g.sum(), w)
print(g, h)
