"""The Tensor: an array (NumPy or CuPy) plus autograd state. No math here: ops bind their methods
onto Tensor from ember/_ops (see ARCHITECTURE.md)."""

import weakref

import numpy as np

from . import _dtype as D
from ._backend import contiguous_strides, device_of
from .autograd.graph import AccumulateGrad, _vc_of  # noqa: F401 - _vc_of is imported from here by other modules

_new = object.__new__


def _refresh_view(view):
    """Regenerate a view's grad_fn after in-place writes; replaced by ember._ops._core at import
    (this module sits below the op layer, so it cannot import it)."""
    raise RuntimeError("ember._ops is not imported")


class Tensor:
    """Matches `torch.Tensor`."""

    __slots__ = (
        "_data",  # np.ndarray / cupy.ndarray; views hold an array view of their base's array
        "_requires_grad",
        "_grad_fn",
        "_grad",
        "_vc",  # _Version, created on first need (saving, in-place write, view)
        "_base",  # root base tensor for views, else None
        "_output_nr",
        "_x",  # rarely-used state (_Extra) or None
        "__weakref__",
    )

    def __new__(cls, *args, device=None, dtype=None):
        from ._ops.creation import _legacy_new  # noqa: PLC0415 - constructor path, not an op hot path

        data = _legacy_new(args, device, dtype)
        t = _new(cls)
        _init(t, data)
        return t

    def __init__(self, *args, **kwargs):
        pass

    # -- basic metadata ---------------------------------------------------------------------
    @property
    def dtype(self):
        return D.FROM_NP[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def device(self):
        return device_of(self._data)

    @property
    def is_cuda(self):
        return type(self._data) is not np.ndarray

    @property
    def is_cpu(self):
        return type(self._data) is np.ndarray

    is_meta = False
    is_sparse = False
    is_quantized = False
    is_mkldnn = False
    layout = "strided"

    def get_device(self):
        return -1 if type(self._data) is np.ndarray else self._data.device.id

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        d = self._data
        if d.size == 0:  # NumPy leaves strides of empty arrays arbitrary; torch uses contiguous ones
            st = contiguous_strides(d.shape)
        else:
            isz = d.itemsize
            st = tuple(s // isz for s in d.strides)
        if dim is None:
            return st
        return st[_wrap_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def storage_offset(self):
        if self._base is None:
            return 0
        base = self._base._data
        return (_ptr(self._data) - _ptr(base)) // self._data.itemsize

    def data_ptr(self):
        return _ptr(self._data)

    def untyped_storage(self):
        return _Storage(self)

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_signed(self):
        return self.dtype.is_signed

    def type(self, dtype=None, non_blocking=False):
        """Matches `torch.Tensor.type`: with no argument the legacy type string."""
        if dtype is None:
            prefix = "ember." if self.is_cpu else "ember.cuda."
            return prefix + self.dtype._tname
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            matches = [d for d in D.ALL if d._tname == name]
            if not matches:
                raise RuntimeError(f"invalid type: '{dtype}'")
            dtype = matches[0]
        return self.to(dtype)

    # -- autograd state ---------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        if not isinstance(requires_grad, bool):
            raise TypeError(
                f"requires_grad_(): argument 'requires_grad' must be bool, not {type(requires_grad).__name__}"
            )
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        fn = self._grad_fn
        if self._base is not None and self._requires_grad:
            fn = _refresh_view(self)
        return fn

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains() and self._grad is None:
            import warnings  # noqa: PLC0415

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
                "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of {type(value).__name__}")
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: expected {self.dtype}, got {value.dtype}"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: expected {list(self.shape)}, got {list(value.shape)}"
                )
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @property
    def _version(self):
        return self._vc.v if self._vc is not None else 0

    @property
    def retains_grad(self):
        return self._retains()

    def _retains(self):
        x = self._x
        return x is not None and x.retains_grad

    def retain_grad(self):
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return  # leaves keep .grad anyway
        fn = self.grad_fn
        if fn._retain is None:
            fn._retain = {}
            fn._hooked = True
        fn._retain[self._output_nr] = weakref.ref(self)
        _extra(self).retains_grad = True

    def register_hook(self, hook):
        """Matches `torch.Tensor.register_hook`: hook(grad) -> Tensor or None."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is None:
            lst = _extra(self).hooks
        else:
            if fn._tensor_hooks is None:
                fn._tensor_hooks = {}
                fn._hooked = True
            lst = fn._tensor_hooks.setdefault(self._output_nr, [])
        lst.append(hook)
        from .autograd.graph import _RemovableHandle  # noqa: PLC0415

        return _RemovableHandle(lst, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Matches `torch.Tensor.register_post_accumulate_grad_hook`: hook(tensor) after .grad is updated."""
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        lst = _extra(self).post_hooks
        lst.append(hook)
        from .autograd.graph import _RemovableHandle  # noqa: PLC0415

        return _RemovableHandle(lst, hook)

    @property
    def _hooks(self):
        x = self._x
        return x.hooks if x is not None else None

    @property
    def _post_hooks(self):
        x = self._x
        return x.post_hooks if x is not None else None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Matches `torch.Tensor.backward`."""
        from .autograd import backward  # noqa: PLC0415

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """Matches `torch.Tensor.detach`: shares data and version counter, no history."""
        t = _new(Tensor)
        _init(t, self._data)
        t._vc = _vc_of(self)
        return t

    def detach_(self):
        if self._base is not None and self._requires_grad:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        t = _new(Tensor)
        _init(t, self._data)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    # -- Python protocol --------------------------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        """Matches `torch.Tensor.__contains__`: (element == self).any()."""
        if not isinstance(element, (Tensor, int, float, bool, complex)):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}."
            )
        return bool((self == element).any())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no' if self._data.size == 0 else 'more than one'} values is ambiguous"
            )
        return bool(self._data.reshape(()))

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        v = self._data.reshape(()).item()
        if self._data.dtype == D.bfloat16.np:
            v = float(v)
        return v

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if self.dtype._cat > D._INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def tolist(self):
        arr = self._data
        if type(arr) is not np.ndarray:
            arr = arr.get()
        if arr.dtype == D.bfloat16.np:
            arr = arr.astype(np.float32)
        return arr.tolist()

    def numpy(self, *, force=False):
        """Matches `torch.Tensor.numpy` (shares memory on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the "
                    "tensor to host memory first."
                )
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        if type(arr) is not np.ndarray:  # as torch: numpy.asarray(cuda_tensor) does not copy implicitly
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
                "host memory first."
            )
        return arr if dtype is None else arr.astype(dtype)

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr  # noqa: PLC0415

        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self.__array__(), self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
                "moment.  If you were attempting to deepcopy a module, this may be because of a torch.nn.utils."
                "weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        t = _new(type(self))
        _init(t, self._data.copy())
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            import copy  # noqa: PLC0415

            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = t
        return t

    __array_priority__ = 1000


