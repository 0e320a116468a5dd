"""Whole models built by the same code with torch and with ember (each builder takes the library as its
argument): printed text, parameter names and shapes, forward outputs, input and parameter gradients and
buffers (weights copied from torch), and state_dict round trips. Also the seed recipe "freeze a ResNet-18,
replace model.fc, train only the head"."""

import copy

import numpy as np
import pytest
import torch

import ember
import ember.nn.utils  # noqa: F401 - until ember.nn imports utils itself

from nn_compare import compare_module, copy_state, to_np

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def tokens(*shape, vocab):
    return RNG.integers(0, vocab, shape).astype(np.int64)


def need(*names):
    missing = [n for n in names if not hasattr(ember.nn, n)]
    if missing:
        pytest.skip(f"ember.nn lacks {', '.join(missing)}")


# -- the models (one definition, two libraries) ----------------------------------------------------------------


def mlp(L):
    nn = L.nn
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(256, 10),
    )


def small_cnn(L):
    nn = L.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10),
    )


def resnet18(L, num_classes=1000):
    nn = L.nn

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self, layers=(2, 2, 2, 2)):
            super().__init__()
            self.inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, layers[0])
            self.layer2 = self._make_layer(128, layers[1], stride=2)
            self.layer3 = self._make_layer(256, layers[2], stride=2)
            self.layer4 = self._make_layer(512, layers[3], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

        def _make_layer(self, planes, blocks, stride=1):
            downsample = None
            if stride != 1 or self.inplanes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
                )
            layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes
            layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            x = L.flatten(self.avgpool(x), 1)
            return self.fc(x)

    return ResNet()


def gpt_block(L, vocab=50, d=32, heads=4, ctx=16, p=0.1):
    """A GPT-style decoder with hand-written causal attention (Linear layers, masked_fill, softmax)."""
    nn, F = L.nn, L.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(d, 3 * d)
            self.c_proj = nn.Linear(d, d)
            self.attn_dropout = nn.Dropout(p)
            self.resid_dropout = nn.Dropout(p)
            self.register_buffer("bias", L.tril(L.ones(ctx, ctx)).view(1, 1, ctx, ctx))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(d, dim=2)
            k = k.view(B, T, heads, C // heads).transpose(1, 2)
            q = q.view(B, T, heads, C // heads).transpose(1, 2)
            v = v.view(B, T, heads, C // heads).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / (k.size(-1) ** 0.5))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = self.attn_dropout(F.softmax(att, dim=-1))
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_dropout(self.c_proj(y))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(d)
            self.mlp = nn.Sequential(
                nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d), nn.Dropout(p)
            )

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(vocab, d),
                    wpe=nn.Embedding(ctx, d),
                    drop=nn.Dropout(p),
                    h=nn.ModuleList([Block() for _ in range(2)]),
                    ln_f=nn.LayerNorm(d),
                )
            )
            self.lm_head = nn.Linear(d, vocab, bias=False)
            self.transformer.wte.weight = self.lm_head.weight  # weight tying

        def forward(self, idx):
            t = idx.size(1)
            pos = L.arange(0, t, dtype=L.long, device=idx.device)
            x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
            for block in self.transformer.h:
                x = block(x)
            return self.lm_head(self.transformer.ln_f(x))

    return GPT()


def mha_block(L, d=32, heads=4):
    nn = L.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln = nn.LayerNorm(d)
            self.attn = nn.MultiheadAttention(d, heads, dropout=0.0, batch_first=True)
            self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

        def forward(self, x):
            h = self.ln(x)
            T = x.size(1)
            mask = L.triu(L.ones(T, T, dtype=L.bool), diagonal=1)
            a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
            x = x + a
            return x + self.ff(x)

    return Block()


def lstm_classifier(L, vocab=30, emb=16, hidden=24, classes=5):
    nn = L.nn

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
            self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
            self.fc = nn.Linear(hidden, classes)

        def forward(self, x):
            out, (h, c) = self.lstm(self.embedding(x))
            return self.fc(h[-1]), out

    return LSTMClassifier()


