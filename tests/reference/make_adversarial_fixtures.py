#!/usr/bin/python3
"""Reference fixtures for the adversarial (CgT-GAN) caption trainer: discriminator, CLIP rewards, policy gradient.

Run with the system Python that has PyTorch 1.13:

    /usr/bin/python3 tests/reference/make_adversarial_fixtures.py

Writes tests/reference/fixtures/adversarial/{discriminator,rewards,policy_gradient}.safetensors (same hand-written
safetensors format as make_nn_fixtures.py; integer inputs stored as F32). Parameter names match the C# modules:

* discriminator: a RoBERTa-like bidirectional encoder as CgT-GAN's (Yu et al., ACM MM 2023): token + learned
  position embeddings, pre-LN blocks (GELU tanh approximation) with a key padding mask, a final LayerNorm, the first
  position pooled by dense + tanh, then Linear(C, C/2), tanh, Linear(C/2, 1). Loss: BCE with logits, real = 1.
* rewards: CLIP-cos = s·cos(v, x); CLIP-agg with agg(v) = normalise(Σ_j softmax_j(cos(v, c_j)/τ)·c_j) and
  reward = w·s·cos(agg, x) + (1 − w)·s·(1 − mean_d |agg_d − x_d|); s = 100, τ = 0.01, w = 0.5.
* policy_gradient: a prefix LM of the project's layout (a linear mapper `mapper.proj` to one prefix vector and a
  GPT-2 decoder `decoder.transformer.*` with tied head); sampled sequences with rewards r and baselines b; per
  sample the mean log-probability of its tokens up to and including the end token; loss = mean_i −(r_i − b_i)·logp̄_i
  (Rennie et al. 2017), and every parameter gradient.
"""

import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The transformer pieces are make_nn_fixtures.py's, whose parameter names match the C# modules.
from make_nn_fixtures import block, block_params, leaves, lin, ln, with_grads  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "adversarial")
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
GENERATOR = "tests/reference/make_adversarial_fixtures.py"


def write_safetensors(path, tensors):
    names = sorted(tensors)
    header = {}
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "generator": GENERATOR, "torch": torch.__version__.split("+")[0]}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def save(name, tensors):
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors)
    print(f"{name}: {len(tensors)} tensors", file=sys.stderr)


def gelu(x):
    return F.gelu(x, approximate="tanh")


