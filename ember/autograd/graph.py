"""Graph nodes: Node (every backward function), AccumulateGrad, saved tensors with version checks."""

import itertools
import sys

__all__ = ["Node", "AccumulateGrad", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]

_getframe = sys._getframe


_ember_codes = set()  # code objects known to belong to ember (cached: one set lookup per frame)
_other_codes = set()


_hints = {}  # key (a Node class) -> stack depth at which its op's caller was last found
_known = {}  # (key, depth, last instruction) -> code, for user frames found by walking (a code object's
# hash is computed from its contents on every call: it is compared by identity instead)


def user_frame(depth=2, key=None):
    """(code, last instruction) of the innermost caller outside ember: where the user called the op.

    Kept as a code object and an offset, not a frame, so no locals are kept alive (`where_str` turns
    it into file:line). Walking the stack frame by frame makes CPython build a frame object for every
    ember frame on the way, which cost as much as a small op. With `key`, the frame at the depth found
    last time for that key is looked up directly (the user's frame object exists already, so this
    builds nothing); when that frame sits at the same instruction as a frame found there by walking
    for the same key, the walk's answer stands. (Only a call instruction that reaches ember through
    user functions on one pass and through an equally deep chain of ember functions on another, with
    the same node class at the end, can then be reported as the outer line.)"""
    if key is not None:
        d = _hints.get(key)
        if d is not None:
            try:
                f = _getframe(d)
            except ValueError:
                f = None
            if f is not None:
                code, lasti = f.f_code, f.f_lasti
                if _known.get((key, d, lasti)) is code:
                    return (code, lasti)
    f = _getframe(depth)
    d = depth
    while f is not None:
        code = f.f_code
        if code in _ember_codes:
            f = f.f_back
            d += 1
            continue
        if code not in _other_codes:
            if f.f_globals.get("__name__", "").startswith("ember"):
                _ember_codes.add(code)
                f = f.f_back
                d += 1
                continue
            _other_codes.add(code)
        if key is not None:
            _hints[key] = d
            _known[(key, d, f.f_lasti)] = code
        return (code, f.f_lasti)
    return None


def _line_of(code, lasti):
    for start, end, line in code.co_lines():
        if start <= lasti < end:
            return line
    return code.co_firstlineno


def where_str(w):
    if w is None:
        return "an unknown location"
    code, lasti = w
    return f"{code.co_filename}:{_line_of(code, lasti)} (in {code.co_name})"


class _Anomaly:
    __slots__ = ("enabled", "check_nan")

    def __init__(self):
        self.enabled = False
        self.check_nan = True


ANOMALY = _Anomaly()

_seq = itertools.count()
_next_seq = _seq.__next__


class _Freed(tuple):
    __slots__ = ()


_FREED = _Freed()  # Node._saved once the graph is freed (None: nothing was saved); empty, falsy, unique

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward."
)


def _type_desc(t):
    return f"[ember.{t.dtype._tname} [{', '.join(str(s) for s in t.shape)}]]"


def _record_stack(node):
    import traceback  # noqa: PLC0415 - anomaly mode only

    node._stack = traceback.extract_stack()[:-2]


_new = object.__new__


class _Version:
    """A version counter shared by a tensor and all its views (made by `_vc_of`).

    v: the version; where: (code, last instruction) of the last in-place write through ops, for messages."""

    __slots__ = ("v", "where")


def _vc_of(t):
    """t's version counter, created on first use."""
    vc = t._vc
    if vc is None:
        vc = t._vc = _new(_Version)
        vc.v = 0
        vc.where = None
    return vc


def new_node(cls):
    """cls() for a Node class that keeps Node's __init__, without the cost of calling a class.

    (Calling a class runs __init__ through a C slot wrapper: several times the cost of this function.)"""
    node = _new(cls)
    node.next_functions = ()
    node._in_meta = ()
    node._saved = None
    node._seq = _next_seq()
    node._where = user_frame(2, cls)
    if ANOMALY.enabled:
        _record_stack(node)
    return node


