"""A word-level LSTM language model (after pytorch/examples' word_language_model), on tiny_text.txt.

Embedding -> 2-layer LSTM -> Linear decoder with tied weights, trained with truncated
backpropagation through time (the hidden state is carried across batches and detached),
gradient-norm clipping and plain SGD (``p.add_(p.grad, alpha=-lr)``); reports perplexities and
samples a few lines. The corpus is a few poems, so the model mostly memorises it: the training
perplexity falls far, the validation perplexity much less.

    python examples/word_lstm_lm.py                  # ember, a minute or two on a CPU
    python examples/word_lstm_lm.py --backend torch  # the same program under PyTorch
    python examples/word_lstm_lm.py --quick          # a few seconds (CI)
"""

import argparse
import importlib
import math
import os
import re
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--backend", choices=("ember", "torch"), default="ember")
parser.add_argument("--quick", action="store_true", help="a few epochs of a small model (CI)")
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch = importlib.import_module(args.backend)
nn = torch.nn

emsize, nlayers, bptt, batch_size, lr, clip = (32, 1, 16, 8, 20.0, 0.25) if args.quick else (96, 2, 24, 8, 20.0, 0.25)
epochs = 3 if args.quick else args.epochs
torch.manual_seed(args.seed)

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tiny_text.txt")) as f:
    lines = [ln for ln in f.read().lower().splitlines()]
words = []
for line in lines:
    words += re.findall(r"[a-z']+|[?!.,;:]", line) + ["<eos>"]
vocab = sorted(set(words))
w2i = {w: i for i, w in enumerate(vocab)}
ids = torch.tensor([w2i[w] for w in words], dtype=torch.long)
split = int(0.9 * len(ids))
print(f"corpus: {len(words)} words, vocabulary of {len(vocab)}")


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data[: nbatch * bsz].view(bsz, -1).t().contiguous()  # (seq, batch)


train_data, val_data = batchify(ids[:split], batch_size), batchify(ids[split:], 2)


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nlayers, dropout=0.3):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, ninp, nlayers, dropout=dropout if nlayers > 1 else 0.0)
        self.decoder = nn.Linear(ninp, ntoken)
        self.decoder.weight = self.encoder.weight  # tied input and output embeddings
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        self.nlayers, self.nhid = nlayers, ninp

    def forward(self, x, hidden):
        output, hidden = self.rnn(self.drop(self.encoder(x)), hidden)
        return self.decoder(self.drop(output)).view(-1, self.decoder.out_features), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def repackage_hidden(h):
    return tuple(v.detach() for v in h)


model = RNNModel(len(vocab), emsize, nlayers)
criterion = nn.CrossEntropyLoss()
print(f"model: {sum(p.numel() for p in model.parameters())} parameters")


def evaluate(source, bsz):
    model.eval()
    total, hidden = 0.0, model.init_hidden(bsz)
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, bptt):
            data, targets = get_batch(source, i)
            output, hidden = model(data, hidden)
            total += len(data) * criterion(output, targets).item()
    return total / (len(source) - 1)


t0 = time.perf_counter()
best_val, first_train = None, None
for epoch in range(1, epochs + 1):
    model.train()
    total, count, hidden = 0.0, 0, model.init_hidden(batch_size)
    for i in range(0, train_data.size(0) - 1, bptt):
        data, targets = get_batch(train_data, i)
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)
        total, count = total + loss.item() * len(data), count + len(data)
    train_loss, val_loss = total / count, evaluate(val_data, 2)
    first_train = first_train if first_train is not None else train_loss
    best_val = val_loss if best_val is None else min(best_val, val_loss)
    if epoch == 1 or epoch == epochs or epoch % 5 == 0:
        print(
            f"epoch {epoch:3d} | lr {lr:5.2f} | train ppl {math.exp(train_loss):8.2f} | "
            f"val ppl {math.exp(val_loss):8.2f} | {time.perf_counter() - t0:5.1f}s"
        )
print(
    f"train perplexity {math.exp(first_train):.1f} -> {math.exp(train_loss):.1f} "
    f"(best val {math.exp(best_val):.1f}) in {time.perf_counter() - t0:.1f}s"
)

# sample: feed the model its own predictions, starting from "<eos>"
model.eval()
hidden, token, out = model.init_hidden(1), torch.tensor([[w2i["<eos>"]]]), []
with torch.no_grad():
    for _ in range(12 if args.quick else 40):
        logits, hidden = model(token, hidden)
        token = torch.multinomial(torch.softmax(logits[-1] / 0.8, dim=0), 1).view(1, 1)
        out.append(vocab[token.item()])
print("sample:")
print(" ".join(out).replace(" <eos> ", "\n").replace("<eos>", ""))
if train_loss >= first_train:
    raise SystemExit("FAILED: the loss did not go down")
