"""Every op in the table against torch: forward values/dtypes/shapes, backward with a random upstream
gradient, grad_fn names, second-order gradients, numerical gradcheck in float64, and bad input."""

import numpy as np
import pytest
import torch

import ember
from ember._backend import xp_of

import oracle
from op_db import ERRORS, NOT_OPS, OPS
from oracle import assert_close, build, call, check_error, dtype_name, flat_outputs, to_numpy

CASES = [(op, dt) for op in OPS for dt in op.dtypes]


def _id(c):
    return f"{c[0].id}-{c[1]}"


def _samples(op, dt):
    return op.samples(np.random.default_rng(0), np.dtype(dt) if dt != "bfloat16" else dt)


def _tol(op, dt):
    if dt in ("float16", "bfloat16"):
        return max(op.rtol, 1e-2), max(op.atol, 1e-2)
    return op.rtol, op.atol


@pytest.mark.parametrize("op,dt", CASES, ids=[_id(c) for c in CASES])
def test_forward(op, dt):
    rtol, atol = _tol(op, dt)
    for i, s in enumerate(_samples(op, dt)):
        exp, _ = call(op, torch, s, False)
        got, _ = call(op, ember, s, False)
        eo, go = flat_outputs(exp), flat_outputs(got)
        assert len(eo) == len(go), f"{op.name} {s}: {len(go)} outputs, torch has {len(eo)}"
        d = oracle.gauge_phases(op, go, eo)  # on a device: singular vectors up to their sign/phase
        values = go if d is None else oracle.to_torch_gauge(op, go, eo, d)
        for k, (g, e, v) in enumerate(zip(go, eo, values)):
            what = f"{op.name} sample {i} {s} output {k}"
            if isinstance(e, torch.Tensor):
                assert isinstance(g, ember.Tensor), f"{what}: not a tensor"
                assert dtype_name(g) == dtype_name(e), f"{what}: dtype {g.dtype} != torch {e.dtype}"
                assert tuple(g.shape) == tuple(e.shape), f"{what}: shape {tuple(g.shape)} != {tuple(e.shape)}"
                if op.nondeterministic:
                    continue
            assert_close(v, e, rtol, atol, what)


def _grad_cases():
    return [(op, dt) for op, dt in CASES if op.grad and dt in ("float32", "float64", "complex64", "complex128")]


def _diff_outputs(outs):
    return [o for o in outs if isinstance(o, (ember.Tensor, torch.Tensor)) and o.requires_grad]


def _upstream(outs, rng):
    return [rng.standard_normal(o.shape).astype(to_numpy(o).dtype) for o in outs]


def _like(a, t):
    """NumPy array `a` as a tensor of t's library, on t's device."""
    if isinstance(t, torch.Tensor):
        return torch.tensor(a)
    return ember.tensor(a, device=t.device)


@pytest.mark.parametrize("op,dt", _grad_cases(), ids=[_id(c) for c in _grad_cases()])
def test_backward(op, dt):
    rtol, atol = _tol(op, dt)
    for i, s in enumerate(_samples(op, dt)):
        exp, tl = call(op, torch, s, True)
        got, el = call(op, ember, s, True)
        teo, geo = _diff_outputs(flat_outputs(exp)), _diff_outputs(flat_outputs(got))
        assert len(teo) == len(geo), f"{op.name} {s}: {len(geo)} differentiable outputs, torch has {len(teo)}"
        if op.grad_fn:
            for g, e in zip(geo, teo):
                assert type(g.grad_fn).__name__ == type(e.grad_fn).__name__, f"{op.name} {s}: grad_fn"
        if not teo or not tl:
            continue
        ups = oracle.drop_extra_columns(op, _upstream(teo, np.random.default_rng(i)))
        tg = torch.autograd.grad(teo, tl, [torch.tensor(u) for u in ups], allow_unused=True)
        eups = oracle.gauge_upstream(op, ups, oracle.gauge_phases(op, geo, teo))
        eg = ember.autograd.grad(geo, el, [_like(u, o) for u, o in zip(eups, geo)], allow_unused=True)
        for k, (g, e) in enumerate(zip(eg, tg)):
            what = f"{op.name} sample {i} {s}: grad of input {k}"
            if e is None:
                assert g is None or not np.any(to_numpy(g)), f"{what}: torch has no gradient"
                continue
            assert g is not None, f"{what}: missing gradient"
            assert dtype_name(g) == dtype_name(e), f"{what}: dtype"
            assert_close(g, e, rtol * 10, atol * 10, what)


def _gg_cases():
    return [(op, dt) for op, dt in CASES if op.grad and op.gradgrad and dt == "float64"]


