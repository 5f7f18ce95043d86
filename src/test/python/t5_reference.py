#!/usr/bin/env python3
"""Independent reference for vdq's T5 / UMT5 text encoder (io.vdq.model.t5.T5Encoder).

Written from the semantics of transformers' UMT5EncoderModel and T5EncoderModel (T5 v1.1), not from vdq's code:
  * token embedding lookup (no scaling);
  * per layer: x += o(attention(rms(x))), then x += wo(gelu_new(wi_0 h) * wi_1 h) with h = rms(x);
  * rms(x) = w * x / sqrt(mean(x^2) + eps), no mean subtraction;
  * attention: per head softmax(q k^T + bias) v, NO 1/sqrt(d_kv) scaling, no biases in any linear;
    bias[h, i, j] = table[bucket(j - i), h] with T5's bidirectional log buckets;
    UMT5: each layer has its own table; T5 v1.1: layer 0's table is used by every layer;
  * final rms norm.
Everything is computed in float64 from the stored (BF16- or F32-rounded) weights, except the relative-position
bucket, which is computed with PyTorch in float32 exactly as transformers does (its log can land on a bucket
boundary).

Writes, under src/test/resources/t5/:
  umt5/  config.json + model.safetensors (BF16, one file, embedding as 'shared.weight'), 3 layers,
         d_kv 6 x 4 heads (inner 24 != d_model 32), 16 buckets / max distance 16
  t5/    config.json + model.safetensors.index.json + 2 F32 shards (embedding as 'encoder.embed_tokens.weight'),
         2 layers, 4 heads x 8, 32 buckets / max distance 20
  umt5-cases.safetensors, t5-cases.safetensors: 'ids.N' (I32 [len]) and 'expected.N' (F32 [len, d_model])
Sequence lengths reach 40 so relative distances pass max_distance and the log buckets are exercised.

Run from the repository root:  /usr/bin/python3 src/test/python/t5_reference.py   (needs numpy and torch)
"""
import json
import math
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "t5")


def bucket(rel, num_buckets, max_distance):
    """T5 bidirectional relative-position bucket of rel = key - query (int64 tensor), as transformers computes it."""
    half = num_buckets // 2
    out = (rel > 0).to(torch.long) * half
    n = torch.abs(rel)
    max_exact = half // 2
    small = n < max_exact
    large = max_exact + (torch.log(n.float() / max_exact) / math.log(max_distance / max_exact)
                         * (half - max_exact)).to(torch.long)
    large = torch.clamp(large, max=half - 1)
    return out + torch.where(small, n, large)


