"""vmap: BatchedTensor, dispatch to batching rules, the per-example fallback loop, and vmap itself.

A BatchedTensor of level L wraps a `_value` whose dim 0 is L's batch dim; its logical shape is
`_value.shape[1:]`. `_value` may itself be a BatchedTensor of a lower (outer) level, so the physical
array of a tensor batched at levels 1..L has those batch dims in front, outermost first.

Ops reach the rules in two ways: every Tensor method is overridden on BatchedTensor, and while a vmap
is active the public functions of ember, ember.nn.functional, ember.special, ember.linalg and ember.fft
are replaced by thin wrappers that divert calls with a BatchedTensor argument. A rule (see
_batching_rules.py) works on the values of the innermost level's BatchedTensors and calls ops again
through `call`, so outer levels are handled by recursion. Ops without a rule run once per batch
element (with torch's "performance drop" warning) and the results are stacked.
"""

import functools
import types
import warnings

from .. import _device_guard
from .._tensor import Size, Tensor
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap", "BatchedTensor", "is_batchedtensor"]


class _Level:
    __slots__ = ("id", "size", "randomness")

    def __init__(self, id, size, randomness):
        self.id, self.size, self.randomness = id, size, randomness


LEVELS = []  # active vmap levels, outermost first; a level's id is its 1-based depth
RULES = {}  # op name -> rule(level, orig, name, args, kwargs); may return NotImplemented to fall back
RANDOM_OPS = {}  # op name -> handler(level, orig, name, args, kwargs) for random ops
ORIG = {}  # public name -> the original (unpatched) function


def _data_error(self):
    import sys  # noqa: PLC0415

    f = sys._getframe(1)
    raise RuntimeError(
        f"ember.func.vmap: {f.f_code.co_name}() received a BatchedTensor it cannot see through. Call the op as a "
        "Tensor method or through ember.<name> / ember.nn.functional.<name> inside vmap, or move it out of vmap."
    )


_ITEM_MSG = (
    "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over calling .item() on a "
    "Tensor, please try to rewrite what you're doing with other operations. If error is occurring somewhere inside "
    "PyTorch internals, please file a bug report."
)
_CONTROL_MSG = (
    "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. We don't support "
    "that yet, please shout over at https://github.com/pytorch/functorch/issues/257 ."
)
INPLACE_MSG = (
    "vmap: {name}(self, *extra_args) is not possible because there exists a Tensor `other` in extra_args that has "
    "more elements than `self`. This happened due to `other` being vmapped over but `self` not being vmapped over in "
    "a vmap. Please try to use out-of-place operators instead of {name}. If said operator is being called inside the "
    "PyTorch framework, please file a bug report instead."
)


def _raise(msg, exc=RuntimeError):
    def f(self, *a, **k):
        raise exc(msg)

    return f


class BatchedTensor(Tensor):
    """A tensor with a hidden batch dim (dim 0 of `_value`) belonging to vmap level `_level`."""

    __slots__ = ("_value", "_level")

    _data = property(_data_error)
    __hash__ = Tensor.__hash__

    @property
    def shape(self):
        return Size(self._value.shape[1:])

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def device(self):
        return self._value.device

    @property
    def ndim(self):
        return len(self._value.shape) - 1

    @property
    def is_cuda(self):
        return self._value.is_cuda

    @property
    def is_cpu(self):
        return self._value.is_cpu

    @property
    def itemsize(self):
        return self._value.itemsize

    @property
    def nbytes(self):
        return self.numel() * self._value.itemsize

    @property
    def requires_grad(self):
        return self._value.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self._value.requires_grad_(flag)

    @property
    def grad_fn(self):
        return self._value.grad_fn

    @property
    def is_leaf(self):
        return self._value.is_leaf

    @property
    def grad(self):
        return None

    @property
    def _version(self):
        return self._value._version

    @property
    def data(self):
        return wrap(self._value.data, self._level)

    def requires_grad_(self, requires_grad=True):
        self._value.requires_grad_(requires_grad)
        return self

    def size(self, dim=None):
        s = self._value.shape[1:]
        if dim is None:
            return Size(s)
        n = len(s)
        m = n if n else 1
        if not -m <= dim < m:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], but got {dim})")
        return s[dim]

    def dim(self):
        return len(self._value.shape) - 1

    ndimension = dim

    def numel(self):
        n = 1
        for s in self._value.shape[1:]:
            n *= s
        return n

    nelement = numel

    def element_size(self):
        return self._value.element_size()

    def __len__(self):
        s = self._value.shape
        if len(s) == 1:
            raise TypeError("len() of a 0-d tensor")
        return s[1]

    def __repr__(self, *, tensor_contents=None):
        return f"BatchedTensor(lvl={self._level}, bdim=0, value=\n{self._value!r}\n)"

    def __format__(self, spec):
        return format(repr(self), spec)

    def __deepcopy__(self, memo):
        return self.clone()

    def __reduce_ex__(self, proto):
        raise RuntimeError("ember.func.vmap: cannot pickle a BatchedTensor")

    def stride(self, dim=None):
        st = self._value.stride()[1:]
        return st if dim is None else st[dim]

    def is_contiguous(self, memory_format=None):
        return True

    item = _raise(_ITEM_MSG)
    tolist = _raise(_ITEM_MSG)
    __bool__ = _raise(_CONTROL_MSG)
    __int__ = _raise(_ITEM_MSG)
    __float__ = _raise(_ITEM_MSG)
    __complex__ = _raise(_ITEM_MSG)
    __index__ = _raise(_ITEM_MSG)
    numpy = _raise("vmap: cannot call numpy() on a BatchedTensor")
    __array__ = _raise("vmap: cannot convert a BatchedTensor to a NumPy array")
    backward = _raise(
        "vmap: backward() called on a BatchedTensor inside vmap; use ember.func.grad / vjp inside vmap instead"
    )
    data_ptr = _raise("vmap: data_ptr() is not supported on a BatchedTensor")


