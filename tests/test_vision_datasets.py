"""ember.vision.datasets on small files written in the official formats (IDX, CIFAR pickles, image folders),
download=True through a local file:// mirror, FakeData against torch's generator, utils.make_grid/save_image
and io.read_image. No network."""

import gzip
import hashlib
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, io, transforms, utils
from ember.vision.datasets.utils import calculate_md5, check_integrity, extract_archive

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(0)


def _idx(arr):
    code = {np.uint8: 8, np.int8: 9, np.int16: 11, np.int32: 12, np.float32: 13, np.float64: 14}[arr.dtype.type]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_mnist(root, name="MNIST", n_train=6, n_test=4):
    raw = os.path.join(root, name, "raw")
    os.makedirs(raw, exist_ok=True)
    data = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        imgs = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = RNG.integers(0, 10, (n,), dtype=np.uint8)
        with open(os.path.join(raw, f"{split}-images-idx3-ubyte"), "wb") as f:
            f.write(_idx(imgs))
        with open(os.path.join(raw, f"{split}-labels-idx1-ubyte"), "wb") as f:
            f.write(_idx(labels))
        data[split] = (imgs, labels)
    return data


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
def test_mnist_family(tmp_path, cls):
    data = _write_mnist(str(tmp_path), cls.__name__)
    ds = cls(str(tmp_path), train=True)
    assert len(ds) == 6
    assert ds.data.dtype == ember.uint8 and ds.data.shape == (6, 28, 28)
    assert ds.targets.dtype == ember.int64
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L"
    np.testing.assert_array_equal(np.asarray(img), data["train"][0][2])
    assert target == int(data["train"][1][2]) and isinstance(target, int)
    test = cls(str(tmp_path), train=False, transform=transforms.ToTensor(), target_transform=lambda t: t + 100)
    x, y = test[1]
    assert x.shape == (1, 28, 28) and x.dtype == ember.float32
    np.testing.assert_allclose(x.numpy()[0], data["t10k"][0][1] / np.float32(255))
    assert y == int(data["t10k"][1][1]) + 100
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[3]] == 3
    assert repr(test).splitlines()[:3] == [
        "Dataset " + cls.__name__,
        "    Number of datapoints: 4",
        f"    Root location: {tmp_path}",
    ]
    assert "    Split: Test" in repr(test) and "Transform: ToTensor()" in repr(test)
    batches = list(DataLoader(test, batch_size=2))
    assert batches[0][0].shape == (2, 1, 28, 28)


