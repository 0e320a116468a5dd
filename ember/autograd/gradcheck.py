"""gradcheck / gradgradcheck (match `torch.autograd.gradcheck`): analytical gradients against finite differences.

Slow mode builds both full Jacobians (rows: input elements, columns: output elements): the numerical one by
central differences on the input's array in place, the analytical one by one `autograd.grad` per output
element (twice, to catch a nondeterministic backward). Fast mode compares the scalar v^T J u for random unit
vectors u, v instead. Complex inputs follow torch's convention (the numerical derivative is
ds/dx + 1j * ds/dy, the conjugate Wirtinger derivative); complex outputs are checked through their real
and imaginary parts. Forward-mode checks (check_forward_ad) use the double-vjp trick, as ember has no
forward-mode AD.
"""

import warnings

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


FAILED_NONDET_MSG = """

NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""

FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:

If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `fast_mode=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_fast_mode=False`
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_fast_mode=False`
""".strip()


def _E():
    import ember  # noqa: PLC0415 - ember imports ember.autograd

    return ember


def _is_tensor(x):
    return isinstance(x, _E().Tensor)


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _float_or_complex(t):
    return _is_tensor(t) and (t.dtype.is_floating_point or t.dtype.is_complex)


def _diff_inputs(inputs):
    return [(i, t) for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]


# -- checks on inputs and outputs -------------------------------------------------------------


def _check_inputs(inputs):
    E = _E()
    any_rg = False
    for idx, inp in enumerate(inputs):
        if _is_tensor(inp) and inp.requires_grad:
            if inp.dtype not in (E.float64, E.complex128):
                warnings.warn(
                    f"Input #{idx} requires gradient and is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are not of double precision floating point or "
                    "complex. ",
                    stacklevel=4,
                )
            if not all(st > 0 or sz <= 1 for st, sz in zip(inp.stride(), inp.size())):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only supports inputs that are "
                    "non-overlapping to be able to compute the numerical gradients correctly. You should call "
                    ".contiguous on the input before passing it to gradcheck."
                )
            any_rg = True
    if not any_rg:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True."
        )


def _check_same(a, b, eps, idx=None):
    on = f"on index {idx} " if idx is not None else ""
    if a.shape != b.shape:
        raise AssertionError(
            f"Expected `func` to return outputs with the same shape when inputs are perturbed {on}by {eps}, but "
            f"got: shapes {a.shape} and {b.shape}."
        )
    if a.dtype != b.dtype:
        raise AssertionError(
            f"Expected `func` to return outputs with the same dtype when inputs are perturbed {on}by {eps}, but "
            f"got: dtypes {a.dtype} and {b.dtype}."
        )


# -- numerical side ---------------------------------------------------------------------------


def _call_perturbed(fn, inputs, idx, alias):
    """fn with input idx replaced by `alias` (a detached tensor sharing its memory); outputs cloned."""
    args = tuple(alias if i == idx else a for i, a in enumerate(inputs))
    return tuple(o.clone() if _is_tensor(o) else o for o in _as_tuple(fn(*args)))


def _central_diff(fn, inputs, idx, alias, delta, eps, pos=None):
    """(f(x + delta) - f(x - delta)) / (2 eps) per output, flattened; delta: an array (or scalar at `pos`)."""
    d = alias._data
    if pos is None:
        orig = d.copy()
        d[...] = orig - delta
        outa = _call_perturbed(fn, inputs, idx, alias)
        d[...] = orig + delta
        outb = _call_perturbed(fn, inputs, idx, alias)
        d[...] = orig
    else:
        orig = d[pos].copy()
        d[pos] = orig - delta
        outa = _call_perturbed(fn, inputs, idx, alias)
        d[pos] = orig + delta
        outb = _call_perturbed(fn, inputs, idx, alias)
        d[pos] = orig
    res = []
    for a, b in zip(outa, outb):
        if not _is_tensor(a):
            res.append(None)
            continue
        _check_same(a, b, eps)
        res.append(((b - a) / (2 * eps)).detach().reshape(-1))
    return res


