"""ember.autograd.functional against torch.autograd.functional: same values, structure and errors."""

import pytest

import ember
import ember.autograd.functional  # noqa: F401 - until ember.autograd imports it

from compare import check, check_error


def F(L):
    return L.autograd.functional


def inputs(L):
    x = L.tensor([[1.0, 2.0], [3.0, 0.5]], dtype=L.float64)
    y = L.tensor([0.3, -1.2], dtype=L.float64)
    return x, y


def f2(a, b):
    return (a.exp() * b).sum(0) + a.pow(2).sum(1)


def test_jacobian_single_and_tuple():
    def run(L):
        x, y = inputs(L)
        return [
            F(L).jacobian(lambda a: a.sin(), x),
            F(L).jacobian(f2, (x, y)),
            F(L).jacobian(lambda a, b: (a * 2, b.sum()), (x, y)),
            F(L).jacobian(lambda a: (a.exp(), a.sum()), x),
            F(L).jacobian(lambda a, b: a.sum() * 2, (x, y)),  # independent of b: zeros
            F(L).jacobian(lambda a: a * 3, L.tensor(2.0)),
        ]

    check(run)


def test_jacobian_vectorize_and_forward_mode():
    def run(L):
        x, y = inputs(L)
        return [
            F(L).jacobian(f2, (x, y), vectorize=True),
            F(L).jacobian(f2, (x, y), vectorize=True, strategy="forward-mode"),
            F(L).jacobian(lambda a: a.tanh(), x, vectorize=True, strategy="forward-mode"),
        ]

    check(run)


def test_jacobian_create_graph():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        j = F(L).jacobian(lambda a: a**3, x, create_graph=True)
        g = L.autograd.grad(j.sum(), x)[0]
        j2 = F(L).jacobian(lambda a: a**3, x)
        return [j, j.requires_grad, g, j2.requires_grad]

    check(run)


def test_hessian():
    def run(L):
        x, y = inputs(L)
        return [
            F(L).hessian(lambda a: (a**3).sum(), x),
            F(L).hessian(lambda a, b: a.exp().sum() * (b * b).sum(), (x, y)),
            F(L).hessian(lambda a: (a**3).sum(), x, vectorize=True),
            F(L).hessian(lambda a: (a**3).sum(), x, vectorize=True, outer_jacobian_strategy="forward-mode"),
            F(L).hessian(lambda a: (a * 2).sum(), x),  # linear: zeros
        ]

    check(run)


def test_vjp_jvp():
    def run(L):
        x, y = inputs(L)
        v = L.tensor([1.0, -2.0], dtype=L.float64)
        return [
            F(L).vjp(f2, (x, y), v),
            F(L).vjp(lambda a: a.sum(), x),
            F(L).vjp(lambda a: (a * 2, a.exp()), x, (L.ones_like(x), L.ones_like(x))),
            F(L).jvp(f2, (x, y), (L.ones_like(x), v)),
            F(L).jvp(lambda a: a * 2, L.tensor(3.0)),
            F(L).jvp(lambda a: (a.sin(), a.sum()), x, L.ones_like(x)),
        ]

    check(run)


def test_hvp_vhp():
    def run(L):
        x, y = inputs(L)

        def g(a, b):
            return (a.sin().sum() * b.pow(2).sum()).reshape(1)

        vx, vy = L.ones_like(x), L.tensor([0.5, 2.0], dtype=L.float64)
        return [
            F(L).hvp(lambda a: (a**3).sum(), x, L.ones_like(x)),
            F(L).vhp(lambda a: (a**3).sum(), x, L.ones_like(x)),
            F(L).hvp(g, (x, y), (vx, vy)),
            F(L).vhp(g, (x, y), (vx, vy)),
            F(L).hvp(lambda a: a**3, L.tensor(2.0)),
        ]

    check(run)


