#!/usr/bin/python3
"""Reference fixtures for the nn kernels, modules and optimisers of CrossModal.Tensors (llm.c's method).

Run with the system Python that has PyTorch 1.13 (`apt-get install -y python3-torch python3-numpy`):

    /usr/bin/python3 tests/reference/make_nn_fixtures.py

From fixed seeds it builds (a) every kernel on small random inputs, (b) a 2-layer GPT-2-style decoder (vocabulary 97,
context 16, 4 heads, width 32, tied embeddings) and (c) a CLIP-style pair of encoders (a 2-layer text transformer with
causal and key-padding masks and QuickGELU, an MLP image tower, projections, L2 normalisation and the symmetric
contrastive loss with a learnable log temperature). For each it writes inputs, weights, outputs, losses, every
gradient and, for the models, the losses of 10 AdamW steps to tests/reference/fixtures/nn/<name>.safetensors.

The safetensors package is not available here, so files are written by hand in the same format: an 8-byte
little-endian header length, a JSON header {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}}
(keys sorted, padded with spaces to a multiple of 8) and the raw little-endian float32 data in header order.
Integer inputs (token ids, targets, masks) are stored as F32; they are small and exact. Runs are single-threaded and
byte-identical on re-run.
"""

import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nn")
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


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
    header["__metadata__"] = {"format": "pt", "generator": "tests/reference/make_nn_fixtures.py", "torch": torch.__version__.split("+")[0]}
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
    write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors)
    print(f"{name}: {len(tensors)} tensors", file=sys.stderr)


def leaf(t):
    return t.clone().detach().requires_grad_(True)


def backward_with(out, seed_shape_like):
    """Backpropagates a random upstream gradient dout (loss = Σ out·dout); returns dout."""
    dout = torch.randn_like(seed_shape_like)
    out.backward(dout)
    return dout


# ---------------------------------------------------------------- (a) kernels

def kernel_fixtures():
    torch.manual_seed(101)
    for name, bias in (("linear", True), ("linear_nobias", False)):
        x, w = leaf(torch.randn(6, 5)), leaf(torch.randn(7, 5) * 0.5)
        b = leaf(torch.randn(7)) if bias else None
        out = F.linear(x, w, b)
        dout = backward_with(out, out)
        t = {"x": x, "weight": w, "out": out, "dout": dout, "dx": x.grad, "dweight": w.grad}
        if bias:
            t.update({"bias": b, "dbias": b.grad})
        save(name, t)

    torch.manual_seed(102)
    for name, eps in (("layernorm", 1e-5), ("layernorm_eps", 0.1)):
        x = leaf(torch.randn(6, 8) * 2 + 0.5)
        w, b = leaf(1 + 0.1 * torch.randn(8)), leaf(0.1 * torch.randn(8))
        out = F.layer_norm(x, (8,), w, b, eps)
        dout = backward_with(out, out)
        save(name, {"x": x, "weight": w, "bias": b, "eps": torch.tensor([eps]), "out": out, "dout": dout,
                    "dx": x.grad, "dweight": w.grad, "dbias": b.grad})

    torch.manual_seed(103)
    B, T, C, V, maxT = 2, 3, 4, 11, 5
    ids = torch.tensor([[3, 7, 3], [10, 0, 7]])
    wte, wpe = leaf(torch.randn(V, C)), leaf(torch.randn(maxT, C))
    out = wte[ids] + wpe[:T]
    dout = backward_with(out, out)
    save("embedding", {"ids": ids.float(), "wte": wte, "wpe": wpe, "out": out, "dout": dout,
                       "dwte": wte.grad, "dwpe": wpe.grad})

    torch.manual_seed(104)
    activations = {
        "gelu": lambda x: F.gelu(x, approximate="tanh"),
        "quickgelu": lambda x: x * torch.sigmoid(1.702 * x),
        "tanh": torch.tanh,
    }
    for name, fn in activations.items():
        x = leaf(torch.randn(67) * 3)
        out = fn(x)
        dout = backward_with(out, out)
        save(name, {"x": x, "out": out, "dout": dout, "dx": x.grad})

    torch.manual_seed(105)
    x = leaf(torch.randn(5, 9) * 2)
    out = torch.softmax(x, dim=-1)
    dout = backward_with(out, out)
    save("softmax", {"x": x, "out": out, "dout": dout, "dx": x.grad})

    torch.manual_seed(106)
    B, T, C, NH = 2, 5, 8, 2
    lengths = [5, 3]
    key_mask = torch.tensor([[1.0 if t < L else 0.0 for t in range(T)] for L in lengths])
    for name, causal, padded in (("attention_causal", True, False), ("attention_causal_padded", True, True),
                                 ("attention_bidirectional", False, False), ("attention_bidirectional_padded", False, True)):
        qkv = leaf(torch.randn(B, T, 3 * C))
        out = attention(qkv, B, T, C, NH, causal, key_mask if padded else None)
        dout = backward_with(out, out)
        t = {"qkv": qkv, "out": out, "dout": dout, "dqkv": qkv.grad}
        if padded:
            t["key_mask"] = key_mask
        save(name, t)

    torch.manual_seed(107)
    for name, smoothing in (("cross_entropy", 0.0), ("cross_entropy_smoothed", 0.1)):
        logits = leaf(torch.randn(7, 13) * 2)
        targets = torch.randint(0, 13, (7,))
        targets[2] = -100
        loss = F.cross_entropy(logits, targets, ignore_index=-100, label_smoothing=smoothing)
        loss.backward()
        save(name, {"logits": logits, "targets": targets.float(), "label_smoothing": torch.tensor([smoothing]),
                    "loss": loss.reshape(1), "dlogits": logits.grad})

    torch.manual_seed(108)
    x = leaf(torch.randn(5, 6))
    out = F.normalize(x, dim=-1)
    dout = backward_with(out, out)
    save("l2norm", {"x": x, "out": out, "dout": dout, "dx": x.grad})

    torch.manual_seed(109)
    for name, t0 in (("contrastive", math.log(1 / 0.07)), ("contrastive_clamped", math.log(150.0))):
        image = leaf(F.normalize(torch.randn(6, 8), dim=-1))
        text = leaf(F.normalize(torch.randn(6, 8), dim=-1))
        log_t = leaf(torch.tensor([t0]))
        loss, logits = clip_loss(image, text, log_t)
        loss.backward()
        save(name, {"image": image, "text": text, "log_temperature": log_t, "logits": logits, "loss": loss.reshape(1),
                    "dimage": image.grad, "dtext": text.grad, "dlog_temperature": log_t.grad})

    torch.manual_seed(110)
    p = torch.nn.Parameter(torch.randn(37))
    p0 = p.detach().clone()
    grads = torch.randn(3, 37)
    opt = torch.optim.AdamW([p], lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)
    after = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        after.append(p.detach().clone())
    save("adamw", {"param": p0, "grads": grads, "after": torch.stack(after)})

    torch.manual_seed(111)
    p = torch.nn.Parameter(torch.randn(37))
    p0 = p.detach().clone()
    grads = torch.randn(3, 37)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    after = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        after.append(p.detach().clone())
    save("sgd", {"param": p0, "grads": grads, "after": torch.stack(after)})


