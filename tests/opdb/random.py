"""Random sampling ops: their outputs depend on the generator, so they are checked in tests/test_random.py
(reproducibility, distributions, dtypes/shapes, errors and torch's exact streams)."""

NOT_OPS = {
    n: "random: tested in tests/test_random.py"
    for n in [
        "rand",
        "randn",
        "randint",
        "randperm",
        "normal",
        "bernoulli",
        "multinomial",
        "poisson",
        "rand_like",
        "randn_like",
        "randint_like",
    ]
}