def test_create_graph_flags():
    def run(L):
        x = L.tensor([1.0, 2.0], dtype=L.float64)
        o, vj = F(L).vjp(lambda a: a * a, x, L.ones_like(x), create_graph=True)
        o2, jv = F(L).jvp(lambda a: a * a, x, L.ones_like(x), create_graph=True)
        o3, hv = F(L).hvp(lambda a: (a**3).sum(), x, L.ones_like(x), create_graph=True)
        o4, vj4 = F(L).vjp(lambda a: a * a, x, L.ones_like(x))
        return [vj, vj.requires_grad, o.requires_grad, jv.requires_grad, hv.requires_grad, vj4.requires_grad]

    check(run)


def test_strict_errors_match_torch():
    def e(fn):
        check_error(fn)

    e(lambda L: F(L).jacobian(lambda a, b: a * 2, (L.ones(2), L.ones(2)), strict=True))
    e(lambda L: F(L).vjp(lambda a: L.ones(2), L.ones(2), L.ones(2), strict=True))
    e(lambda L: F(L).vjp(lambda a, b: a * 2, (L.ones(2), L.ones(2)), L.ones(2), strict=True))
    e(lambda L: F(L).hvp(lambda a: (a * 2).sum(), L.ones(2), L.ones(2), strict=True))
    e(lambda L: F(L).hessian(lambda a: (a * 2).sum(), L.ones(2), strict=True))
    e(lambda L: F(L).jvp(lambda a, b: a * 2, (L.ones(2), L.ones(2)), (L.ones(2), L.ones(2)), strict=True))
    e(lambda L: F(L).jacobian(lambda a: a * 2, L.ones(2), strict=True, vectorize=True))
    e(lambda L: F(L).jacobian(lambda a: a * 2, L.ones(2), strict=True, strategy="forward-mode", vectorize=True))


def test_strict_message():
    with pytest.raises(RuntimeError, match="The output of the user-provided function is independent of input 0"):
        ember.autograd.functional.vjp(lambda a, b: b * 2, (ember.ones(2), ember.ones(2)), ember.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        ember.autograd.functional.jacobian(lambda a, b: a * 2, (ember.ones(2), ember.ones(2)), strict=True)


def test_argument_errors_match_torch():
    e = check_error
    e(lambda L: F(L).vjp(lambda a: a * 2, L.ones(2)))  # v needed
    e(lambda L: F(L).vjp(lambda a: a * 2, [L.ones(2)], L.ones(2)))  # list, not tuple
    e(lambda L: F(L).vjp(lambda a: a * 2, (L.ones(2), 3), L.ones(2)))
    e(lambda L: F(L).vjp(lambda a: [a * 2], L.ones(2), L.ones(2)))
    e(lambda L: F(L).jvp(lambda a: a * 2, L.ones(2), L.ones(3)))
    e(lambda L: F(L).jvp(lambda a, b: a * 2, (L.ones(2), L.ones(2)), (L.ones(2),)))
    e(lambda L: F(L).jvp(lambda a: a * 2, L.ones(2)))
    e(lambda L: F(L).hessian(lambda a: a * 2, L.ones(2)))
    e(lambda L: F(L).hessian(lambda a: (a.sum(), a.sum()), L.ones(2)))
    e(lambda L: F(L).hvp(lambda a: a * 2, L.ones(2), L.ones(2)))
    e(lambda L: F(L).vhp(lambda a: (a.sum(), a.sum()), L.ones(2), L.ones(2)))
    e(lambda L: F(L).jacobian(lambda a: a, L.ones(2), strategy="forward-mode"))
    e(lambda L: F(L).jacobian(lambda a: a, L.ones(2), strategy="forward-mode", vectorize=True, create_graph=True))
    e(lambda L: F(L).jacobian(lambda a: a, L.ones(2), strategy="sideways"))
    e(lambda L: F(L).hessian(lambda a: a.sum(), L.ones(2), outer_jacobian_strategy="sideways"))


def test_does_not_touch_input_grads():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    j = ember.autograd.functional.jacobian(lambda a: a * a, x)
    assert x.grad is None
    assert not j.requires_grad
    assert j.tolist() == [[2.0, 0.0], [0.0, 4.0]]
