"""ember.vision.models against torchvision: state_dict keys/shapes (tests/data/torchvision_keys.json), parameter
counts (torchvision's published num_params), forward equality with torch twins written against torch.nn in this
file (resnet18, mobilenet_v2, vit_b_16), same-seed initialization, and the weights= paths (enum, .pth, URL)."""

import functools
import hashlib
import http.server
import json
import os
import threading

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as enn
from ember.hub import load_state_dict_from_url
from ember.vision import models
from ember.vision.models import ResNet18_Weights, ResNet50_Weights

from nn_compare import copy_state, to_np

KEYS = json.load(open(os.path.join(os.path.dirname(__file__), "data", "torchvision_keys.json")))


@pytest.fixture
def no_init(monkeypatch):
    """Skip weight initialization (ember's normal_ on 100M VGG weights is slow); only names/shapes matter."""
    for name in ["kaiming_normal_", "kaiming_uniform_", "normal_", "uniform_", "trunc_normal_", "xavier_uniform_"]:
        monkeypatch.setattr(enn.init, name, lambda t, *a, **k: t)
    monkeypatch.setattr(enn.Linear, "reset_parameters", lambda self: None)
    monkeypatch.setattr(enn.Conv2d, "reset_parameters", lambda self: None)


@pytest.mark.parametrize("name", sorted(KEYS))
def test_state_dict_keys_and_shapes(name, no_init):
    m = models.get_model(name)
    got = [[k, list(v.shape)] for k, v in m.state_dict().items()]
    assert got == KEYS[name]["state_dict"]
    n = sum(p.numel() for p in m.parameters())
    assert n == KEYS[name]["num_params"] == models.get_model_weights(name).DEFAULT.meta["num_params"]


def test_list_and_registry():
    names = models.list_models()
    for n in [
        "resnet18",
        "resnet152",
        "resnext50_32x4d",
        "wide_resnet50_2",
        "vgg16_bn",
        "alexnet",
        "mobilenet_v2",
        "mobilenet_v3_small",
        "mobilenet_v3_large",
        "squeezenet1_0",
        "squeezenet1_1",
        "densenet121",
        "efficientnet_b0",
        "vit_b_16",
    ]:
        assert n in names
    assert models.list_models(include="resnet*") == ["resnet101", "resnet152", "resnet18", "resnet34", "resnet50"]
    assert models.get_model_weights("resnet50") is ResNet50_Weights
    with pytest.raises(ValueError):
        models.get_model("nope")


def test_weights_enum_api():
    w = ResNet50_Weights.DEFAULT
    assert w is ResNet50_Weights.IMAGENET1K_V2
    assert repr(w) == "ResNet50_Weights.IMAGENET1K_V2"
    assert w.url == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
    assert ResNet50_Weights.verify("IMAGENET1K_V1") is ResNet50_Weights.IMAGENET1K_V1
    assert ResNet50_Weights.verify("ResNet50_Weights.IMAGENET1K_V1") is ResNet50_Weights.IMAGENET1K_V1
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V2") is w
    with pytest.raises(TypeError):
        ResNet50_Weights.verify(ResNet18_Weights.DEFAULT)
    with pytest.raises(TypeError):
        models.resnet50(weights=ResNet18_Weights.DEFAULT)
    assert len(w.meta["categories"]) == 1000
    tf = w.transforms()
    assert tf.resize_size == [232] and tf.crop_size == [224]
    assert "crop_size=[224]" in repr(tf)
    x = ember.randint(0, 256, (3, 300, 260), dtype=ember.uint8)
    y = tf(x)
    assert y.shape == (3, 224, 224) and y.dtype == ember.float32
    with pytest.raises(ValueError):
        models.resnet18(weights=ResNet18_Weights.DEFAULT, num_classes=10)


# ----------------------------------------------------------------------------------- torch twins