def to_bf16(a):
    """Round float64 values to bfloat16 (nearest, ties to even); returns (float64 values, uint16 bits)."""
    f = np.asarray(a, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    back = (r.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return back, r


def make_weights(cfg, rng):
    d, dk, nh, ff, L = cfg["d_model"], cfg["d_kv"], cfg["num_heads"], cfg["d_ff"], cfg["num_layers"]
    inner = dk * nh
    w = {"emb": rng.standard_normal((cfg["vocab_size"], d))}
    for i in range(L):
        p = f"encoder.block.{i}.layer."
        w[p + "0.SelfAttention.q.weight"] = rng.standard_normal((inner, d)) / math.sqrt(d * dk) * 2
        w[p + "0.SelfAttention.k.weight"] = rng.standard_normal((inner, d)) / math.sqrt(d)
        w[p + "0.SelfAttention.v.weight"] = rng.standard_normal((inner, d)) / math.sqrt(d)
        w[p + "0.SelfAttention.o.weight"] = rng.standard_normal((d, inner)) / math.sqrt(inner)
        if cfg["model_type"] == "umt5" or i == 0:
            w[p + "0.SelfAttention.relative_attention_bias.weight"] = 0.5 * rng.standard_normal(
                (cfg["relative_attention_num_buckets"], nh))
        w[p + "0.layer_norm.weight"] = 1 + 0.2 * rng.standard_normal(d)
        w[p + "1.DenseReluDense.wi_0.weight"] = rng.standard_normal((ff, d)) / math.sqrt(d)
        w[p + "1.DenseReluDense.wi_1.weight"] = rng.standard_normal((ff, d)) / math.sqrt(d)
        w[p + "1.DenseReluDense.wo.weight"] = rng.standard_normal((d, ff)) / math.sqrt(ff)
        w[p + "1.layer_norm.weight"] = 1 + 0.2 * rng.standard_normal(d)
    w["encoder.final_layer_norm.weight"] = 1 + 0.2 * rng.standard_normal(d)
    return w


def rms(x, w, eps):
    return w * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)


def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def softmax(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def encode(cfg, w, ids):
    d, dk, nh = cfg["d_model"], cfg["d_kv"], cfg["num_heads"]
    eps = cfg["layer_norm_epsilon"]
    n = len(ids)
    x = w["emb"][np.asarray(ids)]
    pos = torch.arange(n)
    buckets = bucket(pos[None, :] - pos[:, None], cfg["relative_attention_num_buckets"],
                     cfg["relative_attention_max_distance"]).numpy()          # [query, key]
    table = None
    for i in range(cfg["num_layers"]):
        p = f"encoder.block.{i}.layer."
        tname = p + "0.SelfAttention.relative_attention_bias.weight"
        if tname in w:
            table = w[tname]
        bias = table[buckets].transpose(2, 0, 1)                              # [head, query, key]
        h = rms(x, w[p + "0.layer_norm.weight"], eps)
        q = (h @ w[p + "0.SelfAttention.q.weight"].T).reshape(n, nh, dk).transpose(1, 0, 2)
        k = (h @ w[p + "0.SelfAttention.k.weight"].T).reshape(n, nh, dk).transpose(1, 0, 2)
        v = (h @ w[p + "0.SelfAttention.v.weight"].T).reshape(n, nh, dk).transpose(1, 0, 2)
        a = softmax(q @ k.transpose(0, 2, 1) + bias) @ v                      # [head, n, dk]
        x = x + a.transpose(1, 0, 2).reshape(n, nh * dk) @ w[p + "0.SelfAttention.o.weight"].T
        h = rms(x, w[p + "1.layer_norm.weight"], eps)
        g = gelu_new(h @ w[p + "1.DenseReluDense.wi_0.weight"].T) * (h @ w[p + "1.DenseReluDense.wi_1.weight"].T)
        x = x + g @ w[p + "1.DenseReluDense.wo.weight"].T
    return rms(x, w["encoder.final_layer_norm.weight"], eps)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, shape, raw little-endian bytes); names sorted in the data region."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        dt, shape, raw = tensors[name]
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def stored(w, dtype, emb_name):
    """Rounds the weights to the stored dtype; returns (weights as the model sees them, tensors to write)."""
    seen, out = {}, {}
    for name, a in w.items():
        fname = emb_name if name == "emb" else name
        if dtype == "BF16":
            v, bits = to_bf16(a)
            out[fname] = ("BF16", a.shape, bits.astype("<u2").tobytes())
        else:
            v = np.asarray(a, dtype=np.float32).astype(np.float64)
            out[fname] = ("F32", a.shape, np.asarray(a, dtype="<f4").tobytes())
        seen[name] = v
    return seen, out


def build(name, cfg, dtype, emb_name, shards, lengths, seed):
    rng = np.random.default_rng(seed)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    w, tensors = stored(make_weights(cfg, rng), dtype, emb_name)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    names = sorted(tensors)
    if shards == 1:
        write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    else:
        weight_map, per = {}, (len(names) + shards - 1) // shards
        for s in range(shards):
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {n: tensors[n] for n in names[s * per:(s + 1) * per]}
            write_safetensors(os.path.join(d, fname), part)
            weight_map.update({n: fname for n in part})
        total = sum(len(t[2]) for t in tensors.values())
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
            f.write("\n")
    cases = {}
    for k, n in enumerate(lengths):
        ids = rng.integers(0, cfg["vocab_size"], n)
        ids[0] = cfg["vocab_size"] - 1                                       # the last row of the table
        y = encode(cfg, w, ids)
        cases[f"ids.{k}"] = ("I32", (n,), ids.astype("<i4").tobytes())
        cases[f"expected.{k}"] = ("F32", y.shape, y.astype("<f4").tobytes())
    write_safetensors(os.path.join(OUT, name + "-cases.safetensors"), cases)


UMT5 = {"architectures": ["UMT5EncoderModel"], "model_type": "umt5", "vocab_size": 300, "d_model": 32, "d_kv": 6,
        "num_heads": 4, "d_ff": 48, "num_layers": 3, "relative_attention_num_buckets": 16,
        "relative_attention_max_distance": 16, "layer_norm_epsilon": 1e-6, "feed_forward_proj": "gated-gelu",
        "dense_act_fn": "gelu_new", "is_gated_act": True}
T5 = {"architectures": ["T5EncoderModel"], "model_type": "t5", "vocab_size": 300, "d_model": 32, "d_kv": 8,
      "num_heads": 4, "d_ff": 48, "num_layers": 2, "relative_attention_num_buckets": 32,
      "relative_attention_max_distance": 20, "layer_norm_epsilon": 1e-6, "feed_forward_proj": "gated-gelu",
      "dense_act_fn": "gelu_new", "is_gated_act": True}

if __name__ == "__main__":
    build("umt5", UMT5, "BF16", "shared.weight", 1, [1, 5, 40], 11)
    build("t5", T5, "F32", "encoder.embed_tokens.weight", 2, [3, 40], 12)
    print("wrote", os.path.normpath(OUT))
