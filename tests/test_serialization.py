"""ember.save / ember.load against torch.save / torch.load, hostile checkpoints, and safetensors."""

import collections
import io
import os
import pickle
import sys
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember.serialization import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    get_unsafe_globals_in_checkpoint,
    load,
    safe_globals,
    save,
)
from ember.utils import safetensors as est

DTYPES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


def _torch_tensor(dtype, shape=(2, 3), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g) * 50
    if dtype == "bool":
        return x > 0
    if dtype.startswith("complex"):
        return torch.complex(x, -x).to(getattr(torch, dtype))
    return x.to(getattr(torch, dtype))


def _to_ember(t):
    if t.dtype == torch.bfloat16:
        arr = t.view(torch.int16).numpy().view(ember.bfloat16.np)
    else:
        arr = t.numpy()
    return ember.tensor(arr.copy()) if arr.ndim else ember.tensor(arr[()])


def _to_np(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.contiguous().view(torch.int16)
        return np.ascontiguousarray(t.numpy())
    return np.ascontiguousarray(t.detach()._data)


def _same(e, t):
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(_to_np(e).reshape(-1).view(np.uint8), _to_np(t).reshape(-1).view(np.uint8))


def _roundtrip_ember_to_torch(obj, tmp_path, **kw):
    p = tmp_path / "e.pt"
    save(obj, p, **kw)
    return torch.load(p)


def _roundtrip_torch_to_ember(obj, tmp_path, **kw):
    p = tmp_path / "t.pt"
    torch.save(obj, p, **kw)
    return load(p)


# ------------------------------------------------------------------------------------------------ dtypes, basics
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_both_ways(dtype, tmp_path):
    t = _torch_tensor(dtype)
    e = _to_ember(t)
    back = _roundtrip_ember_to_torch({"x": e, "s": e[0, 1]}, tmp_path)
    _same(e, back["x"])
    _same(e[0, 1], back["s"])
    got = _roundtrip_torch_to_ember({"x": t, "dt": t.dtype}, tmp_path)
    _same(got["x"], t)
    assert got["dt"] is getattr(ember, dtype)
    assert load(tmp_path / "e.pt")["x"].dtype is getattr(ember, dtype)


def test_pickle_bytes_identical_to_torch(tmp_path):
    torch.save({"a": torch.arange(6.0).reshape(2, 3), "p": torch.nn.Parameter(torch.ones(2))}, tmp_path / "x.pt")
    save({"a": ember.arange(6.0).reshape(2, 3), "p": ember.nn.Parameter(ember.ones(2))}, tmp_path / "x.pt2")
    a = zipfile.ZipFile(tmp_path / "x.pt").read("x/data.pkl")
    b = zipfile.ZipFile(tmp_path / "x.pt2").read("x/data.pkl")
    assert a == b


def test_zip_layout(tmp_path):
    save({"a": ember.ones(3), "b": ember.zeros(5, dtype=ember.int64)}, tmp_path / "m.pt")
    z = zipfile.ZipFile(tmp_path / "m.pt")
    names = z.namelist()
    for n in ("m/data.pkl", "m/byteorder", "m/data/0", "m/data/1", "m/version", "m/.data/serialization_id"):
        assert n in names
    assert z.read("m/byteorder") == b"little"
    raw = (tmp_path / "m.pt").read_bytes()
    for info in z.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        fnl, exl = np.frombuffer(raw[info.header_offset + 26 : info.header_offset + 30], dtype="<u2")
        assert (info.header_offset + 30 + int(fnl) + int(exl)) % 64 == 0


def test_file_objects_and_scalars(tmp_path):
    buf = io.BytesIO()
    obj = {"i": 3, "f": 2.5, "s": "text", "n": None, "t": (1, 2.0, "x"), "l": [ember.ones(2), {"z": 1j}]}
    save(obj, buf)
    buf.seek(0)
    r = torch.load(buf)
    assert r["i"] == 3 and r["f"] == 2.5 and r["s"] == "text" and r["n"] is None and r["t"] == (1, 2.0, "x")
    assert r["l"][1] == {"z": 1j}
    buf.seek(0)
    r = load(buf)
    assert r["t"] == (1, 2.0, "x")
    _same(r["l"][0], torch.ones(2))
    b2 = io.BytesIO()
    torch.save(torch.tensor(7.5), b2)
    b2.seek(0)
    e = load(b2)
    assert e.shape == () and e.item() == 7.5


def test_size_device_and_nested(tmp_path):
    obj = {"size": ember.Size([2, 3]), "dev": ember.device("cpu"), "nest": [[ember.ones(1)], (ember.zeros(2),)]}
    r = _roundtrip_ember_to_torch(obj, tmp_path)
    assert r["size"] == torch.Size([2, 3]) and isinstance(r["size"], torch.Size)
    assert r["dev"] == torch.device("cpu")
    _same(obj["nest"][1][0], r["nest"][1][0])
    t = {"size": torch.Size([4]), "dev": torch.device("cuda", 1), "nest": [[torch.ones(1)], (torch.zeros(2),)]}
    e = _roundtrip_torch_to_ember(t, tmp_path)
    assert isinstance(e["size"], ember.Size) and e["size"] == (4,)
    assert e["dev"] == ember.device("cuda", 1)
    _same(e["nest"][0][0], t["nest"][0][0])


# ------------------------------------------------------------------------------------------------ sharing, views
def test_views_share_storage_ember_to_torch(tmp_path):
    base = ember.arange(24.0).reshape(4, 6)
    obj = {"base": base, "row": base[1], "col": base[:, 2], "t": base.t(), "tail": base.reshape(-1)[5:]}
    r = _roundtrip_ember_to_torch(obj, tmp_path)
    ptr = r["base"].untyped_storage().data_ptr()
    for k in obj:
        _same(obj[k], r[k])
        assert r[k].untyped_storage().data_ptr() == ptr
        assert r[k].storage_offset() == obj[k].storage_offset()
        assert r[k].stride() == obj[k].stride()
    r["base"][1, 2] = -1.0
    assert r["row"][2].item() == -1.0 and r["col"][1].item() == -1.0


def test_views_share_storage_torch_to_ember(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"row": base[1], "base": base, "col": base[:, 2], "t": base.t()}
    e = _roundtrip_torch_to_ember(obj, tmp_path)
    for k in obj:
        _same(e[k], obj[k])
        assert e[k].storage_offset() == obj[k].storage_offset()
        assert e[k].stride() == obj[k].stride()
    e["base"][1, 2] = -1.0
    assert e["row"][2].item() == -1.0 and e["col"][1].item() == -1.0 and e["t"][2, 1].item() == -1.0
    # and back again: still one storage
    r = _roundtrip_ember_to_torch(e, tmp_path)
    assert r["row"].untyped_storage().data_ptr() == r["base"].untyped_storage().data_ptr()
    assert r["col"][1].item() == -1.0


def test_unshared_tensors_load_as_plain_tensors(tmp_path):
    e = _roundtrip_torch_to_ember({"a": torch.ones(2, 3), "b": torch.zeros(4)}, tmp_path)
    assert e["a"]._base is None and e["b"]._base is None
    assert e["a"].is_contiguous()


def test_mixed_dtype_views_raise_like_torch(tmp_path):
    x = ember.zeros(4)
    y = x.view(ember.int32)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        save([x, y], tmp_path / "bad.pt")


def test_detached_and_expanded_share(tmp_path):
    x = ember.arange(3.0)
    obj = {"x": x, "d": x.detach(), "e": x.expand(2, 3)}
    r = _roundtrip_ember_to_torch(obj, tmp_path)
    assert r["e"].stride() == (0, 1)
    assert r["d"].untyped_storage().data_ptr() == r["x"].untyped_storage().data_ptr()
    _same(obj["e"], r["e"])


# ------------------------------------------------------------------------------------------------ modules, optim
def _models():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    em = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4), ember.nn.Linear(4, 2))
    return tm, em


