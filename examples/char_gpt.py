"""A character-level GPT (a tiny nanoGPT) trained on a few public-domain poems, then sampled.

Token + position embeddings, pre-LayerNorm transformer blocks with causal multi-head
self-attention written out by hand (masked_fill with a lower-triangular mask, softmax, dropout),
AdamW with weight decay on the matrices only, gradient clipping, and sampling with
``torch.multinomial``. The text (examples/data/tiny_text.txt) is Shakespeare's sonnets 18, 29, 73,
116 and 130 and William Blake's "The Tyger".

    python examples/char_gpt.py                  # ember, a minute or two on a CPU
    python examples/char_gpt.py --backend torch  # the same program under PyTorch
    python examples/char_gpt.py --quick          # a few seconds (CI)
"""

import argparse
import importlib
import math
import os
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--backend", choices=("ember", "torch"), default="ember")
parser.add_argument("--quick", action="store_true", help="a few steps (CI)")
parser.add_argument("--steps", type=int, default=600)
parser.add_argument("--seed", type=int, default=1337)
args = parser.parse_args()

torch = importlib.import_module(args.backend)
nn = torch.nn
F = torch.nn.functional

if args.quick:  # a toy-sized model that still visibly learns
    block_size, n_embd, n_head, n_layer, dropout, batch_size, steps, eval_every, eval_iters = (
        32,
        32,
        2,
        1,
        0.0,
        16,
        40,
        20,
        2,
    )
else:
    block_size, n_embd, n_head, n_layer, dropout, batch_size, steps, eval_every, eval_iters = (
        64,
        64,
        4,
        2,
        0.1,
        32,
        args.steps,
        200,
        10,
    )
lr = 3e-3

torch.manual_seed(args.seed)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tiny_text.txt")) as f:
    text = f.read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]
decode = lambda ids: "".join(chars[i] for i in ids)
data = torch.tensor(encode(text), dtype=torch.long)
n = int(0.9 * len(data))
train_data, val_data = data[:n], data[n:]
print(f"text: {len(text)} characters, vocabulary of {len(chars)}; {len(train_data)} train / {len(val_data)} val")


def get_batch(split):
    d = train_data if split == "train" else val_data
    ix = torch.randint(len(d) - block_size - 1, (batch_size,))
    offsets = torch.arange(block_size)
    x = d[ix[:, None] + offsets]
    y = d[ix[:, None] + offsets + 1]
    return x, y


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        self.attn_drop = nn.Dropout(dropout)
        self.resid_drop = nn.Dropout(dropout)
        self.register_buffer("mask", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(n_embd, dim=2)
        q = q.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
        v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = self.attn_drop(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention()
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd), nn.Dropout(dropout)
        )

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.Sequential(*[Block() for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        pos = torch.arange(T)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        logits = self.head(self.ln_f(self.blocks(x)))
        loss = None if targets is None else F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=0.8):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -block_size:])
            probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
        return idx


@torch.no_grad()
def estimate_loss(model, iters=eval_iters):
    model.eval()
    out = {}
    for split in ("train", "val"):
        out[split] = sum(model(*get_batch(split))[1].item() for _ in range(iters)) / iters
    model.train()
    return out


model = GPT(len(chars))
print(f"model: {sum(p.numel() for p in model.parameters())} parameters")
decay = [p for name, p in model.named_parameters() if p.dim() >= 2]
no_decay = [p for name, p in model.named_parameters() if p.dim() < 2]
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=lr
)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=lr / 10)

losses = estimate_loss(model)
first = losses["train"]
print(f"step {0:5d}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
t0 = time.perf_counter()
for step in range(1, steps + 1):
    xb, yb = get_batch("train")
    _, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    if step % eval_every == 0 or step == steps:
        losses = estimate_loss(model)
        rate = step * batch_size * block_size / (time.perf_counter() - t0)
        print(f"step {step:5d}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f} ({rate:,.0f} tok/s)")
print(f"trained {steps} steps in {time.perf_counter() - t0:.1f}s; train loss {first:.3f} -> {losses['train']:.3f}")

model.eval()
prompt = torch.tensor([encode("Shall I ")], dtype=torch.long)
sample = decode(model.generate(prompt, 60 if args.quick else 400)[0].tolist())
print("sample:")
print(sample)
if losses["train"] >= first:
    raise SystemExit("FAILED: the loss did not go down")
