"""Named result tuples, like `torch.return_types`: tuples with named fields whose repr is
`ember.return_types.max(\\nvalues=tensor(...),\\nindices=tensor(...))`."""

from collections import namedtuple

__all__ = []


def _make(name, fields):
    base = namedtuple(name, fields)

    def __new__(cls, *args, **kwargs):
        # torch's structseq types are built from one sequence: torch.return_types.max((values, indices))
        if len(args) == 1 and not kwargs and isinstance(args[0], (tuple, list)) and len(args[0]) == len(fields):
            args = tuple(args[0])
        return base.__new__(cls, *args, **kwargs)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"ember.return_types.{name}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))

    cls = type(
        name,
        (base,),
        {
            "__new__": __new__,
            "__repr__": __repr__,
            "__str__": __repr__,
            "__reduce__": __reduce__,
            "__slots__": (),
            "__module__": __name__,
            "n_fields": len(fields),
            "n_sequence_fields": len(fields),
            "n_unnamed_fields": 0,
        },
    )
    cls.__qualname__ = name
    __all__.append(name)
    return cls


max = _make("max", ("values", "indices"))  # noqa: A001
min = _make("min", ("values", "indices"))  # noqa: A001
median = _make("median", ("values", "indices"))
nanmedian = _make("nanmedian", ("values", "indices"))
mode = _make("mode", ("values", "indices"))
kthvalue = _make("kthvalue", ("values", "indices"))
sort = _make("sort", ("values", "indices"))
topk = _make("topk", ("values", "indices"))
cummax = _make("cummax", ("values", "indices"))
cummin = _make("cummin", ("values", "indices"))
aminmax = _make("aminmax", ("min", "max"))
frexp = _make("frexp", ("mantissa", "exponent"))
histogram = _make("histogram", ("hist", "bin_edges"))
slogdet = _make("slogdet", ("sign", "logabsdet"))
qr = _make("qr", ("Q", "R"))
svd = _make("svd", ("U", "S", "V"))
geqrf = _make("geqrf", ("a", "tau"))
lu_unpack = _make("lu_unpack", ("P", "L", "U"))
triangular_solve = _make("triangular_solve", ("solution", "cloned_coefficient"))
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
linalg_qr = _make("linalg_qr", ("Q", "R"))
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
linalg_eig = _make("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_inv_ex = _make("linalg_inv_ex", ("inverse", "info"))
linalg_cholesky_ex = _make("linalg_cholesky_ex", ("L", "info"))
linalg_lu = _make("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = _make("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _make("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_solve_ex = _make("linalg_solve_ex", ("result", "info"))
linalg_lstsq = _make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
