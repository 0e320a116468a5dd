"""GPT-style decoder train step: vocab 65, block 64, width 128, 4 heads, 2 layers, batch 16, AdamW.

Attention uses F.scaled_dot_product_attention(is_causal=True) when the library has it, else an explicit
masked softmax (the Workload's notes say which ran).
"""

import math

import numpy as np

from . import Workload

VOCAB, BLOCK, WIDTH, HEADS, LAYERS, BATCH = 65, 64, 128, 4, 2, 16


def build(L):
    nn, F = L.nn, L.nn.functional
    sdpa = getattr(F, "scaled_dot_product_attention", None)

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
            self.proj = nn.Linear(WIDTH, WIDTH)
            self.register_buffer("mask", L.ones(BLOCK, BLOCK).tril().bool().logical_not())

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            q, k, v = (t.view(B, T, HEADS, C // HEADS).transpose(1, 2) for t in (q, k, v))
            if sdpa is not None:
                y = sdpa(q, k, v, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // HEADS))
                att = att.masked_fill(self.mask[:T, :T], float("-inf"))
                y = F.softmax(att, dim=-1) @ v
            return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(WIDTH)
            self.attn = CausalSelfAttention()
            self.ln2 = nn.LayerNorm(WIDTH)
            self.mlp = nn.Sequential(nn.Linear(WIDTH, 4 * WIDTH), nn.GELU(), nn.Linear(4 * WIDTH, WIDTH))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, WIDTH)
            self.pos = nn.Embedding(BLOCK, WIDTH)
            self.blocks = nn.Sequential(*[Block() for _ in range(LAYERS)])
            self.ln_f = nn.LayerNorm(WIDTH)
            self.head = nn.Linear(WIDTH, VOCAB, bias=False)

        def forward(self, idx):
            T = idx.shape[1]
            x = self.tok(idx) + self.pos(L.arange(T))
            return self.head(self.ln_f(self.blocks(x)))

    L.manual_seed(0)
    rng = np.random.default_rng(0)
    idx = L.from_numpy(rng.integers(0, VOCAB, (BATCH, BLOCK)))
    targets = L.from_numpy(rng.integers(0, VOCAB, (BATCH, BLOCK)))
    model = GPT()
    opt = L.optim.AdamW(model.parameters(), lr=3e-4)

    def step():
        opt.zero_grad()
        logits = model(idx)
        loss = F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))
        loss.backward()
        opt.step()
        return loss

    notes = "F.scaled_dot_product_attention" if sdpa is not None else "explicit masked softmax (no sdpa)"
    return Workload(step, "ms/step", scale=1e3, notes=notes)