def _numerical_jacobian(fn, inputs, outputs, eps, is_forward_ad=False):
    """jac[k][o]: (numel of k-th differentiable input, numel of output o) for every output o of fn."""
    E = _E()
    if not is_forward_ad and any(_is_tensor(o) and o.is_complex() for o in outputs):
        raise ValueError(
            "Expected output to be non-complex. get_numerical_jacobian no longer supports functions that return "
            "complex outputs."
        )
    jacs = []
    for idx, inp in _diff_inputs(inputs):
        alias = inp.detach()
        n = inp.numel()
        cplx = inp.is_complex()
        cols = []
        for o in outputs:
            dt = inp.dtype if cplx else o.dtype
            cols.append(E.zeros(n, o.numel(), dtype=dt, device=o.device) if _is_tensor(o) else None)
        shape = tuple(inp.shape)
        for k in range(n):
            pos = np.unravel_index(k, shape) if shape else ()
            dx = _central_diff(fn, inputs, idx, alias, eps, eps, pos)
            if cplx:
                dy = _central_diff(fn, inputs, idx, alias, eps * 1j, eps, pos)
                for c, a, b in zip(cols, dx, dy):
                    if c is not None:
                        c[k] = a + b * 1j
            else:
                for c, a in zip(cols, dx):
                    if c is not None:
                        c[k] = a
        jacs.append(cols)
    return jacs


# -- analytical side --------------------------------------------------------------------------


def _vjp_fn(output, diff_inputs):
    E = _E()

    def vjp(go):
        return E.autograd.grad(output, diff_inputs, go, retain_graph=True, allow_unused=True)

    return vjp


def _stack_rows(rows, diff_inputs, n_out):
    """rows[i]: list over output elements of the gradient w.r.t. input i -> (input numel, n_out) matrices."""
    E = _E()
    jacs, types_ok, sizes_ok = [], True, True
    for inp, r in zip(diff_inputs, rows):
        m = E.zeros(inp.numel(), n_out, dtype=inp.dtype, device=inp.device)
        for j, g in enumerate(r):
            if g is None:
                continue
            if g.dtype != inp.dtype:
                types_ok = False
            if g.numel() != inp.numel():
                sizes_ok = False
                continue
            m[:, j] = g.detach().reshape(-1).to(inp.dtype)
        jacs.append(m)
    return jacs, types_ok, sizes_ok


def _analytical_rows(vjp, output):
    E = _E()
    go = E.zeros_like(output)
    flat = go.view(-1)
    rows = None
    for j in range(flat.numel()):
        flat.zero_()
        flat[j] = 1.0
        gi = vjp(go)
        if rows is None:
            rows = [[] for _ in gi]
        for i, g in enumerate(gi):
            rows[i].append(g.clone() if g is not None else None)
    return rows


def _analytical_jacobian(inputs, output, nondet_tol, check_grad_dtypes, fast_mode=False, v=None):
    E = _E()
    diff = [t for _, t in _diff_inputs(inputs)]
    vjp = _vjp_fn(output, diff)
    if fast_mode:
        r1 = [[g.clone() if g is not None else None] for g in vjp(v.reshape(output.shape))]
        r2 = [[g.clone() if g is not None else None] for g in vjp(v.reshape(output.shape))]
        n_out = 1
    else:
        r1 = _analytical_rows(vjp, output.clone())
        r2 = _analytical_rows(vjp, output.clone())
        n_out = output.numel()
        if r1 is None:  # empty output
            r1 = r2 = [[] for _ in diff]
    j1, types_ok, sizes_ok = _stack_rows(r1, diff, n_out)
    j2, _, _ = _stack_rows(r2, diff, n_out)
    reentrant = all(
        a.numel() == 0 or float(E.abs(a - b).max()) <= nondet_tol for a, b in zip(j1, j2) if a.shape == b.shape
    )
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output multiple times "
            "gives different values, although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
        )
    return j1


