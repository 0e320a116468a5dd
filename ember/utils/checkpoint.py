"""ember.utils.checkpoint (matches `torch.utils.checkpoint`): trade compute for memory.

Two variants, as in torch:

- reentrant (`use_reentrant=True`): a custom autograd Function runs the function under no_grad, keeps
  only its inputs, and in backward reruns it with grad enabled and calls `autograd.backward` on the
  recomputed outputs (a backward inside the backward).
- non-reentrant (`use_reentrant=False`): the function runs with grad enabled under
  `saved_tensors_hooks` whose pack hook keeps a small handle instead of the tensor. The first unpack
  in backward reruns the function (under hooks that collect every saved tensor, in order) and each
  handle then gets the tensor recomputed at its position.

Both restore the RNG state of the first forward before recomputing, so dropout masks match.
"""

import contextlib
import sys
import warnings

from ..autograd.function import Function

__all__ = [
    "checkpoint",
    "checkpoint_sequential",
    "CheckpointError",
    "CheckpointFunction",
    "check_backward_validity",
    "detach_variable",
    "noop_context_fn",
    "set_checkpoint_debug_enabled",
    "set_checkpoint_early_stop",
]

_DEFAULT_DETERMINISM_MODE = "default"
_checkpoint_debug_enabled = None

_DEBUG_TIP = """
Tip: To see a more detailed error message, either pass `debug=True` to
`torch.utils.checkpoint.checkpoint(...)` or wrap the code block
with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to
enable checkpoint‑debug mode globally.
"""


class CheckpointError(RuntimeError):
    """Raised when the recomputation does not reproduce the original forward (non-reentrant checkpoint)."""


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """Matches `torch.utils.checkpoint.set_checkpoint_debug_enabled`."""
    global _checkpoint_debug_enabled
    prev = _checkpoint_debug_enabled
    _checkpoint_debug_enabled = enabled
    try:
        yield
    finally:
        _checkpoint_debug_enabled = prev


@contextlib.contextmanager
def set_checkpoint_early_stop(enable):
    """Matches `torch.utils.checkpoint.set_checkpoint_early_stop` (ember always recomputes the whole function)."""
    yield


def _ember():
    import ember  # noqa: PLC0415 - ember imports ember.utils

    return ember


def detach_variable(inputs):
    """Matches `torch.utils.checkpoint.detach_variable`: detached tensors keeping requires_grad."""
    E = _ember()
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, E.Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs):
    """Matches `torch.utils.checkpoint.check_backward_validity`."""
    E = _ember()
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, E.Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)


def noop_context_fn():
    """The default context_fn: no extra context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def _checkpoint_valid():
    """False inside `autograd.grad` or `backward(inputs=...)` (torch's _is_checkpoint_valid)."""
    from ..autograd import engine  # noqa: PLC0415

    code = engine.run_backward.__code__
    f = sys._getframe(1)
    while f is not None:
        if f.f_code is code:
            loc = f.f_locals
            return bool(loc.get("accumulate", True)) and loc.get("only") is None
        f = f.f_back
    return True


# -- reentrant ----------------------------------------------------------------------------------


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward under no_grad, rerun with grad and backward again in backward."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        E = _ember()
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = E.get_rng_state()
        ctx.inputs = []
        ctx.tensor_indices = []
        tensors = []
        for i, a in enumerate(args):
            if isinstance(a, E.Tensor):
                tensors.append(a)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(a)
        ctx.save_for_backward(*tensors)
        with E.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        E = _ember()
        if not _checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an "
                "`inputs` parameter to .backward(). To resolve this error, you can either set "
                "use_reentrant=False, or call .backward() without passing the `inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with E.random.fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                E.set_rng_state(ctx.fwd_cpu_state)
            detached = detach_variable(tuple(inputs))
            with E.enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, E.Tensor):
            outputs = (outputs,)
        outs, gs = [], []
        for o, g in zip(outputs, grads):
            if isinstance(o, E.Tensor) and o.requires_grad:
                outs.append(o)
                gs.append(g)
        if not outs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        E.autograd.backward(outs, gs)
        return (None, None) + tuple(x.grad if isinstance(x, E.Tensor) else None for x in detached)


# -- non-reentrant ------------------------------------------------------------------------------


class _Handle:
    __slots__ = ("idx", "__weakref__")

    def __init__(self, idx):
        self.idx = idx


