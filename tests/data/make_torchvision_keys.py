"""Regenerate tests/data/torchvision_keys.json from torchvision itself (not from ember).

For every model name already listed in the JSON, builds ``torchvision.models.<name>(weights=None)`` and records its
state_dict keys and shapes in order, plus the parameter count. Run it with a Python that has torchvision installed
(it does not import ember), e.g. from the repository root::

    python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch torchvision
    /tmp/tvenv/bin/python tests/data/make_torchvision_keys.py

Pass model names as arguments to regenerate a different set.
"""

import json
import os
import sys

import torch
import torchvision

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torchvision_keys.json")


def main(names):
    if not names:
        with open(PATH) as f:
            names = sorted(json.load(f))
    out = {}
    for name in sorted(names):
        torch.manual_seed(0)
        m = getattr(torchvision.models, name)(weights=None)
        out[name] = {
            "num_params": sum(p.numel() for p in m.parameters()),
            "state_dict": [[k, list(v.shape)] for k, v in m.state_dict().items()],
        }
        print(name, len(out[name]["state_dict"]), out[name]["num_params"])
    with open(PATH, "w") as f:
        json.dump(out, f, separators=(",", ":"), sort_keys=True)
    print(f"wrote {PATH} (torch {torch.__version__}, torchvision {torchvision.__version__})")


if __name__ == "__main__":
    main(sys.argv[1:])
