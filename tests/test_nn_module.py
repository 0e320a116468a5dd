"""nn.Module semantics against torch, on modules built from Parameters and buffers only."""

import numpy as np
import pytest
import torch

import ember

from compare import check, check_error


def build(L):
    nn = L.nn

    class Leaf(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.w = nn.Parameter(L.arange(float(n)))
            self.b = nn.Parameter(L.zeros(1))
            self.register_buffer("count", L.zeros(1, dtype=L.int64))
            self.register_buffer("tmp", L.ones(2), persistent=False)

        def forward(self, x):
            return x * self.w + self.b

        def extra_repr(self):
            return f"n={self.w.shape[0]}"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Leaf(3)
            self.b = Leaf(3)
            self.shared = self.a
            self.scale = nn.Parameter(L.tensor([2.0]))
            self.nothing = None

        def forward(self, x):
            return self.b(self.a(x)) * self.scale

    return Net()


def test_traversal_names_and_order():
    def run(L):
        net = build(L)
        return [
            [n for n, _ in net.named_parameters()],
            [n for n, _ in net.named_parameters(remove_duplicate=False)],
            [n for n, _ in net.named_buffers()],
            [n for n, _ in net.named_children()],
            [n for n, _ in net.named_modules()],
            [n for n, _ in net.named_modules(remove_duplicate=False)],
            [n for n, _ in net.named_parameters(prefix="m", recurse=False)],
            list(net.state_dict().keys()),
            len(list(net.parameters())),
            len(list(net.modules())),
            net.get_submodule("a") is net.a,
            net.get_parameter("a.w") is net.a.w,
            repr(net),
        ]

    check(run)


def test_setattr_routes_and_deletes():
    def run(L):
        net = build(L)
        net.extra = L.nn.Parameter(L.ones(1))
        net.plain = L.ones(1)
        names1 = [n for n, _ in net.named_parameters()]
        del net.extra
        net.a = None
        return [names1, [n for n, _ in net.named_parameters()], "plain" in net.state_dict(), net.a is None]

    check(run)


def test_state_dict_roundtrip_and_errors():
    def run(L):
        net = build(L)
        sd = net.state_dict()
        with L.no_grad():
            net.scale.mul_(3)
        r = net.load_state_dict(sd)
        out = [str(r), net.scale.detach().clone(), sd["scale"].requires_grad]
        bad = dict(sd)
        del bad["scale"]
        bad["zzz"] = L.zeros(1)
        r2 = net.load_state_dict(bad, strict=False)
        out.append((sorted(r2.missing_keys), sorted(r2.unexpected_keys)))
        return out

    check(run)

    def missing(L):
        net = build(L)
        sd = net.state_dict()
        del sd["scale"]
        net.load_state_dict(sd)

    def size_mismatch(L):
        net = build(L)
        sd = net.state_dict()
        sd["scale"] = L.zeros(3)
        net.load_state_dict(sd)

    check_error(missing)
    check_error(size_mismatch)
    for fn in (missing, size_mismatch):
        msgs = []
        for L in (torch, ember):
            try:
                fn(L)
            except RuntimeError as e:
                msgs.append(str(e).replace("torch.", "ember."))
        assert msgs[0] == msgs[1]


def test_train_eval_zero_grad_requires_grad():
    def run(L):
        net = build(L)
        net.eval()
        modes = [m.training for m in net.modules()]
        net.train()
        out = net(L.ones(3))
        out.sum().backward()
        g = net.scale.grad.clone()
        net.zero_grad()
        after = net.scale.grad
        net.requires_grad_(False)
        return [modes, g, after, [p.requires_grad for p in net.parameters()], net.a.w.grad]

    check(run)


def test_hooks():
    def run(L):
        net = build(L)
        log = []
        h1 = net.a.register_forward_pre_hook(lambda m, args: log.append("pre") or (args[0] * 2,))
        net.a.register_forward_hook(lambda m, args, out: log.append("post") or out + 1)
        net.b.register_full_backward_hook(lambda m, gi, go: log.append(("bw", gi[0].tolist(), go[0].tolist())))
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = net(x)
        y.sum().backward()
        h1.remove()
        y2 = net(L.ones(3))
        return [log, y, x.grad, y2]

    check(run)


def test_to_and_dtype_conversion_keeps_parameter_identity():
    def run(L):
        net = build(L)
        p = net.a.w
        net.double()
        out = [net.a.w is p, net.a.w.dtype, net.a.count.dtype]
        net.float()
        out.append(net.a.w.dtype)
        net.to(L.float64)
        out.append(net.scale.dtype)
        return out

    check(run)


def test_bad_registration():
    check_error(lambda L: L.nn.Module().register_buffer("a.b", L.ones(1)))
    check_error(lambda L: L.nn.Module().register_parameter("x", L.ones(1)))

    def assign_tensor_to_param(L):
        net = build(L)
        net.scale = L.ones(1)

    check_error(assign_tensor_to_param)


def test_parameter_repr_and_properties():
    def run(L):
        p = L.nn.Parameter(L.tensor([1.0, 2.0]))
        q = L.nn.Parameter(L.tensor([1.0]), requires_grad=False)
        return [repr(p), p.requires_grad, p.is_leaf, q.requires_grad, isinstance(p, L.Tensor), type(p * 2).__name__]

    check(run)


def test_apply_and_buffers_follow():
    def run(L):
        net = build(L)
        seen = []
        net.apply(lambda m: seen.append(type(m).__name__))
        return seen

    check(run)


@pytest.mark.parametrize("persistent", [True, False])
def test_buffer_persistence(persistent):
    def run(L):
        m = L.nn.Module()
        m.register_buffer("buf", L.ones(2), persistent=persistent)
        return [list(m.state_dict()), [n for n, _ in m.named_buffers()]]

    check(run)


def test_state_dict_values_are_detached_copies_sharing_memory():
    net = build(ember)
    sd = net.state_dict()
    assert not sd["scale"].requires_grad
    with ember.no_grad():
        net.scale.mul_(2)
    np.testing.assert_array_equal(sd["scale"].numpy(), net.scale.detach().numpy())