def _forward_jacobian(func, inputs, outputs, u=None):
    """Jacobians (rows: input elements) of func's outputs computed with the double-vjp trick.

    With u given (fast mode) returns, per input, the list of J u per output instead."""
    E = _E()
    diff_idx = [i for i, _ in _diff_inputs(inputs)]
    with E.enable_grad():
        args = list(inputs)
        for i in diff_idx:
            args[i] = inputs[i].detach().requires_grad_(True)
        outs = [o for o in _as_tuple(func(*args)) if _is_tensor(o)]
        dummies = [E.zeros_like(o).requires_grad_(True) for o in outs]
        live = [k for k, o in enumerate(outs) if o.requires_grad]
        ins = [args[i] for i in diff_idx]
        if live:
            g = E.autograd.grad(
                [outs[k] for k in live], ins, [dummies[k] for k in live], create_graph=True, allow_unused=True
            )
        else:
            g = [None] * len(ins)

    def jvp(tangents):
        pairs = [(gi, t) for gi, t in zip(g, tangents) if gi is not None and gi.requires_grad]
        if not pairs:
            return [E.zeros_like(o).reshape(-1) for o in outs]
        res = E.autograd.grad(
            [p[0] for p in pairs], dummies, [p[1] for p in pairs], retain_graph=True, allow_unused=True
        )
        return [E.zeros_like(o).reshape(-1) if r is None else r.reshape(-1) for r, o in zip(res, outs)]

    result = []
    for j, inp in enumerate(ins):
        if u is not None:
            tangents = [E.zeros_like(t) for t in ins]
            tangents[j] = u[j].reshape(inp.shape).to(inp.dtype)
            result.append(jvp(tangents))
            continue
        mats = [E.zeros(inp.numel(), o.numel(), dtype=o.dtype, device=o.device) for o in outs]
        shape = tuple(inp.shape)
        for k in range(inp.numel()):
            tangents = [E.zeros_like(t) for t in ins]
            tangents[j]._data[np.unravel_index(k, shape) if shape else ()] = 1
            for m, c in zip(mats, jvp(tangents)):
                m[k] = c
        result.append(mats)
    return result


# -- comparison -------------------------------------------------------------------------------


def _allclose(a, b, rtol, atol):
    E = _E()
    dt = E.promote_types(a.dtype, b.dtype)
    return bool(E.allclose(a.to(dt), b.to(dt), rtol, atol))


def _notallclose_msg(a, n, out_idx, in_idx, complex_indices, test_imag=False, is_forward_ad=False):
    out_cplx = (not is_forward_ad) and complex_indices and out_idx in complex_indices
    in_cplx = is_forward_ad and complex_indices and in_idx in complex_indices
    part = "imaginary" if test_imag else "real"
    element = "inputs" if is_forward_ad else "outputs"
    prefix = f"While considering the {part} part of complex {element} only, " if (out_cplx or in_cplx) else ""
    mode = "computed with forward mode " if is_forward_ad else ""
    return (
        prefix + f"Jacobian {mode}mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
        f"numerical:{n}\nanalytical:{a}\n"
    )


def _check_no_differentiable_outputs(func, inputs, func_out, eps, is_forward_ad=False):
    E = _E()
    for per_input in _numerical_jacobian(func, inputs, func_out, eps, is_forward_ad):
        for jac in per_input:
            if jac is not None and int(E.ne(jac, 0).sum()) > 0:
                raise GradcheckError("Numerical gradient for function expected to be zero")
    return True


def _slow_gradcheck(
    func,
    func_out,
    inputs,
    outputs,
    eps,
    rtol,
    atol,
    check_grad_dtypes,
    nondet_tol,
    *,
    use_forward_ad=False,
    complex_indices=None,
    test_imag=False,
):
    func_out = _as_tuple(func_out)
    if not outputs:
        return _check_no_differentiable_outputs(func, inputs, func_out, eps, use_forward_ad)
    numerical = _numerical_jacobian(func, inputs, func_out, eps, use_forward_ad)
    # per output (differentiable ones only), per input
    numerical = [
        [numerical[k][o] for k in range(len(numerical))]
        for o, out in enumerate(func_out)
        if _is_tensor(out) and out.requires_grad
    ]
    if use_forward_ad:
        fwd = _forward_jacobian(func, inputs, func_out)
        live = [k for k, o in enumerate(o for o in func_out if _is_tensor(o)) if o.requires_grad]
        for i, n_per_out in enumerate(numerical):
            for j, n in enumerate(n_per_out):
                a = fwd[j][live[i]]
                if not _allclose(a, n, rtol, atol):
                    raise GradcheckError(_notallclose_msg(a, n, i, j, complex_indices, test_imag, True))
        return True
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobian(inputs, o, nondet_tol, check_grad_dtypes)
        for j, (a, n) in enumerate(zip(analytical, numerical[i])):
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_notallclose_msg(a, n, i, j, complex_indices, test_imag))
    return True