class Node:
    """A backward function in the graph (torch's `Node`); subclasses implement `backward(self, *grads)`.

    `next_functions` holds one `(node, output_nr)` edge per differentiable input; `_in_meta` holds the
    (shape, dtype) of each input, which the engine uses to sum broadcast gradients back to shape.
    """

    __slots__ = ("next_functions", "_in_meta", "_saved", "_seq", "_where", "__weakref__", "__dict__")

    # Rarely set: class-level defaults, stored per instance (in __dict__) only when used.
    _n_out = 1
    _hooked = False  # set when any hook (node, pre-, tensor, retain_grad) is registered: one engine check
    _pre_hooks = None
    _hooks = None
    _tensor_hooks = None
    _retain = None
    _stack = None

    def __init__(self):
        self.next_functions = ()
        self._in_meta = ()
        self._saved = None
        self._seq = _next_seq()
        self._where = user_frame(2, type(self))
        if ANOMALY.enabled:
            _record_stack(self)

    # -- public API -------------------------------------------------------------------------
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def metadata(self):
        try:
            return self._meta
        except AttributeError:
            self._meta = {}
            return self._meta

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooked = True
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._hooked = True
        self._pre_hooks.append(fn)
        return _RemovableHandle(self._pre_hooks, fn)

    def __call__(self, *grads):
        return self.backward(*grads)

    def backward(self, *grads):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    # -- saved tensors ----------------------------------------------------------------------
    def save(self, *tensors):
        """Save inputs (or outputs) for backward; their versions are checked when unpacked.

        An output of this node (call save after attaching) is kept without its grad_fn, so that the
        node and its output do not form a reference cycle; it is rebuilt when unpacked."""
        if _HOOKS:
            pack, unpack = _HOOKS[-1]
            self._saved = tuple(None if t is None else (_Packed(pack(t), unpack), 0) for t in tensors)
            return
        saved = []
        for t in tensors:
            if t is None:
                saved.append(None)
            else:
                vc = t._vc
                saved.append((_saved_output(t) if t._grad_fn is self else t, vc.v if vc is not None else 0))
        self._saved = tuple(saved)

    def save1(self, t):
        """save(t) for one tensor."""
        if _HOOKS:
            return self.save(t)
        vc = t._vc
        self._saved = ((_saved_output(t) if t._grad_fn is self else t, vc.v if vc is not None else 0),)

    def saved_data(self):
        """The saved tensors' arrays, version-checked: for backward formulas that compute on arrays."""
        s = self._saved
        if s is not None and len(s) == 1 and s[0] is not None:
            t, ver = s[0]
            tt = type(t)
            if tt is _SavedOutput:
                if t.vc.v == ver:
                    return (t.data,)
            elif tt is not _Packed:
                vc = t._vc
                if (vc.v if vc is not None else 0) == ver:
                    return (t._data,)
        return tuple(None if x is None else x._data for x in self.saved)

    @property
    def saved(self):
        s = self._saved
        if s is None:
            return ()
        if s is _FREED:
            raise RuntimeError(
                _FREED_MSG + f" (ember: {self.name()} was created by the op called at {where_str(self._where)})"
            )
        out = []
        for item in s:
            if item is None:
                out.append(None)
                continue
            t, ver = item
            if type(t) is _Packed:
                out.append(t.unpack())
                continue
            if type(t) is _SavedOutput:
                t = t.unpack(self)
            cur = t._vc.v if t._vc is not None else 0
            if cur != ver:
                fn = t._grad_fn
                where = f", which is output {t._output_nr} of {_op_name(fn)}," if fn is not None else ""
                written = getattr(t._vc, "where", None)
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: {_type_desc(t)}{where} is at version {cur}; expected version {ver} instead. "
                    "Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                    "with torch.autograd.set_detect_anomaly(True). "
                    f"(ember: it was saved by {self.name()} for the op called at {where_str(self._where)}"
                    + (f", and last modified in place at {where_str(written)})" if written else ")")
                )
            out.append(t)
        return out

    @property
    def _freed(self):
        return self._saved is _FREED

    def _release(self):
        if self._saved is not None:
            self._saved = _FREED
        self._release_extra()

    def _release_extra(self):
        pass


_HOOKS = []  # stack of (pack, unpack) from saved_tensors_hooks


class _Packed:
    __slots__ = ("obj", "fn")

    def __init__(self, obj, fn):
        self.obj, self.fn = obj, fn

    def unpack(self):
        return self.fn(self.obj)


class saved_tensors_hooks:
    """Matches `torch.autograd.graph.saved_tensors_hooks`: pack(tensor) when saved, unpack(obj) in backward."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        _HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _HOOKS.pop()
        return False


class disable_saved_tensors_hooks:
    """Matches `torch.autograd.graph.disable_saved_tensors_hooks`: saving under it raises."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        def refuse(_t):
            raise RuntimeError(self.error_message)

        _HOOKS.append((refuse, None))

    def __exit__(self, *exc):
        _HOOKS.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Matches `torch.autograd.graph.save_on_cpu`: saved tensors are kept on the CPU, moved back in backward."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(t):
            return (t.device, t.cpu())

        def unpack(packed):
            dev, t = packed
            return t.to(dev)

        super().__init__(pack, unpack)


class _SavedOutput:
    """An output saved by its own node, kept without its grad_fn (no reference cycle); made by _saved_output."""

    __slots__ = ("data", "vc", "nr", "cls")

    def unpack(self, node):
        from .._tensor import make  # noqa: PLC0415

        t = make(self.data)
        t._vc = self.vc
        t._grad_fn = node
        t._requires_grad = True
        t._output_nr = self.nr
        return t


def _saved_output(t):
    so = _new(_SavedOutput)
    so.data, so.vc, so.nr, so.cls = t._data, _vc_of(t), t._output_nr, t.__class__
    return so


class _RemovableHandle:
    __slots__ = ("_list", "_fn")

    def __init__(self, lst, fn):
        self._list = lst
        self._fn = fn

    def remove(self):
        try:
            self._list.remove(self._fn)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """Sink node of a leaf tensor: adds the incoming gradient into `variable.grad`."""

    def __init__(self, variable):
        Node.__init__(self)
        self.variable = variable
        self._in_meta = ((variable._data.shape, variable._data.dtype),)

    def backward(self, g):
        raise RuntimeError("AccumulateGrad is applied by the engine")


def _op_name(fn):
    """'AddBackward0' -> 'Add', as torch names the op in version-counter errors."""
    name = fn.name()
    i = name.rfind("Backward")
    return name[:i] if i > 0 else name


from ._print_graph import format_graph, print_graph  # noqa: E402, F401 - lazy inside
