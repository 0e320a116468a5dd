"""ember.backends (matches `torch.backends`): switches for the CUDA/cuDNN/MPS/CPU backends.

ember computes on NumPy (cpu) and CuPy (cuda); the cuDNN and TF32 switches are kept and readable, as
programs set them, but ember's kernels do not consult them (CuPy picks its own GEMM/conv algorithms).
"""

from . import cpu, cuda, cudnn, mkldnn, mps

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps"]
