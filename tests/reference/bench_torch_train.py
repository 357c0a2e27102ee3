#!/usr/bin/python3
"""PyTorch twin of `crossmodal bench train`: tokens/s of a full training step (forward, backward, AdamW) of a
GPT-2-style decoder with 4 layers, width 256, 8 heads, vocabulary 5,000, context 32, batch 32, tied embeddings, on
the CPU with the same thread count (2 by default), after warm-up, from the median step time.

    /usr/bin/python3 tests/reference/bench_torch_train.py [--threads 2] [--steps 20] [--warmup 3] [--json]
"""

import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

L, C, NH, V, T, B = 4, 256, 8, 5000, 32, 32


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.ones(T, T).tril().view(1, 1, T, T) == 0)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (z.view(b, t, NH, c // NH).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // NH))
        att = torch.softmax(att.masked_fill(self.mask[:, :, :t, :t], float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList(Block() for _ in range(L))
        self.ln_f = nn.LayerNorm(C)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    model = Gpt()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-4)
    idx = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = model(idx, targets)
        loss.backward()
        opt.step()
        elapsed = time.perf_counter() - start
        if i >= args.warmup:
            times.append(elapsed)
        print(f"step {i + 1}: {elapsed * 1000:.1f} ms, loss {loss.item():.4f}", file=sys.stderr)
    tps = B * T / statistics.median(times)
    if args.json:
        print(json.dumps({"tokens_per_second": round(tps, 1), "threads": args.threads, "torch": torch.__version__,
                          "model": {"layers": L, "width": C, "heads": NH, "vocab": V, "context": T, "batch": B}}))
    else:
        print(f"PyTorch {torch.__version__}, {args.threads} threads: {tps:.1f} tokens/s ({1000 * statistics.median(times):.1f} ms/step)")


if __name__ == "__main__":
    main()
