"""ember.func against torch.func: vmap (real batching rules, fallback, nesting, in/out dims, randomness),
grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, functional_call, per-sample gradients."""

import warnings

import numpy as np
import pytest
import torch
import torch.func as tf

import ember
import ember.func as ef


def _np(t):
    return t.detach().numpy()


def _arr(*shape, seed=0, kind="f"):
    r = np.random.RandomState(seed + 13 * len(shape) + sum(shape))
    if kind == "i":
        return r.randint(0, 3, size=shape).astype(np.int64)
    return r.randn(*shape).astype(np.float32)


def _close(a, b, rtol=1e-5, atol=1e-6):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, rtol, atol)
        return
    if isinstance(b, dict):
        assert set(a) == set(b)
        for k in b:
            _close(a[k], b[k], rtol, atol)
        return
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(a), b.detach().numpy(), rtol=rtol, atol=atol)


def _F(m):
    return m.nn.functional


# (id, fn(mod, *args), input shapes (batch dim first), in_dims)
VMAP_CASES = [
    ("unary", lambda m, x: m.exp(x).sin() + x.abs().sqrt(), [(4, 3)], 0),
    ("binary_bcast", lambda m, x, y: x * y + 1, [(4, 2, 3), (4, 3)], 0),
    ("binary_unbatched", lambda m, x, y: x - y, [(4, 3), (2, 3)], (0, None)),
    ("scalar_logical", lambda m, x, y: x * y, [(4,), (4, 2)], 0),
    ("where", lambda m, x: m.where(x > 0, x, -x * 2), [(4, 5)], 0),
    ("clamp", lambda m, x: x.clamp(-0.5, 0.5), [(4, 5)], 0),
    ("sum_all", lambda m, x: x.sum(), [(4, 2, 3)], 0),
    ("sum_dim", lambda m, x: x.sum(1, keepdim=True), [(4, 2, 3)], 0),
    ("sum_neg_tuple", lambda m, x: m.sum(x, (-1, 0)), [(4, 2, 3)], 0),
    ("mean_var_std", lambda m, x: x.mean(0) + x.var(-1).sum() + x.std(), [(4, 2, 3)], 0),
    ("max_dim", lambda m, x: x.max(1).values + x.argmax(1), [(4, 2, 3)], 0),
    ("max_all", lambda m, x: x.max() + x.amin(), [(4, 2, 3)], 0),
    ("logsumexp", lambda m, x: m.logsumexp(x, 0), [(4, 2, 3)], 0),
    ("scalar_reduce", lambda m, x: x.sum(0) + x.mean(), [(4,)], 0),
    ("softmax", lambda m, x: m.softmax(x, -1) + x.log_softmax(0), [(4, 2, 3)], 0),
    ("F_softmax", lambda m, x: _F(m).softmax(x, dim=1), [(4, 2, 3)], 0),
    ("cumsum", lambda m, x: x.cumsum(0), [(4, 5)], 0),
    ("matmul_vec_mat", lambda m, x, w: x @ w, [(4, 3), (3, 5)], (0, None)),
    ("matmul_mat_vec", lambda m, w, x: w @ x, [(5, 3), (4, 3)], (None, 0)),
    ("matmul_both", lambda m, a, b: m.matmul(a, b), [(4, 2, 3), (4, 3, 5)], 0),
    ("matmul_batched_w", lambda m, a, b: a @ b, [(2, 3), (4, 3, 5)], (None, 0)),
    ("matmul_bcast_batch", lambda m, a, b: a @ b, [(4, 3), (6, 3, 2)], (0, None)),
    ("dot", lambda m, a, b: m.dot(a, b), [(4, 3), (4, 3)], 0),
    ("mv", lambda m, a, b: m.mv(a, b), [(4, 2, 3), (3,)], (0, None)),
    ("mm_bmm", lambda m, a, b: m.mm(a, b).unsqueeze(0).expand(2, 2, 2) @ m.ones(2, 2, 2), [(4, 2, 3), (4, 3, 2)], 0),
    ("linear", lambda m, x, w, b: _F(m).linear(x, w, b), [(4, 2, 3), (5, 3), (5,)], (0, None, None)),
    ("linear_batched_w", lambda m, x, w: _F(m).linear(x, w), [(2, 3), (4, 5, 3)], (None, 0)),
    ("view_reshape", lambda m, x: x.view(6).reshape(3, 2).view(-1, 1), [(4, 2, 3)], 0),
    (
        "transpose_permute",
        lambda m, x: x.transpose(0, 2).transpose(-1, 1),
        [(4, 2, 3, 5)],
        0,
    ),
    ("permute", lambda m, x: x.permute(2, 0, 1).contiguous(), [(4, 2, 3, 5)], 0),
    ("t_T_mT", lambda m, x: x.t() + x.T + x.mT, [(4, 3, 3)], 0),
    ("unsqueeze_squeeze", lambda m, x: x.unsqueeze(0).unsqueeze(-1).squeeze(), [(4, 1, 3)], 0),
    ("squeeze_dim", lambda m, x: x.squeeze(0), [(4, 1, 3)], 0),
    ("flatten", lambda m, x: x.flatten() + x.flatten(1).sum(), [(4, 2, 3)], 0),
    ("expand", lambda m, x: x.expand(2, 3, 3), [(4, 3, 1)], 0),
    ("repeat", lambda m, x: x.repeat(2, 1, 2), [(4, 3, 2)], 0),
    ("movedim", lambda m, x: m.movedim(x, 0, -1), [(4, 2, 3, 5)], 0),
    ("diagonal", lambda m, x: x.diagonal(), [(4, 3, 3)], 0),
    ("getitem_basic", lambda m, x: x[0] + x[:, 1] + x[..., -1:].squeeze(-1) * 0, [(4, 3, 3)], 0),
    ("getitem_none_ellipsis", lambda m, x: x[None, ..., ::2], [(4, 3, 5)], 0),
    ("getitem_tensor", lambda m, x: x[m.tensor([2, 0])], [(4, 3, 5)], 0),
    ("select_narrow", lambda m, x: x.select(1, 2) + x.narrow(1, 1, 2).sum(1), [(4, 3, 5)], 0),
    (
        "cat_stack",
        lambda m, x, y: m.cat([x, y], 0).sum(0) + m.stack([x, x], -1).sum(-1).sum(0),
        [(4, 2, 3), (3, 3)],
        (0, None),
    ),
    ("split_chunk_unbind", lambda m, x: x.split(2, 1)[0].sum() + x.chunk(2)[1].sum() + x.unbind(1)[0], [(4, 2, 4)], 0),
    ("gather", lambda m, x, i: m.gather(x, 1, i), [(4, 2, 3), ("i", 4, 2, 2)], 0),
    ("index_select", lambda m, x: m.index_select(x, 1, m.tensor([0, 2])), [(4, 2, 3)], 0),
    ("sort_topk", lambda m, x: x.sort(0).values + x.topk(2, 0).values.sum(0), [(4, 5, 2)], 0),
    ("flip", lambda m, x: x.flip(0), [(4, 3, 2)], 0),
    ("conv2d", lambda m, x, w: _F(m).conv2d(x, w, padding=1), [(4, 2, 3, 5, 5), (4, 3, 3, 3)], (0, None)),
    ("conv2d_unbatched", lambda m, x, w: _F(m).conv2d(x, w), [(4, 3, 5, 5), (2, 3, 3, 3)], (0, None)),
    ("conv1d", lambda m, x, w: _F(m).conv1d(x, w), [(4, 2, 3, 7), (4, 3, 3)], (0, None)),
    ("max_pool2d", lambda m, x: _F(m).max_pool2d(x, 2) + _F(m).avg_pool2d(x, 2), [(4, 2, 3, 4, 4)], 0),
    ("layer_norm", lambda m, x, w, b: _F(m).layer_norm(x, (3,), w, b), [(4, 2, 3), (3,), (3,)], (0, None, None)),
    ("group_norm", lambda m, x: _F(m).group_norm(x, 2), [(4, 2, 4, 3)], 0),
    ("activations", lambda m, x: _F(m).gelu(x) + _F(m).silu(x) + _F(m).leaky_relu(x, 0.1) + _F(m).relu(x), [(4, 5)], 0),
    ("normalize", lambda m, x: _F(m).normalize(x, dim=-1), [(4, 2, 3)], 0),
    ("embedding", lambda m, i, w: _F(m).embedding(i, w), [("i", 4, 3), (3, 2)], (0, None)),
    ("vector_norm", lambda m, x: m.linalg.vector_norm(x, dim=-1), [(4, 2, 3)], 0),
    ("like", lambda m, x: m.zeros_like(x) + m.ones_like(x) * x, [(4, 3)], 0),
    ("dtype_cast", lambda m, x: x.to(m.float64) + x.double(), [(4, 3)], 0),
    ("inplace", lambda m, x, y: x.clone().add_(y).mul_(2), [(4, 3), (4, 3)], 0),
    ("in_dim_1", lambda m, x: x.sum(0), [(3, 4)], 1),
    ("in_dim_neg", lambda m, x, y: x + y, [(3, 4), (4, 3)], (-1, 0)),
]