def attention(qkv, B, T, C, NH, causal, key_mask):
    hs = C // NH
    q, k, v = qkv.split(C, dim=2)
    q = q.view(B, T, NH, hs).transpose(1, 2)
    k = k.view(B, T, NH, hs).transpose(1, 2)
    v = v.view(B, T, NH, hs).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
    if causal:
        att = att.masked_fill(torch.ones(T, T).tril() == 0, float("-inf"))
    if key_mask is not None:
        att = att.masked_fill(key_mask[:, None, None, :] == 0, float("-inf"))
    att = torch.softmax(att, dim=-1)
    return (att @ v).transpose(1, 2).contiguous().view(B, T, C)


def clip_loss(image, text, log_t):
    scale = torch.clamp(log_t.exp(), max=100.0)
    logits = scale * image @ text.t()
    labels = torch.arange(image.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2, logits


# ---------------------------------------------------------------- shared model pieces (names match the C# modules)

def lin(P, x, name, bias=True):
    return F.linear(x, P[name + ".weight"], P[name + ".bias"] if bias else None)


def ln(P, x, name, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), P[name + ".weight"], P[name + ".bias"], eps)


def block(P, x, name, NH, causal, key_mask, act):
    B, T, C = x.shape
    x = x + lin(P, attention(lin(P, ln(P, x, name + ".ln_1"), name + ".attn.c_attn"), B, T, C, NH, causal, key_mask), name + ".attn.c_proj")
    h = act(lin(P, ln(P, x, name + ".ln_2"), name + ".mlp.c_fc"))
    return x + lin(P, h, name + ".mlp.c_proj")


def block_params(P, name, C):
    P[name + ".ln_1.weight"] = 1 + 0.1 * torch.randn(C)
    P[name + ".ln_1.bias"] = 0.1 * torch.randn(C)
    P[name + ".attn.c_attn.weight"] = 0.1 * torch.randn(3 * C, C)
    P[name + ".attn.c_attn.bias"] = 0.02 * torch.randn(3 * C)
    P[name + ".attn.c_proj.weight"] = 0.1 * torch.randn(C, C)
    P[name + ".attn.c_proj.bias"] = 0.02 * torch.randn(C)
    P[name + ".ln_2.weight"] = 1 + 0.1 * torch.randn(C)
    P[name + ".ln_2.bias"] = 0.1 * torch.randn(C)
    P[name + ".mlp.c_fc.weight"] = 0.1 * torch.randn(4 * C, C)
    P[name + ".mlp.c_fc.bias"] = 0.02 * torch.randn(4 * C)
    P[name + ".mlp.c_proj.weight"] = 0.1 * torch.randn(C, 4 * C)
    P[name + ".mlp.c_proj.bias"] = 0.02 * torch.randn(C)


