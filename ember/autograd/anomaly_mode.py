"""Anomaly detection: record forward tracebacks and fail on NaN gradients."""

from .graph import ANOMALY

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled():
    """Matches `torch.is_anomaly_enabled`."""
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled():
    """Matches `torch.is_anomaly_check_nan_enabled`."""
    return ANOMALY.check_nan


class detect_anomaly:
    """Matches `torch.autograd.detect_anomaly` (context manager and decorator)."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc):
        ANOMALY.enabled, ANOMALY.check_nan = self.prev
        return False

    def __call__(self, fn):
        import functools  # noqa: PLC0415

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)

        return wrapper


class set_detect_anomaly:
    """Matches `torch.autograd.set_detect_anomaly`: takes effect at once; restores on exit under `with`."""

    def __init__(self, mode, check_nan=True):
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = mode, check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        ANOMALY.enabled, ANOMALY.check_nan = self.prev
        return False
