from op_db import OpInfo, S
from opdb._util import positive, unary_samples

OPS = [
    OpInfo("lgamma", unary_samples(0.2, 4.0)),
    OpInfo("digamma", unary_samples(0.2, 4.0)),
    OpInfo("polygamma", lambda rng, dt: [S(1, positive(rng, (3, 4), dt)), S(2, positive(rng, (5,), dt))]),
    OpInfo("i0", unary_samples(), gradgrad=False),  # torch has no double backward for i0's derivative i1
    OpInfo("sinc", unary_samples(0.1, 2.0)),
    OpInfo("mvlgamma", lambda rng, dt: [S(positive(rng, (3, 4), dt, 2.0, 4.0), 2)]),
    # torch does not differentiate igamma/igammac w.r.t. the first argument
    OpInfo("igamma", lambda rng, dt: [S(positive(rng, (3, 4), dt), positive(rng, (3, 4), dt))], grad=False),
    OpInfo("igammac", lambda rng, dt: [S(positive(rng, (4,), dt), positive(rng, (4,), dt))], grad=False),
]