def is_batchedtensor(t):
    return type(t) is BatchedTensor


def wrap(value, level):
    t = object.__new__(BatchedTensor)
    t._requires_grad = False
    t._grad_fn = None
    t._grad = None
    t._vc = None
    t._base = None
    t._output_nr = 0
    t._x = None
    t._value = value
    t._level = level
    return t


# -- method overrides ----------------------------------------------------------------------------

_KEEP = {
    "__new__",
    "__init__",
    "__hash__",
    "__init_subclass__",
    "__subclasshook__",
    "__class__",
    "__getattribute__",
    "__setattr__",
    "__delattr__",
    "__dir__",
    "__sizeof__",
    "__reduce__",
    "__getstate__",
    "__setstate__",
    "__iter__",
    "is_floating_point",
    "is_complex",
    "is_signed",
    "type",
    "get_device",
    "_retains",
    "register_hook",
    "retain_grad",
    "register_post_accumulate_grad_hook",
    "storage_offset",
    "untyped_storage",
    "detach_",
}
_PROPS = ("T", "mT", "H", "mH", "real", "imag")
_installed = [0]


def _make_method(name, orig):
    def m(*args, **kwargs):
        return dispatch(name, orig, args, kwargs)

    m.__name__ = name
    m.__qualname__ = "BatchedTensor." + name
    return m


def _make_prop(name, fget):
    def g(self):
        return dispatch(name, fget, (self,), {})

    return property(g)


def _install_methods():
    """Override every op method of Tensor on BatchedTensor (again when ops were bound since last time)."""
    n = len(Tensor.__dict__)
    if _installed[0] == n:
        return
    own = _OWN
    for name, v in list(Tensor.__dict__.items()):
        if name in own or name in _KEEP:
            continue
        if name in _PROPS and isinstance(v, property):
            setattr(BatchedTensor, name, _make_prop(name, v.fget))
        elif isinstance(v, (types.FunctionType, types.BuiltinFunctionType)) or (
            callable(v) and not isinstance(v, (type, property, staticmethod, classmethod))
        ):
            setattr(BatchedTensor, name, _make_method(name, v))
    _installed[0] = n


_OWN = set(BatchedTensor.__dict__)


# -- patching public functions -------------------------------------------------------------------

_PASSTHROUGH = {
    "is_tensor",
    "is_floating_point",
    "is_complex",
    "numel",
    "is_storage",
    "typename",
    "is_grad_enabled",
    "vmap",
    "result_type",
}
_patched = []


def _has_bt(args, kwargs):
    for a in args:
        t = type(a)
        if t is BatchedTensor:
            return True
        if (t is list or t is tuple) and a and any(type(e) is BatchedTensor for e in a):
            return True
    if kwargs:
        for a in kwargs.values():
            t = type(a)
            if t is BatchedTensor:
                return True
            if (t is list or t is tuple) and a and any(type(e) is BatchedTensor for e in a):
                return True
    return False