def test_state_dict_torch_to_ember(tmp_path):
    tm, em = _models()
    sd = _roundtrip_torch_to_ember(tm.state_dict(), tmp_path)
    assert isinstance(sd, collections.OrderedDict)
    assert sd._metadata == tm.state_dict()._metadata
    em.load_state_dict(sd)
    for k, v in tm.state_dict().items():
        _same(em.state_dict()[k], v)


def test_state_dict_ember_to_torch(tmp_path):
    tm, em = _models()
    r = _roundtrip_ember_to_torch(em.state_dict(), tmp_path)
    assert list(r) == list(tm.state_dict())
    assert r._metadata == em.state_dict()._metadata
    tm.load_state_dict(r)
    for k, v in em.state_dict().items():
        _same(v, tm.state_dict()[k])


def test_parameters_keep_requires_grad(tmp_path):
    obj = {
        "p": ember.nn.Parameter(ember.ones(2)),
        "q": ember.nn.Parameter(ember.ones(2), requires_grad=False),
        "g": ember.ones(2).requires_grad_(),
    }
    r = _roundtrip_ember_to_torch(obj, tmp_path)
    assert isinstance(r["p"], torch.nn.Parameter) and r["p"].requires_grad
    assert isinstance(r["q"], torch.nn.Parameter) and not r["q"].requires_grad
    assert not isinstance(r["g"], torch.nn.Parameter) and r["g"].requires_grad and r["g"].is_leaf
    e = load(tmp_path / "e.pt")
    assert isinstance(e["p"], ember.nn.Parameter) and e["p"].requires_grad and e["p"].is_leaf
    assert isinstance(e["q"], ember.nn.Parameter) and not e["q"].requires_grad
    assert e["g"].requires_grad and e["g"].is_leaf
    t = {"p": torch.nn.Parameter(torch.ones(3)), "v": torch.nn.Parameter(torch.arange(4.0))[1:].detach()}
    e = _roundtrip_torch_to_ember(t, tmp_path)
    assert isinstance(e["p"], ember.nn.Parameter) and e["p"].requires_grad
    (e["p"] * 2).sum().backward()
    np.testing.assert_array_equal(_to_np(e["p"].grad), [2.0, 2.0, 2.0])


