"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, functional_call (matches `torch.func`).

Built on the tape: the differentiated inputs become fresh graph roots, the function runs, and
autograd.grad gives the result (jvp by the double-vjp trick). Inside vmap every root is the
physical tensor with one batch dim per active level (inputs not batched at a level are expanded into
per-example copies), so reverse mode gives per-example gradients. A graph is kept for the results
only when the function's output depends on something besides those roots (nested transforms,
captured tensors that require grad)."""

import functools

from .. import _device_guard
from .._tensor import Tensor
from ..autograd import grad as _autograd_grad
from ..autograd.forward_ad import _reaches_other_leaf
from ..autograd.grad_mode import enable_grad
from ._pytree import tree_flatten, tree_unflatten
from ._vmap import LEVELS, BatchedTensor, active_level_ids, fallback, from_physical, to_physical, wrap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call"]


def _zeros_like(t):
    from .. import _ops as O  # noqa: PLC0415

    return O.zeros_like(t)


def _ones_like(t):
    from .. import _ops as O  # noqa: PLC0415

    return O.ones_like(t)


class _Roots:
    """Fresh graph roots for the tensor leaves of some inputs, in the current vmap levels."""

    def __init__(self, flat):
        self.levels = active_level_ids()
        self.phys = []  # the root (plain tensor) for each leaf, or None for non-tensors
        self.wrapped = []
        self.private = set()
        for x in flat:
            if not isinstance(x, Tensor):
                self.phys.append(None)
                self.wrapped.append(x)
                continue
            p = to_physical(x, self.levels)
            if not (p.dtype.is_floating_point or p.dtype.is_complex):
                self.phys.append(None)
                self.wrapped.append(x)
                continue
            if p.requires_grad:
                r = p.view_as(p)
            else:
                r = p.detach().requires_grad_(True)
                self.private.add(id(r))
            self.phys.append(r)
            self.wrapped.append(from_physical(r, self.levels))

    def physical(self, t):
        return to_physical(t, self.levels)

    def logical(self, p):
        return from_physical(p, self.levels)

    def gradients(self, gs, keep):
        """One logical gradient per leaf from the physical `gs`: None for a leaf that is no root, zeros
        for a root the output does not reach."""
        return [
            None if r is None else _maybe_detach(self.logical(_zeros_like(r) if g is None else g), keep)
            for r, g in zip(self.phys, gs)
        ]


def _split_aux(res, has_aux, api):
    """(output, aux) of a function's result; aux is None without has_aux."""
    if not has_aux:
        return res, None
    if not (isinstance(res, tuple) and len(res) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return res


def _grad_list(outs, ins, gos, create_graph):
    pairs = [(o, g) for o, g in zip(outs, gos) if o is not None and o.requires_grad]
    idx = [i for i, r in enumerate(ins) if r is not None]
    res = [None] * len(ins)
    if not pairs or not idx:
        return res
    gs = _autograd_grad(
        [o for o, _ in pairs],
        [ins[i] for i in idx],
        [g for _, g in pairs],
        create_graph=create_graph,
        retain_graph=True,
        allow_unused=True,
    )
    for i, g in zip(idx, gs):
        res[i] = g
    return res


def _maybe_detach(t, keep):
    if keep or not isinstance(t, Tensor):
        return t
    if type(t) is BatchedTensor:
        return wrap(_maybe_detach(t._value, keep), t._level)
    return t.detach()


# -- argnums -------------------------------------------------------------------------------------


def _check_argnums(argnums, nargs, fname):
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and argnums and all(isinstance(a, int) for a in argnums):
        nums = argnums
    else:
        raise RuntimeError(f"{fname}: argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    out = []
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
        out.append(a % nargs)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{fname}: argnums must be unique, got {argnums}")
    return out


def _diff_args(args, argnums, fname):
    nums = _check_argnums(argnums, len(args), fname)
    sel = tuple(args[i] for i in nums) if isinstance(argnums, tuple) else args[nums[0]]
    return nums, sel


# -- grad ----------------------------------------------------------------------------------------


def grad_and_value(func, argnums=0, has_aux=False):
    """Matches `torch.func.grad_and_value`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not args:
            raise RuntimeError("grad_and_value(f)(*args): Expected at least one positional argument")
        nums, sel = _diff_args(args, argnums, "grad_and_value")
        flat, spec = tree_flatten(sel)
        with enable_grad():
            roots = _Roots(flat)
            new_sel = tree_unflatten(roots.wrapped, spec)
            new_args = list(args)
            if isinstance(argnums, tuple):
                for i, s in zip(nums, new_sel):
                    new_args[i] = s
            else:
                new_args[nums[0]] = new_sel
            res = func(*new_args, **kwargs)
            res, aux = _split_aux(res, has_aux, "grad_and_value(f)(*args)")
            if not isinstance(res, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(res)}")
            if res.dim() != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{res.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            out = roots.physical(res)
            keep = _reaches_other_leaf([out], roots.private)
            gs = _grad_list([out], roots.phys, [_ones_like(out)], keep)
        grads = roots.gradients(gs, keep)
        value = _maybe_detach(res, keep)
        if has_aux:
            aux = _detach_tree(aux, keep)
        g_tree = tree_unflatten(grads, spec)
        return (g_tree, (value, aux)) if has_aux else (g_tree, value)

    return _device_guard.entry_point(wrapper)


def _detach_tree(tree, keep):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([_maybe_detach(x, keep) for x in leaves], spec)


def grad(func, argnums=0, has_aux=False):
    """Matches `torch.func.grad`."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, v = gv(*args, **kwargs)
        if has_aux:
            return g, v[1]
        return g

    return _device_guard.entry_point(wrapper)


# -- vjp -----------------------------------------------------------------------------------------


def vjp(func, *primals, has_aux=False):
    """Matches `torch.func.vjp`: (func(*primals), vjp_fn[, aux]); vjp_fn(cotangents) gives one gradient
    per primal (a tuple)."""
    flat, spec = tree_flatten(primals)
    with enable_grad():
        roots = _Roots(flat)
        res = func(*tree_unflatten(roots.wrapped, spec))
        res, aux = _split_aux(res, has_aux, "vjp(f, *primals)")
        out_flat, out_spec = tree_flatten(res)
        for o in out_flat:
            if not isinstance(o, Tensor):
                raise RuntimeError(
                    f"vjp(f, *primals): Expected f to be a function that has non-empty output, got {type(o)}"
                    if o is None
                    else f"vjp(f, *primals): expected f(*primals) to return only tensors, got unsupported type {type(o)}"
                )
        outs_phys = [roots.physical(o) for o in out_flat]
        keep = _reaches_other_leaf(outs_phys, roots.private)
    n_levels = len(LEVELS)

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        ct_flat, ct_spec = tree_flatten(cotangents)
        if len(ct_flat) != len(out_flat):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the "
                f"function. cotangents: {ct_spec}, primal output: {out_spec}"
            )
        for c, o in zip(ct_flat, out_flat):
            if isinstance(c, Tensor) and tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] has a shape of {o.shape}."
                )
        return _vjp_core(ct_flat)

    def _vjp_core(ct_flat):
        # cotangents batched over vmap levels entered after vjp(): one backward per example of those levels
        extra = 0
        for c in ct_flat:
            while type(c) is BatchedTensor:
                if c._level > n_levels and c._level > extra:
                    extra = c._level
                c = c._value
        if extra:
            return fallback(extra, lambda *cts: _vjp_core(list(cts)), "vjp", tuple(ct_flat), {}, warn=False)
        with enable_grad():
            cts = [roots.physical(c) for c in ct_flat]
            k = keep or any(c.requires_grad for c in cts)
            gs = _grad_list(outs_phys, roots.phys, cts, k)
        return tree_unflatten(roots.gradients(gs, k), spec)

    out = tree_unflatten([_maybe_detach(o, keep) for o in out_flat], out_spec)
    vjp_fn = _device_guard.entry_point(vjp_fn)
    if has_aux:
        return out, vjp_fn, _detach_tree(aux, keep)
    return out, vjp_fn