def _make_wrapper(name, orig):
    rnd = name in RANDOM_OPS

    def w(*args, **kwargs):
        if _has_bt(args, kwargs):
            return dispatch(name, orig, args, kwargs)
        if rnd and LEVELS:
            return RANDOM_OPS[name](None, orig, name, args, kwargs)
        return orig(*args, **kwargs)

    w.__name__ = getattr(orig, "__name__", name)
    w.__doc__ = getattr(orig, "__doc__", None)
    w.__wrapped__ = orig
    return w


def _modules():
    import ember  # noqa: PLC0415
    from ember import fft, linalg, special  # noqa: PLC0415
    from ember.nn import functional  # noqa: PLC0415

    return (ember, functional, special, linalg, fft)


def _module_classes():
    from ember.nn import Module  # noqa: PLC0415

    out, stack = [], [Module]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.__subclasses__())
    return out


def _is_fn(v):
    return isinstance(v, (types.FunctionType, types.BuiltinFunctionType))


def _build_patch_list():
    """(owner, attribute, original, wrapper) for every public function to divert while vmap runs: the
    public namespaces, module-level imports of those functions inside ember.nn, and layers that keep
    their functional op as a class attribute (`_fn = staticmethod(F.tanh)`)."""
    import sys  # noqa: PLC0415

    entries = []
    by_id = {}
    mains = _modules()
    for mod in mains:
        for name, v in list(vars(mod).items()):
            if name.startswith("_") or name in _PASSTHROUGH or not _is_fn(v):
                continue
            w = by_id.get(id(v))
            if w is None:
                w = by_id[id(v)] = _make_wrapper(name, v)
            entries.append((mod, name, v, w))
            if mod.__name__ == "ember" or name not in ORIG:
                ORIG[name] = v
    main_ids = {id(m) for m in mains}
    for mname, mod in list(sys.modules.items()):
        if mod is None or id(mod) in main_ids or not mname.startswith("ember.nn."):
            continue
        for name, v in list(vars(mod).items()):
            if id(v) in by_id and _is_fn(v):
                entries.append((mod, name, v, by_id[id(v)]))
    for cls in _module_classes():
        sm = cls.__dict__.get("_fn")
        if isinstance(sm, staticmethod) and isinstance(sm.__func__, types.FunctionType):
            fn = sm.__func__
            entries.append((cls, "_fn", sm, staticmethod(_make_wrapper(fn.__name__, fn))))
    return entries


_PATCH_LIST = [None, None]  # (key, (per-module {name: wrapper}, {name: original}), class attributes)


def _grouped(entries):
    mods = {}
    classes = []
    for owner, name, orig, w in entries:
        if isinstance(owner, type):
            classes.append((owner, name, orig, w))
        else:
            ent = mods.setdefault(id(owner), (owner, {}, {}))
            ent[1][name] = w
            ent[2][name] = orig
    return list(mods.values()), classes


def _patch():
    import sys  # noqa: PLC0415

    _install_methods()
    key = (len(sys.modules), len(vars(_modules()[0])))
    if _PATCH_LIST[0] != key:
        _PATCH_LIST[1] = _grouped(_build_patch_list())
        _PATCH_LIST[0] = key
    mods, classes = _PATCH_LIST[1]
    for mod, wrappers, _origs in mods:
        vars(mod).update(wrappers)
    for owner, name, _orig, w in classes:
        setattr(owner, name, w)
    _patched.append(True)


def _unpatch():
    if _patched:
        _patched.clear()
        mods, classes = _PATCH_LIST[1]
        for mod, _wrappers, origs in mods:
            vars(mod).update(origs)
        for owner, name, orig, _w in classes:
            setattr(owner, name, orig)


def _ensure_orig():
    if not ORIG:
        for mod in _modules():
            for name, v in vars(mod).items():
                if not name.startswith("_") and _is_fn(v):
                    if mod.__name__ == "ember" or name not in ORIG:
                        ORIG[name] = getattr(v, "__wrapped__", v)


def push_level(size, randomness):
    if not LEVELS:
        from . import _batching_rules  # noqa: F401, PLC0415 - registers RULES

        _ensure_orig()
        _patch()
    lvl = _Level(len(LEVELS) + 1, size, randomness)
    LEVELS.append(lvl)
    return lvl


