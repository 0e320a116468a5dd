"""The classic MNIST CNN (pytorch/examples' mnist/main.py) on FakeData, so nothing is downloaded.

Conv(1,32,3) -> Conv(32,64,3) -> max-pool -> dropout -> Linear(9216,128) -> dropout -> Linear(128,10),
log_softmax + nll_loss, Adadelta(lr=1.0) with StepLR(gamma=0.7), a DataLoader over FakeData
(``ember.vision.datasets.FakeData``, or ``torchvision.datasets.FakeData`` under ``--backend torch``;
where neither is installed, the same kind of random 28x28 images made with ``torch.rand``).
FakeData's labels are random, so the test accuracy stays at chance (10%); what the run shows is
the pipeline working and the network memorising its training set (the training loss falls).

    python examples/mnist_cnn_fakedata.py                  # ember, a few minutes on a CPU
    python examples/mnist_cnn_fakedata.py --backend torch  # the same program under PyTorch
    python examples/mnist_cnn_fakedata.py --quick          # a few seconds (CI)
"""

import argparse
import importlib
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--backend", choices=("ember", "torch"), default="ember")
parser.add_argument("--quick", action="store_true", help="a few batches (CI)")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--train-size", type=int, default=256)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--lr", type=float, default=1.0)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

torch = importlib.import_module(args.backend)
nn = torch.nn
F = torch.nn.functional
torch.manual_seed(args.seed)
epochs, train_size = (2, 64) if args.quick else (args.epochs, args.train_size)
test_size = 32 if args.quick else 256


def fake_datasets():
    """(train, test, where from): FakeData when the vision package has it, else TensorDatasets of torch.rand."""
    try:
        vision = importlib.import_module("ember.vision" if args.backend == "ember" else "torchvision")
        datasets = importlib.import_module(vision.__name__ + ".datasets")
        transforms = importlib.import_module(vision.__name__ + ".transforms")
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
        train = datasets.FakeData(train_size, (1, 28, 28), 10, transform=tf, random_offset=0)
        test = datasets.FakeData(test_size, (1, 28, 28), 10, transform=tf, random_offset=train_size)
        x, y = train[0]
        if tuple(x.shape) != (1, 28, 28):
            raise ValueError(f"unexpected FakeData sample shape {tuple(x.shape)}")
        return train, test, f"{vision.__name__}.datasets.FakeData"
    except (ImportError, AttributeError, TypeError, ValueError) as e:
        reason = f"{type(e).__name__}: {e}"

    def make(n):
        return torch.utils.data.TensorDataset((torch.rand(n, 1, 28, 28) - 0.5) / 0.5, torch.randint(0, 10, (n,)))

    return make(train_size), make(test_size), f"torch.rand images (FakeData not available: {reason})"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def train(model, loader, optimizer, epoch):
    model.train()
    total, correct = 0.0, 0
    for data, target in loader:
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(target)
        correct += (output.argmax(1) == target).sum().item()
    n = len(loader.dataset)
    return total / n, correct / n


def test(model, loader):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            output = model(data)
            loss += F.nll_loss(output, target, reduction="sum").item()
            correct += (output.argmax(dim=1, keepdim=True) == target.view(-1, 1)).sum().item()
    n = len(loader.dataset)
    return loss / n, correct / n


train_set, test_set, source = fake_datasets()
print(f"data: {source}; {len(train_set)} train / {len(test_set)} test images of 1x28x28")
train_loader = torch.utils.data.DataLoader(train_set, batch_size=32 if args.quick else args.batch_size, shuffle=True)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=256)
model = Net()
print(f"model: {sum(p.numel() for p in model.parameters())} parameters")
optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
t0 = time.perf_counter()
first = None
for epoch in range(1, epochs + 1):
    train_loss, train_acc = train(model, train_loader, optimizer, epoch)
    first = train_loss if first is None else first
    test_loss, test_acc = test(model, test_loader)
    scheduler.step()
    rate = epoch * len(train_set) / (time.perf_counter() - t0)
    print(
        f"epoch {epoch}: train loss {train_loss:.4f} (accuracy {train_acc:.1%}), "
        f"test loss {test_loss:.4f} (accuracy {test_acc:.1%}, chance 10%), {rate:.0f} img/s"
    )
print(f"train loss {first:.4f} -> {train_loss:.4f} in {time.perf_counter() - t0:.1f}s")
if not train_loss < first:
    raise SystemExit("FAILED: the training loss did not go down")
