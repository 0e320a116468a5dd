"""ember.cuda memory statistics on CuPy's memory pool (matches `torch.cuda.memory`).

Allocated bytes are the pool's used bytes, reserved bytes its total bytes. Peaks are tracked by an
allocator installed when ember.cuda initialises (it wraps the pool's malloc and samples the pool
after each allocation, where peaks occur). Without CUDA (or before it is initialised) the statistics
are empty and the getters return 0, as on torch's CPU build.
"""

import collections
import warnings

from . import _lazy
from ._lazy import cp, device_index, lazy_init

__all__ = [
    "empty_cache",
    "memory_stats",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "memory_cached",
    "max_memory_cached",
    "reset_peak_memory_stats",
    "reset_max_memory_allocated",
    "reset_max_memory_cached",
    "reset_accumulated_memory_stats",
    "memory_summary",
    "mem_get_info",
    "set_per_process_memory_fraction",
    "get_per_process_memory_fraction",
]

_peak_alloc = {}
_peak_reserved = {}
_num_allocs = collections.Counter()
_fraction = {}


def _pool():
    return cp().get_default_memory_pool()


def _install():
    """Wrap the default pool's malloc (bound once: this runs on every allocation, hundreds per train step).

    Only the allocated peak is tracked here. The pool's reserved bytes never shrink except when its free blocks
    are released, and empty_cache records the reserved peak before releasing them, so the reserved peak is the
    larger of that record and the current reserve (CuPy's own release on an out-of-memory retry goes unseen)."""
    pool = _pool()
    malloc, used_bytes = pool.malloc, pool.used_bytes
    peak_alloc, counts = _peak_alloc, _num_allocs

    def tracking_malloc(size):
        mem = malloc(size)
        dev = mem.device_id
        used = used_bytes()
        if used > peak_alloc.get(dev, 0):
            peak_alloc[dev] = used
        counts[dev] += 1
        return mem

    cp().cuda.set_allocator(tracking_malloc)


_lazy._init_hooks.append(_install)


def _active():
    """True when there is GPU memory to report on (CuPy loaded)."""
    if _lazy.is_initialized():
        return True
    if _lazy.cupy_loaded():
        lazy_init()
        return True
    return False


def _current(dev):
    c = cp()
    with c.cuda.Device(dev):
        pool = c.get_default_memory_pool()
        return pool.used_bytes(), pool.total_bytes()


def empty_cache():
    """Matches `torch.cuda.empty_cache`: release the pool's unused blocks (no-op without CUDA)."""
    if not _active():
        return
    c = cp()
    for dev in list(_num_allocs):  # the reserved peak, before the reserve shrinks (see _install)
        _peak_reserved[dev] = max(_peak_reserved.get(dev, 0), _current(dev)[1])
    c.get_default_memory_pool().free_all_blocks()
    c.get_default_pinned_memory_pool().free_all_blocks()


def memory_stats(device=None):
    """Matches `torch.cuda.memory_stats` (the allocated/reserved byte counters; empty without CUDA)."""
    if not _active():
        return collections.OrderedDict()
    dev = device_index(device, optional=True)
    used, total = _current(dev)
    peak_a = max(_peak_alloc.get(dev, 0), used)
    peak_r = max(_peak_reserved.get(dev, 0), total)
    _peak_alloc[dev], _peak_reserved[dev] = peak_a, peak_r
    stats = {
        "active_bytes.all.current": used,
        "active_bytes.all.peak": peak_a,
        "allocated_bytes.all.current": used,
        "allocated_bytes.all.peak": peak_a,
        "allocation.all.allocated": _num_allocs[dev],
        "inactive_split_bytes.all.current": total - used,
        "num_alloc_retries": 0,
        "num_ooms": 0,
        "reserved_bytes.all.current": total,
        "reserved_bytes.all.peak": peak_r,
    }
    return collections.OrderedDict(sorted(stats.items()))


def memory_allocated(device=None):
    """Matches `torch.cuda.memory_allocated`: bytes held by tensors on the device."""
    return memory_stats(device).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device=None):
    """Matches `torch.cuda.max_memory_allocated`."""
    return memory_stats(device).get("allocated_bytes.all.peak", 0)