# -- jvp -----------------------------------------------------------------------------------------


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """Matches `torch.func.jvp`: (func(*primals), J @ tangents), by the double-vjp trick."""
    if strict:
        raise RuntimeError("jvp(f, primals, tangents, strict=True): strict is not implemented in ember.func.jvp")
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    flat, spec = tree_flatten(primals)
    tflat, tspec = tree_flatten(tangents)
    if not isinstance(tangents, tuple) or len(tflat) != len(flat):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
            f"{spec} and tangents with structure {tspec}"
        )
    for p, t in zip(flat, tflat):
        if isinstance(p, Tensor) and isinstance(t, Tensor) and tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                f"jvp(f, primals, tangents): Expected primals and tangents to have the same shape, got {tuple(p.shape)}"
                f" and {tuple(t.shape)}"
            )
    from .. import _ops as O  # noqa: PLC0415

    with enable_grad():
        roots = _Roots(flat)
        res = func(*tree_unflatten(roots.wrapped, spec))
        res, aux = _split_aux(res, has_aux, "jvp(f, primals, tangents)")
        out_flat, out_spec = tree_flatten(res)
        for o in out_flat:
            if not isinstance(o, Tensor):
                raise RuntimeError(
                    f"jvp(f, primals, tangents): expected f(*primals) to return only tensors, got unsupported type "
                    f"{type(o)}"
                )
        outs = [roots.physical(o) for o in out_flat]
        tans = [None if r is None else roots.physical(t) for r, t in zip(roots.phys, tflat)]
        keep = _reaches_other_leaf(outs, roots.private) or any(t is not None and t.requires_grad for t in tans)
        us = [O.zeros_like(o).requires_grad_(True) if o.requires_grad else None for o in outs]
        gs = _grad_list(outs, roots.phys, us, True)
        s = None
        for g, t in zip(gs, tans):
            if g is None or t is None:
                continue
            term = O.sum(g * t)
            s = term if s is None else s + term
        jv = [None] * len(outs)
        if s is not None and s.requires_grad:
            live = [i for i, u in enumerate(us) if u is not None]
            r = _autograd_grad([s], [us[i] for i in live], create_graph=keep, allow_unused=True)
            for i, g in zip(live, r):
                jv[i] = g
    jout = []
    for o, g in zip(outs, jv):
        g = O.zeros_like(o) if g is None else g
        jout.append(_maybe_detach(roots.logical(g), keep))
    out = tree_unflatten([_maybe_detach(o, keep) for o in out_flat], out_spec)
    jres = tree_unflatten(jout, out_spec)
    if has_aux:
        return out, jres, _detach_tree(aux, keep)
    return out, jres


