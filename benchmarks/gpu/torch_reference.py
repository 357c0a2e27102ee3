"""PyTorch reference figures for the CrossModal GPU benchmarks (benchmarks/gpu/run.sh runs it).

torch.matmul of the same square shapes as GpuGemmBenchmarks (fp32, then TF32), timed with CUDA events, and the
tokens/s of one eager training step of the decoder of TrainStepBenchmarks (L=4, C=256, NH=8, V=5000, T=32, B=32,
tied LM head, AdamW lr 3e-4 weight decay 0.1). Writes a JSON file; without CUDA it says so and exits 0.
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def time_ms(fn, repetitions):
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    fn()
    torch.cuda.synchronize()
    start.record()
    for _ in range(repetitions):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / repetitions


def gemm(results):
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for size in (1024, 4096):
            a = torch.rand(size, size, device="cuda") - 0.5
            b = torch.rand(size, size, device="cuda") - 0.5
            ms = time_ms(lambda: torch.matmul(a, b), 20)
            results.append({"op": "matmul", "size": size, "tf32": tf32, "ms": ms, "tflops": 2 * size**3 / (ms / 1000) / 1e12})
            print(f"matmul {size}x{size} {'tf32' if tf32 else 'fp32'}: {ms:.3f} ms, {results[-1]['tflops']:.1f} TFLOP/s")
    torch.backends.cuda.matmul.allow_tf32 = False


class Block(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(c)
        self.attn = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.ln2 = nn.LayerNorm(c)
        self.fc = nn.Linear(c, 4 * c)
        self.fc_proj = nn.Linear(4 * c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.attn(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        # Eager attention as llm.c's train_gpt2.py writes it (no fused kernel), like the CrossModal kernels.
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        att = att.masked_fill(torch.ones(t, t, device=x.device, dtype=torch.bool).triu(1), float("-inf"))
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.proj(y)
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Decoder(nn.Module):
    def __init__(self, vocabulary, context, c, layers, heads):
        super().__init__()
        self.wte = nn.Embedding(vocabulary, c)
        self.wpe = nn.Embedding(context, c)
        self.blocks = nn.ModuleList(Block(c, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(c)

    def forward(self, tokens, targets):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.size(1), device=tokens.device))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def train_step(results):
    batch, context, vocabulary = 32, 32, 5000
    torch.manual_seed(1234)
    model = Decoder(vocabulary, context, 256, 4, 8).cuda()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    tokens = torch.randint(vocabulary, (batch, context), device="cuda")
    targets = torch.randint(vocabulary, (batch, context), device="cuda")

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(tokens, targets)
        loss.backward()
        optimizer.step()
        return loss.item()  # reads the loss back, as the CrossModal step does

    for _ in range(5):
        step()
    steps = 20
    torch.cuda.synchronize()
    begin = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - begin) / steps
    results.append({"op": "train_step", "tokens": batch * context, "ms": seconds * 1000, "tokens_per_second": batch * context / seconds})
    print(f"training step (eager, fp32): {seconds * 1000:.2f} ms, {batch * context / seconds:,.0f} tokens/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", default="torch.json")
    args = parser.parse_args()
    summary = {"torch": torch.__version__, "cuda": torch.version.cuda, "results": []}
    if not torch.cuda.is_available():
        summary["error"] = "no CUDA device visible to PyTorch"
        print("No CUDA device visible to PyTorch: reference skipped.")
    else:
        summary["device"] = torch.cuda.get_device_name(0)
        print(f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, {summary['device']}")
        gemm(summary["results"])
        train_step(summary["results"])
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