def gru_tagger(L, feat=6, hidden=8, tags=4):
    nn = L.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(feat, hidden, bidirectional=True)
            self.out = nn.Linear(2 * hidden, tags)

        def forward(self, x):
            y, h = self.rnn(x)
            return L.log_softmax(self.out(y), dim=-1), h

    return Tagger()


def transformer_encoder(L, d=32, heads=4):
    nn = L.nn
    layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=64, dropout=0.0, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)


def multi_head(L):
    """ModuleDict / ModuleList / ParameterList / buffers in one model."""
    nn = L.nn

    class MultiHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn.ModuleList([nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 16), nn.SiLU()])
            self.heads = nn.ModuleDict({"cls": nn.Linear(16, 3), "reg": nn.Sequential(nn.Linear(16, 1), nn.Softplus())})
            self.scales = nn.ParameterList([nn.Parameter(L.ones(3)), nn.Parameter(L.full((1,), 0.5))])
            self.register_buffer("offset", L.arange(3.0))

        def forward(self, x):
            for m in self.trunk:
                x = m(x)
            return self.heads["cls"](x) * self.scales[0] + self.offset, self.heads["reg"](x) * self.scales[1]

    return MultiHead()


def conv_autoencoder(L):
    nn = L.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1),
        nn.LeakyReLU(0.1),
        nn.Conv2d(4, 8, 3, stride=2, padding=1),
        nn.ELU(),
        nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1),
        nn.Sigmoid(),
    )


def conv1d_net(L):
    nn = L.nn
    return nn.Sequential(
        nn.Conv1d(3, 8, 5, padding=2),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.AvgPool1d(2),
        nn.Conv1d(8, 8, 3, dilation=2),
        nn.GroupNorm(2, 8),
        nn.Hardswish(),
        nn.AdaptiveMaxPool1d(4),
        nn.Flatten(),
        nn.Linear(32, 2),
    )


def vgg_tiny(L):
    nn = L.nn

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 8, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(8, 8, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.Conv2d(8, 16, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.AvgPool2d(2),
            )
            self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
            self.classifier = nn.Sequential(
                nn.Linear(16 * 2 * 2, 32),
                nn.ReLU(True),
                nn.Dropout(),
                nn.Linear(32, 32),
                nn.ReLU(True),
                nn.Linear(32, 7),
            )

        def forward(self, x):
            x = self.avgpool(self.features(x))
            return self.classifier(L.flatten(x, 1))

    return VGG()


def weight_normed_mlp(L):
    nn = L.nn
    m = nn.Sequential(nn.Linear(6, 10), nn.Mish(), nn.LayerNorm(10), nn.Linear(10, 4))
    nn.utils.parametrizations.weight_norm(m[0])
    nn.utils.parametrizations.spectral_norm(m[3])
    return m


def unet_tiny(L):
    nn = L.nn

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
            self.pool = nn.MaxPool2d(2)
            self.mid = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU())
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.out = nn.Conv2d(12, 1, 1)

        def forward(self, x):
            a = self.down(x)
            b = self.up(self.mid(self.pool(a)))
            return self.out(L.cat([a, b], dim=1))

    return UNet()


