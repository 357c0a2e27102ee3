#!/usr/bin/python3
"""PyTorch baseline for `crossmodal bench clip`: CLIP ViT-B/32 encoding throughput with random weights.

    /usr/bin/python3 tests/reference/bench_torch_clip.py [--iterations 5] [--threads 2] [--json]

Same shapes as the C# benchmark (src/CrossModal.Cli/Commands/BenchClipCommand.cs): images 224×224 in batches of
16, texts of 77 tokens (end-of-text last, so every position is computed) in batches of 64; one warm-up batch, then
the mean over `--iterations` batches. The model is Hugging Face's CLIPModel forward (modeling_clip.py, v4.30) in
plain torch — `transformers` is not installed here — the same code as make_clip_fixtures.py, in fp32, under
torch.inference_mode() with torch.set_num_threads(2) by default (the development machine has 2 cores).
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F

TEXT = dict(vocab=49408, width=512, hidden=2048, heads=8, layers=12, context=77)
VISION = dict(width=768, hidden=3072, heads=12, layers=12, image=224, patch=32)
PROJECTION = 512


def make_encoder(c, hidden, layers, std=0.02):
    g = torch.Generator().manual_seed(0)
    blocks = []
    for _ in range(layers):
        blocks.append({
            "ln1": (torch.ones(c), torch.zeros(c)),
            "q": (torch.randn(c, c, generator=g) * std, torch.zeros(c)),
            "k": (torch.randn(c, c, generator=g) * std, torch.zeros(c)),
            "v": (torch.randn(c, c, generator=g) * std, torch.zeros(c)),
            "o": (torch.randn(c, c, generator=g) * std, torch.zeros(c)),
            "ln2": (torch.ones(c), torch.zeros(c)),
            "fc1": (torch.randn(hidden, c, generator=g) * std, torch.zeros(hidden)),
            "fc2": (torch.randn(c, hidden, generator=g) * std, torch.zeros(c)),
        })
    return blocks


def encoder_forward(blocks, h, heads, causal):
    b, t, c = h.shape
    d = c // heads
    mask = torch.full((t, t), float("-inf")).triu(1) if causal else None
    for p in blocks:
        residual = h
        x = F.layer_norm(h, (c,), *p["ln1"], 1e-5)
        q = F.linear(x, *p["q"]) * d ** -0.5
        k = F.linear(x, *p["k"])
        v = F.linear(x, *p["v"])
        split = lambda y: y.view(b, t, heads, d).transpose(1, 2)  # noqa: E731
        scores = split(q) @ split(k).transpose(-1, -2)
        if mask is not None:
            scores = scores + mask
        y = (torch.softmax(scores, dim=-1) @ split(v)).transpose(1, 2).reshape(b, t, c)
        h = residual + F.linear(y, *p["o"])
        residual = h
        x = F.layer_norm(h, (c,), *p["ln2"], 1e-5)
        x = F.linear(x, *p["fc1"])
        h = residual + F.linear(x * torch.sigmoid(1.702 * x), *p["fc2"])
    return h


class Clip:
    def __init__(self):
        g = torch.Generator().manual_seed(1)
        ct, cv, ps = TEXT["width"], VISION["width"], VISION["patch"]
        grid = VISION["image"] // ps
        self.tok = torch.randn(TEXT["vocab"], ct, generator=g) * 0.02
        self.tpos = torch.randn(TEXT["context"], ct, generator=g) * 0.01
        self.text = make_encoder(ct, TEXT["hidden"], TEXT["layers"])
        self.tln = (torch.ones(ct), torch.zeros(ct))
        self.tproj = torch.randn(PROJECTION, ct, generator=g) * ct ** -0.5
        self.patch = torch.randn(cv, 3, ps, ps, generator=g) * 0.02
        self.cls = torch.randn(cv, generator=g) * cv ** -0.5
        self.vpos = torch.randn(grid * grid + 1, cv, generator=g) * cv ** -0.5
        self.pre = (torch.ones(cv), torch.zeros(cv))
        self.vision = make_encoder(cv, VISION["hidden"], VISION["layers"])
        self.post = (torch.ones(cv), torch.zeros(cv))
        self.vproj = torch.randn(PROJECTION, cv, generator=g) * cv ** -0.5

    def encode_text(self, ids):
        c = TEXT["width"]
        h = self.tok[ids] + self.tpos[: ids.shape[1]]
        h = encoder_forward(self.text, h, TEXT["heads"], True)
        h = F.layer_norm(h, (c,), *self.tln, 1e-5)
        pooled = h[torch.arange(h.shape[0]), ids.argmax(dim=-1)]
        return F.normalize(pooled @ self.tproj.t(), dim=-1)

    def encode_image(self, pixels):
        c = VISION["width"]
        b = pixels.shape[0]
        x = F.conv2d(pixels, self.patch, stride=VISION["patch"]).flatten(2).transpose(1, 2)
        h = torch.cat([self.cls.expand(b, 1, c), x], dim=1) + self.vpos
        h = F.layer_norm(h, (c,), *self.pre, 1e-5)
        h = encoder_forward(self.vision, h, VISION["heads"], False)
        pooled = F.layer_norm(h[:, 0], (c,), *self.post, 1e-5)
        return F.normalize(pooled @ self.vproj.t(), dim=-1)


def measure(fn, batch, iterations):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return batch * iterations / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = Clip()
    g = torch.Generator().manual_seed(2)
    pixels = torch.randn(16, 3, 224, 224, generator=g)
    ids = torch.randint(1, 49406, (64, 77), generator=g)
    ids[:, -1] = 49407
    with torch.inference_mode():
        images = measure(lambda: model.encode_image(pixels), 16, args.iterations)
        texts = measure(lambda: model.encode_text(ids), 64, args.iterations)
    result = {"images_per_second": round(images, 2), "texts_per_second": round(texts, 2), "image_batch": 16,
              "text_batch": 64, "text_tokens": 77, "iterations": args.iterations, "threads": args.threads,
              "torch": torch.__version__}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"PyTorch {torch.__version__}, {args.threads} threads")
        print(f"  images (224x224, batch 16): {images:10.1f} /s")
        print(f"  texts  (77 tokens, batch 64): {texts:10.1f} /s")


if __name__ == "__main__":
    main()