def _vec_from_tensor(x, gen, downcast_complex=False):
    E = _E()
    dt = x.dtype
    if downcast_complex and dt.is_complex:
        dt = E.float64 if dt == E.complex128 else E.float32
    v = E.rand(x.numel(), generator=gen).to(dtype=dt, device=x.device)  # drawn on the CPU: the same on any device
    return v / v.norm()


def _numerical_vJu(fn, inputs, func_out, all_u, all_v, eps, is_forward_ad):
    res = []
    for (idx, inp), u in zip(_diff_inputs(inputs), all_u):
        alias = inp.detach()
        shape = tuple(inp.shape)
        if isinstance(u, tuple):
            dx = _central_diff(fn, inputs, idx, alias, (u[0] * eps).reshape(shape)._data, eps)
            dy = _central_diff(fn, inputs, idx, alias, (u[1] * eps).reshape(shape)._data * 1j, eps)
            ju = [None if a is None else a + b * 1j for a, b in zip(dx, dy)]
        else:
            ju = _central_diff(fn, inputs, idx, alias, (u * eps).reshape(shape)._data, eps)
        ju = [j for j, o in zip(ju, _as_tuple(func_out)) if _float_or_complex(o)]
        if all_v is not None:
            res.append([(v * j).sum() for v, j in zip(all_v, ju)])
        else:
            res.append(ju)
    return res


def _adjusted_atol(atol, u, v):
    sum_v = 1.0 if v is None else float(v.sum())
    if isinstance(u, tuple):
        return atol * (float(u[0].sum()) + float(u[1].sum())) * sum_v
    return atol * float(u.sum()) * sum_v


def _slow_mode_msg(func, inputs, outputs, in_idx, out_idx, rtol, atol, eps, is_forward_ad):
    E = _E()
    sn = _numerical_jacobian(func, inputs, outputs, eps, is_forward_ad)[in_idx][out_idx]
    if is_forward_ad:
        sa = _forward_jacobian(func, inputs, outputs)[in_idx][out_idx]
    else:
        sa = _analytical_jacobian(inputs, outputs[out_idx], float("inf"), False)[in_idx]
    diff = E.abs(sn - sa).max()
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
        "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {sn}\n"
        f"Analytical:\n{sa}\n\n"
        f"The max per-element difference (slow mode) is: {diff}.\n"
    )
    if _allclose(sa, sn, rtol, atol):
        msg += FAST_FAIL_SLOW_OK_MSG
    return msg


def _fast_gradcheck(
    func,
    func_out,
    inputs,
    outputs,
    eps,
    rtol,
    atol,
    check_grad_dtypes,
    nondet_tol,
    *,
    use_forward_ad=False,
    complex_indices=None,
    test_imag=False,
):
    E = _E()
    diff = [t for _, t in _diff_inputs(inputs)]
    gen = E.Generator()
    all_u = []
    for inp in diff:
        ur = _vec_from_tensor(inp, gen, True)
        all_u.append((ur, _vec_from_tensor(inp, gen, True)) if inp.is_complex() else ur)
    all_v = None if use_forward_ad else [_vec_from_tensor(o, gen) for o in outputs]
    numerical = _numerical_vJu(func, inputs, func_out, all_u, all_v, eps, use_forward_ad)
    if use_forward_ad:
        live = [k for k, o in enumerate(o for o in _as_tuple(func_out) if _is_tensor(o)) if o.requires_grad]
        fwd = _forward_jacobian(func, inputs, func_out, u=[u[0] if isinstance(u, tuple) else u for u in all_u])
        analytical = [[per_in[k] for k in live] for per_in in fwd]
        numerical = [[n for k, n in enumerate(per_in) if k in live] for per_in in numerical]
    else:
        if not outputs:
            for per_in in numerical:
                for n in per_in:
                    if not _allclose(n, E.zeros_like(n), rtol, atol):
                        raise GradcheckError("Numerical gradient for function expected to be zero")
            return True
        analytical = []
        for o, v in zip(outputs, all_v):
            vJ_all = _analytical_jacobian(inputs, o, nondet_tol, check_grad_dtypes, fast_mode=True, v=v)
            row = []
            for vJ, u in zip(vJ_all, all_u):
                vJ = vJ.reshape(-1)
                if vJ.is_complex():
                    row.append((vJ.real * u[0]).sum() + 1j * (vJ.imag * u[1]).sum())
                else:
                    row.append((vJ * u).sum())
            analytical.append(row)
    for i, per_in in enumerate(numerical):
        for j, n in enumerate(per_in):
            a = analytical[i][j] if use_forward_ad else analytical[j][i]
            tol = _adjusted_atol(atol, all_u[i], all_v[j] if all_v else None)
            if not _allclose(a, n, rtol, tol):
                raise GradcheckError(
                    _notallclose_msg(a, n, j, i, complex_indices, test_imag, use_forward_ad)
                    + _slow_mode_msg(func, inputs, outputs, i, j, rtol, atol, eps, use_forward_ad)
                )
    return True


