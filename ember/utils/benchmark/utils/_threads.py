"""Best-effort control of the BLAS thread pool NumPy uses (ember has no intra-op pool of its own).

`Timer(num_threads=n)` runs its statement with the pool at `n` threads, as torch's Timer does with
`torch.set_num_threads`. When the BLAS library cannot be found (an unknown build), nothing is changed.
"""

import ctypes

_UNSET = object()
_funcs = _UNSET

# (get, set) symbol pairs, most specific first: numpy's bundled scipy-openblas (ILP64 and LP64), plain OpenBLAS.
_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


def _find():
    global _funcs
    if _funcs is not _UNSET:
        return _funcs
    _funcs = None
    try:
        import numpy  # noqa: F401, PLC0415 - make sure NumPy's BLAS is loaded before reading the maps

        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _SYMBOLS:
            get_fn = getattr(lib, get_name, None)
            set_fn = getattr(lib, set_name, None)
            if get_fn is not None and set_fn is not None:
                get_fn.restype = ctypes.c_int
                set_fn.argtypes = [ctypes.c_int]
                set_fn.restype = None
                _funcs = (get_fn, set_fn)
                return _funcs
    return None


def get_num_threads():
    """The BLAS pool size, or None when it cannot be read."""
    funcs = _find()
    return None if funcs is None else int(funcs[0]())


def set_num_threads(n):
    """Set the BLAS pool size; returns False when it cannot be set."""
    funcs = _find()
    if funcs is None:
        return False
    funcs[1](int(n))
    return True
