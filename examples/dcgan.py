"""A DCGAN (after pytorch/examples' dcgan) on 28x28 synthetic images, so nothing is downloaded.

The "real" images are drawn on the fly with tensor ops: a bright ring of random centre and
radius on a dark background. The generator (ConvTranspose2d + BatchNorm + ReLU, Tanh out) and the
discriminator (strided Conv2d + LeakyReLU, BatchNorm) are trained with BCEWithLogitsLoss and
Adam(lr=2e-4, betas=(0.5, 0.999)), with DCGAN's N(0, 0.02) weight init. Prints both losses and
how ring-like the generated images are; writes a PNG grid when matplotlib is installed.

    python examples/dcgan.py                  # ember, a few minutes on a CPU
    python examples/dcgan.py --backend torch  # the same program under PyTorch
    python examples/dcgan.py --quick          # a few seconds (CI)
"""

import argparse
import importlib
import os
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--backend", choices=("ember", "torch"), default="ember")
parser.add_argument("--quick", action="store_true", help="a few steps (CI)")
parser.add_argument("--steps", type=int, default=600)
parser.add_argument("--out", default="out", help="output directory for the PNG (default ./out)")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch = importlib.import_module(args.backend)
nn = torch.nn
torch.manual_seed(args.seed)
nz, ngf, ndf, batch_size = 32, 32, 32, 64
if args.quick:
    ngf, ndf, batch_size = 16, 16, 32
steps = 10 if args.quick else args.steps

yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")


def real_batch(n):
    """Rings of random centre and radius, in [-1, 1] like Tanh's output."""
    cx, cy = torch.rand(n, 1, 1) * 10 + 9, torch.rand(n, 1, 1) * 10 + 9
    r = torch.rand(n, 1, 1) * 4 + 5
    d = ((xx - cx) ** 2 + (yy - cy) ** 2).sqrt()
    return (torch.exp(-((d - r) ** 2) / 2.0) * 2 - 1).unsqueeze(1)


def ringness(imgs):
    """Correlation of each image with its best-fitting ring: about 1 for real images, 0 for noise."""
    x = (imgs + 1) / 2
    x = x - x.mean(dim=(1, 2, 3), keepdim=True)
    ref = (real_batch(256) + 1) / 2
    ref = ref - ref.mean(dim=(1, 2, 3), keepdim=True)
    num = x.flatten(1) @ ref.flatten(1).t()
    den = x.flatten(1).norm(dim=1, keepdim=True) * ref.flatten(1).norm(dim=1) + 1e-8
    return (num / den).amax(dim=1).mean().item()


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 7, 1, 0, bias=False),  # 7x7
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),  # 14x14
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False),  # 28x28
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False),  # 14x14
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),  # 7x7
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False),  # 1x1: one logit
            nn.Flatten(0),
        )

    def forward(self, x):
        return self.main(x)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


netG, netD = Generator(), Discriminator()
netG.apply(weights_init)
netD.apply(weights_init)
print(f"generator: {sum(p.numel() for p in netG.parameters())} parameters")
print(f"discriminator: {sum(p.numel() for p in netD.parameters())} parameters")
criterion = nn.BCEWithLogitsLoss()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
fixed_noise = torch.randn(64, nz, 1, 1)
ones, zeros = torch.ones(batch_size), torch.zeros(batch_size)

netG.eval()
with torch.no_grad():
    before = ringness(netG(fixed_noise))
netG.train()
print(f"real images ringness {ringness(real_batch(64)):.3f}; untrained generator {before:.3f}")
t0 = time.perf_counter()
for step in range(1, steps + 1):
    # (1) update D: maximise log D(x) + log(1 - D(G(z)))
    netD.zero_grad()
    real = real_batch(batch_size)
    loss_real = criterion(netD(real), ones)
    fake = netG(torch.randn(batch_size, nz, 1, 1))
    loss_fake = criterion(netD(fake.detach()), zeros)
    errD = loss_real + loss_fake
    errD.backward()
    optD.step()
    # (2) update G: maximise log D(G(z))
    netG.zero_grad()
    errG = criterion(netD(fake), ones)
    errG.backward()
    optG.step()
    if step % (5 if args.quick else 100) == 0 or step == steps:
        print(f"step {step:4d}: loss_D {errD.item():.4f} loss_G {errG.item():.4f} ({time.perf_counter() - t0:.1f}s)")

netG.eval()
with torch.no_grad():
    final = netG(fixed_noise)
after = ringness(final)
print(f"generator ringness {before:.3f} -> {after:.3f} after {steps} steps in {time.perf_counter() - t0:.1f}s")
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "dcgan_samples.png")
    grid = final[:, 0].reshape(8, 8, 28, 28).permute(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
    plt.imsave(path, grid.numpy(), cmap="gray", vmin=-1, vmax=1)
    print(f"wrote {os.path.abspath(path)}")
if not (errD.isfinite() and errG.isfinite()):
    raise SystemExit("FAILED: the losses diverged")
