"""ember.autograd.functional (matches `torch.autograd.functional`): vjp, jvp, jacobian, hessian, vhp, hvp.

Everything is built on reverse mode (`autograd.grad`). Forward-mode products (jvp, and jacobian with
strategy="forward-mode") use the double-vjp trick: with u a dummy cotangent that requires grad,
g(u) = J^T u is linear in u, and the vjp of g with v gives J v.
"""

from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _Tensor():
    from .._tensor import Tensor  # noqa: PLC0415 - ember._tensor imports this package

    return Tensor


def _as_tuple(x, arg_name, fn_name):
    """(was_tuple, tuple of tensors), with torch's TypeError for anything else."""
    Tensor = _Tensor()
    was_tuple = isinstance(x, tuple)
    items = x if was_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if was_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the"
                f" {where} has type {type(el)}."
            )
    return was_tuple, items


def _unpack(res, was_tuple):
    return res if was_tuple else res[0]


def _unpack2(res, outer_tuple, inner_tuple):
    if not inner_tuple:
        res = tuple(r[0] for r in res)
    return res if outer_tuple else res[0]


def _prepare(inputs, create_graph, need_graph):
    """Fresh graph roots: a view of the input (keeps the outer graph) or a detached copy."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _finish(ts, create_graph):
    if not ts:
        return ts
    if isinstance(ts[0], tuple):
        return tuple(_finish(t, create_graph) for t in ts)
    return ts if create_graph else tuple(t.detach() for t in ts)


def _validate_v(v, other, other_is_tuple):
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.size() != b.size():
            pre = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(f"{pre}v has invalid size: should be {b.size()} but got {a.size()}.")


_NOT_REQ = {
    "hessian": lambda i: (
        f"The hessian of the user-provided function with respect to input {i} is independent of the input. "
        "This is not allowed in strict mode. You should ensure that your function is thrice differentiable and "
        "that the hessian depends on the inputs."
    ),
    "jacobian": lambda i: (
        "While computing the hessian, found that the jacobian of the user-provided function with respect to "
        f"input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
        "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
        "violated by a linear function for example)."
    ),
    "grad_inputs": lambda i: (
        f"The gradient with respect to input {i} is independent of the inputs of the user-provided function. "
        "This is not allowed in strict mode."
    ),
    "outputs": lambda i: (
        f"Output {i} of the user-provided function does not require gradients. The outputs must be computed "
        "in a differentiable manner from the input when running in strict mode."
    ),
}


def _check_requires_grad(ts, kind, strict):
    if not strict:
        return
    for i, t in enumerate(ts):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_NOT_REQ[kind](i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad; None for every input when none does."""
    from . import grad  # noqa: PLC0415

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    outs, gos = [], []
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o.requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return (None,) * len(inputs)
    return grad(outs, inputs, gos, allow_unused=True, create_graph=create_graph, retain_graph=retain_graph)


_ZERO_MSG = {
    "back": lambda i: (
        f"The output of the user-provided function is independent of input {i}. This is not allowed in strict mode."
    ),
    "back_trick": lambda i: (
        f"The gradient with respect to the input is independent of entry {i} in the "
        "grad_outputs when using the double backward trick to compute forward mode gradients. This is not allowed in "
        "strict mode."
    ),
    "double_back": lambda i: (
        f"The jacobian of the user-provided function is independent of input {i}. This is not allowed in strict mode."
    ),
    "double_back_trick": lambda i: (
        f"The hessian of the user-provided function is independent of entry {i} in "
        "the grad_jacobian. This is not allowed in strict mode as it prevents from using the double backward trick to "
        "replace forward mode AD."
    ),
}


def _fill_zeros(grads, refs, strict, create_graph, stage):
    from .. import _ops as O  # noqa: PLC0415

    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MSG[stage](i))
            g = O.zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode when create_graph=True."
            )
        res.append(g)
    return tuple(res)


def _v_or_default(v, ref, ref_is_tuple, fn_name, create_graph, none_msg):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _prepare(v, create_graph, False)
        _validate_v(v, ref, ref_is_tuple)
        return v
    if len(ref) != 1 or ref[0].nelement() != 1:
        raise RuntimeError(none_msg)
    return None


