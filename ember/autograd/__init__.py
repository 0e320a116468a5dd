"""ember.autograd: backward, grad, grad modes, custom Functions."""

from . import forward_ad, functional, graph
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "once_differentiable",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "graph",
    "functional",
    "forward_ad",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
]


def _tensors(x, name):
    from .._tensor import Tensor  # noqa: PLC0415 - ember._tensor imports this package

    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    from .. import _ops as O  # noqa: PLC0415
    from .._tensor import Tensor  # noqa: PLC0415

    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._requires_grad:
                if out._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not (out.dtype.is_floating_point or out.dtype.is_complex):
                    raise RuntimeError(
                        f"grad can be implicitly created only for real scalar outputs but got {out.dtype}"
                    )
                g = O.ones_like(out)
        elif isinstance(g, Tensor):
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape of "
                    f"{out.shape}."
                )
            if out.dtype.is_complex != g.dtype.is_complex:
                raise RuntimeError(
                    f"For complex Tensors, both grad_output and output are required to have the same dtype. "
                    f"Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and output[{i}] has a dtype of "
                    f"{out.dtype}."
                )
        else:
            g = O.full_like(out, g)
        grads.append(g)
    return grads


def _root_edges(outputs):
    from .._tensor import edge  # noqa: PLC0415

    roots = []
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(edge(out))
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Matches `torch.autograd.backward`."""
    outputs = _tensors(tensors, "tensors")
    if grad_tensors is None:
        grad_tensors = grad_variables
    gs = _tensors(grad_tensors, "grad_tensors") if grad_tensors is not None else [None] * len(outputs)
    if isinstance(grad_tensors, (int, float)):
        gs = [grad_tensors]
    if len(gs) != len(outputs):
        raise RuntimeError(f"got {len(gs)} tensors and {len(outputs)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, gs)
    roots = _root_edges(outputs)
    from .._tensor import edge  # noqa: PLC0415

    only = None
    if inputs is not None:
        ins = _tensors(inputs, "inputs")
        if not ins:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = set()
        capture = {}
        for t in ins:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            e = edge(t)
            if t._grad_fn is None:
                only.add(e[0])
            else:
                capture[e] = len(capture)
        if capture:
            # non-leaf inputs: accumulate the gradient that reaches them into their .grad
            keys = list(capture)
            res = run_backward(
                roots,
                grads,
                retain_graph,
                create_graph,
                capture=capture,
                accumulate=True,
                only=only | {k[0] for k in keys},
            )
            for t in ins:
                if t._grad_fn is not None:
                    g = res[capture[edge(t)]]
                    if g is not None:
                        t._grad = g.detach() if t._grad is None else t._grad + g
            return
    run_backward(roots, grads, retain_graph, create_graph, only=only)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Matches `torch.autograd.grad`."""
    from .. import _ops as O  # noqa: PLC0415
    from .._tensor import edge  # noqa: PLC0415

    outs = _tensors(outputs, "outputs")
    ins = _tensors(inputs, "inputs")
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True")
    gs = _tensors(grad_outputs, "grad_outputs") if grad_outputs is not None else [None] * len(outs)
    if len(gs) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(gs)} and {len(outs)}")
    if retain_graph is None:
        retain_graph = create_graph
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outs, gs)
    roots = _root_edges(outs)
    capture = {}
    slots = []
    for t in ins:
        e = edge(t)
        if e not in capture:
            capture[e] = len(capture)
        slots.append(capture[e])
    res = run_backward(roots, grads, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for t, s in zip(ins, slots):
        g = res[s]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. Set "
                    "allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = O.zeros_like(t)
        result.append(g)
    return tuple(result)
