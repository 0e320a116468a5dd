"""ember.func (matches `torch.func`): composable function transforms — grad, vjp, jvp, jacrev, jacfwd,
hessian, vmap — and functional_call."""

from ._transforms import functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import vmap

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call"]
