"""A variational autoencoder (after pytorch/examples' vae) on the 8x8 handwritten digits.

Encoder -> (mu, logvar), the reparameterisation trick with ``torch.randn_like``, a Bernoulli
decoder trained with ``binary_cross_entropy`` + the analytic KL term, Adam. Uses scikit-learn's
bundled digits when scikit-learn is installed, otherwise FakeData-style random 8x8 images.
Writes a PNG of reconstructions and samples from the prior when matplotlib is installed.

    python examples/vae.py                  # ember, well under a minute on a CPU
    python examples/vae.py --backend torch  # the same program under PyTorch
    python examples/vae.py --quick          # a few seconds (CI)
"""

import argparse
import importlib
import os
import time

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--backend", choices=("ember", "torch"), default="ember")
parser.add_argument("--quick", action="store_true", help="a few epochs (CI)")
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--latent", type=int, default=8)
parser.add_argument("--out", default="out", help="output directory for the PNG (default ./out)")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch = importlib.import_module(args.backend)
nn = torch.nn
F = torch.nn.functional
torch.manual_seed(args.seed)
epochs = 2 if args.quick else args.epochs

try:
    from sklearn.datasets import load_digits

    images = load_digits().images.astype(np.float32) / 16.0
    source = "sklearn 8x8 digits"
except ImportError:
    images = None
if images is not None:
    x = torch.from_numpy(images.reshape(-1, 64))
else:
    x = torch.rand(1797, 64) * (torch.rand(1, 64) > 0.5)  # random images with a shared stroke mask
    source = "random 8x8 images (scikit-learn not installed)"
perm = torch.randperm(len(x))
train_x, test_x = x[perm[: 512 if args.quick else 1500]], x[perm[1500:]]
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_x), batch_size=64, shuffle=True)
print(f"data: {source}, {len(train_x)} train / {len(test_x)} test")


class VAE(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.mu = nn.Linear(64, latent)
        self.logvar = nn.Linear(64, latent)
        self.dec = nn.Sequential(nn.Linear(latent, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64))

    def encode(self, x):
        h = self.enc(x)
        return self.mu(h), self.logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z):
        return torch.sigmoid(self.dec(z))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def loss_function(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


model = VAE(args.latent)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
print(f"model: {sum(p.numel() for p in model.parameters())} parameters, latent size {args.latent}")


def test_loss():
    model.eval()
    with torch.no_grad():
        recon, mu, logvar = model(test_x)
        return loss_function(recon, test_x, mu, logvar).item() / len(test_x)


first = test_loss()
print(f"epoch   0: test loss {first:.2f} per image")
t0 = time.perf_counter()
for epoch in range(1, epochs + 1):
    model.train()
    total = 0.0
    for (xb,) in loader:
        optimizer.zero_grad()
        recon, mu, logvar = model(xb)
        loss = loss_function(recon, xb, mu, logvar)
        loss.backward()
        optimizer.step()
        total += loss.item()
    if epoch == epochs or epoch % 5 == 0 or args.quick:
        print(f"epoch {epoch:3d}: train loss {total / len(train_x):.2f}, test loss {test_loss():.2f} per image")
last = test_loss()
print(f"test loss (negative ELBO) {first:.2f} -> {last:.2f} per image in {time.perf_counter() - t0:.1f}s")

with torch.no_grad():
    samples = model.decode(torch.randn(16, args.latent))
    recon = model(test_x[:16])[0]
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "vae_samples.png")
    fig, axes = plt.subplots(3, 16, figsize=(12, 2.6))
    rows = [(test_x[:16], "input"), (recon, "reconstruction"), (samples, "sample")]
    for r, (imgs, name) in enumerate(rows):
        for c in range(16):
            axes[r, c].imshow(imgs[c].reshape(8, 8).numpy(), cmap="gray_r", vmin=0, vmax=1)
            axes[r, c].axis("off")
        axes[r, 0].set_title(name, fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {os.path.abspath(path)}")
if last >= first:
    raise SystemExit("FAILED: the loss did not go down")