# -- jacobians -----------------------------------------------------------------------------------


def _basis(t):
    """The rows of the identity for t's elements, shaped (t.numel(), *t.shape)."""
    from .. import _ops as O  # noqa: PLC0415

    n = t.numel()
    return O.eye(n, dtype=t.dtype, device=t.device).reshape((n,) + tuple(t.shape))


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """Matches `torch.func.jacrev`: one vjp per output element."""
    import ember  # noqa: PLC0415

    from .. import _ops as O  # noqa: PLC0415

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, sel = _diff_args(args, argnums, "jacrev")
        sflat, sspec = tree_flatten(sel)

        def f_sel(*s):
            new_args = list(args)
            if isinstance(argnums, tuple):
                for i, v in zip(nums, s):
                    new_args[i] = v
            else:
                new_args[nums[0]] = s[0]
            return func(*new_args, **kwargs)

        sel_tuple = tuple(sel) if isinstance(argnums, tuple) else (sel,)
        r = vjp(f_sel, *sel_tuple, has_aux=has_aux)
        out, vjp_fn = r[0], r[1]
        oflat, ospec = tree_flatten(out)
        # jac[i][j]: output leaf i, input leaf j
        jac = []
        for i, o in enumerate(oflat):
            rows = [[] for _ in sflat]
            flat_o = o.reshape(-1)
            for k in range(flat_o.shape[0]):
                cts = [O.zeros(tuple(oo.shape), dtype=oo.dtype, device=oo.device) for oo in oflat]
                e = O.zeros(o.numel(), dtype=o.dtype, device=o.device)
                e[k] = 1
                cts[i] = e.reshape(tuple(o.shape))
                g = vjp_fn(tree_unflatten(cts, ospec))
                gflat, _ = tree_flatten(g)
                for j, gj in enumerate(gflat):
                    rows[j].append(gj)
            blocks = []
            for j, x in enumerate(sflat):
                if rows[j]:
                    m = ember.stack(rows[j], 0)  # patched inside vmap: rows may be batched
                else:
                    m = O.zeros((0,) + tuple(x.shape), dtype=x.dtype, device=x.device)
                blocks.append(m.reshape(tuple(o.shape) + tuple(x.shape)))
            jac.append(tree_unflatten(blocks, sspec) if isinstance(argnums, tuple) else blocks[0])
        res = tree_unflatten(jac, ospec)
        if has_aux:
            return res, r[2]
        return res

    return _device_guard.entry_point(wrapper)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """Matches `torch.func.jacfwd`: jvps with the basis vectors of the inputs, batched with vmap."""
    from .. import _ops as O  # noqa: PLC0415
    from ._vmap import vmap  # noqa: PLC0415

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, sel = _diff_args(args, argnums, "jacfwd")
        sflat, sspec = tree_flatten(sel)

        def f_flat(*xs):
            s = tree_unflatten(list(xs), sspec)
            new_args = list(args)
            if isinstance(argnums, tuple):
                for i, v in zip(nums, s):
                    new_args[i] = v
            else:
                new_args[nums[0]] = s
            return func(*new_args, **kwargs)

        sizes = [x.numel() for x in sflat]
        total = sum(sizes)
        dt = sflat[0].dtype
        eye = O.eye(total, dtype=dt, device=sflat[0].device)
        tangents = []
        start = 0
        for x, n in zip(sflat, sizes):
            tangents.append(eye[:, start : start + n].reshape((total,) + tuple(x.shape)).to(x.dtype))
            start += n
        aux_box = []

        def push(*ts):
            r = jvp(f_flat, tuple(sflat), tuple(ts), has_aux=has_aux)
            if has_aux:
                aux_box.append(None)
                return r[1], r[2]
            return r[1]

        if total == 0:
            r = jvp(f_flat, tuple(sflat), tuple(O.zeros_like(x) for x in sflat), has_aux=has_aux)
            outs = r[0]
            oflat, ospec = tree_flatten(outs)
            jflat = [O.zeros((0,) + tuple(o.shape), dtype=o.dtype, device=o.device) for o in oflat]
            aux = r[2] if has_aux else None
        else:
            res = vmap(push, randomness=randomness)(*tangents) if total else None
            if has_aux:
                res, aux = res
                aux = tree_unflatten(
                    [a[0] if isinstance(a, Tensor) else a for a in tree_flatten(aux)[0]], tree_flatten(aux)[1]
                )
            jflat, ospec = tree_flatten(res)
        jac = []
        for jo in jflat:
            oshape = tuple(jo.shape[1:])
            blocks = []
            start = 0
            for x, n in zip(sflat, sizes):
                part = jo[start : start + n]
                start += n
                part = part.reshape((n,) + oshape).movedim(0, -1) if oshape else part.reshape(n)
                blocks.append(part.reshape(oshape + tuple(x.shape)))
            jac.append(tree_unflatten(blocks, sspec))
        res = tree_unflatten(jac, ospec)
        if has_aux:
            return res, aux
        return res

    return _device_guard.entry_point(wrapper)


def hessian(func, argnums=0):
    """Matches `torch.func.hessian`: jacfwd(jacrev(func))."""
    return jacfwd(jacrev(func, argnums), argnums)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Matches `torch.func.functional_call`: run `module` with its parameters and buffers replaced."""
    from ..nn.utils.stateless import _functional_call  # noqa: PLC0415

    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        keys = [k for d in parameter_and_buffer_dicts for k in d]
        seen = set()
        dup = [k for k in keys if k in seen or seen.add(k)]
        if dup:
            raise ValueError(
                f"{sorted(set(dup))} appeared in multiple dictionaries; behavior of functional call is ambiguous"
            )
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(
            f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts)}"
        )
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)