@pytest.mark.parametrize("op,dt", _gg_cases(), ids=[_id(c) for c in _gg_cases()])
def test_gradgrad(op, dt):
    for i, s in enumerate(_samples(op, dt)):
        res = []
        touts = None
        for lib in (torch, ember):
            out, leaves = call(op, lib, s, True)
            outs = _diff_outputs(flat_outputs(out))
            if not outs or not leaves:
                res.append(None)
                continue
            rng = np.random.default_rng(i)
            ups = oracle.drop_extra_columns(op, _upstream(outs, rng))
            if lib is torch:
                touts = outs
            elif touts is not None:
                ups = oracle.gauge_upstream(op, ups, oracle.gauge_phases(op, outs, touts))
            ups = [_like(u, o) for u, o in zip(ups, outs)]
            g1 = lib.autograd.grad(outs, leaves, ups, create_graph=True, allow_unused=True)
            pairs = [
                (g, _like(rng.standard_normal(tuple(g.shape)), g)) for g in g1 if g is not None and g.requires_grad
            ]
            if not pairs:
                res.append(None)
                continue
            total = sum((g * v).sum() for g, v in pairs)
            res.append(lib.autograd.grad(total, leaves, allow_unused=True))
        tr, er = res
        if tr is None:
            continue
        assert er is not None, f"{op.name} {s}: second-order graph missing"
        for k, (g, e) in enumerate(zip(er, tr)):
            what = f"{op.name} sample {i} {s}: second-order grad of input {k}"
            if e is None:
                assert g is None or not np.any(to_numpy(g)), what
                continue
            assert g is not None, what
            assert_close(g, e, 1e-5, 1e-6, what)


def _gc_cases():
    return [op for op in OPS if op.grad and op.gradcheck and "float64" in op.dtypes]


@pytest.mark.parametrize("op", _gc_cases(), ids=[op.id for op in _gc_cases()])
def test_gradcheck(op):
    """Central differences in float64 against ember's analytic gradient."""
    for i, s in enumerate(_samples(op, "float64")):
        out, leaves = call(op, ember, s, True)
        flat = flat_outputs(out)
        picked = [k for k, o in enumerate(flat) if isinstance(o, ember.Tensor) and o.requires_grad]
        outs = [flat[k] for k in picked]
        if not outs or not leaves or sum(x.numel() for x in leaves) > 60:
            continue
        # perturbing leaf._data in place needs a C-ordered buffer (SciPy results can be Fortran-ordered)
        for leaf in leaves:
            if not leaf._data.flags.c_contiguous:
                leaf._data = xp_of(leaf._data).ascontiguousarray(leaf._data)
        rng = np.random.default_rng(i)
        ups = [_like(u, o) for u, o in zip(_upstream(outs, rng), outs)]
        analytic = ember.autograd.grad(outs, leaves, ups, allow_unused=True)

        def f():
            with ember.no_grad():
                o2, _ = _call_on(op, s, leaves)
            again = flat_outputs(o2)
            return sum(float((to_numpy(again[k]) * to_numpy(u)).sum()) for k, u in zip(picked, ups))

        eps = 1e-6
        for leaf, a in zip(leaves, analytic):
            data = leaf._data
            num = np.zeros(data.shape)
            flat = data.reshape(-1)
            for j in range(flat.size):
                orig = flat[j].item()  # a copy (a device array gives a 0-d view)
                flat[j] = orig + eps
                fp = f()
                flat[j] = orig - eps
                fm = f()
                flat[j] = orig
                num.reshape(-1)[j] = (fp - fm) / (2 * eps)
            got = np.zeros(data.shape) if a is None else to_numpy(a)
            np.testing.assert_allclose(got, num, rtol=1e-4, atol=1e-5, err_msg=f"{op.name} sample {i} {s}")


def _call_on(op, s, leaves):
    """Re-run the op with the same leaf tensors (their data perturbed in place)."""
    it = iter(leaves)

    def conv(a):
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc":
            return next(it)
        if isinstance(a, list):
            return [conv(x) for x in a]
        if isinstance(a, tuple):
            return tuple(conv(x) for x in a)
        return a

    class _S:
        args = conv(s.args)
        kwargs = s.kwargs

    conv2, _ = build(_S.args, ember, False)
    _S.args = conv2(_S.args)
    _S.kwargs = conv2(_S.kwargs)
    return call(op, ember, _S, False)


@pytest.mark.parametrize("err", ERRORS, ids=[f"{e.name}-{i}" for i, e in enumerate(ERRORS)])
def test_errors(err):
    """Same exception type as torch; the ember tensors passed in are unchanged afterwards."""
    check_error(err)


def test_every_public_op_has_an_entry():
    covered = set()
    for op in OPS:
        covered.add(op.name.split(".", 1)[-1] if op.name.startswith("Tensor.") else op.name)
        covered.update(op.aliases)
    missing = sorted(n for n in ember._ops.PUBLIC if n not in covered and n not in NOT_OPS)
    assert not missing, f"public ops without an op-table entry: {missing}"