class TBasicBlock(tnn.Module):
    def __init__(self, inp, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        idt = x if self.downsample is None else self.downsample(x)
        return self.relu(out + idt)


class TResNet18(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        inp = 64
        for i, planes in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            ds = None
            if stride != 1 or inp != planes:
                ds = tnn.Sequential(tnn.Conv2d(inp, planes, 1, stride, bias=False), tnn.BatchNorm2d(planes))
            setattr(
                self, f"layer{i + 1}", tnn.Sequential(TBasicBlock(inp, planes, stride, ds), TBasicBlock(planes, planes))
            )
            inp = planes
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, tnn.Conv2d):
                tnn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, tnn.BatchNorm2d):
                tnn.init.constant_(m.weight, 1)
                tnn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _cna(inp, out, k=3, stride=1, groups=1, act=True):
    layers = [tnn.Conv2d(inp, out, k, stride, (k - 1) // 2, groups=groups, bias=False), tnn.BatchNorm2d(out)]
    if act:
        layers.append(tnn.ReLU6(inplace=True))
    return tnn.Sequential(*layers)


class TInvRes(tnn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res = stride == 1 and inp == oup
        layers = [] if t == 1 else [_cna(inp, hidden, 1)]
        layers += [
            _cna(hidden, hidden, 3, stride, hidden),
            tnn.Conv2d(hidden, oup, 1, bias=False),
            tnn.BatchNorm2d(oup),
        ]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class TMobileNetV2(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        feats = [_cna(3, 32, 3, 2)]
        inp = 32
        for t, c, n, s in [
            [1, 16, 1, 1],
            [6, 24, 2, 2],
            [6, 32, 3, 2],
            [6, 64, 4, 2],
            [6, 96, 3, 1],
            [6, 160, 3, 2],
            [6, 320, 1, 1],
        ]:
            for i in range(n):
                feats.append(TInvRes(inp, c, s if i == 0 else 1, t))
                inp = c
        feats.append(_cna(inp, 1280, 1))
        self.features = tnn.Sequential(*feats)
        self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, num_classes))
        for m in self.modules():
            if isinstance(m, tnn.Conv2d):
                tnn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, tnn.BatchNorm2d):
                tnn.init.ones_(m.weight)
                tnn.init.zeros_(m.bias)
            elif isinstance(m, tnn.Linear):
                tnn.init.normal_(m.weight, 0, 0.01)
                tnn.init.zeros_(m.bias)

    def forward(self, x):
        x = torch.nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class TEncoderBlock(tnn.Module):
    def __init__(self, heads, hidden, mlp):
        super().__init__()
        self.ln_1 = tnn.LayerNorm(hidden, eps=1e-6)
        self.self_attention = tnn.MultiheadAttention(hidden, heads, batch_first=True)
        self.dropout = tnn.Dropout(0.0)
        self.ln_2 = tnn.LayerNorm(hidden, eps=1e-6)
        self.mlp = tnn.Sequential(
            tnn.Linear(hidden, mlp), tnn.GELU(), tnn.Dropout(0.0), tnn.Linear(mlp, hidden), tnn.Dropout(0.0)
        )

    def forward(self, inp):
        x = self.ln_1(inp)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + inp
        return x + self.mlp(self.ln_2(x))


class TEncoder(tnn.Module):
    def __init__(self, seq, layers, heads, hidden, mlp):
        super().__init__()
        self.pos_embedding = tnn.Parameter(torch.empty(1, seq, hidden).normal_(std=0.02))
        self.dropout = tnn.Dropout(0.0)
        from collections import OrderedDict

        self.layers = tnn.Sequential(
            OrderedDict((f"encoder_layer_{i}", TEncoderBlock(heads, hidden, mlp)) for i in range(layers))
        )
        self.ln = tnn.LayerNorm(hidden, eps=1e-6)

    def forward(self, x):
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))


class TViT(tnn.Module):
    def __init__(self, image_size=224, patch=16, layers=12, heads=12, hidden=768, mlp=3072, num_classes=1000):
        super().__init__()
        self.patch, self.hidden = patch, hidden
        self.conv_proj = tnn.Conv2d(3, hidden, patch, patch)
        self.class_token = tnn.Parameter(torch.zeros(1, 1, hidden))
        self.encoder = TEncoder((image_size // patch) ** 2 + 1, layers, heads, hidden, mlp)
        self.heads = tnn.Sequential()
        self.heads.add_module("head", tnn.Linear(hidden, num_classes))

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x).reshape(n, self.hidden, -1).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])