def discriminator_fixture():
    torch.manual_seed(301)
    V, maxT, C, NH, L, B, T = 13, 8, 16, 2, 2, 4, 6
    P = {"wte.weight": 0.3 * torch.randn(V, C), "wpe.weight": 0.3 * torch.randn(maxT, C)}
    for i in range(L):
        block_params(P, f"h.{i}", C)
    P["ln_f.weight"] = 1 + 0.1 * torch.randn(C)
    P["ln_f.bias"] = 0.1 * torch.randn(C)
    P["pooler.weight"] = 0.3 * torch.randn(C, C)
    P["pooler.bias"] = 0.1 * torch.randn(C)
    P["fc1.weight"] = 0.3 * torch.randn(C // 2, C)
    P["fc1.bias"] = 0.1 * torch.randn(C // 2)
    P["fc2.weight"] = 0.5 * torch.randn(1, C // 2)
    P["fc2.bias"] = 0.1 * torch.randn(1)
    tokens = torch.randint(0, V, (B, T))
    lengths = torch.tensor([6, 4, 3, 5])
    mask = (torch.arange(T)[None, :] < lengths[:, None]).to(torch.int64)
    labels = torch.tensor([1.0, 0.0, 1.0, 0.0])

    Q = leaves(P)
    x = Q["wte.weight"][tokens] + Q["wpe.weight"][:T]
    for i in range(L):
        x = block(Q, x, f"h.{i}", NH, False, mask, gelu)
    pooled = ln(Q, x, "ln_f")[:, 0]
    logits = lin(Q, torch.tanh(lin(Q, torch.tanh(lin(Q, pooled, "pooler")), "fc1")), "fc2").view(B)
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    loss.backward()
    t = {"tokens": tokens.float(), "mask": mask.float(), "labels": labels, "logits": logits, "loss": loss.reshape(1)}
    with_grads(Q, t)
    save("discriminator", t)


def rewards_fixture():
    torch.manual_seed(302)
    M, N, D, S = 3, 10, 8, 6
    scale, tau, w = 100.0, 0.01, 0.5
    images = F.normalize(torch.randn(M, D), dim=-1)
    corpus = F.normalize(torch.randn(N, D), dim=-1)
    image_of_sample = torch.tensor([0, 0, 1, 1, 2, 2])
    texts = F.normalize(torch.randn(S, D), dim=-1)
    weights = torch.softmax(images @ corpus.t() / tau, dim=-1)
    agg = F.normalize(weights @ corpus, dim=-1)
    v = images[image_of_sample]
    a = agg[image_of_sample]
    clip_cos = scale * (v * texts).sum(-1)
    clip_agg = w * scale * (a * texts).sum(-1) + (1 - w) * scale * (1 - (a - texts).abs().mean(-1))
    save("rewards", {"images": images, "corpus": corpus, "image_of_sample": image_of_sample.float(), "texts": texts,
                     "aggregate": agg, "clip_cos": clip_cos, "clip_agg": clip_agg})


def policy_gradient_fixture():
    torch.manual_seed(303)
    V, ctx, C, NH, L, E = 11, 12, 16, 2, 2, 6
    end = 10
    P = {"mapper.proj.weight": 0.3 * torch.randn(C, E), "mapper.proj.bias": 0.1 * torch.randn(C),
         "decoder.transformer.wte.weight": 0.3 * torch.randn(V, C), "decoder.transformer.wpe.weight": 0.3 * torch.randn(ctx, C)}
    for i in range(L):
        block_params(P, f"decoder.transformer.h.{i}", C)
    P["decoder.transformer.ln_f.weight"] = 1 + 0.1 * torch.randn(C)
    P["decoder.transformer.ln_f.bias"] = 0.1 * torch.randn(C)
    # Two images, three samples each; every sample ends with the end token except the fourth, cut at 5 tokens.
    samples = [[3, 5, end], [2, end], [4, 4, 1, 7, end], [6, 2, 2, 8, 9], [end], [1, 3, end]]
    image_of_sample = torch.tensor([0, 0, 0, 1, 1, 1])
    embeddings = torch.randn(2, E)
    rewards = torch.tensor([1.5, -0.5, 0.25, 2.0, -1.0, 0.75])
    baselines = torch.tensor([0.5, 0.5, 0.5, -0.25, -0.25, -0.25])
    S, Tc = len(samples), max(len(s) for s in samples)
    tokens = torch.zeros(S, Tc, dtype=torch.int64)
    for i, s in enumerate(samples):
        tokens[i, :len(s)] = torch.tensor(s)

    Q = leaves(P)
    prefix = lin(Q, embeddings[image_of_sample], "mapper.proj")[:, None, :]
    x = torch.cat([prefix, Q["decoder.transformer.wte.weight"][tokens]], dim=1)
    x = x + Q["decoder.transformer.wpe.weight"][:1 + Tc]
    for i in range(L):
        x = block(Q, x, f"decoder.transformer.h.{i}", NH, True, None, gelu)
    logits = ln(Q, x, "decoder.transformer.ln_f") @ Q["decoder.transformer.wte.weight"].t()
    logp = torch.log_softmax(logits, dim=-1)
    mean_logp = []
    for i, s in enumerate(samples):
        # Position t (the prefix is position 0) predicts token t of the sample.
        picked = logp[i, torch.arange(len(s)), torch.tensor(s)]
        mean_logp.append(picked.mean())
    mean_logp = torch.stack(mean_logp)
    loss = (-(rewards - baselines) * mean_logp).mean()
    loss.backward()
    lengths = torch.tensor([len(s) for s in samples])
    t = {"tokens": tokens.float(), "lengths": lengths.float(), "image_of_sample": image_of_sample.float(),
         "embeddings": embeddings, "rewards": rewards, "baselines": baselines, "mean_logp": mean_logp.detach(),
         "loss": loss.reshape(1), "end_token": torch.tensor([float(end)])}
    with_grads(Q, t)
    save("policy_gradient", t)


if __name__ == "__main__":
    discriminator_fixture()
    rewards_fixture()
    policy_gradient_fixture()