def test_whole_parameter_object_with_grad_leaf_view(tmp_path):
    w = torch.arange(6.0).requires_grad_()
    e = _roundtrip_torch_to_ember({"w": w, "other": w.detach()[2:]}, tmp_path)
    assert e["w"].requires_grad and e["w"].is_leaf
    e["w"].sum().backward()
    assert e["w"].grad is not None


def test_optimizer_state_dict_both_ways(tmp_path):
    tm, em = _models()
    em.load_state_dict(_roundtrip_torch_to_ember(tm.state_dict(), tmp_path))
    x = torch.randn(5, 3)
    topt = torch.optim.Adam(tm.parameters(), lr=0.01)
    eopt = ember.optim.Adam(em.parameters(), lr=0.01)
    tm(x).sum().backward()
    topt.step()
    em(_to_ember(x)).sum().backward()
    eopt.step()
    sd = _roundtrip_torch_to_ember(topt.state_dict(), tmp_path)
    assert sd["param_groups"][0]["params"] == topt.state_dict()["param_groups"][0]["params"]
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == set(topt.state_dict()["state"])
    for i, st in topt.state_dict()["state"].items():
        for k, v in st.items():
            _same(sd["state"][i][k], v)
    eopt.load_state_dict(sd)
    r = _roundtrip_ember_to_torch(eopt.state_dict(), tmp_path)
    assert r["param_groups"][0]["lr"] == 0.01
    assert all(isinstance(k, int) for k in r["state"])
    topt.load_state_dict(r)


