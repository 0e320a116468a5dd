"""Window functions (constructors: forward values and dtypes); stft/istft are checked in tests/test_fft.py."""

from op_db import ErrorInput, OpInfo, S

_LENGTHS = (0, 1, 2, 5, 8)


def _window_samples(*extra):
    def gen(rng, dt):
        out = []
        for n in _LENGTHS:
            for periodic in (True, False):
                out.append(S(n, periodic, dtype=f"dtype:{dt}"))
                for e in extra:
                    out.append(S(n, periodic, *e, dtype=f"dtype:{dt}"))
        out.append(S(6))
        out.append(S(6, requires_grad=True))
        return out

    return gen


_DTYPES = ("float32", "float64", "float16", "bfloat16")

OPS = [
    OpInfo("hann_window", _window_samples(), dtypes=_DTYPES, grad=False),
    OpInfo("hamming_window", _window_samples((0.6,), (0.6, 0.3)), dtypes=_DTYPES, grad=False),
    OpInfo("blackman_window", _window_samples(), dtypes=_DTYPES, grad=False),
    OpInfo("bartlett_window", _window_samples(), dtypes=_DTYPES, grad=False),
    OpInfo("kaiser_window", _window_samples((5.0,), (0.0,)), dtypes=_DTYPES, grad=False, rtol=1e-5),
]

NOT_OPS = {
    "stft": "complex outputs and window/center/pad_mode/return_complex rules: tests/test_fft.py (test_stft*)",
    "istft": "complex inputs, overlap-add and window envelope checks: tests/test_fft.py (test_istft*)",
}

ERRORS = []
for _w in ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"):
    ERRORS += [
        ErrorInput(_w, S(-1)),
        ErrorInput(_w, S(3, dtype="dtype:int64")),
        ErrorInput(_w, S(1.5)),
    ]
