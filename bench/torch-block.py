#!/usr/bin/env python3
"""PyTorch FP32 reference time for `vdq bench block` / `vdq bench quant`: one forward of a Wan2.1-1.3B-shaped
model with one transformer block (random weights), the same shapes as vdq's benchmark: patch embedding 1x2x2 of
16 latent channels, dim 1536, 12 heads x 128 with RMSNorm on q and k and 3-axis RoPE, cross-attention over
512 text tokens of width 4096 (text embedder 4096 -> 1536 -> 1536), FFN 8960 with tanh GELU, time embedding 256
-> 1536 -> 1536 and the 6 x 1536 modulation, the output head. Attention is the plain softmax(Q K^T / sqrt(d)) V,
one head at a time (torch 1.13 has no fused attention). Written from the Wan2.1 architecture (as in
src/test/python/wan_reference.py), not from vdq's code.

Usage: /usr/bin/python3 bench/torch-block.py [--tokens 4096] [--threads 2] [--reps 3]
Prints the median seconds of the timed forwards after one warm-up, and the torch version and thread count.
"""
import argparse
import math
import time

import torch
import torch.nn.functional as F

DIM, HEADS, HD, FFN, TEXT_DIM, FREQ, CIN, COUT = 1536, 12, 128, 8960, 4096, 256, 16, 16


def lin(o, i):
    m = torch.nn.Linear(i, o)
    torch.nn.init.normal_(m.weight, std=1 / math.sqrt(i))
    return m


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = lin(DIM, DIM), lin(DIM, DIM), lin(DIM, DIM), lin(DIM, DIM)
        self.q2, self.k2, self.v2, self.o2 = lin(DIM, DIM), lin(DIM, DIM), lin(DIM, DIM), lin(DIM, DIM)
        self.nq, self.nk, self.nq2, self.nk2 = (torch.nn.Parameter(torch.ones(DIM)) for _ in range(4))
        self.norm2 = torch.nn.LayerNorm(DIM, eps=1e-6)
        self.ff1, self.ff2 = lin(FFN, DIM), lin(DIM, FFN)
        self.table = torch.nn.Parameter(torch.randn(1, 6, DIM) / math.sqrt(DIM))


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w


def rope(x, cos, sin):
    n = x.shape[0]
    xr = x.view(n, HEADS, HD // 2, 2)
    a, b = xr[..., 0], xr[..., 1]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], -1).view(n, DIM)


def attention(q, k, v):
    out = torch.empty_like(q)
    for h in range(HEADS):
        s = slice(h * HD, (h + 1) * HD)
        p = torch.softmax((q[:, s] @ k[:, s].T) / math.sqrt(HD), dim=-1)
        out[:, s] = p @ v[:, s]
    return out


def rope_tables(f, hh, ww):
    dh = HD // 3
    dt = HD - 2 * dh
    def axis(n, d):
        return torch.outer(torch.arange(n, dtype=torch.float64), 1.0 / 10000.0 ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    af, ah, aw = axis(f, dt), axis(hh, dh), axis(ww, dh)
    ang = torch.cat([af[:, None, None, :].expand(f, hh, ww, -1), ah[None, :, None, :].expand(f, hh, ww, -1),
                     aw[None, None, :, :].expand(f, hh, ww, -1)], -1).reshape(f * hh * ww, 1, HD // 2)
    return torch.cos(ang).float(), torch.sin(ang).float()


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = lin(DIM, CIN * 4)
        self.t1, self.t2, self.tproj = lin(DIM, FREQ), lin(DIM, DIM), lin(6 * DIM, DIM)
        self.x1, self.x2 = lin(DIM, TEXT_DIM), lin(DIM, DIM)
        self.block = Block()
        self.table = torch.nn.Parameter(torch.randn(1, 2, DIM) / math.sqrt(DIM))
        self.head = lin(COUT * 4, DIM)

    def forward(self, lat, t, text):
        c, f, h, w = lat.shape
        pf, ph, pw = f, h // 2, w // 2
        patches = lat.reshape(c, pf, 1, ph, 2, pw, 2).permute(1, 3, 5, 0, 2, 4, 6).reshape(pf * ph * pw, -1)
        x = self.patch(patches)
        half = FREQ // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        sinus = torch.cat([torch.cos(t * freqs), torch.sin(t * freqs)])
        temb = self.t2(F.silu(self.t1(sinus)))
        tp = self.tproj(F.silu(temb)).view(6, DIM)
        ctx = self.x2(F.gelu(self.x1(text), approximate="tanh"))
        cos, sin = rope_tables(pf, ph, pw)
        b = self.block
        shift, scale, gate, cs, cc, cg = (b.table[0] + tp).unbind(0)
        nx = F.layer_norm(x, (DIM,), eps=1e-6) * (1 + scale) + shift
        q = rope(rms(b.q(nx), b.nq), cos, sin)
        k = rope(rms(b.k(nx), b.nk), cos, sin)
        x = x + b.o(attention(q, k, b.v(nx))) * gate
        nx = b.norm2(x)
        x = x + b.o2(attention(rms(b.q2(nx), b.nq2), rms(b.k2(ctx), b.nk2), b.v2(ctx)))
        nx = F.layer_norm(x, (DIM,), eps=1e-6) * (1 + cc) + cs
        x = x + b.ff2(F.gelu(b.ff1(nx), approximate="tanh")) * cg
        sh, sc = (self.table[0] + temb).unbind(0)
        return self.head(F.layer_norm(x, (DIM,), eps=1e-6) * (1 + sc) + sh)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=4096, help="4096 -> latent grid 4x32x32 (patches)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    grid = {4096: (4, 32, 32)}.get(a.tokens, (1, 1, a.tokens))
    lat = torch.randn(CIN, grid[0], grid[1] * 2, grid[2] * 2)
    text = torch.randn(512, TEXT_DIM)
    m = Model().eval()
    secs, cpus = [], []
    with torch.no_grad():
        m(lat, 500.0, text)  # warm-up
        for _ in range(a.reps):
            t0, c0 = time.perf_counter(), time.process_time()
            m(lat, 500.0, text)
            secs.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    secs.sort()
    print(f"torch {torch.__version__} FP32, {torch.get_num_threads()} threads, {a.tokens} tokens: median {secs[len(secs) // 2]:.2f} s"
          f" (runs {', '.join(f'{s:.2f}' for s in secs)}; CPU s per forward {sum(cpus) / len(cpus):.2f})")


if __name__ == "__main__":
    main()