def pop_level():
    LEVELS.pop()
    if not LEVELS:
        _unpatch()


# -- dispatch ------------------------------------------------------------------------------------


def max_level(args, kwargs):
    lvl = 0
    for a in args:
        t = type(a)
        if t is BatchedTensor:
            if a._level > lvl:
                lvl = a._level
        elif t is list or t is tuple:
            for e in a:
                if type(e) is BatchedTensor and e._level > lvl:
                    lvl = e._level
    if kwargs:
        for a in kwargs.values():
            if type(a) is BatchedTensor and a._level > lvl:
                lvl = a._level
            elif type(a) in (list, tuple):
                for e in a:
                    if type(e) is BatchedTensor and e._level > lvl:
                        lvl = e._level
    return lvl


def dispatch(name, orig, args, kwargs):
    """Run op `name` (original callable `orig`) on args that may hold BatchedTensors."""
    lvl = max_level(args, kwargs)
    if not lvl:
        return orig(*args, **kwargs)
    if name in RANDOM_OPS:
        return RANDOM_OPS[name](lvl, orig, name, args, kwargs)
    rule = RULES.get(name)
    if rule is not None:
        r = rule(lvl, orig, name, args, kwargs)
        if r is not NotImplemented:
            return r
    return fallback(lvl, orig, name, args, kwargs)


def call(name, *args, **kwargs):
    """Call public op `name` (ember.<name> or a Tensor method) through dispatch."""
    orig = ORIG.get(name)
    if orig is None:
        orig = getattr(Tensor, name)
    return dispatch(name, orig, args, kwargs)


def level_size(lvl):
    return LEVELS[lvl - 1].size


def is_inplace(name):
    if name.startswith("__"):
        return name.startswith("__i") and name not in ("__invert__", "__index__", "__int__", "__iter__", "__init__")
    return name.endswith("_")


def _slice_arg(a, lvl, b):
    t = type(a)
    if t is BatchedTensor and a._level == lvl:
        return call("select", a._value, 0, b)
    if t is list or t is tuple:
        return t(_slice_arg(e, lvl, b) for e in a)
    return a


def fallback(lvl, orig, name, args, kwargs, warn=True):
    """Run the op once per element of level `lvl`'s batch and stack the results."""
    if warn:
        warnings.warn(
            f"There is a performance drop because we have not yet implemented the batching rule for {name}. "
            "Please file us an issue on GitHub so that we can prioritize its implementation.",
            UserWarning,
            stacklevel=3,
        )
    inplace = is_inplace(name) or name == "__setitem__"
    if inplace:
        a0 = args[0]
        if not (type(a0) is BatchedTensor and a0._level == lvl):
            raise RuntimeError(INPLACE_MSG.format(name=name))
    B = level_size(lvl)
    if B == 0:
        raise RuntimeError(f"vmap: the fallback for {name} cannot run over a batch of size 0")
    results = []
    for b in range(B):
        ab = tuple(_slice_arg(a, lvl, b) for a in args)
        kb = {k: _slice_arg(v, lvl, b) for k, v in kwargs.items()} if kwargs else {}
        results.append(dispatch(name, orig, ab, kb))
    if inplace:
        return args[0]
    return stack_results(results, lvl)


def stack_results(results, lvl):
    r0 = results[0]
    if isinstance(r0, Tensor):
        return wrap(call("stack", list(results)), lvl)
    if isinstance(r0, (tuple, list)):
        parts = [stack_results([r[i] for r in results], lvl) for i in range(len(r0))]
        if hasattr(type(r0), "_fields"):
            return type(r0)(*parts)
        return type(r0)(parts)
    if all(r == r0 for r in results[1:]):
        return r0
    raise RuntimeError(_ITEM_MSG)


# -- moving between logical and physical views (used by the function transforms) --------------------


def active_level_ids():
    return [lv.id for lv in LEVELS]


def to_physical(t, levels):
    """The plain tensor holding `t` with a batch dim for each level in `levels` (ascending ids) in front;
    levels `t` is not batched over are expanded."""
    chain = []
    while type(t) is BatchedTensor:
        chain.append(t._level)
        t = t._value
    present = sorted(chain)
    for i, lid in enumerate(levels):
        if i < len(present) and present[i] == lid:
            continue
        t = t.unsqueeze(i)
        shape = list(t.shape)
        shape[i] = LEVELS[lid - 1].size
        t = t.expand(shape)
        present.insert(i, lid)
    return t