def memory_reserved(device=None):
    """Matches `torch.cuda.memory_reserved`: bytes held by the caching allocator (CuPy's pool)."""
    return memory_stats(device).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device=None):
    """Matches `torch.cuda.max_memory_reserved`."""
    return memory_stats(device).get("reserved_bytes.all.peak", 0)


def memory_cached(device=None):
    """Deprecated alias of memory_reserved (torch's FutureWarning)."""
    warnings.warn(
        "`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`", FutureWarning, stacklevel=2
    )
    return memory_reserved(device)


def max_memory_cached(device=None):
    """Deprecated alias of max_memory_reserved (torch's FutureWarning)."""
    warnings.warn(
        "`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
        FutureWarning,
        stacklevel=2,
    )
    return max_memory_reserved(device)


def reset_peak_memory_stats(device=None):
    """Matches `torch.cuda.reset_peak_memory_stats` (raises without CUDA, as torch's CPU build does)."""
    lazy_init()
    dev = device_index(device, optional=True)
    used, total = _current(dev)
    _peak_alloc[dev], _peak_reserved[dev] = used, total


def reset_max_memory_allocated(device=None):
    """Deprecated: resets all peak statistics (torch's FutureWarning)."""
    warnings.warn(
        "torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.",
        FutureWarning,
        stacklevel=2,
    )
    return reset_peak_memory_stats(device)


def reset_max_memory_cached(device=None):
    """Deprecated: resets all peak statistics (torch's FutureWarning)."""
    warnings.warn(
        "torch.cuda.reset_max_memory_cached now calls torch.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.",
        FutureWarning,
        stacklevel=2,
    )
    return reset_peak_memory_stats(device)


def reset_accumulated_memory_stats(device=None):
    """Matches `torch.cuda.reset_accumulated_memory_stats` (the allocation counter)."""
    lazy_init()
    _num_allocs[device_index(device, optional=True)] = 0


def _fmt(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n} B"


def memory_summary(device=None, abbreviated=False):
    """Matches `torch.cuda.memory_summary`: a printable table of the device's memory statistics."""
    lazy_init()
    dev = device_index(device, optional=True)
    s = memory_stats(dev)
    line = "|" + "=" * 75 + "|"
    thin = "|" + "-" * 75 + "|"
    rows = [
        line,
        "|" + f"ember CUDA memory summary, device ID {dev}".center(75) + "|",
        thin,
        "|" + " CuPy memory pool (caching allocator)".ljust(75) + "|",
        line,
        "|" + "        Metric         | Cur Usage  | Peak Usage |".ljust(75) + "|",
        thin,
    ]
    for name, key in (("Allocated memory", "allocated_bytes"), ("Active memory", "active_bytes")):
        cur, peak = s[f"{key}.all.current"], s[f"{key}.all.peak"]
        rows.append("|" + f" {name:<22}| {_fmt(cur):>10} | {_fmt(peak):>10} |".ljust(75) + "|")
    cur, peak = s["reserved_bytes.all.current"], s["reserved_bytes.all.peak"]
    rows.append("|" + f" {'GPU reserved memory':<22}| {_fmt(cur):>10} | {_fmt(peak):>10} |".ljust(75) + "|")
    rows.append(thin)
    rows.append("|" + f" Allocations: {s['allocation.all.allocated']}".ljust(75) + "|")
    rows.append(line)
    return "\n".join(rows) + "\n"


def mem_get_info(device=None):
    """Matches `torch.cuda.mem_get_info`: (free, total) bytes of the device, from cudaMemGetInfo."""
    c = cp()
    dev = device_index(device, optional=True)
    with c.cuda.Device(dev):
        free, total = c.cuda.runtime.memGetInfo()
    return int(free), int(total)


def set_per_process_memory_fraction(fraction, device=None):
    """Matches `torch.cuda.set_per_process_memory_fraction` (CuPy's pool limit)."""
    c = cp()
    dev = device_index(device, optional=True)
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    with c.cuda.Device(dev):
        c.get_default_memory_pool().set_limit(fraction=fraction)
    _fraction[dev] = fraction


def get_per_process_memory_fraction(device=None):
    """Matches `torch.cuda.get_per_process_memory_fraction`."""
    lazy_init()
    return _fraction.get(device_index(device, optional=True), 1.0)