# -- extra backward checks --------------------------------------------------------------------


def _undefined(o):
    """A tensor equal to `o` whose backward passes no gradient on (torch's UndefinedGrad)."""
    from .._ops._core import attach, make  # noqa: PLC0415
    from .graph import Node  # noqa: PLC0415

    class UndefinedGradBackward(Node):
        def backward(self, g):
            return (None,)

    out = make(o._data)
    return attach(out, UndefinedGradBackward(), (o,))


def _test_backward_mul_by_grad_output(outputs, inputs):
    E = _E()
    diff = [t for _, t in _diff_inputs(inputs)]
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")
    gis = E.autograd.grad(outputs, diff, [E.zeros_like(o) for o in outputs], allow_unused=True)
    for gi, di in zip(gis, diff):
        if gi is None:
            continue
        if not bool(gi.eq(0).all()):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype != di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.device != di.device:
            raise GradcheckError("grad is incorrect device")
        if gi.size() != di.size():
            raise GradcheckError("grad is incorrect size")
    return True


def _test_undefined_backward_mode(func, outputs, inputs):
    E = _E()
    diff = [t for _, t in _diff_inputs(inputs)]
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")

    def warn_bc():
        warnings.warn(
            "Backwards compatibility: New undefined gradient support checking feature is enabled by default, but "
            "it may break existing callers of this function. If this is true for you, you can call this function "
            'with "check_undefined_grad=False" to disable the feature',
            stacklevel=4,
        )

    def check(outs):
        try:
            gis = E.autograd.grad(outs, diff, [E.zeros_like(o) for o in outs], allow_unused=True)
        except (RuntimeError, TypeError, AttributeError) as e:
            warn_bc()
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. Please look at "
                '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
            ) from e
        for gi in gis:
            if gi is not None and not bool(gi.eq(0).all()):
                warn_bc()
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads are undefined or zero. "
                    'Please look at "Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
                )
        return True

    to_check = [[_undefined(o) for o in _differentiable_outputs(func(*inputs)) if _is_tensor(o)]]
    if len(to_check[0]) > 1:
        for k in range(len(outputs)):
            outs = _differentiable_outputs(func(*inputs))
            to_check.append([_undefined(o) if i == k else o for i, o in enumerate(outs)])
    return all(check(o) for o in to_check)


# -- real / imaginary parts -------------------------------------------------------------------


def _real_and_imag_output(fn):
    E = _E()

    def wrap(part):
        def wrapped(*inputs):
            return tuple(part(o) if _is_tensor(o) and o.is_complex() else o for o in _as_tuple(fn(*inputs)))

        return wrapped

    return wrap(E.real), wrap(E.imag)


def _real_and_imag_input(fn, cidx, inputs):
    def wrap(make):
        def wrapped(*args):
            args = list(args)
            for i in cidx:
                args[i] = make(args[i], inputs[i])
            return _as_tuple(fn(*args))

        return wrapped

    return wrap(lambda inp, orig: inp + orig.imag * 1j), wrap(lambda inp, orig: orig.real + inp * 1j)


