"""torch.nn.utils.rnn: PackedSequence and the pack / pad helpers.

Packing and padding are one index_select each (the padded batch is reached through a flat index table
built in NumPy), so they are differentiable through ember's indexing ops."""

from collections import namedtuple

import numpy as np

import ember

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]

_PackedSequenceBase = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(_PackedSequenceBase):
    """Matches `torch.nn.utils.rnn.PackedSequence` (data, batch_sizes, sorted_indices, unsorted_indices)."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. "
                    "Instances of PackedSequence should never be created manually. "
                    "They should be instantiated by functions like pack_sequence "
                    "and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
                )
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def pin_memory(self):
        return type(self)(
            self.data.pin_memory(),
            self.batch_sizes,
            _bind(self.sorted_indices, lambda t: t.pin_memory()),
            _bind(self.unsorted_indices, lambda t: t.pin_memory()),
        )

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        non_blocking = kwargs.get("non_blocking", False)
        sorted_indices = _bind(self.sorted_indices, lambda t: t.to(data.device, non_blocking=non_blocking))
        unsorted_indices = _bind(self.unsorted_indices, lambda t: t.to(data.device, non_blocking=non_blocking))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        ex = ember.tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        ex = ember.tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self):
        return self.to(dtype=ember.double)

    def float(self):
        return self.to(dtype=ember.float)

    def half(self):
        return self.to(dtype=ember.half)

    def long(self):
        return self.to(dtype=ember.long)

    def int(self):
        return self.to(dtype=ember.int)

    def short(self):
        return self.to(dtype=ember.short)

    def char(self):
        return self.to(dtype=ember.int8)

    def byte(self):
        return self.to(dtype=ember.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    """Matches `torch.nn.utils.rnn.invert_permutation`."""
    if permutation is None:
        return None
    output = ember.empty_like(permutation)
    output.scatter_(0, permutation, ember.arange(0, permutation.numel(), device=permutation.device))
    return output


def _lengths_np(lengths):
    if isinstance(lengths, ember.Tensor):
        return np.asarray(lengths.detach().cpu().numpy()).astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _batch_sizes_np(lengths):
    """batch_sizes[t] = number of sequences longer than t (lengths sorted decreasing)."""
    if lengths.size == 0:
        return np.zeros(0, np.int64)
    t = np.arange(int(lengths.max()))
    return (lengths[None, :] > t[:, None]).sum(1).astype(np.int64)


def _packed_rows(batch_sizes, batch_first, T, B):
    """For each packed row (time-major, first batch_sizes[t] sequences at step t): its index in the
    flattened (T, B) (or (B, T)) padded batch."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]) if len(batch_sizes) else np.zeros(0, np.int64)
    b = np.arange(steps.size) - np.repeat(starts, batch_sizes)
    return (b * T + steps) if batch_first else (steps * B + b)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Matches `torch.nn.utils.rnn.pack_padded_sequence`."""
    if isinstance(lengths, ember.Tensor):
        if lengths.dim() != 1 or lengths.device.type != "cpu":
            raise RuntimeError(
                f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D {lengths.device} tensor"
            )
        lengths = lengths.to(dtype=ember.int64)
    else:
        lengths = ember.as_tensor(lengths, dtype=ember.int64, device="cpu")
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = ember.sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    ln = _lengths_np(lengths)
    if input.dim() < 2:
        raise RuntimeError(f"pack_padded_sequence: expected input of at least 2 dimensions, got {input.dim()}")
    T, B = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if ln.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {ln.size} (batch_size={B})")
    if ln.size and ln.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if ln.size > 1 and np.any(ln[1:] > ln[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
            "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
            "if you do not need ONNX exportability."
        )
    if ln.size and ln[0] > T:
        raise RuntimeError(
            f"Expected sequence length to be larger than or equal to the max length in lengths, but got {T} and {ln[0]}"
        )
    bs = _batch_sizes_np(ln)
    rows = _packed_rows(bs, batch_first, T, B)
    flat = input.reshape(T * B, *input.shape[2:])
    data = flat.index_select(0, ember.from_numpy(rows))
    return PackedSequence(data, ember.from_numpy(bs), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Matches `torch.nn.utils.rnn.pad_packed_sequence`: returns (padded, lengths)."""
    bs = _lengths_np(sequence.batch_sizes)
    max_seq_length = bs.size
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length "
                "of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_seq_length}"
            )
        max_seq_length = total_length
    data = sequence.data
    B = int(bs[0]) if bs.size else 0
    T = max_seq_length
    n = data.shape[0]
    # every padded cell points at its packed row, or at an extra padding row appended to the data
    table = np.full(T * B, n, np.int64)
    table[_packed_rows(bs, batch_first, T, B)] = np.arange(n)
    pad_row = ember.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    src = ember.cat([data, pad_row], 0)
    out = src.index_select(0, ember.from_numpy(table))
    out = out.reshape((B, T, *data.shape[1:]) if batch_first else (T, B, *data.shape[1:]))
    lengths = ember.from_numpy((bs[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64))
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        return out.index_select(0 if batch_first else 1, unsorted_indices), lengths[unsorted_indices.cpu()]
    return out, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Matches `torch.nn.utils.rnn.pad_sequence`."""
    if isinstance(sequences, ember.Tensor):
        sequences = sequences.unbind(0)
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}"
        ) from None
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    trail = tuple(sequences[0].shape[1:])
    lens = np.array([s.shape[0] for s in sequences], np.int64)
    T = int(lens.max())
    total = int(lens.sum())
    first = sequences[0]
    pad_row = ember.full((1, *trail), padding_value, dtype=first.dtype, device=first.device)
    src = ember.cat([*sequences, pad_row], 0)
    t = np.arange(T)[None, :]
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])[:, None]
    if padding_side == "right":
        valid = t < lens[:, None]
        idx = starts + t
    else:
        off = (T - lens)[:, None]
        valid = t >= off
        idx = starts + t - off
    table = np.where(valid, idx, total)  # (B, T)
    if not batch_first:
        table = table.T
    out = src.index_select(0, ember.from_numpy(np.ascontiguousarray(table).reshape(-1)))
    return out.reshape(*table.shape, *trail)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Matches `torch.nn.utils.rnn.unpad_sequence` (without torch's in-place transpose of the input)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    ln = _lengths_np(lengths)
    return [padded_sequences[i, : int(n)] for i, n in enumerate(ln)]


def pack_sequence(sequences, enforce_sorted=True):
    """Matches `torch.nn.utils.rnn.pack_sequence`."""
    lengths = ember.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Matches `torch.nn.utils.rnn.unpack_sequence`."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
