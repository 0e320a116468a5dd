"""ember.backends.cpu (matches `torch.backends.cpu`)."""

__all__ = ["get_cpu_capability"]


def get_cpu_capability():
    """Matches `torch.backends.cpu.get_cpu_capability`: "AVX512", "AVX2" or "DEFAULT" (from NumPy's CPU
    feature detection)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as f  # noqa: PLC0415
    except ImportError:  # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as f  # noqa: PLC0415
        except ImportError:
            return "DEFAULT"
    if f.get("AVX512F") and f.get("AVX512BW") and f.get("AVX512VL") and f.get("AVX512DQ"):
        return "AVX512"
    if f.get("AVX2"):
        return "AVX2"
    return "DEFAULT"
