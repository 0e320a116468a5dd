"""Constructors and conversions are checked in test_tensor.py; listed here so coverage knows."""

NOT_OPS = {
    n: "constructor/conversion, tested in tests/test_tensor.py"
    for n in [
        "tensor",
        "as_tensor",
        "asarray",
        "from_numpy",
        "zeros",
        "ones",
        "empty",
        "full",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "eye",
        "arange",
        "range",
        "linspace",
        "logspace",
        "empty_strided",
        "scalar_tensor",
        "new_tensor",
        "new_zeros",
        "new_ones",
        "new_empty",
        "new_full",
        "clone",
        "contiguous",
        "to",
        "type_as",
        "tril_indices",
        "triu_indices",
    ]
}
