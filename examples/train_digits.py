"""Train a small CNN on real handwritten digits, then transfer it to digits it has never seen.

The data is the UCI 8x8 handwritten digits set that scikit-learn ships (1797 images, no download).

1. pretrain: a CNN learns digits 0-6 (Adam, a tqdm bar with loss and images/s), >= 97% test accuracy;
2. transfer: the convolutional features are frozen (``requires_grad_(False)``), the head is replaced
   by a fresh ``nn.Linear`` with 3 outputs and only the head is optimised, on digits 7-9;
3. the model is saved in PyTorch's checkpoint format (readable by ``torch.load``), and PNGs of the
   loss/accuracy curves and of the misclassified test digits are written to ``--out``.

The script only uses PyTorch's public API through the name ``torch``, bound at startup to ember
(default) or to real PyTorch::

    python examples/train_digits.py                  # ember
    python examples/train_digits.py --backend torch  # the same script under PyTorch
    python examples/train_digits.py --compare        # both, in subprocesses, wall times side by side
    python examples/train_digits.py --quick          # a few seconds (CI): still checks that it learns

Needs the ``examples`` extra: scikit-learn, tqdm, matplotlib.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import subprocess
import sys
import time
from collections import OrderedDict

import numpy as np

torch = None  # the backend module: `ember` or `torch`, bound by `select_backend`
nn = None
F = None

PRETRAIN_DIGITS = (0, 1, 2, 3, 4, 5, 6)
TRANSFER_DIGITS = (7, 8, 9)


def select_backend(name):
    global torch, nn, F
    torch = importlib.import_module("ember" if name == "ember" else "torch")
    nn = torch.nn
    F = torch.nn.functional
    return torch


# ----------------------------------------------------------------------------------------- data
def load_digits_split(seed=0, test_fraction=0.2):
    """The 8x8 digits as float32 arrays in [0, 1] (N, 1, 8, 8), split per class with a fixed seed."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None]
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in range(10):
        idx = np.flatnonzero(y == c)
        test[rng.choice(idx, int(round(len(idx) * test_fraction)), replace=False)] = True
    return (x[~test], y[~test]), (x[test], y[test])


def subset(x, y, digits):
    """Keep the given digits, relabelled 0..len(digits)-1."""
    keep = np.isin(y, digits)
    remap = np.full(10, -1, dtype=np.int64)
    remap[list(digits)] = np.arange(len(digits))
    return x[keep], remap[y[keep]]


def to_tensors(x, y, mean, std):
    return torch.from_numpy((x - mean) / std), torch.from_numpy(y)


# ---------------------------------------------------------------------------------------- model
FEATURES = 32 * 4 * 4


def make_model(num_classes):
    features = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),  # 16 x 8 x 8
        nn.BatchNorm2d(16),
        nn.ReLU(inplace=True),
        nn.Conv2d(16, 32, kernel_size=3, padding=1),  # 32 x 8 x 8
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),  # 32 x 4 x 4
        nn.Flatten(),
        nn.Dropout(0.25),
    )
    return nn.Sequential(OrderedDict(features=features, head=nn.Linear(FEATURES, num_classes)))


# ------------------------------------------------------------------------------------- training
def evaluate(model, x, y, batch_size=512):
    model.eval()
    correct, loss, preds = 0, 0.0, []
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(x[i : i + batch_size])
            loss += F.cross_entropy(logits, y[i : i + batch_size], reduction="sum").item()
            pred = logits.argmax(1)
            correct += (pred == y[i : i + batch_size]).sum().item()
            preds.append(pred)
    return correct / len(y), loss / len(y), torch.cat(preds)


def train(model, params, train_set, test_set, epochs, lr, desc, quiet):
    """Adam + cosine schedule over `params`; returns per-epoch history."""
    from tqdm import tqdm

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*train_set), batch_size=64, shuffle=True)
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs * len(loader)))
    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    n = len(train_set[1])
    bar = tqdm(total=epochs * n, desc=desc, unit="img", unit_scale=True, dynamic_ncols=True, disable=quiet, leave=True)
    for _ in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(yb)
            bar.update(len(yb))
            bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        acc, test_loss, _ = evaluate(model, *test_set)
        history["train_loss"].append(total / n)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(acc)
        bar.set_postfix(epoch_loss=f"{total / n:.4f}", test_acc=f"{acc:.2%}")
    bar.close()
    return history


