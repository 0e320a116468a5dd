"""Matches `torch.nn.parallel`: DataParallel (one process, a module replicated on several GPUs, the batch split
between them) and its pieces: scatter, replicate, parallel_apply, gather."""

from .data_parallel import DataParallel, data_parallel
from .parallel_apply import parallel_apply
from .replicate import replicate
from .scatter_gather import gather, scatter, scatter_kwargs

__all__ = ["DataParallel", "data_parallel", "gather", "parallel_apply", "replicate", "scatter", "scatter_kwargs"]