def adamw_losses(P, loss_fn, steps=10):
    """Losses of `steps` AdamW steps on the same batch; decay on matrices only (as the C# default)."""
    decay = [p for p in P.values() if p.dim() >= 2]
    no_decay = [p for p in P.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return torch.tensor(losses)


def leaves(P):
    return {k: leaf(v) for k, v in P.items()}


def with_grads(P, t):
    for k, v in P.items():
        t["param." + k] = v
        t["grad." + k] = v.grad


# ---------------------------------------------------------------- (b) GPT-2-style decoder

def gpt_fixture():
    torch.manual_seed(201)
    V, maxT, C, NH, L, B, T = 97, 16, 32, 4, 2, 4, 16
    P = {"wte.weight": 0.1 * torch.randn(V, C), "wpe.weight": 0.1 * torch.randn(maxT, C)}
    for i in range(L):
        block_params(P, f"h.{i}", C)
    P["ln_f.weight"] = 1 + 0.1 * torch.randn(C)
    P["ln_f.bias"] = 0.1 * torch.randn(C)
    tokens = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    targets[1, 3] = -100
    targets[3, 15] = -100
    gelu = lambda x: F.gelu(x, approximate="tanh")

    def forward(P):
        x = P["wte.weight"][tokens] + P["wpe.weight"][:T]
        for i in range(L):
            x = block(P, x, f"h.{i}", NH, True, None, gelu)
        logits = ln(P, x, "ln_f") @ P["wte.weight"].t()
        return logits, F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-100)

    Q = leaves(P)
    logits, loss = forward(Q)
    loss.backward()
    t = {"tokens": tokens.float(), "targets": targets.float(), "logits": logits, "loss": loss.reshape(1)}
    with_grads(Q, t)
    R = leaves(P)
    t["adamw_losses"] = adamw_losses(R, lambda: forward(R)[1])
    save("gpt", t)


# ---------------------------------------------------------------- (c) CLIP-style pair

def clip_fixture():
    torch.manual_seed(301)
    V, T, C, NH, L, D, B, IMG, HID = 50, 8, 32, 4, 2, 16, 6, 48, 64
    P = {"text.token_embedding.weight": 0.1 * torch.randn(V, C), "text.positional_embedding.weight": 0.1 * torch.randn(T, C)}
    for i in range(L):
        block_params(P, f"text.transformer.{i}", C)
    P["text.ln_final.weight"] = 1 + 0.1 * torch.randn(C)
    P["text.ln_final.bias"] = 0.1 * torch.randn(C)
    P["text.text_projection.weight"] = 0.1 * torch.randn(D, C)
    P["image.fc1.weight"] = 0.1 * torch.randn(HID, IMG)
    P["image.fc1.bias"] = 0.02 * torch.randn(HID)
    P["image.fc2.weight"] = 0.1 * torch.randn(C, HID)
    P["image.fc2.bias"] = 0.02 * torch.randn(C)
    P["image.ln.weight"] = 1 + 0.1 * torch.randn(C)
    P["image.ln.bias"] = 0.1 * torch.randn(C)
    P["image.visual_projection.weight"] = 0.1 * torch.randn(D, C)
    P["logit_scale"] = torch.tensor([math.log(1 / 0.07)])

    lengths = torch.tensor([8, 3, 5, 8, 6, 4])
    key_mask = (torch.arange(T)[None, :] < lengths[:, None]).float()
    tokens = torch.randint(1, V, (B, T)) * key_mask.long()
    eot = lengths - 1
    images = torch.randn(B, IMG)
    quick_gelu = lambda x: x * torch.sigmoid(1.702 * x)

    def forward(P):
        x = P["text.token_embedding.weight"][tokens] + P["text.positional_embedding.weight"][:T]
        for i in range(L):
            x = block(P, x, f"text.transformer.{i}", NH, True, key_mask, quick_gelu)
        x = ln(P, x, "text.ln_final")
        text = F.normalize(lin(P, x[torch.arange(B), eot], "text.text_projection", bias=False), dim=-1)
        h = lin(P, quick_gelu(lin(P, images, "image.fc1")), "image.fc2")
        image = F.normalize(lin(P, ln(P, h, "image.ln"), "image.visual_projection", bias=False), dim=-1)
        loss, logits = clip_loss(image, text, P["logit_scale"])
        return image, text, logits, loss

    Q = leaves(P)
    image, text, logits, loss = forward(Q)
    loss.backward()
    t = {"tokens": tokens.float(), "key_mask": key_mask, "eot": eot.float(), "images": images,
         "image_features": image, "text_features": text, "logits": logits, "loss": loss.reshape(1)}
    with_grads(Q, t)
    R = leaves(P)
    t["adamw_losses"] = adamw_losses(R, lambda: forward(R)[3])
    save("clip", t)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    kernel_fixtures()
    gpt_fixture()
    clip_fixture()
