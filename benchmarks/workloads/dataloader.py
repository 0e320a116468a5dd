"""DataLoader over a TensorDataset (4096 x 784 float32 + int64 labels), batch 64, shuffled: one epoch per step."""

import numpy as np

from . import Workload

N, BATCH = 4096, 64


def build(L, num_workers=0):
    rng = np.random.default_rng(0)
    data = L.utils.data
    ds = data.TensorDataset(
        L.from_numpy(rng.standard_normal((N, 784), dtype=np.float32)), L.from_numpy(rng.integers(0, 10, N))
    )
    L.manual_seed(0)
    loader = data.DataLoader(ds, batch_size=BATCH, shuffle=True, num_workers=num_workers)

    def step():
        n = 0
        for _xb, _yb in loader:
            n += 1
        return n

    return Workload(step, "batches/s", count=N // BATCH, warmup=1, notes="one epoch per step, worker start-up included")
