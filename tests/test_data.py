"""ember.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader (with worker processes)."""

import collections
import gc
import math
import multiprocessing
import os
import pickle
import random
import signal
import time

import numpy as np
import pytest
import torch
import torch.utils.data as TD

import ember
import ember.utils.data as ED

LIBS = ((torch, TD), (ember, ED))
Point = collections.namedtuple("Point", ["x", "y"])


class WorkerError(Exception):
    pass


class TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def _same(t, e, path="result"):
    """t (torch's result) and e (ember's) have the same structure, container types, dtypes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: {type(e).__name__} is not a Tensor"
        assert str(t.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], f"{path}: {e.dtype} vs {t.dtype}"
        assert tuple(t.shape) == tuple(e.shape), f"{path}: {tuple(e.shape)} vs {tuple(t.shape)}"
        np.testing.assert_array_equal(e.numpy(), t.numpy(), err_msg=path)
        return
    assert type(t).__name__ == type(e).__name__, f"{path}: {type(e).__name__} vs {type(t).__name__}"
    if isinstance(t, dict):
        assert list(t) == list(e), path
        for k in t:
            _same(t[k], e[k], f"{path}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert len(t) == len(e), f"{path}: length {len(e)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(t, e)):
            _same(a, b, f"{path}[{i}]")
    elif isinstance(t, np.ndarray):
        np.testing.assert_array_equal(e, t)
    else:
        assert t == e, f"{path}: {e!r} vs {t!r}"


def _both(fn):
    out = []
    for mod, M in LIBS:
        mod.manual_seed(0)
        out.append(fn(mod, M))
    return out


def _same_both(fn):
    t, e = _both(fn)
    _same(t, e)
    return e


def _raises_both(exc, fn, match=None):
    for mod, M in LIBS:
        with pytest.raises(exc, match=match):
            fn(mod, M)


@pytest.fixture(autouse=True)
def _no_children_left():
    yield
    gc.collect()
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert multiprocessing.active_children() == []


def _tds(mod, M, n=10):
    return M.TensorDataset(mod.arange(n * 2, dtype=mod.float32).reshape(n, 2), mod.arange(n))


class _MapDS:
    """A plain map-style dataset (no Dataset base), samples of mixed types."""

    def __init__(self, mod, n=10, fail_at=None, kill_at=None, sleep=0.0):
        self.mod, self.n, self.fail_at, self.kill_at, self.sleep = mod, n, fail_at, kill_at, sleep

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"bad sample {i}")
        if i == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.sleep:
            time.sleep(self.sleep)
        return {"x": self.mod.full((3,), float(i)), "i": i, "f": i / 2, "s": f"s{i}", "p": Point(i, np.float32(i))}


def _range_iterable(M, start, end, shard=True):
    class RangeDS(M.IterableDataset):
        def __iter__(self):
            info = M.get_worker_info()
            if info is None or not shard:
                return iter(range(start, end))
            per = int(math.ceil((end - start) / info.num_workers))
            lo = start + info.id * per
            return iter(range(lo, min(lo + per, end)))

        def __len__(self):
            return end - start

    return RangeDS()


# -- datasets -------------------------------------------------------------------------------


def test_tensor_dataset():
    def fn(mod, M):
        ds = _tds(mod, M)
        return [len(ds), ds[3], ds[-1], ds[2:4]]

    _same_both(fn)
    _raises_both(AssertionError, lambda mod, M: M.TensorDataset(mod.zeros(3), mod.zeros(4)))


def test_concat_chain_subset_stack():
    def fn(mod, M):
        a, b = _tds(mod, M, 4), M.TensorDataset(mod.ones(3, 2), mod.zeros(3, dtype=mod.int64))
        c = M.ConcatDataset([a, b])
        c2 = a + b
        sub = M.Subset(c, [6, 0, 5])
        st = M.StackDataset(a, a)
        sd = M.StackDataset(p=a, q=mod.arange(4))
        chain = M.ChainDataset([_range_iterable(M, 0, 3), _range_iterable(M, 5, 7)])
        chain2 = _range_iterable(M, 0, 2) + _range_iterable(M, 9, 10)
        return [
            len(c),
            c.cumulative_sizes,
            c[5],
            c[-1],
            c2[0],
            len(sub),
            sub[0],
            sub.__getitems__([0, 2]),
            st[1],
            sd[2],
            st.__getitems__([0, 3]),
            sd.__getitems__([1]),
            list(chain),
            len(chain),
            list(chain2),
        ]

    _same_both(fn)
    _raises_both(AssertionError, lambda mod, M: M.ConcatDataset([]))
    _raises_both(AssertionError, lambda mod, M: M.ConcatDataset([_range_iterable(M, 0, 2)]))
    _raises_both(ValueError, lambda mod, M: M.ConcatDataset([_tds(mod, M, 3)])[-4])
    _raises_both(ValueError, lambda mod, M: M.StackDataset())
    _raises_both(ValueError, lambda mod, M: M.StackDataset(_tds(mod, M, 3), _tds(mod, M, 4)))
    _raises_both(ValueError, lambda mod, M: M.StackDataset(_tds(mod, M, 3), b=_tds(mod, M, 3)))
    _raises_both(AssertionError, lambda mod, M: list(M.ChainDataset([_tds(mod, M, 3)])))
    _raises_both(NotImplementedError, lambda mod, M: M.Dataset()[0])

    def bad_subset(mod, M):
        class MySubset(M.Subset):
            def __getitem__(self, i):
                return 0

        return MySubset(_tds(mod, M), [0])

    _raises_both(NotImplementedError, bad_subset)


@pytest.mark.parametrize(
    "lengths,gen", [([3, 7], None), ([0.3, 0.7], None), ([0.25, 0.25, 0.5], 5), ([0.33, 0.33, 0.34], 11)]
)
def test_random_split(lengths, gen):
    def fn(mod, M):
        kw = {} if gen is None else {"generator": mod.Generator().manual_seed(gen)}
        parts = M.random_split(range(10), lengths, **kw)
        return [[type(p).__name__, list(p.indices)] for p in parts] + [mod.rand(2)]

    _same_both(fn)


def test_random_split_errors():
    _raises_both(ValueError, lambda mod, M: M.random_split(range(10), [3, 6]))
    _raises_both(ValueError, lambda mod, M: M.random_split(range(10), [1.5, -0.5]))
    for _, M in LIBS:
        with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
            M.random_split(range(2), [0.9, 0.1])


# -- samplers -------------------------------------------------------------------------------


def _sampled(mod, M):
    data = list(range(13))
    g = mod.Generator().manual_seed(3)
    return [
        list(M.SequentialSampler(data)),
        list(M.RandomSampler(data)),
        list(M.RandomSampler(data)),  # a new seed drawn from the default generator each pass
        list(M.RandomSampler(data, num_samples=30)),
        list(M.RandomSampler(data, num_samples=5)),
        list(M.RandomSampler(data, replacement=True)),
        list(M.RandomSampler(data, replacement=True, num_samples=70)),
        list(M.RandomSampler(data, generator=g)),
        list(M.RandomSampler(data, replacement=True, num_samples=40, generator=g)),
        len(M.RandomSampler(data, replacement=True, num_samples=40)),
        list(M.SubsetRandomSampler([10, 20, 30, 40, 50])),
        list(M.SubsetRandomSampler(range(7), generator=g)),
        list(M.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 10)),
        list(M.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False)),
        list(M.WeightedRandomSampler(mod.tensor([1.0, 2.0, 3.0]), 7, generator=g)),
        list(M.BatchSampler(M.SequentialSampler(range(10)), 3, False)),
        list(M.BatchSampler(M.SequentialSampler(range(10)), 3, True)),
        len(M.BatchSampler(range(10), 3, False)),
        len(M.BatchSampler(range(10), 3, True)),
        list(M.BatchSampler(M.RandomSampler(data), 4, False)),
        list(M.DistributedSampler(data, num_replicas=3, rank=1)),
        list(M.DistributedSampler(data, num_replicas=3, rank=2, shuffle=False, drop_last=True)),
        len(M.DistributedSampler(data, num_replicas=4, rank=0)),
        mod.rand(3),  # the default generator ends in the same state
    ]


def test_samplers_match_torch():
    _same_both(_sampled)


def test_distributed_sampler_epoch():
    def fn(mod, M):
        s = M.DistributedSampler(range(10), num_replicas=2, rank=0, seed=4)
        s.set_epoch(3)
        return list(s)

    _same_both(fn)


def test_sampler_errors():
    _raises_both(TypeError, lambda mod, M: M.RandomSampler(range(3), replacement=1))
    _raises_both(ValueError, lambda mod, M: M.RandomSampler(range(3), num_samples=0))
    _raises_both(ValueError, lambda mod, M: M.RandomSampler([]))
    _raises_both(ValueError, lambda mod, M: M.WeightedRandomSampler([1.0], 0))
    _raises_both(ValueError, lambda mod, M: M.WeightedRandomSampler([1.0], True))
    _raises_both(ValueError, lambda mod, M: M.WeightedRandomSampler([1.0], 2, replacement=1))
    _raises_both(ValueError, lambda mod, M: M.WeightedRandomSampler([[1.0]], 2))
    _raises_both(ValueError, lambda mod, M: M.BatchSampler(range(3), 0, False))
    _raises_both(ValueError, lambda mod, M: M.BatchSampler(range(3), 2.0, False))
    _raises_both(ValueError, lambda mod, M: M.BatchSampler(range(3), 2, None))
    _raises_both(NotImplementedError, lambda mod, M: iter(M.Sampler()))
    _raises_both(ValueError, lambda mod, M: M.DistributedSampler(range(3), num_replicas=2, rank=2))


# -- collation ------------------------------------------------------------------------------


def _collate_cases(mod):
    return [
        [0, 1, 2],
        [True, False],
        [1.5, 2.5],
        ["a", "b"],
        [b"a", b"b"],
        [np.float64(1.5), np.float64(2.5)],
        [np.float32(1.5), np.float32(2.5)],
        [np.int32(3), np.int32(4)],
        [np.bool_(True), np.bool_(False)],
        [np.array([1, 2], np.int16), np.array([3, 4], np.int16)],
        [np.array(1.5), np.array(2.5)],
        [np.array([[1.0]], np.float32)] * 3,
        [mod.ones(2, 3), mod.zeros(2, 3)],
        [mod.tensor(1), mod.tensor(2)],
        [mod.ones(2, dtype=mod.float64), mod.ones(2, dtype=mod.float64)],
        [(1, "a", 2.0), (2, "b", 3.0)],
        [[1, 2], [3, 4]],
        [{"a": 1, "b": [1.0, mod.ones(1)]}, {"a": 2, "b": [2.0, mod.zeros(1)]}],
        [collections.OrderedDict(z=1, a=2), collections.OrderedDict(z=3, a=4)],
        [Point(1, 2.0), Point(3, 4.0)],
        [Point(mod.ones(2), "x"), Point(mod.zeros(2), "y")],
        [(np.array([1, 2]), {"k": (1, 2)})] * 2,
    ]


def test_default_collate_matches_torch():
    t, e = _collate_cases(torch), _collate_cases(ember)
    for i, (a, b) in enumerate(zip(t, e)):
        _same(TD.default_collate(a), ED.default_collate(b), f"case {i}")


def test_default_convert_matches_torch():
    def cases(mod):
        return [
            0,
            1.5,
            "s",
            np.array([1, 2], np.int32),
            np.float64(2.5),
            np.int64(3),
            np.array(["a"]),
            mod.ones(2),
            (np.array([1.0]), 2),
            [np.array([1.0]), "x"],
            {"a": np.array([1], np.uint8), "b": 1},
            Point(np.array(0), np.array(1.0)),
        ]

    for i, (a, b) in enumerate(zip(cases(torch), cases(ember))):
        _same(TD.default_convert(a), ED.default_convert(b), f"case {i}")


def test_collate_errors():
    for _, M in LIBS:
        with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
            M.default_collate([object(), object()])
        with pytest.raises(TypeError, match="found <U1"):
            M.default_collate([np.array(["a"]), np.array(["b"])])
        with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
            M.default_collate([[1, 2], [1]])
        with pytest.raises(IndexError):
            M.default_collate([])


# -- DataLoader, one process ----------------------------------------------------------------


def _loader_results(mod, M, **kw):
    ds = kw.pop("ds", None) or _tds(mod, M)
    return list(M.DataLoader(ds, **kw))


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"batch_size": 4},
        {"batch_size": 4, "shuffle": True},
        {"batch_size": 3, "shuffle": True, "drop_last": True},
        {"batch_size": None},
        {"batch_size": None, "shuffle": True},
        {"batch_size": 4, "collate_fn": lambda b: b},
        {"batch_size": 4, "collate_fn": "default_collate"},
    ],
)
def test_loader_single_process(kw):
    def fn(mod, M):
        k = dict(kw)
        if k.get("collate_fn") == "default_collate":
            k["collate_fn"] = M.default_collate
        out = _loader_results(mod, M, **k)
        out += _loader_results(mod, M, **k)  # a second epoch continues the default generator's stream
        return out + [mod.rand(2)]

    _same_both(fn)


def test_loader_shuffle_generator_and_samplers():
    def fn(mod, M):
        g = mod.Generator().manual_seed(42)
        ds = _tds(mod, M, 11)
        out = list(M.DataLoader(ds, batch_size=4, shuffle=True, generator=g))
        out += list(M.DataLoader(ds, batch_size=2, sampler=M.SubsetRandomSampler([1, 3, 5, 7, 9])))
        out += list(M.DataLoader(ds, batch_sampler=M.BatchSampler(M.RandomSampler(ds), 5, False)))
        out += list(M.DataLoader(ds, sampler=M.WeightedRandomSampler([1.0] * 11, 4), batch_size=2))
        out += list(M.DataLoader(_MapDS(mod, 6), batch_size=4, shuffle=True))
        out += list(M.DataLoader(_MapDS(mod, 3), batch_size=None))
        return out + [mod.rand(2)]

    _same_both(fn)


def test_loader_len():
    def fn(mod, M):
        ds = _tds(mod, M, 10)
        it_ds = _range_iterable(M, 0, 10)
        return [
            len(M.DataLoader(ds)),
            len(M.DataLoader(ds, batch_size=3)),
            len(M.DataLoader(ds, batch_size=3, drop_last=True)),
            len(M.DataLoader(ds, batch_size=None)),
            len(M.DataLoader(ds, batch_sampler=M.BatchSampler(range(10), 4, False))),
            len(M.DataLoader(it_ds, batch_size=3)),
            len(M.DataLoader(it_ds, batch_size=3, drop_last=True)),
            len(iter(M.DataLoader(ds, batch_size=4))),
        ]

    _same_both(fn)


def test_loader_iterable_dataset_single_process():
    def fn(mod, M):
        it = _range_iterable(M, 3, 10)
        return [
            list(M.DataLoader(it)),
            list(M.DataLoader(it, batch_size=3)),
            list(M.DataLoader(it, batch_size=3, drop_last=True)),
            list(M.DataLoader(it, batch_size=None)),
        ]

    _same_both(fn)


def test_loader_option_errors():
    def ds(mod, M):
        return _tds(mod, M)

    cases = [
        (ValueError, dict(num_workers=-1)),
        (ValueError, dict(timeout=-1)),
        (ValueError, dict(prefetch_factor=2)),
        (ValueError, dict(num_workers=1, prefetch_factor=-1)),
        (ValueError, dict(persistent_workers=True)),
        (ValueError, dict(shuffle=True, sampler=[0, 1])),
        (ValueError, dict(batch_sampler=[[0]], batch_size=2)),
        (ValueError, dict(batch_sampler=[[0]], drop_last=True)),
        (ValueError, dict(batch_size=None, drop_last=True)),
        (ValueError, dict(multiprocessing_context="fork")),
        (ValueError, dict(num_workers=1, multiprocessing_context="nope")),
        (TypeError, dict(num_workers=1, multiprocessing_context=3)),
    ]
    for exc, kw in cases:
        _raises_both(exc, lambda mod, M, kw=kw: M.DataLoader(ds(mod, M), **kw))
    it = [(torch, TD), (ember, ED)]
    for mod, M in it:
        for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
            with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
                M.DataLoader(_range_iterable(M, 0, 3), **kw)
        dl = M.DataLoader(_tds(mod, M))
        with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
            dl.batch_size = 3
        with pytest.raises(NotImplementedError):
            pickle.dumps(iter(dl))


def test_pin_memory_accepted():
    ds = _tds(ember, ED)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator"):
        out = list(ED.DataLoader(ds, batch_size=5, pin_memory=True))
    assert len(out) == 2 and out[0][0].shape == (5, 2)


def test_tensor_dataset_fast_path_same_as_per_sample():
    ember.manual_seed(1)
    x, y = ember.randn(50, 3, 2), ember.randint(0, 9, (50,))
    base = ED.TensorDataset(x, y)
    for ds in (base, ED.random_split(base, [0.6, 0.4])[0], ED.Subset(ED.Subset(base, list(range(40, 0, -1))), [3, 1])):
        for kw in ({"batch_size": 7}, {"batch_size": 7, "drop_last": True}):
            fast = list(ED.DataLoader(ds, **kw))
            slow = list(ED.DataLoader(ds, collate_fn=lambda b: ED.default_collate(b), **kw))
            assert len(fast) == len(slow)
            for f, s in zip(fast, slow):
                assert type(f) is list and len(f) == 2
                for a, b in zip(f, s):
                    assert a.dtype == b.dtype and a.shape == b.shape
                    np.testing.assert_array_equal(a.numpy(), b.numpy())


# -- DataLoader, worker processes -----------------------------------------------------------


@pytest.mark.parametrize("num_workers", [0, 2])
def test_shuffle_batches_match_torch(num_workers):
    def fn(mod, M):
        ds = _tds(mod, M, 23)
        out = list(M.DataLoader(ds, batch_size=4, shuffle=True, num_workers=num_workers))
        out += list(M.DataLoader(_MapDS(mod, 7), batch_size=3, shuffle=True, num_workers=num_workers))
        return out + [mod.rand(2)]

    _same_both(fn)


def _worker_view(mod, M):
    class DS:
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = M.get_worker_info()
            return (
                i,
                info.id,
                info.num_workers,
                info.seed,
                mod.initial_seed(),
                mod.rand(2, dtype=mod.float64),
                float(np.random.rand()),
                random.random(),
                type(info.dataset).__name__,
            )

    return DS()


def test_worker_info_and_seeds_match_torch():
    def fn(mod, M):
        g = mod.Generator().manual_seed(9)
        out = list(M.DataLoader(_worker_view(mod, M), batch_size=None, num_workers=2))
        out += list(M.DataLoader(_worker_view(mod, M), batch_size=2, num_workers=2, shuffle=True, generator=g))
        return out + [M.get_worker_info(), mod.rand(2)]

    _same_both(fn)


def test_iterable_dataset_sharding_with_workers():
    def fn(mod, M):
        out = list(M.DataLoader(_range_iterable(M, 3, 11), num_workers=2))
        out += list(M.DataLoader(_range_iterable(M, 0, 9), batch_size=2, num_workers=2))
        out += list(M.DataLoader(_range_iterable(M, 0, 9), batch_size=2, num_workers=3, drop_last=True))
        out += list(M.DataLoader(_range_iterable(M, 0, 4, shard=False), batch_size=None, num_workers=2))
        return out

    _same_both(fn)


def test_worker_init_fn_and_prefetch():
    def init(worker_id):
        info = ED.get_worker_info()
        info.dataset.offset = 100 * (worker_id + 1)

    class DS:
        offset = 0

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return i + self.offset

    out = list(ED.DataLoader(DS(), batch_size=2, num_workers=2, worker_init_fn=init, prefetch_factor=1))
    assert [b.tolist() for b in out] == [[100, 101], [202, 203], [104, 105], [206, 207]]
    assert DS.offset == 0
    out = list(ED.DataLoader(DS(), batch_size=3, num_workers=2, in_order=False))
    assert sorted(v for b in out for v in b.tolist()) == list(range(8))


def test_worker_exception_reraised():
    for mod, M in LIBS:
        it = iter(M.DataLoader(_MapDS(mod, 10, fail_at=5), batch_size=2, num_workers=2))
        with pytest.raises(ValueError) as info:
            list(it)
        msg = str(info.value)
        assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback"), msg
        assert "bad sample 5" in msg and "__getitem__" in msg
        del info
        if M is ED:  # ember's traceback does not hold the iterator: dropping it ends the workers at once
            del it
            assert multiprocessing.active_children() == []
        else:
            it._shutdown_workers()  # torch's traceback keeps its iterator in a garbage cycle
    # KeyError keeps its message readable; an exception type that cannot take a message becomes RuntimeError
    for _, M in LIBS:

        class DS:
            def __len__(self):
                return 3

            def __getitem__(self, i):
                if i == 1:
                    raise KeyError("missing")
                if i == 2:
                    raise TwoArgError(1, 2)
                return i

        it = iter(M.DataLoader(DS(), num_workers=1))
        assert next(it).tolist() == [0]
        with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
            next(it)
        with pytest.raises(RuntimeError, match="Caught TwoArgError in DataLoader worker process 0"):
            next(it)
        with pytest.raises(StopIteration):
            next(it)  # the iterator goes on after a worker's error, as torch's does
        it._shutdown_workers()


def test_worker_init_exception():
    def bad_init(worker_id):
        raise WorkerError("init failed")

    for mod, M in LIBS:
        it = iter(M.DataLoader(_tds(mod, M), batch_size=2, num_workers=2, worker_init_fn=bad_init))
        with pytest.raises(WorkerError, match="Caught WorkerError in DataLoader worker process"):
            list(it)
        it._shutdown_workers()  # torch's traceback keeps its iterator in a garbage cycle


def test_single_process_exception_is_plain():
    for mod, M in LIBS:
        with pytest.raises(ValueError, match="^bad sample 5$"):
            list(M.DataLoader(_MapDS(mod, 10, fail_at=5), batch_size=2))


def test_killed_worker_raises():
    loader = ED.DataLoader(_MapDS(ember, 10, kill_at=3), batch_size=1, num_workers=2)
    t0 = time.monotonic()
    try:
        list(loader)
    except RuntimeError as e:
        assert "exited unexpectedly" in str(e)
        assert "killed by signal" in str(e.__cause__)
    else:
        raise AssertionError("no error")
    assert time.monotonic() - t0 < 5
    assert multiprocessing.active_children() == []  # the failed iterator was freed and shut its workers down


def test_timeout():
    loader = ED.DataLoader(_MapDS(ember, 4, sleep=1.0), batch_size=1, num_workers=1, timeout=0.3)
    try:
        next(iter(loader))
    except RuntimeError as e:
        assert str(e) == "DataLoader timed out after 0.3 seconds"
    else:
        raise AssertionError("no timeout")
    with pytest.raises(AssertionError):  # as torch: timeout needs workers
        iter(ED.DataLoader(_tds(ember, ED), timeout=1))


def test_workers_shut_down_on_break_del_and_gc():
    loader = ED.DataLoader(_tds(ember, ED, 40), batch_size=2, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 1:
            assert len(multiprocessing.active_children()) == 2
            break
    assert multiprocessing.active_children() == []
    it = iter(loader)
    next(it)
    del it
    assert multiprocessing.active_children() == []
    it = iter(loader)
    next(it)
    holder = {"it": it, "self": None}
    holder["self"] = holder  # a reference cycle: collected by gc
    del it, holder
    gc.collect()
    assert multiprocessing.active_children() == []
    with pytest.raises(ZeroDivisionError):
        for _ in loader:
            1 / 0
    assert multiprocessing.active_children() == []


def test_persistent_workers():
    class PidDS:
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return os.getpid()

    loader = ED.DataLoader(PidDS(), batch_size=3, num_workers=2, persistent_workers=True)
    first = {int(p) for b in loader for p in b}
    assert len(multiprocessing.active_children()) == 2
    partial = iter(loader)  # an epoch left unfinished, then a new one
    next(partial)
    second = {int(p) for b in loader for p in b}
    assert first == second and len(first) == 2
    assert len(loader._iterator._workers) == 2
    del loader, partial
    gc.collect()


def test_persistent_workers_match_torch():
    def fn(mod, M):
        loader = M.DataLoader(_tds(mod, M, 9), batch_size=4, shuffle=True, num_workers=2, persistent_workers=True)
        out = [list(loader), list(loader), list(M.DataLoader(_range_iterable(M, 0, 5), num_workers=2))]
        del loader
        return out + [mod.rand(2)]

    _same_both(fn)


def test_tensors_travel_between_processes():
    x = ember.arange(12, dtype=ember.float32).reshape(6, 2).requires_grad_(False)
    out = list(ED.DataLoader(ED.TensorDataset(x, x.long()), batch_size=4, num_workers=2))
    assert [b[0].dtype for b in out] == [ember.float32, ember.float32]
    assert [b[1].dtype for b in out] == [ember.int64, ember.int64]
    np.testing.assert_array_equal(out[1][0].numpy(), x.numpy()[4:])
    y = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(y.numpy(), x.numpy())


def test_generate_state_matches_torch():
    from torch.utils.data._utils.worker import _generate_state as t_gen

    from ember.utils.data._worker import _generate_state as e_gen

    for seed, wid in ((0, 0), (123456789012345, 3), ((1 << 63) - 5, 7)):
        assert e_gen(seed, wid) == t_gen(seed, wid)