def _gradcheck_real_imag(gc, func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, fwd, bwd, nondet_tol):
    cout = [i for i, o in enumerate(outputs) if o.is_complex()]
    if bwd:
        if any(_is_tensor(o) and o.is_complex() for o in _as_tuple(func_out)):
            real_fn, imag_fn = _real_and_imag_output(func)
            io = imag_fn(*inputs)
            gc(imag_fn, io, inputs, _differentiable_outputs(io), eps, rtol, atol, check_grad_dtypes, nondet_tol,
               complex_indices=cout, test_imag=True)  # fmt: skip
            ro = real_fn(*inputs)
            gc(real_fn, ro, inputs, _differentiable_outputs(ro), eps, rtol, atol, check_grad_dtypes, nondet_tol,
               complex_indices=cout)  # fmt: skip
        else:
            gc(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    if fwd:
        # forward AD via the double-vjp trick needs real outputs: check their real and imaginary parts
        fns = [func]
        if any(_is_tensor(o) and o.is_complex() for o in _as_tuple(func_out)):
            fns = list(_real_and_imag_output(func))
        for f in fns:
            cin = [i for i, t in enumerate(inputs) if _is_tensor(t) and t.is_complex()]
            if cin:
                real_fn, imag_fn = _real_and_imag_input(f, cin, inputs)
                for g, part, imag in ((imag_fn, "imag", True), (real_fn, "real", False)):
                    args = [getattr(t, part) if _is_tensor(t) and t.is_complex() else t for t in inputs]
                    args = [
                        a.detach().requires_grad_(True) if _is_tensor(a) and inputs[i].requires_grad else a
                        for i, a in enumerate(args)
                    ]
                    out = g(*args)
                    gc(g, out, args, _differentiable_outputs(out), eps, rtol, atol, check_grad_dtypes, nondet_tol,
                       complex_indices=cin, test_imag=imag, use_forward_ad=True)  # fmt: skip
            else:
                out = f(*inputs)
                gc(f, out, inputs, _differentiable_outputs(out), eps, rtol, atol, check_grad_dtypes, nondet_tol,
                   use_forward_ad=True)  # fmt: skip


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_batched_forward_grad=False,
    check_forward_ad=False,
    check_backward_ad=True,
    fast_mode=False,
    masked=None,
):
    """Matches `torch.autograd.gradcheck`: True, or GradcheckError (False with raise_exception=False).

    check_batched_grad / check_batched_forward_grad and masked are accepted for torch's signature; batched
    gradients are not checked separately."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    try:
        return _gradcheck(
            func,
            inputs,
            eps,
            atol,
            rtol,
            nondet_tol,
            check_undefined_grad,
            check_grad_dtypes,
            check_forward_ad,
            check_backward_ad,
            fast_mode,
        )
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, fwd, bwd, fast_mode):
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = func(*inputs)
    outputs = _differentiable_outputs(func_out)
    gc = _fast_gradcheck if fast_mode else _slow_gradcheck
    _gradcheck_real_imag(gc, func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, fwd, bwd, nondet_tol)
    if not bwd:
        return True
    _test_backward_mul_by_grad_output(outputs, inputs)
    if check_undefined_grad:
        _test_undefined_backward_mode(func, outputs, inputs)
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    gen_non_contig_grad_outputs=False,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_fwd_over_rev=False,
    check_rev_over_rev=True,
    fast_mode=False,
    masked=False,
):
    """Matches `torch.autograd.gradgradcheck`: gradcheck of the gradients (with random grad_outputs)."""
    E = _E()
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*inputs))
        gos = []
        for x in outs:
            dt = x.dtype if (x.dtype.is_floating_point or x.dtype.is_complex) else E.float64
            g = (E.rand(*x.shape, dtype=dt) * 2 - 1).to(x.device)
            gos.append(g.detach().requires_grad_(True))
        grad_outputs = tuple(gos)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad}
    diff_go = {i for i, x in enumerate(grad_outputs) if x.requires_grad}

    def new_func(*args):
        ins = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-n_out]))
        outs = _differentiable_outputs(func(*ins))
        gos = tuple(x.requires_grad_() if i in diff_go else x for i, x in enumerate(args[-n_out:]))
        d = tuple(x for i, x in enumerate(ins) if i in diff_in)
        gis = E.autograd.grad(outs, d, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gis if g is not None)

    return gradcheck(
        new_func,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )
