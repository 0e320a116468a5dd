"""Autograd against torch: the same program runs on both and must agree on values, names and errors."""

import numpy as np
import pytest
import torch

import ember

from compare import check, check_error


def name(fn):
    return type(fn).__name__ if fn is not None else None


def test_seed_example():
    def run(L):
        x = L.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
        return [z, out, x.grad, x.is_leaf, y.is_leaf, name(y.grad_fn), name(out.grad_fn), x.requires_grad]

    check(run)


def test_next_functions_shape():
    def run(L):
        x = L.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        walk = []

        def go(fn, d=0):
            walk.append((d, name(fn)))
            if fn is not None:
                for f, i in fn.next_functions:
                    walk.append(i)
                    go(f, d + 1)

        go(out.grad_fn)
        acc = y.grad_fn.next_functions[0][0]
        return [walk, acc.variable is x, out.grad_fn.name(), len((x * 2).grad_fn.next_functions)]

    check(run)


def test_backward_with_gradient_and_accumulation():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        y.backward(L.tensor([0.1, 1.0, 10.0]), retain_graph=True)
        g1 = x.grad.clone()
        y.backward(L.tensor([1.0, 1.0, 1.0]))
        return [g1, x.grad]

    check(run)


def test_broadcast_gradients_reduce_to_input_shape():
    def run(L):
        a = L.tensor([[1.0], [2.0]], requires_grad=True)
        b = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        c = L.tensor(2.0, requires_grad=True)
        ((a * b + c) * (a - b)).sum().backward()
        return [a.grad, b.grad, c.grad]

    check(run)


def test_retain_grad_and_nonleaf_grad_is_none():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        z = y * y
        z.sum().backward()
        with pytest.warns(UserWarning):
            zg = z.grad
        return [y.grad, zg, y.retains_grad, x.retains_grad]

    check(run)


def test_hooks_order_and_replacement():
    def run(L):
        log = []
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: log.append(("y", g.tolist())) or g * 10)
        h = x.register_hook(lambda g: log.append(("x", g.tolist())))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.tolist())))
        (y * y).sum().backward()
        h.remove()
        x.grad = None
        (x * 1).sum().backward()
        return [log, x.grad]

    check(run)


def test_grad_modes():
    def run(L):
        x = L.tensor([1.0], requires_grad=True)
        out = []
        with L.no_grad():
            out.append((x * 2).requires_grad)
            with L.enable_grad():
                out.append((x * 2).requires_grad)
        with L.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        out.append(L.is_grad_enabled())
        L.set_grad_enabled(False)
        out.append((x * 2).requires_grad)
        L.set_grad_enabled(True)

        @L.no_grad()
        def f(t):
            return t * 2

        out.append(f(x).requires_grad)
        with L.inference_mode():
            out.append((x * 2).requires_grad)
            out.append(L.is_inference_mode_enabled())
        out.append((x * 2).requires_grad)
        return out

    check(run)


def test_detach_and_requires_grad_():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        d = x.detach()
        y = x * 2
        y.detach_()
        w = L.tensor([3.0]).requires_grad_()
        return [d.requires_grad, d.is_leaf, y.requires_grad, y.grad_fn is None, w.requires_grad, w.is_leaf]

    check(run)


def test_errors_match_torch():
    def freed(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()

    def leaf_inplace(L):
        x = L.tensor([1.0], requires_grad=True)
        x.add_(1)

    def saved_modified(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        z = y * y
        y.mul_(2)
        z.sum().backward()

    def nonscalar(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward()

    def no_grad_tensor(L):
        L.tensor([1.0]).sum().backward()

    def int_requires_grad(L):
        L.tensor([1, 2]).requires_grad_()

    def grad_of_unused(L):
        x = L.tensor([1.0], requires_grad=True)
        w = L.tensor([1.0], requires_grad=True)
        L.autograd.grad((x * 2).sum(), [x, w])

    def nonleaf_requires_grad_false(L):
        x = L.tensor([1.0], requires_grad=True)
        (x * 2).requires_grad_(False)

    for f in (
        freed,
        leaf_inplace,
        saved_modified,
        nonscalar,
        no_grad_tensor,
        int_requires_grad,
        grad_of_unused,
        nonleaf_requires_grad_false,
    ):
        check_error(f)


def test_saved_modified_message_names_op_and_versions():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.mul_(2)
    with pytest.raises(
        RuntimeError,
        match=r"\[ember.FloatTensor \[2\]\], which is output 0 of Mul, is at version 1; expected version 0",
    ):
        z.sum().backward()


def test_retain_graph_allows_second_backward():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    check(run)


def test_autograd_grad_options():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = L.tensor([1.0, 1.0, 1.0], requires_grad=True)
        y = (x**3).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), x)
        u = L.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
        m = L.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True)
        return [g, gg, u[0], u[1] is None, m[1], x.grad is None]

    check(run)


def test_backward_inputs_restricts_accumulation():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        (x * w).sum().backward(inputs=[w])
        return [x.grad is None, w.grad]

    check(run)


def test_inplace_on_views_gives_torch_gradients():
    def run(L):
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        w = L.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        y = x * 2
        v = y.t()
        v.mul_(w)
        (y * y).sum().backward()
        a = L.zeros(2, 3)
        b = a.view(6)
        b.add_(L.tensor([1.0, 2, 3, 4, 5, 6], requires_grad=True))
        return [name(y.grad_fn), name(v.grad_fn), x.grad, w.grad, a.requires_grad, name(a.grad_fn)]

    check(run)


def test_custom_function():
    def run(L):
        class Exp(L.autograd.Function):
            @staticmethod
            def forward(ctx, i):
                r = i.exp()
                ctx.save_for_backward(r)
                return r

            @staticmethod
            def backward(ctx, g):
                (r,) = ctx.saved_tensors
                return g * r

        class Scale(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.k = k
                mask = x > 0
                ctx.mark_non_differentiable(mask)
                return x * k, mask

            @staticmethod
            def backward(ctx, g, _):
                assert ctx.needs_input_grad == (True, False)
                return g * ctx.k, None

        x = L.tensor([0.5, -1.0], requires_grad=True)
        out, mask = Scale.apply(x, 3.0)
        out.sum().backward()
        res = [out, mask, x.grad.clone(), type(out.grad_fn).__name__, mask.requires_grad]
        x.grad = None
        y = Exp.apply(x)
        y.sum().backward()
        return res + [y, x.grad, type(y.grad_fn).__name__]

    check(run)


def test_custom_function_mark_dirty_and_materialize():
    def run(L):
        class AddOne(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        class Two(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                return g1 * 2 + g2 * 3

        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        c = AddOne.apply(b)
        c.sum().backward()
        p, q = Two.apply(a)
        a.grad = None
        p.sum().backward()
        return [c is b, b, a.grad, b._version]

    check(run)


def test_double_backward_through_mul_chain():
    def run(L):
        x = L.tensor([1.5, -2.0], requires_grad=True)
        y = x * x * x
        (g,) = L.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x, create_graph=True)
        (k,) = L.autograd.grad(h.sum(), x)
        return [g, h, k]

    check(run)


def test_deep_graph_has_no_recursion_limit():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    assert abs(x.grad.item() - 1.0001**5000) < 1e-2


def test_grad_dtype_follows_input():
    def run(L):
        x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        y = x.float() * 2
        y.sum().backward()
        return x.grad

    check(run)


def test_version_counter_shared_by_views():
    def run(L):
        x = L.zeros(4)
        v = x.view(2, 2)
        v.add_(1)
        x.mul_(2)
        return [x._version, v._version, x]

    check(run)


# .grad takes an unshared gradient's buffer instead of copying it; every way a gradient can be shared must
# still give .grad its own buffer (checked by writing into one and reading the others, against torch)


def _alias_cases(lib):
    out = {}
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
    (a + b).sum().backward()  # AddBackward hands one tensor to both leaves
    a.grad.add_(10)
    out["add"] = (a.grad, b.grad)

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0
    y.retain_grad()
    (y * 3).sum().backward()  # y.grad and the gradient passed on to x are the same tensor
    x.grad.add_(1)
    out["retain_grad"] = (x.grad, y.grad)

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    stash = []
    x.register_hook(lambda g: stash.append(g))
    (x * 2).sum().backward()
    (x * 2).sum().backward()  # accumulates into x.grad in place: the stashed first gradient stays as it was
    out["hook"] = (x.grad, stash[0], stash[1])

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    g = lib.tensor([5.0, 7.0])
    (x + 0).backward(g)  # the caller's gradient passes through to x
    (x + 0).backward(g)
    out["user_gradient"] = (x.grad, g)

    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x.sum().backward()  # an expanded (stride-0) view reaches x
    x.sum().backward()
    out["expanded"] = (x.grad,)

    w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = lib.tensor([[1.0, -1.0]])
    (v @ w).sum().backward()  # a fresh buffer: taken, then accumulated into
    first = w.grad
    (v @ w).sum().backward()
    out["fresh"] = (w.grad, first)
    return out


def test_grad_buffers_are_never_shared():
    t, e = _alias_cases(torch), _alias_cases(ember)
    for k in t:
        for tt, ee in zip(t[k], e[k]):
            np.testing.assert_array_equal(ee.detach().numpy(), tt.detach().numpy(), err_msg=k)


def test_an_unshared_gradient_buffer_is_taken_not_copied():
    w = ember.randn(3, 4, requires_grad=True)
    x = ember.randn(5, 3)
    ids = []
    w.register_hook(lambda g: ids.append(id(g._data)))  # an id only: keeping the array would share it
    (x @ w).sum().backward()
    # the buffer the matmul's backward made is the one .grad holds (a copy would be another object made while
    # the first was alive, so it could not have the same id)
    assert ids == [id(w.grad._data)]