# -------------------------------------------------------------------------------------- outputs
def plot_curves(histories, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        epochs = np.arange(1, len(h["train_loss"]) + 1)
        axes[0].plot(epochs, h["train_loss"], "-o", ms=3, label=f"{name}: train")
        axes[0].plot(epochs, h["test_loss"], "--", label=f"{name}: test")
        axes[1].plot(epochs, np.array(h["test_acc"]) * 100, "-o", ms=3, label=name)
    axes[0].set(title="cross-entropy loss", xlabel="epoch", yscale="log")
    axes[1].set(title="test accuracy (%)", xlabel="epoch")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"8x8 digits CNN ({torch.__name__})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_misclassified(cases, path, max_images=40):
    """`cases`: (image 8x8, true digit, predicted digit, phase name) tuples."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = cases[:max_images]
    cols = 10
    rows = max(1, -(-len(cases) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3 + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (img, true, pred, phase) in zip(axes.flat, cases):
        ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{true}->{pred}", fontsize=9, color="tab:red" if phase == "pretrain" else "tab:blue")
    if not cases:
        axes[0, 0].text(0, 0.5, "no misclassified test digits", fontsize=12)
    fig.suptitle("misclassified test digits, true -> predicted (red: pretrain 0-6, blue: transfer 7-9)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def misclassified(x_raw, y, preds, digits, phase):
    p = preds.numpy()
    wrong = np.flatnonzero(p != y)
    return [(x_raw[i, 0], digits[y[i]], digits[p[i]], phase) for i in wrong]


# ----------------------------------------------------------------------------------------- main
def run(args):
    select_backend(args.backend)
    torch.manual_seed(args.seed)
    if args.threads:
        if hasattr(torch, "set_num_threads"):
            torch.set_num_threads(args.threads)
        else:  # a backend without set_num_threads: limit its BLAS pool directly (threadpoolctl ships with sklearn)
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads)
    os.makedirs(args.out, exist_ok=True)
    pre_epochs, tr_epochs = (1, 2) if args.quick else (args.epochs, args.transfer_epochs)

    (x_tr, y_tr), (x_te, y_te) = load_digits_split(args.seed)
    mean, std = x_tr.mean(), x_tr.std()
    pre_tr, pre_te = subset(x_tr, y_tr, PRETRAIN_DIGITS), subset(x_te, y_te, PRETRAIN_DIGITS)
    tra_tr, tra_te = subset(x_tr, y_tr, TRANSFER_DIGITS), subset(x_te, y_te, TRANSFER_DIGITS)
    print(f"backend: {torch.__name__} {torch.__version__}")
    print(
        f"data: sklearn 8x8 digits; pretrain on {''.join(map(str, PRETRAIN_DIGITS))}: "
        f"{len(pre_tr[1])} train / {len(pre_te[1])} test; transfer to {''.join(map(str, TRANSFER_DIGITS))}: "
        f"{len(tra_tr[1])} train / {len(tra_te[1])} test"
    )

    # 1. pretrain the whole network on digits 0-6
    model = make_model(len(PRETRAIN_DIGITS))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params} parameters")
    pre_train_t, pre_test_t = to_tensors(*pre_tr, mean, std), to_tensors(*pre_te, mean, std)
    t0 = time.perf_counter()
    h_pre = train(model, model.parameters(), pre_train_t, pre_test_t, pre_epochs, 3e-3, "pretrain 0-6", args.no_bar)
    t_pre = time.perf_counter() - t0
    pre_acc, _, pre_preds = evaluate(model, *pre_test_t)
    print(f"pretrain accuracy (digits 0-6): {pre_acc:.2%} in {t_pre:.1f}s ({pre_epochs} epochs)")

    # 2. freeze the features, replace the head, optimise only the head on digits 7-9
    model.requires_grad_(False)
    model.head = nn.Linear(FEATURES, len(TRANSFER_DIGITS))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(
        f"transfer: features frozen, new head Linear({FEATURES}, {len(TRANSFER_DIGITS)}): {trainable} trainable parameters"
    )
    tra_train_t, tra_test_t = to_tensors(*tra_tr, mean, std), to_tensors(*tra_te, mean, std)
    frozen_before = model.features[0].weight.detach().clone()
    t0 = time.perf_counter()
    h_tra = train(model, model.head.parameters(), tra_train_t, tra_test_t, tr_epochs, 1e-2, "transfer 7-9", args.no_bar)
    t_tra = time.perf_counter() - t0
    assert torch.equal(frozen_before, model.features[0].weight), "frozen features changed"
    tra_acc, _, tra_preds = evaluate(model, *tra_test_t)
    print(f"transfer accuracy (digits 7-9, frozen features): {tra_acc:.2%} in {t_tra:.1f}s ({tr_epochs} epochs)")

    # 3. checkpoint (PyTorch's zip format), curves, misclassified digits
    ckpt = os.path.join(args.out, "digits_cnn.pt")
    torch.save(
        {
            "model": model.state_dict(),
            "pretrain_digits": list(PRETRAIN_DIGITS),
            "transfer_digits": list(TRANSFER_DIGITS),
            "normalize": (float(mean), float(std)),
            "pretrain_accuracy": pre_acc,
            "transfer_accuracy": tra_acc,
        },
        ckpt,
    )
    reloaded = make_model(len(TRANSFER_DIGITS))
    reloaded.load_state_dict(torch.load(ckpt)["model"])
    re_acc, _, _ = evaluate(reloaded, *tra_test_t)
    assert re_acc == tra_acc, (re_acc, tra_acc)
    curves = os.path.join(args.out, "digits_curves.png")
    plot_curves({"pretrain 0-6": h_pre, "transfer 7-9 (head only)": h_tra}, curves)
    wrong = misclassified(pre_te[0], pre_te[1], pre_preds, PRETRAIN_DIGITS, "pretrain")
    wrong += misclassified(tra_te[0], tra_te[1], tra_preds, TRANSFER_DIGITS, "transfer")
    grid = os.path.join(args.out, "digits_misclassified.png")
    plot_misclassified(wrong, grid)
    print(f"checkpoint: {os.path.abspath(ckpt)} (reloaded: {re_acc:.2%})")
    print(f"curves: {os.path.abspath(curves)}")
    print(f"misclassified: {os.path.abspath(grid)} ({len(wrong)} digits)")
    total = t_pre + t_tra
    print(f"train time: {total:.2f}s")

    # --quick must still show learning; the full run must reach the advertised accuracy
    need_pre, need_tra = (0.8, 0.7) if args.quick else (0.97, 0.95)
    if pre_acc < need_pre or tra_acc < need_tra:
        print(f"FAILED: accuracy below {need_pre:.0%} / {need_tra:.0%}", file=sys.stderr)
        return 1
    return 0


def compare(args):
    """Run this script under both backends in fresh interpreters and put the numbers side by side."""
    results = {}
    for backend in ("ember", "torch"):
        cmd = [sys.executable, os.path.abspath(__file__), "--backend", backend, "--no-bar"]
        cmd += ["--out", os.path.join(args.out, backend), "--seed", str(args.seed)]
        cmd += ["--epochs", str(args.epochs), "--transfer-epochs", str(args.transfer_epochs)]
        if args.quick:
            cmd.append("--quick")
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        print(f"running {backend} ...", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.stdout.write(proc.stdout)
            sys.stderr.write(proc.stderr)
            print(f"{backend} run failed with exit code {proc.returncode}")
            return proc.returncode

        def grab(pattern, text=proc.stdout):
            m = re.search(pattern, text)
            return m.group(1) if m else "?"

        results[backend] = {
            "wall": f"{wall:.1f}s",
            "train": grab(r"train time: (\S+)"),
            "pretrain acc": grab(r"pretrain accuracy \(digits 0-6\): (\S+)"),
            "transfer acc": grab(r"transfer accuracy \(digits 7-9, frozen features\): (\S+)"),
        }
    rows = ["wall", "train", "pretrain acc", "transfer acc"]
    print(f"\n{'':<14}{'ember':>12}{'torch':>12}")
    for r in rows:
        print(f"{r:<14}{results['ember'][r]:>12}{results['torch'][r]:>12}")
    e, t = float(results["ember"]["wall"][:-1]), float(results["torch"]["wall"][:-1])
    print(f"wall time: ember {e:.1f}s, torch {t:.1f}s (ember/torch = {e / t:.2f}x)")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", choices=("ember", "torch"), default="ember", help="module bound to `torch`")
    p.add_argument("--epochs", type=int, default=6, help="pretraining epochs (default 6)")
    p.add_argument("--transfer-epochs", type=int, default=6, help="head fine-tuning epochs (default 6)")
    p.add_argument("--quick", action="store_true", help="tiny run for CI (a few seconds)")
    p.add_argument("--compare", action="store_true", help="run both backends and compare wall times")
    p.add_argument("--out", default="out", help="output directory (default ./out)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: backend default)")
    p.add_argument("--no-bar", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    return compare(args) if args.compare else run(args)


if __name__ == "__main__":
    sys.exit(main())