# name: (builder, needed ember.nn classes, inputs, train mode, tolerance)
MODELS = {
    "mlp": (mlp, [], lambda: [rand(4, 1, 28, 28)], False, 1e-5),
    "small_cnn": (small_cnn, ["Conv2d", "BatchNorm2d", "MaxPool2d"], lambda: [rand(3, 1, 28, 28)], True, 1e-4),
    "small_cnn_eval": (small_cnn, ["Conv2d", "BatchNorm2d", "MaxPool2d"], lambda: [rand(3, 1, 28, 28)], False, 1e-4),
    "resnet18": (resnet18, ["Conv2d", "BatchNorm2d", "AdaptiveAvgPool2d"], lambda: [rand(1, 3, 32, 32)], False, 1e-4),
    "gpt": (gpt_block, ["Embedding", "LayerNorm", "GELU"], lambda: [tokens(2, 12, vocab=50)], False, 1e-5),
    "mha_block": (mha_block, ["MultiheadAttention"], lambda: [rand(2, 7, 32)], True, 1e-4),
    "lstm": (lstm_classifier, ["LSTM", "Embedding"], lambda: [tokens(3, 9, vocab=30)], True, 1e-5),
    "gru": (gru_tagger, ["GRU"], lambda: [rand(7, 2, 6)], True, 1e-5),
    "transformer_encoder": (
        transformer_encoder,
        ["TransformerEncoder", "TransformerEncoderLayer"],
        lambda: [rand(2, 6, 32)],
        True,
        1e-4,
    ),
    "multi_head": (multi_head, ["ParameterList", "SiLU", "Softplus"], lambda: [rand(5, 8)], True, 1e-5),
    "conv_autoencoder": (conv_autoencoder, ["ConvTranspose2d"], lambda: [rand(2, 1, 16, 16)], True, 1e-5),
    "conv1d": (
        conv1d_net,
        ["Conv1d", "BatchNorm1d", "GroupNorm", "AdaptiveMaxPool1d"],
        lambda: [rand(4, 3, 20)],
        True,
        1e-4,
    ),
    "vgg_tiny": (vgg_tiny, ["Conv2d", "AvgPool2d", "AdaptiveAvgPool2d"], lambda: [rand(2, 3, 16, 16)], False, 1e-5),
    "weight_normed_mlp": (weight_normed_mlp, ["Mish"], lambda: [rand(5, 6)], True, 1e-5),
    "unet_tiny": (unet_tiny, ["Upsample", "Conv2d", "BatchNorm2d"], lambda: [rand(2, 2, 8, 8)], True, 1e-4),
}


def build_both(builder, seed=0):
    torch.manual_seed(seed)
    tm = builder(torch)
    ember.manual_seed(seed)
    em = builder(ember)
    return tm, em


@pytest.mark.parametrize("name", list(MODELS))
def test_model_matches_torch(name):
    builder, needs, inputs, train, tol = MODELS[name]
    need(*needs)
    tm, em = build_both(builder)
    # ember prints its dtypes as ember.float32 (ParameterList shows dtypes); everything else is torch's text
    assert str(em) == str(tm).replace("torch.float", "ember.float")
    tp = [(k, tuple(v.shape)) for k, v in tm.named_parameters()]
    ep = [(k, tuple(v.shape)) for k, v in em.named_parameters()]
    assert ep == tp
    assert [(k, tuple(v.shape)) for k, v in em.named_buffers()] == [(k, tuple(v.shape)) for k, v in tm.named_buffers()]
    assert list(em.state_dict()) == list(tm.state_dict())
    assert sum(p.numel() for p in em.parameters()) == sum(p.numel() for p in tm.parameters())
    xs = inputs()
    compare_module(tm, em, *xs, train=train, rtol=tol, atol=tol)
    # state_dict round trip: ember -> fresh ember (other seed) and ember -> torch
    em.eval()
    tm.eval()
    em2 = copy.deepcopy(em)
    with ember.no_grad():
        for t in list(em2.parameters()) + list(em2.buffers()):
            t.zero_()
    em2.load_state_dict(em.state_dict())
    tm2 = build_both(builder, seed=2)[0].eval()
    tm2.load_state_dict({k: torch.tensor(to_np(v)) for k, v in em.state_dict().items()})
    with ember.no_grad(), torch.no_grad():
        outs = [m(*[lib.tensor(x) for x in xs]) for m, lib in ((em, ember), (em2, ember), (tm2, torch), (tm, torch))]
    flat = [o[0] if isinstance(o, tuple) else o for o in outs]
    np.testing.assert_array_equal(to_np(flat[1]), to_np(flat[0]))
    np.testing.assert_allclose(to_np(flat[0]), to_np(flat[2]), rtol=tol, atol=tol)
    np.testing.assert_allclose(to_np(flat[2]), to_np(flat[3]), rtol=tol, atol=tol)  # buffers from ember's training