def _rebuild(arr, requires_grad):
    t = _new(Tensor)
    _init(t, arr)
    t._requires_grad = requires_grad
    return t


class _Extra:
    __slots__ = ("retains_grad", "hooks", "post_hooks", "view_fn", "view_ver", "acc")

    def __init__(self):
        self.retains_grad = False
        self.hooks = []
        self.post_hooks = []
        self.view_fn = None
        self.view_ver = -1
        self.acc = None


def _extra(t):
    x = t._x
    if x is None:
        x = t._x = _Extra()
    return x


def _init(t, data):
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._grad = None
    t._vc = None
    t._base = None
    t._output_nr = 0
    t._x = None


def make(data):
    """A new tensor on `data` (no copy, no history). The one fast constructor ops use."""
    t = _new(Tensor)
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._grad = None
    t._vc = None
    t._base = None
    t._output_nr = 0
    t._x = None
    return t


def _ptr(arr):
    if type(arr) is np.ndarray:
        return arr.__array_interface__["data"][0]
    return arr.data.ptr


def _wrap_dim(dim, ndim, opname="op"):
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def edge(t):
    """The (node, output_nr) that gradients for `t` flow into."""
    if not t._requires_grad:
        return (None, 0)
    fn = t._grad_fn
    if t._base is not None:
        fn = t.grad_fn
    if fn is None:
        x = _extra(t)
        acc = x.acc
        if acc is None:
            acc = x.acc = AccumulateGrad(t)
        return (acc, 0)
    return (fn, t._output_nr)


class Size(tuple):
    """Matches `torch.Size`."""

    __slots__ = ()

    def __repr__(self):
        return f"ember.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, k):
        r = tuple.__getitem__(self, k)
        return Size(r) if isinstance(k, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


class _Storage:
    """Just enough of torch's untyped storage for data_ptr/size comparisons."""

    def __init__(self, t):
        base = t._base._data if t._base is not None else t._data
        self._arr = base

    def data_ptr(self):
        return _ptr(self._arr)

    def nbytes(self):
        return self._arr.nbytes

    def size(self):
        return self._arr.nbytes
