"""gradcheck / gradgradcheck: pass for correct ember ops, catch wrong backwards with torch's messages."""

import warnings

import pytest

import ember
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck


def rnd(*shape, dtype=None, seed=0):
    ember.manual_seed(seed)
    return ember.randn(*shape, dtype=dtype or ember.float64, requires_grad=True)


class WrongSquare(ember.autograd.Function):
    """x * x with a backward that is off by a factor 3/2."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a * 3


class RightSquare(ember.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a * 2


OPS = [
    ("add_mul", lambda a, b: a * b + a, 2),
    ("sin_exp", lambda a, b: (a.sin() * b.exp()).sum(1), 2),
    ("tanh", lambda a, b: (a + b).tanh(), 2),
    ("matmul", lambda a, b: a @ b.t(), 2),
    ("div_pow", lambda a, b: a / (b * b + 1) + a.pow(3), 2),
    ("mean_var", lambda a, b: a.mean(0) * b.var(0), 2),
    ("reshape_transpose", lambda a, b: (a.reshape(4, 3).t() * 2, b.transpose(0, 1)), 2),
    ("softmax", lambda a, b: ember.softmax(a * b, dim=1), 2),
    ("sigmoid_log", lambda a, b: a.sigmoid() + (b * b + 1).log(), 2),
    ("sqrt_abs", lambda a, b: (a.abs() + 1).sqrt() * b, 2),
    ("max_dim", lambda a, b: (a + b).max(1).values, 2),
    ("cat_stack", lambda a, b: ember.cat([a, b], 0).sum(0), 2),
]


@pytest.mark.parametrize("name,fn,n", OPS, ids=[o[0] for o in OPS])
def test_gradcheck_passes_for_ember_ops(name, fn, n):
    a, b = rnd(3, 4, seed=1), rnd(3, 4, seed=2)
    assert gradcheck(fn, (a, b))
    assert gradcheck(fn, (a, b), fast_mode=True)


@pytest.mark.parametrize("name,fn,n", OPS[:6], ids=[o[0] for o in OPS[:6]])
def test_gradgradcheck_passes(name, fn, n):
    a, b = rnd(3, 4, seed=1), rnd(3, 4, seed=2)
    assert gradgradcheck(fn, (a, b))


def test_gradgradcheck_fast_and_given_grad_outputs():
    a = rnd(2, 3)
    assert gradgradcheck(lambda x: x.exp() * x, (a,), fast_mode=True)
    go = ember.ones(2, 3, dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(lambda x: x.sin() * x, (a,), (go,))


def test_forward_ad_check():
    a, b = rnd(3, 4, seed=1), rnd(4, seed=2)
    assert gradcheck(lambda x, y: (x * y).sin(), (a, b), check_forward_ad=True)
    assert gradcheck(lambda x, y: (x * y).sin(), (a, b), check_forward_ad=True, fast_mode=True)
    with pytest.raises(GradcheckError, match="Jacobian computed with forward mode mismatch"):
        gradcheck(WrongSquare.apply, (a,), check_forward_ad=True, check_backward_ad=False)


def test_catches_wrong_backward():
    a = rnd(2, 3)
    assert gradcheck(RightSquare.apply, (a,))
    with pytest.raises(GradcheckError) as ei:
        gradcheck(WrongSquare.apply, (a,))
    assert isinstance(ei.value, RuntimeError)
    msg = str(ei.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(")
    assert "\nanalytical:tensor(" in msg
    assert gradcheck(WrongSquare.apply, (a,), raise_exception=False) is False


def test_catches_wrong_backward_fast_mode():
    a = rnd(2, 3)
    with pytest.raises(GradcheckError) as ei:
        gradcheck(WrongSquare.apply, (a,), fast_mode=True)
    msg = str(ei.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")
    assert "Below, we recompute numerical and analytical jacobians in slow mode" in msg


def test_wrong_index_in_message():
    a, b = rnd(3, seed=1), rnd(3, seed=2)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 1 with respect to input 1"):
        gradcheck(lambda x, y: (x * 2, WrongSquare.apply(y)), (a, b))


def test_catches_wrong_double_backward():
    class WrongDouble(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * a.detach() ** 2  # right value, but no graph: wrong second derivative

    a = rnd(3)
    assert gradcheck(WrongDouble.apply, (a,))
    with pytest.raises(GradcheckError):
        gradgradcheck(WrongDouble.apply, (a,))


def test_nondeterministic_backward():
    class Noisy(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * (2 + ember.rand(g.shape, dtype=g.dtype) * 1e-9)

    a = rnd(3)
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(Noisy.apply, (a,))
    assert gradcheck(Noisy.apply, (a,), nondet_tol=1e-6)


def test_not_multiplied_by_grad_output():
    class Ignores(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, g):
            return ember.ones(3, dtype=ember.float64)

    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        gradcheck(Ignores.apply, (rnd(3),))


def test_complex_inputs_and_outputs():
    z = rnd(3, dtype=ember.complex128)
    w = rnd(3, dtype=ember.complex128, seed=3)
    assert gradcheck(lambda a: a * a, (z,))
    assert gradcheck(lambda a, b: (a * b.conj()).abs(), (z, w))
    assert gradcheck(lambda a: a.real * a.imag + a.abs(), (z,), fast_mode=True)
    assert gradcheck(lambda a: a * a, (z,), fast_mode=True)
    assert gradcheck(lambda a: a.exp(), (z,), check_forward_ad=True)

    class WrongConj(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2j

        @staticmethod
        def backward(ctx, g):
            return g * 2j  # should be g * conj(2j)

    with pytest.raises(GradcheckError, match="While considering the imaginary part of complex outputs only"):
        gradcheck(WrongConj.apply, (z,))


def test_input_checks_and_warnings():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (ember.ones(3, dtype=ember.float64),))
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        gradcheck(lambda a: a * 2, (ember.ones(3, requires_grad=True),), atol=1e-2, eps=1e-3)
    x = ember.ones(3, dtype=ember.float64).expand(2, 3).requires_grad_()
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
        gradcheck(lambda a: a * 2, (x,))
    with pytest.raises(AssertionError):
        gradcheck(lambda a: a, (rnd(2),), check_backward_ad=False)


def test_single_tensor_input_and_non_tensor_args():
    a = rnd(4)
    assert gradcheck(lambda x: x.exp(), a)
    assert gradcheck(lambda x, k, y: x * k + y.sum(), (a, 3, ember.ones(2, dtype=ember.float64)))


def test_no_differentiable_outputs():
    a = rnd(3)
    assert gradcheck(lambda x: (x > 0).double(), (a,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
            gradcheck(lambda x: x.detach() * 2, (a,))


def test_undefined_grad_support():
    a = rnd(2, 3)
    assert gradcheck(lambda x: x.max(1), (a,))  # values and (integer) indices
    assert gradcheck(lambda x: ember.split(x, 1, dim=0), (a,))
