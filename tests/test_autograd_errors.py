"""Autograd errors name the op and point at the user's line; anomaly mode; saved-tensor hooks."""

import inspect
import warnings

import pytest

import ember

HERE = __file__


def _line_of(marker):
    src = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    return next(i + 1 for i, line in enumerate(src) if marker in line and "_line_of" not in line)


def test_saved_tensor_modified_points_at_forward_and_inplace_lines():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # FORWARD-OP
    y.mul_(2)  # INPLACE-WRITE
    with pytest.raises(RuntimeError) as e:
        z.sum().backward()
    msg = str(e.value)
    assert "MulBackward0" in msg and "[ember.FloatTensor [2]]" in msg
    assert f"{HERE}:{_line_of('# FORWARD-OP')}" in msg
    assert f"{HERE}:{_line_of('# INPLACE-WRITE')}" in msg


def test_second_backward_names_the_node_and_line():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    a = (x * x).sum()  # FREED-OP
    a.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time") as e:
        a.backward()
    assert f"{HERE}:{_line_of('# FREED-OP')}" in str(e.value) and "MulBackward0" in str(e.value)


def test_custom_function_bad_gradient_shape_names_function_and_line():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return ember.ones(5)

    x = ember.ones(3, requires_grad=True)
    y = Bad.apply(x)  # BAD-FN
    with pytest.raises(RuntimeError) as e:
        y.sum().backward()
    msg = str(e.value)
    assert "BadBackward" in msg and "[5]" in msg and "[3]" in msg
    assert f"{HERE}:{_line_of('# BAD-FN')}" in msg


def test_anomaly_mode_reports_nan_with_forward_traceback():
    assert not ember.is_anomaly_enabled()
    with ember.autograd.detect_anomaly():
        assert ember.is_anomaly_enabled()
        w = ember.tensor([0.0], requires_grad=True)
        q = w / w  # NAN-OP
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError, match="DivBackward0' returned nan values") as e:
                q.sum().backward()
        assert f"{HERE}:{_line_of('# NAN-OP')}" in str(e.value)
        assert any("Traceback of forward call" in str(r.message) and "NAN-OP" in str(r.message) for r in rec)
    assert not ember.is_anomaly_enabled()
    # outside anomaly mode NaN gradients pass silently, as in torch
    w = ember.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (w / w).sum().backward()


def test_saved_tensors_hooks_pack_and_unpack():
    import torch

    def run(L):
        log = []

        def pack(t):
            log.append(("pack", tuple(t.shape)))
            return t * 1

        def unpack(t):
            log.append(("unpack", tuple(t.shape)))
            return t

        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = x * x
        y.sum().backward()
        return log, x.grad.tolist()

    assert run(torch) == run(ember)


def test_save_on_cpu_gives_same_gradients():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with ember.autograd.graph.save_on_cpu():
        y = (x * x * x).sum()
    y.backward()
    assert x.grad.tolist() == [3.0, 12.0, 27.0]