def _randomize_bn(tmod, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in tmod.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)


def _check_forward(tmod, emod, shape, train=False, atol=1e-4):
    copy_state(tmod, emod)
    tmod.train(train)
    emod.train(train)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        t = tmod(torch.tensor(x))
    e = emod(ember.tensor(x))
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(to_np(e), to_np(t), rtol=1e-3, atol=atol)
    return e


def test_resnet18_forward_matches_torch(no_init):
    t = TResNet18()
    _randomize_bn(t)
    e = models.resnet18()
    assert list(t.state_dict()) == list(e.state_dict())
    _check_forward(t, e, (1, 3, 64, 64))
    _check_forward(t, e, (2, 3, 64, 64), train=True)


def test_resnet18_init_matches_torch():
    torch.manual_seed(3)
    t = TResNet18(num_classes=10)
    ember.manual_seed(3)
    e = models.resnet18(num_classes=10)
    for (k, tv), (k2, ev) in zip(t.state_dict().items(), e.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(to_np(ev), to_np(tv), rtol=1e-6, atol=1e-7, err_msg=k)


def test_mobilenet_v2_forward_and_init_match_torch():
    torch.manual_seed(1)
    t = TMobileNetV2()
    ember.manual_seed(1)
    e = models.mobilenet_v2()
    for (k, tv), (k2, ev) in zip(t.state_dict().items(), e.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(to_np(ev), to_np(tv), rtol=1e-6, atol=1e-7, err_msg=k)
    _randomize_bn(t)
    with torch.no_grad():
        t.classifier[1].weight.normal_(0, 0.1)
    _check_forward(t, e, (1, 3, 64, 64))


def test_vit_b_16_forward_matches_torch(no_init):
    torch.manual_seed(0)
    t = TViT()
    with torch.no_grad():
        t.heads.head.weight.normal_(0, 0.02)
    e = models.vit_b_16()
    assert list(t.state_dict()) == list(e.state_dict())
    _check_forward(t, e, (1, 3, 224, 224), atol=2e-4)


def test_vit_small_config_and_errors():
    from ember.vision.models.vision_transformer import VisionTransformer

    m = VisionTransformer(
        image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=5
    )
    m.eval()
    assert m(ember.randn(2, 3, 32, 32)).shape == (2, 5)
    with pytest.raises(AssertionError):
        m(ember.randn(1, 3, 40, 40))
    with pytest.raises(AssertionError):
        VisionTransformer(image_size=30, patch_size=8, num_layers=1, num_heads=1, hidden_dim=8, mlp_dim=8)


@pytest.mark.parametrize(
    "name,size",
    [
        ("mobilenet_v3_small", 64),
        ("mobilenet_v3_large", 64),
        ("efficientnet_b0", 64),
        ("squeezenet1_1", 64),
        ("squeezenet1_0", 64),
        ("densenet121", 32),
    ],
)
def test_forward_shapes(name, size):
    m = models.get_model(name, num_classes=7).eval()
    y = m(ember.randn(2, 3, size, size))
    assert y.shape == (2, 7)
    assert np.isfinite(y.detach().numpy()).all()


def test_train_mode_backward_efficientnet():
    m = models.efficientnet_b0(num_classes=3)
    m.train()
    y = m(ember.randn(2, 3, 32, 32))
    y.sum().backward()
    assert m.features[0][0].weight.grad is not None
    assert "StochasticDepth(p=0.0125, mode=row)" in repr(m)


def test_bad_input_raises_like_torch():
    e = models.resnet18(num_classes=4)  # real init: the forward must run on finite weights
    t = TResNet18(num_classes=4)
    with pytest.raises(RuntimeError):
        t(torch.randn(1, 4, 32, 32))
    with pytest.raises(RuntimeError):
        e(ember.randn(1, 4, 32, 32))
    with pytest.raises(ValueError):
        models.resnet.BasicBlock(4, 4, groups=2)


def test_print_matches_torch_twin(no_init):
    t = TResNet18()
    e = models.resnet18()
    tr = repr(t).replace("TResNet18", "ResNet").replace("TBasicBlock", "BasicBlock")
    assert repr(e) == tr


# ----------------------------------------------------------------------------------- weights loading


def _small_state(seed=0):
    ember.manual_seed(seed)
    return models.squeezenet1_1(num_classes=10).state_dict()


def test_weights_from_pth_path(tmp_path):
    sd = _small_state()
    p = tmp_path / "sq.pth"
    ember.save(sd, str(p))
    m = models.squeezenet1_1(weights=str(p), num_classes=10)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), sd[k].numpy())
    # a checkpoint written by torch loads too
    tsd = {k: torch.tensor(v.numpy()) for k, v in sd.items()}
    torch.save(tsd, str(tmp_path / "sq_torch.pth"))
    m2 = models.squeezenet1_1(weights=tmp_path / "sq_torch.pth", num_classes=10)
    np.testing.assert_array_equal(m2.classifier[1].weight.detach().numpy(), sd["classifier.1.weight"].numpy())


