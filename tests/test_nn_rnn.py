"""Recurrent layers and nn.utils.rnn against torch: outputs, states, gradients, packing, init, reprs, errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import ember
import ember.nn.utils.rnn as ernn

from nn_compare import compare_module, copy_state, to_np

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def pair(name, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(torch.nn, name)(*args, **kwargs), getattr(ember.nn, name)(*args, **kwargs)


CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True},
    {"batch_first": True},
    {"bias": False},
    {"num_layers": 2, "dropout": 0.3},
]


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
@pytest.mark.parametrize("train", [True, False])
def test_rnn_layers(name, cfg, train):
    t, e = pair(name, 5, 6, **cfg)
    x = rand(*((3, 4, 5) if cfg.get("batch_first") else (4, 3, 5)))
    if train and cfg.get("dropout"):
        torch.manual_seed(3)
        ember.manual_seed(3)
    compare_module(t, e, x, train=train, rtol=1e-5, atol=2e-5)


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("cfg", [{}, {"num_layers": 2, "bidirectional": True}, {"batch_first": True}], ids=str)
def test_lstm_proj_size(cfg):
    t, e = pair("LSTM", 5, 6, proj_size=3, **cfg)
    compare_module(t, e, rand(4, 3, 5), atol=2e-5)
    assert e.weight_hr_l0.shape == (3, 6)


def test_rnn_relu_and_initial_state():
    t, e = pair("RNN", 5, 6, num_layers=2, nonlinearity="relu", bidirectional=True)
    compare_module(t, e, rand(4, 3, 5), rand(4, 3, 6), atol=2e-5)


@pytest.mark.parametrize("proj", [0, 4])
@pytest.mark.filterwarnings("ignore:LSTM with projections")
def test_lstm_initial_state(proj):
    t, e = pair("LSTM", 5, 6, num_layers=2, bidirectional=True, proj_size=proj)
    h = rand(4, 3, proj or 6)
    c = rand(4, 3, 6)
    copy_state(t, e)
    th, tc = torch.tensor(h, requires_grad=True), torch.tensor(c, requires_grad=True)
    eh, ec = ember.tensor(h, requires_grad=True), ember.tensor(c, requires_grad=True)
    x = rand(4, 3, 5)
    to, (thn, tcn) = t(torch.tensor(x), (th, tc))
    eo, (ehn, ecn) = e(ember.tensor(x), (eh, ec))
    for a, b in ((to, eo), (thn, ehn), (tcn, ecn)):
        np.testing.assert_allclose(to_np(b), to_np(a), rtol=1e-5, atol=2e-5)
    (to.sum() + thn.pow(2).sum() + tcn.sum()).backward()
    (eo.sum() + ehn.pow(2).sum() + ecn.sum()).backward()
    np.testing.assert_allclose(to_np(eh.grad), to_np(th.grad), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(to_np(ec.grad), to_np(tc.grad), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_unbatched(name):
    t, e = pair(name, 5, 6, num_layers=2)
    compare_module(t, e, rand(4, 5), atol=2e-5)
    t, e = pair(name, 5, 6, batch_first=True)
    compare_module(t, e, rand(4, 5), atol=2e-5)


def test_float64_tight():
    t, e = pair("LSTM", 5, 6, num_layers=2, bidirectional=True)
    compare_module(t.double(), e.double(), rand(4, 3, 5, dtype=np.float64), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequence_input(name, bidirectional):
    t, e = pair(name, 5, 6, num_layers=2, bidirectional=bidirectional)
    copy_state(t, e)
    lengths = [3, 5, 2, 4]
    x = rand(5, 4, 5)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    tp = trnn.pack_padded_sequence(tx, lengths, enforce_sorted=False)
    ep = ernn.pack_padded_sequence(ex, lengths, enforce_sorted=False)
    np.testing.assert_array_equal(to_np(ep.batch_sizes), to_np(tp.batch_sizes))
    tout, th = t(tp)
    eout, eh = e(ep)
    assert isinstance(eout, ernn.PackedSequence)
    tpad, tl = trnn.pad_packed_sequence(tout)
    epad, el = ernn.pad_packed_sequence(eout)
    np.testing.assert_array_equal(to_np(el), to_np(tl))
    np.testing.assert_allclose(to_np(epad), to_np(tpad), rtol=1e-5, atol=2e-5)
    th = th if isinstance(th, tuple) else (th,)
    eh = eh if isinstance(eh, tuple) else (eh,)
    for a, b in zip(th, eh):
        np.testing.assert_allclose(to_np(b), to_np(a), rtol=1e-5, atol=2e-5)
    g = rand(*tpad.shape)
    (tpad * torch.tensor(g)).sum().add(sum(h.sum() for h in th)).backward()
    (epad * ember.tensor(g)).sum().add(sum(h.sum() for h in eh)).backward()
    np.testing.assert_allclose(to_np(ex.grad), to_np(tx.grad), rtol=1e-4, atol=1e-4)
    for (n, tp_), (_, ep_) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(to_np(ep_.grad), to_np(tp_.grad), rtol=1e-4, atol=1e-4, err_msg=n)


def test_packed_with_initial_state_unsorted():
    t, e = pair("GRU", 3, 4)
    copy_state(t, e)
    seqs = [rand(n, 3) for n in (2, 4, 3)]
    h = rand(1, 3, 4)
    tout, th = t(trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False), torch.tensor(h))
    eout, eh = e(ernn.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False), ember.tensor(h))
    np.testing.assert_allclose(to_np(eh), to_np(th), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_np(eout.data), to_np(tout.data), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,args", [("RNNCell", ()), ("RNNCell", (True, "relu")), ("LSTMCell", ()), ("GRUCell", ())])
@pytest.mark.parametrize("bias", [True, False])
def test_cells(name, args, bias):
    t, e = pair(name, 5, 6, bias, *args[1:])
    compare_module(t, e, rand(3, 5), atol=2e-5)
    if name != "LSTMCell":
        compare_module(t, e, rand(3, 5), rand(3, 6), atol=2e-5)
    compare_module(t, e, rand(5), atol=2e-5)  # unbatched


def test_lstmcell_with_state_grads():
    t, e = pair("LSTMCell", 4, 5)
    copy_state(t, e)
    x, h, c = rand(2, 4), rand(2, 5), rand(2, 5)
    ti = [torch.tensor(a, requires_grad=True) for a in (x, h, c)]
    ei = [ember.tensor(a, requires_grad=True) for a in (x, h, c)]
    th, tc = t(ti[0], (ti[1], ti[2]))
    eh, ec = e(ei[0], (ei[1], ei[2]))
    (th.sum() * 2 + tc.pow(2).sum()).backward()
    (eh.sum() * 2 + ec.pow(2).sum()).backward()
    for a, b in zip(ti, ei):
        np.testing.assert_allclose(to_np(b.grad), to_np(a.grad), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.LSTM(5, 6, num_layers=2, bidirectional=True, proj_size=3),
        lambda nn: nn.GRU(4, 3, bias=False),
        lambda nn: nn.RNN(4, 3, 2, nonlinearity="relu"),
        lambda nn: nn.LSTMCell(3, 4),
        lambda nn: nn.GRUCell(3, 4, bias=False),
        lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"),
    ],
)
def test_seeded_init_and_repr(build):
    torch.manual_seed(0)
    ember.manual_seed(0)
    t, e = build(torch.nn), build(ember.nn)
    assert repr(e) == repr(t)
    tp, ep = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(tp) == list(ep)
    for n in tp:
        np.testing.assert_array_equal(to_np(ep[n]), to_np(tp[n]), err_msg=n)


def test_repr_options():
    for kw in ({"batch_first": True, "dropout": 0.5, "num_layers": 2}, {"bias": False, "bidirectional": True}):
        t, e = pair("GRU", 3, 4, **kw)
        assert repr(e) == repr(t)
    e = ember.nn.LSTM(3, 4, 2)
    assert [len(w) for w in e.all_weights] == [4, 4]


def test_dropout_draws_match_torch():
    t, e = pair("LSTM", 4, 5, num_layers=3, dropout=0.5, bidirectional=True)
    copy_state(t, e)
    x = rand(6, 3, 4)
    torch.manual_seed(1)
    ember.manual_seed(1)
    np.testing.assert_allclose(to_np(e(ember.tensor(x))[0]), to_np(t(torch.tensor(x))[0]), rtol=1e-5, atol=1e-5)


def test_grad_fn_and_no_grad():
    e = ember.nn.LSTM(3, 4)
    out, _ = e(ember.randn(2, 1, 3))
    assert type(out.grad_fn.next_functions[0][0]).__name__ == "MkldnnRnnLayerBackward0"
    with ember.no_grad():
        out, (h, c) = e(ember.randn(2, 1, 3))
    assert out.grad_fn is None and not h.requires_grad


def test_errors():
    e = ember.nn.LSTM(10, 20)
    t = torch.nn.LSTM(10, 20)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 10, got 5"):
        e(ember.randn(3, 2, 5))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 10, got 5"):
        t(torch.randn(3, 2, 5))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        e(ember.randn(3, 2, 5, 1))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 20\), got \[1, 3, 20\]"):
        e(ember.randn(3, 2, 10), (ember.zeros(1, 3, 20), ember.zeros(1, 2, 20)))
    g = ember.nn.GRU(10, 20)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 20\), got \[1, 2, 5\]"):
        g(ember.randn(3, 2, 10), ember.zeros(1, 2, 5))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D"):
        g(ember.randn(3, 2, 10), ember.zeros(2, 20))
    with pytest.raises(ValueError, match="RNN input dtype"):
        g(ember.randn(3, 2, 10, dtype=ember.float64))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        ember.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        ember.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        ember.nn.LSTM(3, 4, dropout=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        ember.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ember.nn.GRU(3, 4, dropout=0.5)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 10"):
        ember.nn.GRUCell(10, 4)(ember.randn(2, 5))
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D"):
        ember.nn.LSTMCell(10, 4)(ember.randn(2, 5, 1))


# -- nn.utils.rnn -----------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    seqs = [rand(n, 3) for n in (4, 2, 5)]
    tp = trnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0, side)
    ep = ernn.pad_sequence([ember.tensor(s) for s in seqs], batch_first, -1.0, side)
    np.testing.assert_array_equal(to_np(ep), to_np(tp))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_pad_roundtrip(batch_first, enforce_sorted):
    lengths = [5, 4, 2] if enforce_sorted else [2, 5, 4]
    x = rand(*((3, 5, 2) if batch_first else (5, 3, 2)))
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    tp = trnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first, enforce_sorted)
    ep = ernn.pack_padded_sequence(ex, ember.tensor(lengths), batch_first, enforce_sorted)
    np.testing.assert_array_equal(to_np(ep.data), to_np(tp.data))
    np.testing.assert_array_equal(to_np(ep.batch_sizes), to_np(tp.batch_sizes))
    assert (ep.sorted_indices is None) == (tp.sorted_indices is None)
    if tp.sorted_indices is not None:
        np.testing.assert_array_equal(to_np(ep.sorted_indices), to_np(tp.sorted_indices))
        np.testing.assert_array_equal(to_np(ep.unsorted_indices), to_np(tp.unsorted_indices))
    tpad, tl = trnn.pad_packed_sequence(tp, batch_first, padding_value=9.0, total_length=6)
    epad, el = ernn.pad_packed_sequence(ep, batch_first, padding_value=9.0, total_length=6)
    np.testing.assert_array_equal(to_np(epad), to_np(tpad))
    np.testing.assert_array_equal(to_np(el), to_np(tl))
    assert el.dtype == ember.int64
    g = rand(*tpad.shape)
    (tpad * torch.tensor(g)).sum().backward()
    (epad * ember.tensor(g)).sum().backward()
    np.testing.assert_array_equal(to_np(ex.grad), to_np(tx.grad))


def test_pack_unpack_sequence():
    seqs = [rand(n, 2) for n in (3, 1, 4)]
    tp = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    ep = ernn.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(to_np(ep.data), to_np(tp.data))
    for a, b in zip(trnn.unpack_sequence(tp), ernn.unpack_sequence(ep)):
        np.testing.assert_array_equal(to_np(b), to_np(a))
    padded = ernn.pad_sequence([ember.tensor(s) for s in seqs])
    for s, u in zip(seqs, ernn.unpad_sequence(padded, ember.tensor([3, 1, 4]))):
        np.testing.assert_array_equal(to_np(u), s)
    assert ep.to(ember.float64).data.dtype == ember.float64
    assert ep.to(ember.float32) is ep
    assert ep.double().data.dtype == ember.float64
    d, bs, si, ui = ep
    assert d is ep.data and bs is ep.batch_sizes
    assert ernn.PackedSequence((ep.data, ep.batch_sizes)).sorted_indices is None


def test_utils_errors():
    x = ember.randn(4, 2, 3)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        ernn.pack_padded_sequence(x, [2, 3])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        ernn.pack_padded_sequence(x, [3, 0])
    p = ernn.pack_padded_sequence(x, [3, 2])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest"):
        ernn.pad_packed_sequence(p, total_length=2)
    with pytest.raises(RuntimeError, match="Expected iterable"):
        ernn.pad_sequence(3)
    assert ember.nn.utils.rnn.PackedSequence is ernn.PackedSequence


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize(
    "name,kw",
    [
        ("LSTM", {}),
        ("LSTM", {"num_layers": 2, "bidirectional": True}),
        ("LSTM", {"proj_size": 3}),
        ("GRU", {"num_layers": 2}),
        ("RNN", {"bidirectional": True}),
        ("RNN", {"nonlinearity": "relu"}),
        ("LSTMCell", {}),
        ("GRUCell", {}),
        ("RNNCell", {}),
    ],
    ids=str,
)
def test_cpu_autocast_bfloat16_matches_torch(name, kw):
    """torch's CPU LSTM runs in bfloat16 under autocast (mkldnn_rnn_layer is on the lower-precision list), the
    plain RNN too (its steps are lower-precision linears); GRU, the cells of GRU/LSTM and the cell state of an
    LSTM with projections stay float32 (their gates meet the float32 state)."""
    t, e = pair(name, 5, 6, **kw)
    copy_state(t, e)
    x = rand(3, 5) if name.endswith("Cell") else rand(4, 3, 5)
    res = []
    for lib, m in ((torch, t), (ember, e)):
        xi = lib.tensor(x, requires_grad=True)
        with lib.autocast("cpu", dtype=lib.bfloat16):
            out = m(xi)
        flat = list(out) if isinstance(out, tuple) and not isinstance(out[1], tuple) else [out]
        if isinstance(out, tuple) and isinstance(out[1], tuple):
            flat = [out[0], *out[1]]
        sum(o.float().sum() for o in flat).backward()
        res.append((flat, xi.grad, [p.grad for p in m.parameters()]))
    (tf, tg, tpg), (ef, eg, epg) = res
    assert [str(o.dtype)[6:] for o in ef] == [str(o.dtype)[6:] for o in tf]
    for a, b in zip(tf, ef):
        np.testing.assert_allclose(to_np(b), to_np(a), rtol=3e-2, atol=3e-2)
    assert str(eg.dtype)[6:] == str(tg.dtype)[6:] == "float32"
    np.testing.assert_allclose(to_np(eg), to_np(tg), rtol=5e-2, atol=5e-2)
    for a, b in zip(tpg, epg):
        assert str(b.dtype)[6:] == str(a.dtype)[6:]
        np.testing.assert_allclose(to_np(b), to_np(a), rtol=5e-2, atol=1e-1)