# ------------------------------------------------------------------------------------------------ legacy, mmap, map
def test_legacy_format_torch_to_ember(tmp_path):
    base = torch.arange(10, dtype=torch.int16)
    obj = {
        "a": base,
        "b": base[3:],
        "c": torch.randn(2, 2, dtype=torch.float64),
        "p": torch.nn.Parameter(torch.ones(1)),
    }
    p = tmp_path / "legacy.pt"
    torch.save(obj, p, _use_new_zipfile_serialization=False)
    e = load(p)
    for k in obj:
        _same(e[k], obj[k])
    assert isinstance(e["p"], ember.nn.Parameter)
    e["a"][4] = 99
    assert e["b"][1].item() == 99
    sd = torch.nn.Linear(2, 2).state_dict()
    torch.save(sd, p, _use_new_zipfile_serialization=False)
    esd = load(p)
    assert esd._metadata == sd._metadata
    _same(esd["weight"], sd["weight"])


def test_legacy_format_ember_to_torch(tmp_path):
    base = ember.arange(10.0)
    obj = {"a": base, "b": base[3:], "c": ember.ones(2, dtype=ember.int64)}
    p = tmp_path / "legacy.pt"
    save(obj, p, _use_new_zipfile_serialization=False)
    r = torch.load(p)
    for k in obj:
        _same(obj[k], r[k])
    assert r["b"].untyped_storage().data_ptr() == r["a"].untyped_storage().data_ptr()
    e = load(p)
    _same(e["b"], r["b"])
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        load(p, mmap=True)


def test_mmap(tmp_path):
    p = tmp_path / "m.pt"
    base = torch.arange(12.0)
    torch.save({"a": base, "v": base[2:5], "i": torch.arange(3)}, p)
    e = load(p, mmap=True)
    assert isinstance(np.asarray(e["a"]._data).base, np.ndarray) or e["a"]._data.base is not None
    _same(e["v"], base[2:5])
    _same(e["i"], torch.arange(3))
    e["a"][3] = -5.0  # copy-on-write: visible through the view, not in the file
    assert e["v"][1].item() == -5.0
    assert torch.load(p)["a"][3].item() == 3.0
    e2 = load(str(p), mmap=True)
    assert e2["a"][3].item() == 3.0
    save({"x": ember.ones(4)}, p)
    assert load(p, mmap=True)["x"].sum().item() == 4.0
    with pytest.raises(ValueError, match="file path"):
        load(io.BytesIO(p.read_bytes()), mmap=True)


def test_map_location(tmp_path):
    p = tmp_path / "m.pt"
    torch.save({"a": torch.ones(2)}, p)
    assert load(p, map_location="cpu")["a"].device == ember.device("cpu")
    assert load(p, map_location=ember.device("cpu"))["a"].is_cpu
    assert load(p, map_location={"cpu": "cpu"})["a"].is_cpu
    seen = []
    r = load(p, map_location=lambda s, loc: seen.append(loc) or s)
    assert seen == ["cpu"] and r["a"].is_cpu
    r = load(p, map_location=lambda s, loc: None)
    assert r["a"].is_cpu
    # a checkpoint tagged 'cuda:0' maps to the cpu on request, and fails without a GPU otherwise
    raw = p.read_bytes()
    zf = zipfile.ZipFile(io.BytesIO(raw))
    pkl = zf.read("m/data.pkl").replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    q = tmp_path / "cuda.pt"
    _rezip(zf, q, {"m/data.pkl": pkl})
    assert load(q, map_location="cpu")["a"].is_cpu
    assert load(q, map_location={"cuda:0": "cpu"})["a"].is_cpu
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            load(q)


# ------------------------------------------------------------------------------------------------ weights_only
def _rezip(src_zf, dest, replace):
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as out:
        for info in src_zf.infolist():
            out.writestr(info.filename, replace.get(info.filename, src_zf.read(info.filename)))