def _write_hashed(tmp_path, sd, stem="ckpt"):
    raw = tmp_path / "raw.pth"
    ember.save(sd, str(raw))
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    target = src_dir / f"{stem}-{digest[:8]}.pth"
    target.write_bytes(raw.read_bytes())
    bad = src_dir / f"{stem}-deadbeef.pth"
    bad.write_bytes(raw.read_bytes())
    return target, bad


def test_load_state_dict_from_file_url(tmp_path):
    sd = _small_state()
    good, bad = _write_hashed(tmp_path, sd)
    out = load_state_dict_from_url(good.as_uri(), model_dir=str(tmp_path / "cache"), check_hash=True, progress=False)
    assert set(out) == set(sd)
    assert (tmp_path / "cache" / good.name).exists()
    with pytest.raises(RuntimeError, match="invalid hash value"):
        load_state_dict_from_url(bad.as_uri(), model_dir=str(tmp_path / "cache2"), check_hash=True, progress=False)
    assert not (tmp_path / "cache2" / bad.name).exists()


def test_load_state_dict_from_local_http_server(tmp_path, monkeypatch):
    sd = _small_state(1)
    good, _ = _write_hashed(tmp_path, sd, stem="squeezenet")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(good.parent))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
        url = f"http://127.0.0.1:{server.server_address[1]}/{good.name}"
        out = load_state_dict_from_url(url, check_hash=True, progress=True)
        assert (tmp_path / "home" / "hub" / "checkpoints" / good.name).exists()
        np.testing.assert_array_equal(out["features.0.weight"].numpy(), sd["features.0.weight"].numpy())
    finally:
        server.shutdown()
        server.server_close()


def test_weights_enum_loads_from_cache(tmp_path, monkeypatch):
    """A weights enum member goes through the hub cache: a file already there is used without downloading."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ember.manual_seed(0)
    sd = models.resnet18().state_dict()
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    ember.save(sd, str(cache / os.path.basename(ResNet18_Weights.IMAGENET1K_V1.url)))
    m = models.resnet18(weights=ResNet18_Weights.DEFAULT)
    np.testing.assert_array_equal(m.fc.weight.detach().numpy(), sd["fc.weight"].numpy())
    m2 = models.resnet18(weights="IMAGENET1K_V1")
    np.testing.assert_array_equal(m2.conv1.weight.detach().numpy(), sd["conv1.weight"].numpy())


def test_densenet_old_checkpoint_keys(tmp_path):
    from ember.vision.models.densenet import _fix_old_keys

    fixed = _fix_old_keys({"features.denseblock1.denselayer1.norm.1.weight": 1, "features.norm0.weight": 2})
    assert list(fixed) == ["features.denseblock1.denselayer1.norm1.weight", "features.norm0.weight"]


def test_imagenet_categories():
    from ember.vision.models._meta import _IMAGENET_CATEGORIES as cats

    assert len(cats) == 1000 and all(isinstance(c, str) and c for c in cats)
    assert cats[0] == "tench" and cats[1] == "goldfish" and cats[2] == "great white shark"
    assert cats[207] == "golden retriever" and cats[281] == "tabby" and cats[999] == "toilet tissue"
    assert ResNet50_Weights.DEFAULT.meta["categories"] == cats