def _default_meta(x):
    return {"shape": x.shape, "dtype": x.dtype, "device": x.device}


_META_FNS = {_DEFAULT_DETERMINISM_MODE: _default_meta, "none": lambda _x: None}


class _Frame:
    """One checkpointed call: what is needed to recompute it and match the tensors saved the first time."""

    def __init__(self, fn, args, kwargs, preserve, rng_state, meta_fn, recompute_ctx_fn):
        E = _ember()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.preserve, self.rng_state = preserve, rng_state
        self.meta_fn = meta_fn
        self.recompute_ctx_fn = recompute_ctx_fn
        self.metas = []
        self.recomputed = {}
        self.versions = [(a, a._version) for a in args if isinstance(a, E.Tensor)]

    def pack(self, t):
        self.metas.append(self.meta_fn(t))
        return _Handle(len(self.metas) - 1)

    def unpack(self, h):
        try:
            return self.recomputed.pop(h.idx)
        except KeyError:
            pass
        self.recompute()
        return self.recomputed.pop(h.idx)

    def recompute(self):
        E = _ember()
        for a, v in self.versions:
            if a._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{a.type()} {list(a.shape)}] is at version {a._version}; expected version {v} "
                    "instead. (ember: an input of a checkpointed function was modified after the checkpointed "
                    "forward.)"
                )
        rec = []

        def rpack(t):
            rec.append(t.detach())
            return None

        def runpack(_):
            raise CheckpointError("torch.utils.checkpoint: a tensor saved during recomputation was unpacked.")

        recompute_ctx = self.recompute_ctx_fn()
        with E.random.fork_rng(enabled=self.preserve):
            if self.preserve:
                E.set_rng_state(self.rng_state)
            with E.enable_grad(), E.autograd.graph.saved_tensors_hooks(rpack, runpack), recompute_ctx:
                self.fn(*self.args, **self.kwargs)
        if len(rec) != len(self.metas):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward and "
                "recomputation.\n"
                f"Number of tensors saved during forward: {len(self.metas)}\n"
                f"Number of tensors saved during recomputation: {len(rec)}.\n"
                f"{_DEBUG_TIP}"
            )
        bad = ""
        for i, (m, t) in enumerate(zip(self.metas, rec)):
            r = self.meta_fn(t)
            if m != r:
                bad += f"tensor at position {i}:\nsaved metadata: {m}\nrecomputed metadata: {r}\n"
        if bad:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have different metadata than "
                f"during the forward pass.\n{bad}.\n{_DEBUG_TIP}"
            )
        self.recomputed = dict(enumerate(rec))


def _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check, debug, args, kwargs):
    E = _ember()
    debug_on = _checkpoint_debug_enabled if _checkpoint_debug_enabled is not None else debug
    if debug_on and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in _META_FNS:
        raise ValueError(f"determinism_check should be one of {list(_META_FNS)}, but got {determinism_check}")
    forward_ctx, recompute_ctx = context_fn()
    rng = E.get_rng_state() if preserve else None

    def recompute_ctx_fn():
        nonlocal recompute_ctx
        ctx = recompute_ctx
        if ctx is None:  # a second recomputation needs a fresh context (generator-based ones are single-use)
            ctx = context_fn()[1]
        recompute_ctx = None
        return ctx

    frame = _Frame(function, args, kwargs, preserve, rng, _META_FNS[determinism_check], recompute_ctx_fn)
    with E.autograd.graph.saved_tensors_hooks(frame.pack, frame.unpack), forward_ctx:
        return function(*args, **kwargs)


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=noop_context_fn,
    determinism_check=_DEFAULT_DETERMINISM_MODE,
    debug=False,
    early_stop=True,
    **kwargs,
):
    """Matches `torch.utils.checkpoint.checkpoint` (preserve_rng_state is taken from kwargs, default True)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch "
            "2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default behavior, you can pass "
            "use_reentrant=True. Refer to docs for more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check, debug, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Matches `torch.utils.checkpoint.checkpoint_sequential`: all segments but the last are checkpointed."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
            "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
            "use_reentrant=False is recommended, but if you need to preserve the current default behavior, you "
            "can pass use_reentrant=True. Refer to docs for more details on the differences between the two "
            "variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    E = _ember()
    if isinstance(functions, E.nn.Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