def test_mnist_missing_raises(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.MNIST(str(tmp_path))


def test_mnist_download_from_local_mirror(tmp_path):
    src = tmp_path / "mirror"
    src.mkdir()
    _write_mnist(str(tmp_path / "gen"))
    resources = []
    for f in sorted(os.listdir(tmp_path / "gen" / "MNIST" / "raw")):
        raw = (tmp_path / "gen" / "MNIST" / "raw" / f).read_bytes()
        gz = src / (f + ".gz")
        gz.write_bytes(gzip.compress(raw))
        resources.append((gz.name, hashlib.md5(gz.read_bytes()).hexdigest()))

    class LocalMNIST(datasets.MNIST):
        mirrors = [(tmp_path / "nowhere").as_uri() + "/", src.as_uri() + "/"]

    LocalMNIST.resources = resources
    ds = LocalMNIST(str(tmp_path / "root"), train=True, download=True)
    assert len(ds) == 6
    assert (tmp_path / "root" / "LocalMNIST" / "raw" / "train-images-idx3-ubyte").exists()

    bad = [(n, "0" * 32) for n, _ in resources]

    class BadMNIST(datasets.MNIST):
        mirrors = [src.as_uri() + "/"]

    BadMNIST.resources = bad

    with pytest.raises(RuntimeError):
        BadMNIST(str(tmp_path / "root2"), download=True)


def _write_cifar(root, cls, n=5):
    folder = os.path.join(root, cls.base_folder)
    os.makedirs(folder, exist_ok=True)
    md5s = {}
    all_data = {}
    label_key = "labels" if cls is datasets.CIFAR10 else "fine_labels"
    for name, _ in cls.train_list + cls.test_list:
        data = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = RNG.integers(0, 10, (n,)).tolist()
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump({"data": data, label_key: labels, "batch_label": name}, f)
        md5s[name] = calculate_md5(os.path.join(folder, name))
        all_data[name] = (data, labels)
    meta_key = cls.meta["key"]
    with open(os.path.join(folder, cls.meta["filename"]), "wb") as f:
        pickle.dump({meta_key: [f"c{i}" for i in range(10)]}, f)
    meta_md5 = calculate_md5(os.path.join(folder, cls.meta["filename"]))
    return md5s, meta_md5, all_data


@pytest.mark.parametrize("base", [datasets.CIFAR10, datasets.CIFAR100])
def test_cifar(tmp_path, base):
    md5s, meta_md5, all_data = _write_cifar(str(tmp_path), base)

    class Local(base):
        train_list = [[n, md5s[n]] for n, _ in base.train_list]
        test_list = [[n, md5s[n]] for n, _ in base.test_list]
        meta = {**base.meta, "md5": meta_md5}

    ds = Local(str(tmp_path), train=True)
    assert len(ds) == 5 * len(base.train_list)
    assert ds.data.shape == (len(ds), 32, 32, 3) and ds.data.dtype == np.uint8
    first = base.train_list[0][0]
    np.testing.assert_array_equal(ds.data[1], all_data[first][0][1].reshape(3, 32, 32).transpose(1, 2, 0))
    img, t = ds[1]
    assert img.size == (32, 32) and img.mode == "RGB" and t == all_data[first][1][1]
    assert ds.classes[2] == "c2" and ds.class_to_idx["c2"] == 2
    test = Local(str(tmp_path), train=False, transform=transforms.ToTensor())
    assert test[0][0].shape == (3, 32, 32)
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        base(str(tmp_path))  # the real MD5s do not match the generated files


def test_cifar_download_extracts_tarball(tmp_path):
    gen = tmp_path / "gen"
    md5s, meta_md5, _ = _write_cifar(str(gen), datasets.CIFAR10, n=2)
    tgz = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(gen / "cifar-10-batches-py", arcname="cifar-10-batches-py")

    class Local(datasets.CIFAR10):
        url = tgz.as_uri()
        tgz_md5 = calculate_md5(str(tgz))
        train_list = [[n, md5s[n]] for n, _ in datasets.CIFAR10.train_list]
        test_list = [[n, md5s[n]] for n, _ in datasets.CIFAR10.test_list]
        meta = {**datasets.CIFAR10.meta, "md5": meta_md5}

    ds = Local(str(tmp_path / "root"), train=False, download=True)
    assert len(ds) == 2


def test_image_folder(tmp_path):
    for cls, n in (("cat", 2), ("dog", 3)):
        os.makedirs(tmp_path / cls)
        for i in range(n):
            Image.fromarray(RNG.integers(0, 256, (6, 7, 3), dtype=np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "dog" / "notes.txt").write_text("x")
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 5 and ds.targets == [0, 0, 1, 1, 1]
    assert ds.imgs[0][0].endswith(os.path.join("cat", "0.png"))
    x, y = ds[3]
    assert x.shape == (3, 6, 7) and y == 1
    raw = datasets.DatasetFolder(str(tmp_path), loader=lambda p: open(p).read(), extensions=(".txt",), allow_empty=True)
    assert len(raw) == 1 and raw[0] == ("x", 1)
    with pytest.raises(FileNotFoundError):
        datasets.DatasetFolder(str(tmp_path), loader=open, extensions=(".txt",))
    with pytest.raises(ValueError):
        datasets.DatasetFolder(str(tmp_path), loader=open)
    with pytest.raises(FileNotFoundError):
        datasets.ImageFolder(str(tmp_path / "cat"))


def test_fakedata_matches_torch_generator():
    ds = datasets.FakeData(size=3, image_size=(3, 8, 8), num_classes=5, transform=transforms.PILToTensor())
    ember.manual_seed(123)
    before = ember.rand(1).item()
    ember.manual_seed(123)
    img, target = ds[1]
    assert ember.rand(1).item() == before  # the global generator state is restored
    torch.manual_seed(1)
    ref_img = torch.randn(3, 8, 8)
    ref_t = torch.randint(0, 5, size=(1,), dtype=torch.long)[0].item()
    ref = ref_img.mul(255).byte().numpy()
    assert target == ref_t
    np.testing.assert_array_equal(img.numpy(), ref)
    assert len(ds) == 3
    with pytest.raises(IndexError):
        ds[3]


def test_make_grid_and_save_image(tmp_path):
    x = ember.rand(5, 3, 4, 6)
    g = utils.make_grid(x, nrow=2, padding=1, pad_value=0.5)
    assert g.shape == (3, 3 * 5 + 1, 2 * 7 + 1)
    gn = g.numpy()
    np.testing.assert_array_equal(gn[:, 1:5, 1:7], x.numpy()[0])
    np.testing.assert_array_equal(gn[:, 6:10, 8:14], x.numpy()[3])
    assert gn[0, 0, 0] == 0.5 and gn[0, -2, -2] == 0.5  # the missing 6th tile stays padding
    single = utils.make_grid(ember.rand(1, 1, 4, 4))
    assert single.shape == (3, 4, 4)
    norm = utils.make_grid(x * 4 - 2, normalize=True)
    assert float(norm.min()) >= 0 and float(norm.max()) <= 1
    p = tmp_path / "grid.png"
    utils.save_image(x, str(p), nrow=5)
    back = io.read_image(str(p))
    assert back.dtype == ember.uint8 and back.shape == (3, 4 + 4, 5 * 8 + 2)
    expect = np.clip(utils.make_grid(x, nrow=5).numpy() * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(back.numpy(), expect)
    gray = io.read_image(str(p), io.ImageReadMode.GRAY)
    assert gray.shape == (1, 8, 42)
    with pytest.raises(TypeError):
        utils.make_grid([1, 2])


def test_io_encode_decode(tmp_path):
    img = ember.tensor(RNG.integers(0, 256, (3, 5, 6), dtype=np.uint8))
    data = io.encode_png(img)
    np.testing.assert_array_equal(io.decode_image(data).numpy(), img.numpy())
    io.write_png(img, str(tmp_path / "a.png"))
    np.testing.assert_array_equal(io.read_image(str(tmp_path / "a.png")).numpy(), img.numpy())
    assert io.read_file(str(tmp_path / "a.png")).dtype == ember.uint8


def test_archive_helpers(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"hello")
    assert check_integrity(str(f), hashlib.md5(b"hello").hexdigest())
    assert not check_integrity(str(f), "0" * 32) and not check_integrity(str(tmp_path / "nope"))
    gz = tmp_path / "y.bin.gz"
    gz.write_bytes(gzip.compress(b"abc"))
    out = extract_archive(str(gz))
    assert open(out, "rb").read() == b"abc"