def test_gpt_weight_tying_and_training_steps():
    need("Embedding", "LayerNorm", "GELU")
    tm, em = build_both(lambda L: gpt_block(L, p=0.0))
    assert em.lm_head.weight is em.transformer.wte.weight
    assert len(list(em.parameters())) == len(list(tm.parameters()))
    copy_state(tm, em)
    # SGD, not Adam: the key bias has a zero gradient in exact arithmetic, and Adam would turn rounding noise
    # into full-size steps
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    eopt = ember.optim.SGD(em.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    idx = tokens(2, 10, vocab=50)
    tgt = tokens(2, 10, vocab=50)
    for _ in range(3):
        losses = []
        for L, m, opt in ((torch, tm, topt), (ember, em, eopt)):
            opt.zero_grad()
            logits = m(L.tensor(idx))
            loss = L.nn.functional.cross_entropy(logits.view(-1, 50), L.tensor(tgt).view(-1))
            loss.backward()
            L.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        assert abs(losses[0] - losses[1]) < 1e-4
    for (k, a), (_, b) in zip(tm.named_parameters(), em.named_parameters()):
        np.testing.assert_allclose(to_np(b), to_np(a), rtol=1e-4, atol=1e-5, err_msg=k)


def test_freeze_resnet18_and_train_new_head():
    """The seed recipe: freeze every parameter, replace fc, optimise only fc with SGD + momentum."""
    need("Conv2d", "BatchNorm2d", "MaxPool2d", "AdaptiveAvgPool2d")
    tm, em = build_both(resnet18)
    copy_state(tm, em)
    assert sum(p.numel() for p in em.parameters()) == 11689512
    runs = []
    for L, m in ((torch, tm), (ember, em)):
        for param in m.parameters():
            param.requires_grad = False
        L.manual_seed(0)
        m.fc = L.nn.Linear(512, 10)
        opt = L.optim.SGD(m.fc.parameters(), lr=1e-2, momentum=0.9)
        assert sum(p.numel() for p in m.parameters() if p.requires_grad) == 5130
        before = {k: to_np(p).copy() for k, p in m.named_parameters()}
        rng = np.random.default_rng(1)
        labels = L.tensor([3, 7])
        losses = []
        for _ in range(3):
            x = L.tensor(rng.standard_normal((2, 3, 48, 48)).astype(np.float32))
            out = m(x)
            assert tuple(out.shape) == (2, 10) and out.requires_grad
            assert type(out.grad_fn).__name__ == "AddmmBackward0"
            loss = L.nn.functional.cross_entropy(out, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss))
        grads_none = [k for k, p in m.named_parameters() if p.grad is None]
        changed = [k for k, p in m.named_parameters() if not np.array_equal(to_np(p), before[k])]
        runs.append((losses, grads_none, changed, len(opt.state), m))
    (tl, tnone, tchanged, tstate, _), (el, enone, echanged, estate, _) = runs
    np.testing.assert_allclose(el, tl, rtol=1e-4, atol=1e-5)
    assert enone == tnone and len(enone) == 60
    assert echanged == tchanged == ["fc.weight", "fc.bias"]
    assert estate == tstate == 2
    np.testing.assert_allclose(to_np(em.fc.weight), to_np(tm.fc.weight), rtol=1e-4, atol=1e-5)
    for (k, a), (_, b) in zip(tm.named_buffers(), em.named_buffers()):
        np.testing.assert_allclose(to_np(b), to_np(a), rtol=1e-4, atol=1e-4, err_msg=k)


def test_model_train_eval_and_modes():
    need("Conv2d", "BatchNorm2d", "MaxPool2d")
    tm, em = build_both(small_cnn)
    em.eval()
    assert all(not m.training for m in em.modules())
    em.train()
    assert all(m.training for m in em.modules())
    em.requires_grad_(False)
    assert not any(p.requires_grad for p in em.parameters())
    em[0].requires_grad_(True)
    assert [k for k, p in em.named_parameters() if p.requires_grad] == ["0.weight", "0.bias"]
    em.zero_grad()
    assert [type(m).__name__ for m in em.modules()] == [type(m).__name__ for m in tm.modules()]
    assert [k for k, _ in em.named_modules()] == [k for k, _ in tm.named_modules()]
    assert [k for k, _ in em.named_children()] == [k for k, _ in tm.named_children()]