def _hostile_zip(tmp_path, payload):
    """A well-formed checkpoint whose data.pkl is `payload`."""
    p = tmp_path / "good.pt"
    torch.save({"a": torch.ones(4)}, p)
    q = tmp_path / "hostile.pt"
    _rezip(zipfile.ZipFile(p), q, {"good/data.pkl": payload})
    return q


class _System:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def test_hostile_os_system_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"x": _System(f"touch {marker}")}, protocol=2)
    q = _hostile_zip(tmp_path, payload)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        load(q)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):
        load(q, weights_only=True)
    assert not marker.exists()
    assert get_unsafe_globals_in_checkpoint(q) == [f"{os.system.__module__}.system"]


def test_hostile_eval_and_import_are_refused(tmp_path):
    marker = tmp_path / "imported"
    modname = "ember_hostile_probe_mod"
    (tmp_path / f"{modname}.py").write_text(f"open({str(marker)!r}, 'w').close()\nvalue = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        payload = b"\x80\x02c" + modname.encode() + b"\nvalue\n."
        with pytest.raises(pickle.UnpicklingError, match=modname):
            load(_hostile_zip(tmp_path, payload))
        assert not marker.exists() and modname not in sys.modules
        payload = b"\x80\x02cbuiltins\neval\nX\x06\x00\x00\x001 + 1\x85R."
        with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
            load(_hostile_zip(tmp_path, payload))
        payload = b"\x80\x02csubprocess\ncall\n."
        with pytest.raises(pickle.UnpicklingError, match="subprocess.call"):
            load(_hostile_zip(tmp_path, payload))
    finally:
        sys.path.remove(str(tmp_path))
    # the legacy format is guarded the same way
    legacy = tmp_path / "legacy_hostile.pt"
    with open(legacy, "wb") as f:
        for x in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(x, f, protocol=2)
        pickle.dump(_System(f"touch {marker}"), f, protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        load(legacy)
    assert not marker.exists()


def _storage_pickle(offset, size, stride, numel=4):
    # torch's _rebuild_tensor_v2 on storage '0' (4 floats), with the given geometry
    def tup(xs):
        return b"(" + b"".join(b"J" + int(x).to_bytes(4, "little", signed=True) for x in xs) + b"t"

    return (
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(("
        b"X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
        + b"J"
        + int(numel).to_bytes(4, "little", signed=True)
        + b"tQJ"
        + int(offset).to_bytes(4, "little", signed=True)
        + tup(size)
        + tup(stride)
        + b"\x89ccollections\nOrderedDict\n)RtR."
    )


def test_out_of_bounds_views_are_refused(tmp_path):
    ok = load(_hostile_zip(tmp_path, _storage_pickle(1, (3,), (1,))))
    assert ok.tolist() == [1.0, 1.0, 1.0]
    for args in [(2, (3,), (1,)), (0, (3,), (2,)), (-1, (2,), (1,)), (0, (2, 2), (3, 1)), (0, (2,), (-1,))]:
        with pytest.raises(pickle.UnpicklingError):
            load(_hostile_zip(tmp_path, _storage_pickle(*args)))
    with pytest.raises(pickle.UnpicklingError):  # claims more elements than the record holds
        load(_hostile_zip(tmp_path, _storage_pickle(0, (2,), (1,), numel=100)))
    bad_key = _storage_pickle(0, (2,), (1,)).replace(b"X\x01\x00\x00\x000", b"X\x01\x00\x00\x009")
    with pytest.raises(pickle.UnpicklingError):
        load(_hostile_zip(tmp_path, bad_key))


def test_build_cannot_overwrite_tensor_internals(tmp_path):
    # a tensor, then BUILD with slot state {'_data': 'x'}
    payload = _storage_pickle(0, (2,), (1,))[:-1] + b"N}X\x05\x00\x00\x00_dataX\x01\x00\x00\x00xs\x86b."
    with pytest.raises(pickle.UnpicklingError, match="_data"):
        load(_hostile_zip(tmp_path, payload))
    # BUILD on an allowed global (a class) is refused too
    payload = b"\x80\x02ctorch\nSize\n}X\x06\x00\x00\x00__eq__K\x01sb."
    with pytest.raises(pickle.UnpicklingError):
        load(_hostile_zip(tmp_path, payload))
    assert ember.Size.__eq__ is tuple.__eq__


class _Custom:
    def __init__(self, v):
        self.v = v


def test_safe_globals_allowlist(tmp_path):
    p = tmp_path / "c.pt"
    torch.save({"c": _Custom(3), "t": torch.ones(1)}, p)
    with pytest.raises(pickle.UnpicklingError, match="_Custom"):
        load(p)
    with safe_globals([_Custom]):
        assert _Custom in get_safe_globals()
        assert load(p)["c"].v == 3
    assert _Custom not in get_safe_globals()
    add_safe_globals([_Custom])
    try:
        assert load(p)["c"].v == 3
    finally:
        clear_safe_globals()
    assert get_safe_globals() == []
    assert load(p, weights_only=False)["c"].v == 3
    with pytest.raises(RuntimeError, match="pickle_module"):
        load(p, pickle_module=pickle, weights_only=True)


def test_weights_only_false_loads_ember_modules(tmp_path):
    m = ember.nn.Linear(2, 3)
    save(m, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError):
        load(tmp_path / "m.pt")
    m2 = load(tmp_path / "m.pt", weights_only=False)
    assert isinstance(m2, ember.nn.Linear)
    _same(m2.weight, torch.from_numpy(np.asarray(m.weight._data)))


# ------------------------------------------------------------------------------------------------ safetensors
def test_safetensors_roundtrip(tmp_path):
    tensors = {d: _to_ember(_torch_tensor(d, (2, 3))) for d in DTYPES if d != "complex128"}
    base = ember.arange(12.0).reshape(3, 4)
    tensors["noncontig"] = base.t()
    tensors["scalar"] = ember.tensor(2.5)
    tensors["empty"] = ember.zeros(0, 3)
    p = tmp_path / "a.safetensors"
    est.save_file(tensors, p, metadata={"format": "pt"})
    back = est.load_file(p)
    assert set(back) == set(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and tuple(back[k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(np.asarray(back[k]._data), np.asarray(v._data))
    with est.safe_open(p, framework="pt") as f:
        assert f.metadata() == {"format": "pt"}
        assert f.keys() == sorted(tensors)
        assert f.get_tensor("noncontig").tolist() == base.t().tolist()
    raw = est.save(tensors)
    assert est.load(raw)["float32"].tolist() == tensors["float32"].tolist()
    n = int.from_bytes(raw[:8], "little")
    assert n % 8 == 0 and raw[8:9] == b"{"


def test_safetensors_rejects_bad_files(tmp_path):
    raw = bytearray(est.save({"a": ember.ones(4)}))
    with pytest.raises(est.SafetensorError):
        est.load(raw[:-1])
    with pytest.raises(est.SafetensorError):
        est.load(b"\xff" * 8 + raw[8:])
    with pytest.raises(est.SafetensorError):
        est.load(bytes(raw).replace(b"[0,16]", b"[0,12]"))
    with pytest.raises(ValueError):
        est.save({"a": ember.ones(1, dtype=ember.complex128)})


def test_safetensors_against_package(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    t = {"w": torch.randn(3, 4), "b": torch.arange(5), "h": torch.ones(2, dtype=torch.bfloat16)}
    st.save_file(t, tmp_path / "t.safetensors", metadata={"k": "v"})
    e = est.load_file(tmp_path / "t.safetensors")
    for k in t:
        _same(e[k], t[k])
    est.save_file({k: _to_ember(v) for k, v in t.items()}, tmp_path / "e.safetensors", metadata={"k": "v"})
    assert (tmp_path / "e.safetensors").read_bytes() == (tmp_path / "t.safetensors").read_bytes()
    r = st.load_file(tmp_path / "e.safetensors")
    for k in t:
        assert torch.equal(r[k], t[k])
