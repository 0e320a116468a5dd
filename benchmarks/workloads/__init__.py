"""The benchmark workloads. Each `build(L, **options)` takes the library module (`ember` or `torch`) and
returns a `Workload`; the code is the same for both libraries and uses only their public API."""

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass
class Workload:
    step: Callable[[], object]  # one timed step
    unit: str  # how the result is shown: "us/op", "ms/step", "batches/s"
    scale: float = 1.0  # for time units: shown value = seconds per step * scale
    count: int = 1  # for rate units: shown value = count / seconds per step
    warmup: int = 2
    notes: str = ""


# name -> (module, options, description)
WORKLOADS = {
    "import": (None, {}, "`import L` in a fresh interpreter"),
    "per_op": ("per_op", {"grad": True}, "100 small elementwise ops on 16 floats, forward + backward"),
    "per_op_no_grad": ("per_op", {"grad": False}, "the same 100 ops under no_grad, forward only"),
    "mlp": ("mlp", {}, "MLP 784-512-512-10 train step, batch 128, SGD momentum, cross-entropy"),
    "cnn": ("cnn", {}, "CNN (conv-BN-ReLU-maxpool x2 + linear) train step, 64x3x32x32, Adam"),
    "gpt": ("gpt", {}, "GPT decoder (2 layers, width 128, 4 heads, block 64) train step, batch 16, AdamW"),
    "resnet18": ("resnet", {}, "ResNet-18 forward, 1x3x224x224, eval, no_grad"),
    "lstm": ("lstm", {}, "LSTM (hidden 128, seq 50, batch 32) train step, SGD"),
    "dataloader_0": ("dataloader", {"num_workers": 0}, "DataLoader over TensorDataset, batch 64, 0 workers"),
    "dataloader_2": ("dataloader", {"num_workers": 2}, "DataLoader over TensorDataset, batch 64, 2 workers"),
}
