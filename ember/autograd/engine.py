"""The backward engine: dependency counting over next_functions, then a ready queue ordered by creation.

Nodes run latest-created first (torch's sequence-number order), so the order of hook calls and
of gradient accumulation is deterministic.
"""

import heapq
import sys

from .. import _device_guard
from .grad_mode import GRAD
from .graph import ANOMALY, AccumulateGrad, where_str


def _sum_to(g, shape, node, i):
    """Reduce a broadcast gradient to `shape` (torch's validate_outputs)."""
    from .. import _ops  # noqa: PLC0415 - engine sits below the op layer

    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        if g.numel() == 0 or all(s == 1 for s in shape[: -len(gshape) or None]):
            return _ops.reshape(g, shape)
        lead = 0
    dims = list(range(lead))
    for k, s in enumerate(shape):
        gs = gshape[lead + k]
        if s == gs:
            continue
        if s == 1:
            dims.append(lead + k)
        else:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"[{', '.join(map(str, gshape))}] but expected shape compatible with [{', '.join(map(str, shape))}]"
                f" (ember: {node.name()} belongs to the op called at {where_str(node._where)})"
            )
    if dims:
        g = _ops.sum(g, dims, keepdim=True)
    if g._data.shape != shape:
        g = _ops.reshape(g, shape)
    return g


def _collect(roots):
    """Dependency counts of every node reachable from `roots` (iterative DFS: graphs can be deep).

    The dict's keys are also the reachable set: roots enter it with a count of 0 so they are expanded once."""
    stack = list(dict.fromkeys(n for n in roots if n is not None))  # one node may root several outputs
    deps = dict.fromkeys(stack, 0)
    get, push = deps.get, stack.append
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is None:
                continue
            c = get(nxt)
            if c is None:
                deps[nxt] = 1
                push(nxt)
            else:
                deps[nxt] = c + 1
    return deps


def _needed(seen, targets):
    """Nodes from which some target is reachable (only those run when autograd.grad names inputs)."""
    needed = set(targets)
    changed = True
    # fixed point over the (finite) reachable set; ordered by sequence so one pass usually suffices
    order = sorted(seen, key=lambda n: n._seq)
    while changed:
        changed = False
        for n in order:
            if n in needed:
                continue
            for nxt, _ in n.next_functions:
                if nxt is not None and nxt in needed:
                    needed.add(n)
                    changed = True
                    break
    return needed


def run_backward(roots, grads, retain_graph, create_graph, capture=None, accumulate=True, only=None):
    """Propagate `grads` from root edges `roots` [(node, output_nr)].

    capture: {(node, output_nr): slot} — gradients arriving there are stored into the returned list
    instead of (or, for AccumulateGrad, as well as) running the node. accumulate=False stops at captured
    edges and never touches `.grad`. `only`: a set of AccumulateGrad nodes allowed to accumulate.
    """
    from .._tensor import Tensor  # noqa: PLC0415 - the engine sits below the tensor layer

    root_nodes = [n for n, _ in roots]
    deps = _collect(root_nodes)
    results = [None] * (len(capture) if capture else 0)
    needed = None
    if capture is not None and not accumulate:
        needed = _needed(deps, [n for n, _ in capture])
    elif only is not None:
        needed = _needed(deps, only)

    buffers = {}
    for (node, nr), g in zip(roots, grads):
        if node is None:
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_out
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    heap = []
    heappush, heappop = heapq.heappush, heapq.heappop
    for node in buffers:
        if deps.get(node, 0) == 0:
            heappush(heap, (-node._seq, node))  # sequence numbers are unique: nodes never get compared

    prev = GRAD.enabled
    GRAD.enabled = create_graph
    Acc = AccumulateGrad
    check_nan = ANOMALY.enabled and ANOMALY.check_nan
    guard = _device_guard.ACTIVE  # more than one GPU in use: run each node on its gradients' device
    start = cur = _device_guard.current() if guard else -1
    node = heappop(heap)[1] if heap else None
    try:
        while node is not None:
            grads_in = buffers.pop(node)
            if needed is not None and node not in needed:
                node = heappop(heap)[1] if heap else None
                continue
            if guard:
                for g0 in grads_in:
                    if g0 is not None:
                        cur = _device_guard.follow(g0._data, cur)
                        break
                g0 = None  # no extra reference: _accumulate may take over an unshared gradient
            if node._hooked:
                _tensor_hooks(node, grads_in)
            if capture is not None:
                for nr in range(node._n_out):
                    slot = capture.get((node, nr))
                    if slot is not None and grads_in[nr] is not None:
                        results[slot] = grads_in[nr] if results[slot] is None else results[slot] + grads_in[nr]
                if not accumulate and type(node) is Acc:
                    node = heappop(heap)[1] if heap else None
                    continue
            if node.__class__ is Acc:
                if only is None or node in only:
                    _accumulate(node, grads_in[0], create_graph)
                node = heappop(heap)[1] if heap else None
                continue
            if node._hooked:
                outs = _hooked_backward(node, grads_in)
            else:
                outs = node.backward(*grads_in)
                if outs.__class__ is not tuple:
                    outs = (outs,)
            if check_nan:
                _check_nan(node, outs)
            if not retain_graph:
                node._release()
            nf = node.next_functions
            if len(outs) != len(nf):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients (expected {len(nf)}, "
                    f"got {len(outs)})"
                )
            meta = node._in_meta
            ready = None  # a node this one made ready: run next without the heap when it is the only one
            i = -1
            for nxt, nr in nf:
                i += 1
                if nxt is None:
                    continue
                g = outs[i]
                if g is not None:
                    if g.__class__ is not Tensor and not isinstance(g, Tensor):
                        raise TypeError(
                            f"{node.name()}: expected a Tensor gradient at index {i}, got {type(g).__name__}"
                        )
                    gd = g._data
                    shape, dt = meta[i]
                    if gd.shape != shape:
                        g = _sum_to(g, shape, node, i)
                    if gd.dtype is not dt and gd.dtype != dt:
                        if gd.dtype.kind == "c" and dt.kind != "c":
                            g = g.real  # a real input takes the real part of a complex gradient
                        if g._data.dtype != dt:
                            g = g.to(_dtype_of(dt))
                    buf = buffers.get(nxt)
                    if buf is None:
                        if nxt._n_out == 1:
                            buffers[nxt] = [g]
                        else:
                            buf = buffers[nxt] = [None] * nxt._n_out
                            buf[nr] = g
                    else:
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0 and nxt in buffers:
                    if ready is None:
                        ready = nxt
                    else:
                        heappush(heap, (-nxt._seq, nxt))
            outs = g = gd = None  # the buffers hold the gradients now (so _accumulate can tell they are unshared)
            if heap:
                if ready is not None:
                    heappush(heap, (-ready._seq, ready))
                node = heappop(heap)[1]
            else:
                node = ready
    finally:
        GRAD.enabled = prev
        if guard:
            _device_guard.restore(start, cur)
    return results