_V_NONE_INPUT = (
    "The vector v can only be None if the input to the user-provided function is a single Tensor with a single element."
)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.vjp`: returns (func(inputs), v^T J)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, True)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _v_or_default(
            v,
            outputs,
            out_tuple,
            "vjp",
            create_graph,
            "The vector v can only be None if the user-provided function returns a single Tensor with a single "
            "element.",
        )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "back")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(res, create_graph), in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.jvp`: returns (func(inputs), J v), by the double-vjp trick."""
    from .. import _ops as O  # noqa: PLC0415

    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, True)
        v = _v_or_default(v, inputs, in_tuple, "jvp", create_graph, _V_NONE_INPUT)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        dummies = tuple(O.zeros_like(o).requires_grad_(True) for o in outputs)
        g_in = _grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(g_in, "grad_inputs", strict)
    with set_grad_enabled(True) if create_graph else _nullctx():
        res = _grad(g_in, dummies, v, create_graph=create_graph)
        res = _fill_zeros(res, outputs, strict, create_graph, "back_trick")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(res, create_graph), out_tuple)


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _jac_forward(func, inputs, strict, vectorize):
    """jacobian with strategy="forward-mode": one jvp (double-vjp trick) per input element."""
    from .. import _ops as O  # noqa: PLC0415

    if strict:
        raise RuntimeError(
            'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
            'together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.'
        )
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
            "`vectorize=True`."
        )
    with enable_grad():
        ins = _prepare(inputs, False, True)
        outputs = func(*ins)
        out_tuple, outputs = _as_tuple(outputs, "outputs", "jacobian")
        dummies = tuple(O.zeros_like(o).requires_grad_(True) for o in outputs)
        g_in = _grad(outputs, ins, dummies, create_graph=True)
    # cols[j][i]: list over elements of input j of the flattened J_ij column
    cols = [[[] for _ in outputs] for _ in inputs]
    for j, inp in enumerate(inputs):
        for k in range(inp.nelement()):
            e = O.zeros(inp.nelement(), dtype=inp.dtype, device=inp.device)
            e[k] = 1
            v = tuple(e.view(inp.shape) if jj == j else O.zeros_like(other) for jj, other in enumerate(inputs))
            res = _grad(g_in, dummies, v, retain_graph=True)
            for i, (r, o) in enumerate(zip(res, outputs)):
                cols[j][i].append(
                    O.zeros(o.nelement(), dtype=o.dtype, device=o.device) if r is None else r.detach().reshape(-1)
                )
    jac = []
    for i, o in enumerate(outputs):
        row = []
        for j, inp in enumerate(inputs):
            c = cols[j][i]
            m = O.stack(c, dim=-1) if c else O.zeros(o.nelement(), 0, dtype=o.dtype, device=o.device)
            row.append(m.reshape(tuple(o.shape) + tuple(inp.shape)))
        jac.append(tuple(row))
    return _unpack2(tuple(jac), out_tuple, in_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """Matches `torch.autograd.functional.jacobian` (vectorize=True computes the same rows one by one)."""
    from .. import _ops as O  # noqa: PLC0415

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
            '"reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                'torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not '
                'supported together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.'
            )
        return _jac_forward(func, inputs, strict, vectorize)

    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, True)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported "
                "together. Please either set `strict=False` or `vectorize=False`."
            )
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.nelement()):
                vj = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(vj, inputs)):
                    if g is not None:
                        if strict and create_graph and not g.requires_grad:
                            raise RuntimeError(
                                f"The jacobian of the user-provided function is independent of input {i}. "
                                "This is not allowed in strict mode when create_graph=True."
                            )
                        rows[j].append(g)
                    else:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of input {j}. This is "
                                "not allowed in strict mode."
                            )
                        rows[j].append(O.zeros_like(inp))
            jac.append(
                tuple(
                    (
                        O.stack(r, dim=0) if r else O.zeros((0,) + tuple(inp.shape), dtype=inp.dtype, device=inp.device)
                    ).view(tuple(out.shape) + tuple(inp.shape))
                    for r, inp in zip(rows, inputs)
                )
            )
        jac = _finish(tuple(jac), create_graph)
        return _unpack2(jac, out_tuple, in_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """Matches `torch.autograd.functional.hessian` (func must return a single-element tensor)."""
    Tensor = _Tensor()
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single(*inp):
        out = func(*inp)
        out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(single, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(
        jac_func,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack2(res, in_tuple, in_tuple)


def _scalar_fn_prologue(func, inputs, v, create_graph, strict, fn_name):
    Tensor = _Tensor()
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _prepare(inputs, create_graph, True)
    v = _v_or_default(v, inputs, in_tuple, fn_name, create_graph, _V_NONE_INPUT)
    outputs = func(*inputs)
    out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if out_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
    jac = _grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return in_tuple, inputs, v, outputs, out_tuple, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.vhp`: returns (func(inputs), v^T H)."""
    with enable_grad():
        in_tuple, inputs, v, outputs, out_tuple, jac = _scalar_fn_prologue(func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "double_back")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(res, create_graph), in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.hvp`: returns (func(inputs), H v), by the double-vjp trick."""
    from .. import _ops as O  # noqa: PLC0415

    with enable_grad():
        in_tuple, inputs, v, outputs, out_tuple, jac = _scalar_fn_prologue(func, inputs, v, create_graph, strict, "hvp")
        grad_jac = tuple(O.zeros_like(t).requires_grad_(True) for t in inputs)
        double_back = _grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad(double_back, grad_jac, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "double_back_trick")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(res, create_graph), in_tuple)