def _make_inputs(specs):
    outs = []
    for i, s in enumerate(specs):
        if s and s[0] == "i":
            outs.append(_arr(*s[1:], seed=i, kind="i"))
        else:
            outs.append(_arr(*s, seed=i))
    return outs


@pytest.mark.parametrize("name,fn,specs,in_dims", VMAP_CASES, ids=[c[0] for c in VMAP_CASES])
def test_vmap_matches_torch(name, fn, specs, in_dims):
    arrs = _make_inputs(specs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a core op must not hit the per-example fallback
        got = ef.vmap(lambda *a: fn(ember, *a), in_dims=in_dims)(*[ember.tensor(a) for a in arrs])
    want = tf.vmap(lambda *a: fn(torch, *a), in_dims=in_dims)(*[torch.tensor(a) for a in arrs])
    _close(got, want, rtol=1e-4, atol=1e-5)
    assert type(got) is ember.Tensor


@pytest.mark.parametrize("name,fn,specs,in_dims", VMAP_CASES[:20], ids=[c[0] for c in VMAP_CASES[:20]])
def test_vmap_matches_loop(name, fn, specs, in_dims):
    arrs = [ember.tensor(a) for a in _make_inputs(specs)]
    dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(arrs)
    got = ef.vmap(lambda *a: fn(ember, *a), in_dims=in_dims)(*arrs)
    B = next(a.shape[d] for a, d in zip(arrs, dims) if d is not None)
    rows = [fn(ember, *[a if d is None else a.select(d, b) for a, d in zip(arrs, dims)]) for b in range(B)]
    np.testing.assert_allclose(_np(got), _np(ember.stack(rows)), rtol=1e-5, atol=1e-6)


def test_out_dims_and_tuple_outputs():
    x = _arr(4, 3)
    got = ef.vmap(lambda a: (a * 2, a.sum()), out_dims=(1, 0))(ember.tensor(x))
    want = tf.vmap(lambda a: (a * 2, a.sum()), out_dims=(1, 0))(torch.tensor(x))
    _close(got, want)
    got = ef.vmap(lambda a: a * 2, out_dims=-1)(ember.tensor(_arr(4, 2, 3)))
    want = tf.vmap(lambda a: a * 2, out_dims=-1)(torch.tensor(_arr(4, 2, 3)))
    _close(got, want)


def test_unbatched_output_is_expanded():
    w = ember.ones(3)
    got = ef.vmap(lambda a: w * 2)(ember.randn(4, 5))
    assert got.shape == (4, 3)
    got = ef.vmap(lambda a: (a, w), out_dims=(0, None))(ember.randn(4, 5))
    assert got[1] is w


def test_nested_vmap():
    x, y = _arr(2, 3, 4), _arr(3, 4)
    f = lambda m: lambda a, b: m.softmax(a * b, -1) @ b.t()  # noqa: E731
    got = ef.vmap(ef.vmap(f(ember), in_dims=(0, None)), in_dims=(0, None))(ember.tensor(x), ember.tensor(y))
    want = tf.vmap(tf.vmap(f(torch), in_dims=(0, None)), in_dims=(0, None))(torch.tensor(x), torch.tensor(y))
    _close(got, want)
    # outer x inner batch with both batched, dims moved
    got = ef.vmap(ef.vmap(lambda a, b: a * b, in_dims=(1, None)), in_dims=(0, 0))(
        ember.tensor(_arr(2, 3, 4)), ember.tensor(_arr(2, 3))
    )
    want = tf.vmap(tf.vmap(lambda a, b: a * b, in_dims=(1, None)), in_dims=(0, 0))(
        torch.tensor(_arr(2, 3, 4)), torch.tensor(_arr(2, 3))
    )
    _close(got, want)


def test_pytree_inputs_and_kwargs():
    d = {"a": _arr(4, 3), "b": _arr(3)}
    f = lambda m: lambda p, scale=1.0: (p["a"] * p["b"]).sum() * scale  # noqa: E731
    got = ef.vmap(f(ember), in_dims=({"a": 0, "b": None},))({k: ember.tensor(v) for k, v in d.items()}, scale=2.0)
    want = tf.vmap(f(torch), in_dims=({"a": 0, "b": None},))({k: torch.tensor(v) for k, v in d.items()}, scale=2.0)
    _close(got, want)


def test_chunk_size():
    x = _arr(7, 3)
    got = ef.vmap(lambda a: a.softmax(0), chunk_size=3)(ember.tensor(x))
    want = tf.vmap(lambda a: a.softmax(0), chunk_size=3)(torch.tensor(x))
    _close(got, want)


def test_fallback_warns_and_matches():
    x = _arr(4, 5)
    with pytest.warns(
        UserWarning, match="There is a performance drop because we have not yet implemented the batching"
    ):
        got = ef.vmap(lambda a: ember.kron(a, ember.ones(2)))(ember.tensor(x))
    want = tf.vmap(lambda a: torch.kron(a, torch.ones(2)))(torch.tensor(x))
    _close(got, want)
    # a fallback op whose result goes on through batched ops
    with pytest.warns(UserWarning, match="performance drop"):
        got = ef.vmap(lambda a: ember.nn.functional.cross_entropy(a, ember.tensor(1)) * a.sum())(ember.tensor(x))
    want = tf.vmap(lambda a: torch.nn.functional.cross_entropy(a, torch.tensor(1)) * a.sum())(torch.tensor(x))
    _close(got, want)


def test_vmap_errors():
    x = ember.randn(3, 4)
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        ef.vmap(lambda a, b: a + b)(x, ember.randn(4, 4))
    with pytest.raises(ValueError, match="in_dims is not compatible"):
        ef.vmap(lambda a, b: a + b, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match="must only return Tensors"):
        ef.vmap(lambda a: 3)(x)
    with pytest.raises(ValueError, match="at least one Tensor"):
        ef.vmap(lambda a: a, in_dims=(None,))(x)
    with pytest.raises(ValueError, match="expected in_dim to satisfy"):
        ef.vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        ef.vmap(lambda a: a, randomness="foo")
    with pytest.raises(RuntimeError, match="calling .item"):
        ef.vmap(lambda a: a.sum().item())(x)
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        ef.vmap(lambda a: a if a.sum() > 0 else -a)(x)
    with pytest.raises(RuntimeError, match="vmap: "):
        ef.vmap(lambda a: ember.zeros(4).add_(a))(x)
    # the namespace is restored after an error inside vmap
    assert ember.sin.__module__ != "ember.func._vmap"
    assert not hasattr(ember.sin, "__wrapped__")


def test_randomness():
    x = ember.ones(4, 100)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        ef.vmap(lambda a: ember.nn.functional.dropout(a, 0.5))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        ef.vmap(lambda a: a + ember.rand(100))(x)
    out = ef.vmap(lambda a: ember.nn.functional.dropout(a, 0.5), randomness="different")(x)
    assert out.shape == (4, 100)
    assert not bool((out[0] == out[1]).all())
    out = ef.vmap(lambda a: ember.nn.functional.dropout(a, 0.5), randomness="same")(x)
    assert bool((out[0] == out[1]).all())
    out = ef.vmap(lambda a: a + ember.rand(100), randomness="different")(x)
    assert not bool((out[0] == out[1]).all())
    out = ef.vmap(lambda a: a + ember.rand(100), randomness="same")(x)
    assert bool((out[0] == out[1]).all())
    # dropout in eval mode is not random
    out = ef.vmap(lambda a: ember.nn.functional.dropout(a, 0.5, training=False))(x)
    assert bool((out == x).all())


# -- grad & co -------------------------------------------------------------------------------------


def _loss(m):
    def f(w, x):
        return (m.tanh(x @ w) ** 2).mean()

    return f


def test_grad_argnums_and_value():
    w, x = _arr(3, 2), _arr(5, 3)
    E, T = (ember.tensor(w), ember.tensor(x)), (torch.tensor(w), torch.tensor(x))
    _close(ef.grad(_loss(ember))(*E), tf.grad(_loss(torch))(*T))
    _close(ef.grad(_loss(ember), argnums=(0, 1))(*E), tf.grad(_loss(torch), argnums=(0, 1))(*T))
    _close(ef.grad(_loss(ember), argnums=-1)(*E), tf.grad(_loss(torch), argnums=-1)(*T))
    _close(ef.grad_and_value(_loss(ember))(*E), tf.grad_and_value(_loss(torch))(*T))
    g = ef.grad(_loss(ember))(*E)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_has_aux_and_pytree():
    def f(m):
        def h(p, x):
            y = (p["w"] * x).sum() + p["b"] ** 2
            return y, {"y": y}

        return h

    p = {"w": _arr(3), "b": np.float32(0.5) * np.ones((), np.float32)}
    got = ef.grad(f(ember), has_aux=True)({k: ember.tensor(v) for k, v in p.items()}, ember.tensor(_arr(3)))
    want = tf.grad(f(torch), has_aux=True)({k: torch.tensor(v) for k, v in p.items()}, torch.tensor(_arr(3)))
    _close(got[0], want[0])
    _close(got[1]["y"], want[1]["y"])


def test_grad_errors():
    with pytest.raises(RuntimeError, match="scalar Tensor"):
        ef.grad(lambda x: x * 2)(ember.randn(3))
    with pytest.raises(RuntimeError, match="argnum"):
        ef.grad(lambda x: x.sum(), argnums=2)(ember.randn(3))


def test_nested_grad():
    x = np.array([0.3, -1.2], np.float32)
    f = lambda m: lambda a: (a.sin() * a**2).sum()  # noqa: E731
    got = ef.grad(lambda a: ef.grad(f(ember))(a).sum())(ember.tensor(x))
    want = tf.grad(lambda a: tf.grad(f(torch))(a).sum())(torch.tensor(x))
    _close(got, want)


def test_grad_keeps_outer_graph():
    w = ember.tensor(_arr(3, 2), requires_grad=True)
    x = ember.tensor(_arr(5, 3))
    g = ef.grad(lambda xx: (ember.tanh(xx @ w) ** 2).sum())(x)
    assert g.requires_grad
    g.sum().backward()
    tw = torch.tensor(_arr(3, 2), requires_grad=True)
    tg = tf.grad(lambda xx: (torch.tanh(xx @ tw) ** 2).sum())(torch.tensor(_arr(5, 3)))
    tg.sum().backward()
    _close(w.grad, tw.grad)


def test_vjp():
    x = _arr(4, 3)
    f = lambda m: lambda a: (a.exp() @ a.t(), a.sum(0))  # noqa: E731
    eo, efn = ef.vjp(f(ember), ember.tensor(x))
    to, tfn = tf.vjp(f(torch), torch.tensor(x))
    _close(eo, to)
    ct = (_arr(4, 4, seed=3), _arr(3, seed=4))
    _close(efn(tuple(ember.tensor(c) for c in ct)), tfn(tuple(torch.tensor(c) for c in ct)))
    # called twice
    _close(efn(tuple(ember.tensor(c) for c in ct)), tfn(tuple(torch.tensor(c) for c in ct)))
    # vmap over the vjp function: rows of the jacobian
    _, efn1 = ef.vjp(lambda a: a.sin(), ember.tensor(x[0]))
    _, tfn1 = tf.vjp(lambda a: a.sin(), torch.tensor(x[0]))
    _close(ef.vmap(efn1)(ember.eye(3)), tf.vmap(tfn1)(torch.eye(3)))


def test_jvp():
    x, t = _arr(4, 3), _arr(4, 3, seed=5)
    f = lambda m: lambda a: (m.softmax(a, -1) * a, a.norm())  # noqa: E731
    got = ef.jvp(f(ember), (ember.tensor(x),), (ember.tensor(t),))
    want = tf.jvp(f(torch), (torch.tensor(x),), (torch.tensor(t),))
    _close(got, want)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        ef.jvp(f(ember), ember.tensor(x), (ember.tensor(t),))


def test_jvp_has_aux_two_inputs():
    a, b = _arr(3), _arr(3, seed=1)
    f = lambda m: lambda x, y: ((x * y).sin(), {"s": x.sum()})  # noqa: E731
    got = ef.jvp(f(ember), (ember.tensor(a), ember.tensor(b)), (ember.ones(3), ember.zeros(3)), has_aux=True)
    want = tf.jvp(f(torch), (torch.tensor(a), torch.tensor(b)), (torch.ones(3), torch.zeros(3)), has_aux=True)
    _close(got[:2], want[:2])
    _close(got[2]["s"], want[2]["s"])


@pytest.mark.parametrize("which", ["jacrev", "jacfwd"])
def test_jacobians(which):
    x, w = _arr(3), _arr(4, 3)
    f = lambda m: lambda a, b: m.tanh(b @ a) * a.sum()  # noqa: E731
    E, T = getattr(ef, which), getattr(tf, which)
    _close(E(f(ember))(ember.tensor(x), ember.tensor(w)), T(f(torch))(torch.tensor(x), torch.tensor(w)))
    _close(
        E(f(ember), argnums=(0, 1))(ember.tensor(x), ember.tensor(w)),
        T(f(torch), argnums=(0, 1))(torch.tensor(x), torch.tensor(w)),
    )
    g = lambda m: lambda a: (a.sin(), (a**2).sum())  # noqa: E731
    _close(E(g(ember))(ember.tensor(_arr(2, 2))), T(g(torch))(torch.tensor(_arr(2, 2))))


def test_hessian():
    x = _arr(4)
    f = lambda m: lambda a: (a.sin() * a.exp()).sum() + (a[0] * a[1]) ** 2  # noqa: E731
    _close(ef.hessian(f(ember))(ember.tensor(x)), tf.hessian(f(torch))(torch.tensor(x)), rtol=1e-4, atol=1e-5)


def test_vmap_of_jacrev():
    x = _arr(5, 3)
    f = lambda m: lambda a: a.sin() * a.sum()  # noqa: E731
    _close(ef.vmap(ef.jacrev(f(ember)))(ember.tensor(x)), tf.vmap(tf.jacrev(f(torch)))(torch.tensor(x)))
    _close(ef.vmap(ef.jacfwd(f(ember)))(ember.tensor(x)), tf.vmap(tf.jacfwd(f(torch)))(torch.tensor(x)))


# -- per-sample gradients & functional_call --------------------------------------------------------


def _model(m):
    m.manual_seed(0)
    return m.nn.Sequential(m.nn.Linear(4, 8), m.nn.Tanh(), m.nn.Linear(8, 3))


def test_functional_call():
    em, tm = _model(ember), _model(torch)
    params = {k: ember.tensor(v.detach().numpy()) * 2 for k, v in tm.named_parameters()}
    tparams = {k: v.detach() * 2 for k, v in tm.named_parameters()}
    x = _arr(2, 4)
    got = ef.functional_call(em, params, (ember.tensor(x),))
    want = tf.functional_call(tm, tparams, (torch.tensor(x),))
    _close(got, want, rtol=1e-4)
    # a tuple of dicts, and kwargs
    keys = list(params)
    got = ef.functional_call(em, ({k: params[k] for k in keys[:2]}, {k: params[k] for k in keys[2:]}), ember.tensor(x))
    _close(got, want, rtol=1e-4)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        ef.functional_call(em, (params, params), (ember.tensor(x),))


def test_per_sample_gradients():
    em, tm = _model(ember), _model(torch)
    for pe, pt in zip(em.parameters(), tm.parameters()):
        pe.data = ember.tensor(pt.detach().numpy())
    X, Y = _arr(6, 4), np.array([0, 2, 1, 1, 0, 2])

    def loss_fn(m, model):
        def f(params, x, y):
            out = m.func.functional_call(model, params, (x.unsqueeze(0),))
            return m.nn.functional.cross_entropy(out, y.unsqueeze(0))

        return f

    ep = {k: v.detach() for k, v in em.named_parameters()}
    tp = {k: v.detach() for k, v in tm.named_parameters()}
    got = ef.vmap(ef.grad(loss_fn(ember, em)), in_dims=(None, 0, 0))(ep, ember.tensor(X), ember.tensor(Y))
    want = tf.vmap(tf.grad(loss_fn(torch, tm)), in_dims=(None, 0, 0))(tp, torch.tensor(X), torch.tensor(Y))
    _close(got, want, rtol=1e-4, atol=1e-6)
    # equal to one backward per example
    for i in range(6):
        em.zero_grad()
        loss = ember.nn.functional.cross_entropy(em(ember.tensor(X[i : i + 1])), ember.tensor(Y[i : i + 1]))
        loss.backward()
        for k, p in em.named_parameters():
            np.testing.assert_allclose(_np(got[k][i]), _np(p.grad), rtol=1e-4, atol=1e-6)


def test_per_sample_grad_core_ops_no_fallback():
    w, b = _arr(3, 2), _arr(2)
    X, Y = _arr(5, 3), _arr(5, 2)

    def f(m):
        def loss(params, x, y):
            out = m.tanh(x @ params[0] + params[1])
            return ((out - y) ** 2).mean()

        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        got = ef.vmap(ef.grad(f(ember)), in_dims=(None, 0, 0))(
            (ember.tensor(w), ember.tensor(b)), ember.tensor(X), ember.tensor(Y)
        )
    want = tf.vmap(tf.grad(f(torch)), in_dims=(None, 0, 0))(
        (torch.tensor(w), torch.tensor(b)), torch.tensor(X), torch.tensor(Y)
    )
    _close(got, want)


def test_model_ensembling():
    x = _arr(3, 4)
    ws = _arr(5, 2, 4)
    got = ef.vmap(lambda w: ember.nn.functional.linear(ember.tensor(x), w))(ember.tensor(ws))
    want = tf.vmap(lambda w: torch.nn.functional.linear(torch.tensor(x), w))(torch.tensor(ws))
    _close(got, want)