def from_physical(p, levels):
    for lid in levels:
        p = wrap(p, lid)
    return p


# -- vmap ----------------------------------------------------------------------------------------


def _name(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Matches `torch.func.vmap`."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        name = _name(func)
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a (potentially "
                f"nested) tuple matching the structure of inputs, got: {type(in_dims)}."
            )
        if len(args) == 0:
            raise ValueError(
                f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying to vmap "
                "over a function with no inputs. The latter is unsupported."
            )
        flat_args, spec = tree_flatten(args)
        flat_in = broadcast_prefix(in_dims, args)
        if flat_in is None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure of "
                f"`inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has structure {spec}."
            )
        sizes = []
        for i, (a, d) in enumerate(zip(flat_args, flat_in)):
            if d is None:
                continue
            if not isinstance(d, int) or isinstance(d, bool):
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but in_dim must "
                    "be either an integer dimension or None."
                )
            if not isinstance(a, Tensor):
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the input is "
                    f"of type {type(a)}. We cannot vmap over non-Tensor arguments, please use None as the respective "
                    "in_dim"
                )
            n = a.dim()
            if not -n <= d < n:
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but that input "
                    f"is a Tensor of dimensionality {n} so expected in_dim to satisfy -{n} <= in_dim < {n}."
                )
            flat_in[i] = d % n
            sizes.append(a.size(d))
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                f"{sizes} for the mapped dimension"
            )
        B = sizes[0]
        if chunk_size is None or chunk_size >= B:
            return _run(func, flat_args, flat_in, spec, B, out_dims, kwargs, randomness)
        outs = []
        specs = None
        for start in range(0, B, chunk_size):
            n = min(chunk_size, B - start)
            chunk = [a if d is None else a.narrow(d, start, n) for a, d in zip(flat_args, flat_in)]
            out = _run(func, chunk, flat_in, spec, n, out_dims, kwargs, randomness)
            leaves, specs = tree_flatten(out)
            outs.append(leaves)
        flat_od = _flat_out_dims(out_dims, tree_unflatten(outs[0], specs), func)
        res = []
        for i, od in enumerate(flat_od):
            parts = [o[i] for o in outs]
            res.append(parts[0] if od is None else _cat(parts, od))
        return tree_unflatten(res, specs)

    return _device_guard.entry_point(wrapped)


def _cat(parts, od):
    import ember  # noqa: PLC0415

    return ember.cat(parts, dim=od)


def _flat_out_dims(out_dims, outputs, func):
    name = _name(func)
    if isinstance(outputs, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        flat = None
    else:
        flat = broadcast_prefix(out_dims, outputs)
    if flat is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the structure of "
            f"`outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has structure "
            f"{tree_flatten(outputs)[1]}."
        )
    for od in flat:
        if od is not None and (not isinstance(od, int) or isinstance(od, bool)):
            raise ValueError(
                f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python collection of "
                f"ints representing where in the outputs the vmapped dimension should appear."
            )
    return flat


def _run(func, flat_args, flat_in, spec, B, out_dims, kwargs, randomness):
    lvl = push_level(B, randomness)
    try:
        batched = [
            a if d is None else wrap(a if d == 0 else call("movedim", a, d, 0), lvl.id)
            for a, d in zip(flat_args, flat_in)
        ]
        out = func(*tree_unflatten(batched, spec), **kwargs)
        flat_out, ospec = tree_flatten(out)
        flat_od = _flat_out_dims(out_dims, out, func)
        res = [_unbatch(o, od, lvl, B, func) for o, od in zip(flat_out, flat_od)]
        return tree_unflatten(res, ospec)
    finally:
        pop_level()


def _unbatch(o, od, lvl, B, func):
    name = _name(func)
    if od is None:
        if type(o) is BatchedTensor and o._level == lvl.id:
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
        return o
    if not isinstance(o, Tensor):
        raise ValueError(
            f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(o)}. Did you mean to set "
            "out_dims= to None for output?"
        )
    if type(o) is BatchedTensor and o._level == lvl.id:
        v = o._value
        n = len(v.shape)
        if not -n <= od < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {od})")
        od %= n
        return v if od == 0 else call("movedim", v, 0, od)
    n = o.dim() + 1
    if not -n <= od < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {od})")
    od %= n
    v = call("unsqueeze", o, od)
    shape = list(v.shape)
    shape[od] = B
    return call("expand", v, shape)
