import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

# EMBER_FAKE_CUPY=1: run on tests/fakecupy, the NumPy-backed CuPy stand-in, so ember's CUDA code paths run
# without a GPU (with EMBER_TEST_DEVICE=cuda the op-table helpers in oracle.py put ember's tensors on it)
if os.environ.get("EMBER_FAKE_CUPY") == "1":
    import fakecupy

    fakecupy.install()