def _hooked_backward(node, grads_in):
    """node.backward with the pre-hooks and hooks registered on it."""
    if node._pre_hooks:
        for h in node._pre_hooks:
            r = h(tuple(grads_in))
            if r is not None:
                grads_in = list(r)
    outs = node.backward(*grads_in)
    if outs.__class__ is not tuple:
        outs = (outs,)
    if node._hooks:
        for h in node._hooks:
            r = h(outs, tuple(grads_in))
            if r is not None:
                outs = tuple(r)
    return outs


def _tensor_hooks(node, grads_in):
    """Hooks registered on a non-leaf tensor (register_hook), then retain_grad, for node's outputs."""
    th = node._tensor_hooks
    if th is not None:
        for nr, hooks in th.items():
            g = grads_in[nr]
            if g is None:
                continue
            for h in list(hooks):
                r = h(g)
                if r is not None:
                    g = r
            grads_in[nr] = g
    if node._retain is not None:
        for nr, ref in node._retain.items():
            t = ref()
            g = grads_in[nr]
            if t is not None and g is not None:
                t._grad = g.detach() if t._grad is None else t._grad + g


def _check_nan(node, outs):
    """Anomaly mode: a NaN in a node's gradients raises, with the forward traceback of that node."""
    import numpy as np  # noqa: PLC0415

    for i, g in enumerate(outs):
        if g is None:
            continue
        d = g._data
        if d.dtype.kind in "fc" and bool(np.isnan(np.asarray(d) if type(d) is np.ndarray else d.get()).any()):
            import warnings  # noqa: PLC0415

            if node._stack:
                import traceback  # noqa: PLC0415

                warnings.warn(
                    "Error detected in "
                    + node.name()
                    + ". Traceback of forward call that caused the error:\n"
                    + "".join(traceback.format_list(node._stack)),
                    UserWarning,
                    stacklevel=2,
                )
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output. "
                f"(ember: the forward op was called at {where_str(node._where)})"
            )


def _dtype_of(np_dtype):
    from .._dtype import FROM_NP  # noqa: PLC0415

    return FROM_NP[np_dtype]


def _accumulate(node, g, create_graph):
    var = node.variable
    if g is None:
        return
    hooks = var._hooks
    if hooks:
        for h in list(hooks):
            r = h(g)
            if r is not None:
                g = r
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = g
        elif (
            sys.getrefcount(g) <= 3  # held only here: the engine's buffer list, this frame, getrefcount's argument
            and sys.getrefcount(g._data) <= 2  # the buffer held only by g (no view of it, no other tensor)
            and g._data.base is None
            and g._data.flags.c_contiguous
        ):
            # nothing else can see this gradient's buffer, so .grad takes it instead of a copy (torch steals an
            # unshared gradient the same way); later gradients are added into it in place
            var._grad = g.detach()
        else:
            # a gradient may be shared by several leaves (AddBackward passes one tensor to both inputs), kept by
            # a hook or by retain_grad, or be a view: .grad gets its own buffer
            var._grad = g.detach().clone()
    elif create_graph or GRAD.enabled:
        var._grad = old + g
    else:
        old._data += g._data if old._data.shape == g._data.shape else g._data
    post = var._post_hooks
    if post:
        for h in list(post):
            h(var)
