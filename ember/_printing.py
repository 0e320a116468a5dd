"""repr/str of tensors (minimal; torch's full formatter lives here)."""

import numpy as np


def tensor_repr(t):
    return f"tensor({np.array2string(np.asarray(t._data, dtype=np.float64 if t._data.dtype.kind == 'V' else None), separator=', ')})"
