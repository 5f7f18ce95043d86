#!/usr/bin/env python3
"""Independent float64 reference for vdq's Wan VAE (io.vdq.model.vae), written from the semantics of diffusers'
AutoencoderKLWan, not from its code (diffusers is not needed). Makes a small random VAE, computes decode and encode
both the way the reference implementation runs them (latent frame by latent frame / 1 then 4 video frames, with a
cache of the last two input frames per causal conv) and as one causal pass over the whole sequence, checks that the
two agree, and writes the fixtures the JUnit tests read:

  src/test/resources/vae/f32/{config.json, diffusion_pytorch_model.safetensors}   weights as F32
  src/test/resources/vae/bf16/{config.json, diffusion_pytorch_model.safetensors}  the same weights rounded to BF16
  src/test/resources/vae/cases.safetensors  latents, decoded (f32 and bf16 weights), video, mu, and a tiled decode
                                            (tile_latents, decoded_tiled: 32-pixel tiles, stride 16)

Run from the repository root:  /usr/bin/python3 src/test/python/wan_vae_reference.py
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

CFG = {
    "_class_name": "AutoencoderKLWan",
    "_diffusers_version": "0.33.0",
    "attn_scales": [],
    "base_dim": 8,
    "dim_mult": [1, 2, 2, 2],
    "dropout": 0.0,
    "latents_mean": [0.1, -0.2, 0.3, -0.4],
    "latents_std": [1.5, 0.5, 2.0, 1.25],
    "num_res_blocks": 1,
    "temperal_downsample": [False, True, True],
    "z_dim": 4,
}
LATENT = (3, 4, 6)  # frames, height, width of the decode case; the encode case uses the matching video size
SEED = 20261207


# ----------------------------------------------------------------------------------------------- parameters
class Params:
    """Creates the weights in build order (names and shapes as diffusers' module tree)."""

    def __init__(self, gen):
        self.gen = gen
        self.t = {}

    def take(self, name, *shape):
        if name not in self.t:
            if name.endswith(".gamma"):
                v = 1.0 + 0.1 * torch.randn(*shape, generator=self.gen)
            elif name.endswith(".bias"):
                v = 0.05 * torch.randn(*shape, generator=self.gen)
            else:
                fan_in = 1
                for d in shape[1:]:
                    fan_in *= d
                v = torch.randn(*shape, generator=self.gen) / math.sqrt(fan_in)
            self.t[name] = v
        return self.t[name]


# ----------------------------------------------------------------------------------------------- building blocks
# Activations are [C, T, H, W]. `state` is None for the whole-sequence pass, else a dict holding, per causal conv,
# the last two frames of its input so far (the frame cache of the chunked pass).

def rms_norm(x, gamma):
    """Channel-wise L2 normalisation times sqrt(C) times gamma (per pixel and frame)."""
    c = x.shape[0]
    n = torch.sqrt((x * x).sum(dim=0, keepdim=True)).clamp_min(1e-12)
    return x / n * math.sqrt(c) * gamma.reshape(c, 1, 1, 1)


def silu(x):
    return x * torch.sigmoid(x)


def causal_conv(P, name, x, cout, kt, ks, state):
    """Kernel (kt, ks, ks), stride 1, spatial zero padding ks//2, time padding kt-1 on the past side only."""
    cin = x.shape[0]
    w = P.take(name + ".weight", cout, cin, kt, ks, ks)
    b = P.take(name + ".bias", cout)
    past = x.new_zeros((cin, 0) + x.shape[2:])
    if state is not None and kt > 1:
        past = state.get(name, past)
        state[name] = torch.cat([past, x], dim=1)[:, -2:]
    xin = torch.cat([past, x], dim=1)
    xin = F.pad(xin, (ks // 2, ks // 2, ks // 2, ks // 2, kt - 1 - past.shape[1], 0))
    return F.conv3d(xin[None], w[:, :, :, :, :], b)[0]


def conv2d_frames(w, b, x, stride, pad):
    """A 2-D conv applied to every frame; pad = (left, right, top, bottom)."""
    y = F.pad(x.permute(1, 0, 2, 3), pad)
    return F.conv2d(y, w, b, stride=stride).permute(1, 0, 2, 3)


def res_block(P, name, x, cout, state):
    cin = x.shape[0]
    h = silu(rms_norm(x, P.take(name + ".norm1.gamma", cin, 1, 1, 1)))
    h = causal_conv(P, name + ".conv1", h, cout, 3, 3, state)
    h = silu(rms_norm(h, P.take(name + ".norm2.gamma", cout, 1, 1, 1)))
    h = causal_conv(P, name + ".conv2", h, cout, 3, 3, state)
    short = x if cin == cout else causal_conv(P, name + ".conv_shortcut", x, cout, 1, 1, None)
    return h + short


def attention(P, name, x):
    """One head over the H*W positions of each frame."""
    c, t, hh, ww = x.shape
    n = rms_norm(x, P.take(name + ".norm.gamma", c, 1, 1).reshape(c, 1, 1, 1))
    wq = P.take(name + ".to_qkv.weight", 3 * c, c, 1, 1).reshape(3 * c, c)
    bq = P.take(name + ".to_qkv.bias", 3 * c)
    wp = P.take(name + ".proj.weight", c, c, 1, 1).reshape(c, c)
    bp = P.take(name + ".proj.bias", c)
    out = torch.empty_like(x)
    for f in range(t):
        tok = n[:, f].reshape(c, hh * ww).T                  # [hw, c]
        qkv = tok @ wq.T + bq
        q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
        a = torch.softmax(q @ k.T / math.sqrt(c), dim=-1) @ v
        y = a @ wp.T + bp
        out[:, f] = y.T.reshape(c, hh, ww)
    return out + x


def upsample(P, name, x, temporal, state):
    c = x.shape[0]
    if temporal:
        tname = name + ".time_conv"
        if state is None:
            # whole sequence: frame 0 is not touched by time_conv; frames 1.. go through it as their own causal sequence
            rest = x[:, 1:]
            if rest.shape[1] > 0:
                y = causal_conv(P, tname, rest, 2 * c, 3, 1, None)
                two = torch.stack([y[:c], y[c:]], dim=2).reshape(c, 2 * rest.shape[1], *x.shape[2:])
                x = torch.cat([x[:, :1], two], dim=1)
            else:
                P.take(tname + ".weight", 2 * c, c, 3, 1, 1)
                P.take(tname + ".bias", 2 * c)
        else:
            if name not in state:
                state[name] = True                            # first chunk: no time_conv
                P.take(tname + ".weight", 2 * c, c, 3, 1, 1)
                P.take(tname + ".bias", 2 * c)
            else:
                y = causal_conv(P, tname, x, 2 * c, 3, 1, state)
                x = torch.stack([y[:c], y[c:]], dim=2).reshape(c, 2 * x.shape[1], *x.shape[2:])
    x = x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)   # nearest 2x
    w = P.take(name + ".resample.1.weight", c // 2, c, 3, 3)
    b = P.take(name + ".resample.1.bias", c // 2)
    return conv2d_frames(w, b, x, 1, (1, 1, 1, 1))


def downsample(P, name, x, temporal, state):
    c = x.shape[0]
    w = P.take(name + ".resample.1.weight", c, c, 3, 3)
    b = P.take(name + ".resample.1.bias", c)
    x = conv2d_frames(w, b, x, 2, (0, 1, 0, 1))
    if not temporal:
        return x
    tw = P.take(name + ".time_conv.weight", c, c, 3, 1, 1)
    tb = P.take(name + ".time_conv.bias", c)
    if state is None:
        # whole sequence: out[0] = x[0]; out[j] = conv over x[2j-2], x[2j-1], x[2j]
        y = F.conv3d(x[None], tw, tb, stride=(2, 1, 1))[0] if x.shape[1] >= 3 else x[:, :0]
        return torch.cat([x[:, :1], y], dim=1)
    if name not in state:
        state[name] = x[:, -1:]
        return x
    xin = torch.cat([state[name], x], dim=1)
    state[name] = x[:, -1:]
    return F.conv3d(xin[None], tw, tb, stride=(2, 1, 1))[0]


# ----------------------------------------------------------------------------------------------- decoder / encoder
def decoder(P, cfg, z, state):
    base, mult, nres = cfg["base_dim"], cfg["dim_mult"], cfg["num_res_blocks"]
    tup = list(reversed(cfg["temperal_downsample"]))
    dims = [base * mult[-1]] + [base * m for m in reversed(mult)]
    x = causal_conv(P, "post_quant_conv", z, cfg["z_dim"], 1, 1, None)
    x = causal_conv(P, "decoder.conv_in", x, dims[0], 3, 3, state)
    x = res_block(P, "decoder.mid_block.resnets.0", x, dims[0], state)
    x = attention(P, "decoder.mid_block.attentions.0", x)
    x = res_block(P, "decoder.mid_block.resnets.1", x, dims[0], state)
    for i in range(len(mult)):
        out = dims[i + 1]
        for j in range(nres + 1):
            x = res_block(P, f"decoder.up_blocks.{i}.resnets.{j}", x, out, state)
        if i != len(mult) - 1:
            x = upsample(P, f"decoder.up_blocks.{i}.upsamplers.0", x, tup[i], state)
    x = silu(rms_norm(x, P.take("decoder.norm_out.gamma", x.shape[0], 1, 1, 1)))
    return causal_conv(P, "decoder.conv_out", x, 3, 3, 3, state)


def encoder(P, cfg, v, state):
    base, mult, nres, zd = cfg["base_dim"], cfg["dim_mult"], cfg["num_res_blocks"], cfg["z_dim"]
    dims = [base] + [base * m for m in mult]
    x = causal_conv(P, "encoder.conv_in", v, dims[0], 3, 3, state)
    idx = 0
    for i in range(len(mult)):
        for _ in range(nres):
            x = res_block(P, f"encoder.down_blocks.{idx}", x, dims[i + 1], state)
            idx += 1
        if i != len(mult) - 1:
            x = downsample(P, f"encoder.down_blocks.{idx}", x, cfg["temperal_downsample"][i], state)
            idx += 1
    x = res_block(P, "encoder.mid_block.resnets.0", x, dims[-1], state)
    x = attention(P, "encoder.mid_block.attentions.0", x)
    x = res_block(P, "encoder.mid_block.resnets.1", x, dims[-1], state)
    x = silu(rms_norm(x, P.take("encoder.norm_out.gamma", x.shape[0], 1, 1, 1)))
    x = causal_conv(P, "encoder.conv_out", x, 2 * zd, 3, 3, state)
    return causal_conv(P, "quant_conv", x, 2 * zd, 1, 1, None)


def decode(P, cfg, z, chunked):
    if not chunked:
        return decoder(P, cfg, z, None).clamp(-1, 1)
    state = {}
    outs = [decoder(P, cfg, z[:, f:f + 1], state) for f in range(z.shape[1])]
    return torch.cat(outs, dim=1).clamp(-1, 1)


def encode(P, cfg, v, chunked):
    zd = cfg["z_dim"]
    if not chunked:
        return encoder(P, cfg, v, None)[:zd]
    state = {}
    chunks = [v[:, :1]] + [v[:, 1 + 4 * i:5 + 4 * i] for i in range((v.shape[1] - 1) // 4)]
    return torch.cat([encoder(P, cfg, c, state) for c in chunks], dim=1)[:zd]


def tiled_decode(P, cfg, z, tile, stride):
    """Spatial tiles of `tile` pixels every `stride` pixels (square), each decoded on its own; a tile is blended
    with the (already blended) tile above over min(tile heights, tile - stride) rows and then with the tile to its
    left over as many columns, by linear ramps weighting the new tile y/extent; each tile keeps its first
    `stride` rows and columns; clamped at the end."""
    s = 8
    _, _, lh, lw = z.shape
    tl, sl, blend = tile // s, stride // s, tile - stride
    rows = []
    for i in range(0, lh, sl):
        row = []
        for j in range(0, lw, sl):
            row.append(decode_unclamped(P, cfg, z[:, :, i:i + tl, j:j + tl]))
        rows.append(row)
    out_rows = []
    for i, row in enumerate(rows):
        parts = []
        for j, t in enumerate(row):
            if i > 0:
                a = rows[i - 1][j]
                e = min(a.shape[2], t.shape[2], blend)
                for y in range(e):
                    t[:, :, y, :] = a[:, :, a.shape[2] - e + y, :] * (1 - y / e) + t[:, :, y, :] * (y / e)
            if j > 0:
                a = row[j - 1]
                e = min(a.shape[3], t.shape[3], blend)
                for x in range(e):
                    t[:, :, :, x] = a[:, :, :, a.shape[3] - e + x] * (1 - x / e) + t[:, :, :, x] * (x / e)
            parts.append(t[:, :, :stride, :stride])
        out_rows.append(torch.cat(parts, dim=3))
    return torch.cat(out_rows, dim=2)[:, :, :lh * s, :lw * s].clamp(-1, 1)


def decode_unclamped(P, cfg, z):
    state = {}
    return torch.cat([decoder(P, cfg, z[:, f:f + 1], state) for f in range(z.shape[1])], dim=1)


# ----------------------------------------------------------------------------------------------- safetensors
def to_bytes(t, dtype):
    if dtype == "F32":
        return t.to(torch.float32).contiguous().numpy().tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = to_bytes(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rel_l2(a, b):
    return float((a - b).norm() / b.norm())


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/vae"
    gen = torch.Generator().manual_seed(SEED)
    cfg = CFG
    P = Params(gen)
    lf, lh, lw = LATENT
    z = torch.randn(cfg["z_dim"], lf, lh, lw, generator=gen)
    frames = 4 * (lf - 1) + 1
    video = torch.tanh(torch.randn(3, frames, 8 * lh, 8 * lw, generator=gen))

    dec = decode(P, cfg, z, chunked=True)
    dec_whole = decode(P, cfg, z, chunked=False)
    mu = encode(P, cfg, video, chunked=True)
    mu_whole = encode(P, cfg, video, chunked=False)
    d_dec = float((dec - dec_whole).abs().max())
    d_enc = float((mu - mu_whole).abs().max())
    print(f"decode {tuple(dec.shape)}: chunked vs whole-sequence max |diff| = {d_dec:.3e}; "
          f"clamped fraction {float((dec.abs() >= 1).double().mean()):.3f}, std {float(dec.std()):.3f}")
    print(f"encode {tuple(mu.shape)}: chunked vs whole-sequence max |diff| = {d_enc:.3e}; std {float(mu.std()):.3f}")
    assert d_dec < 1e-10 and d_enc < 1e-10, "the frame cache does not reproduce the whole-sequence causal pass"

    # the same weights rounded to BF16 (what a BF16 checkpoint holds), decoded again
    Pb = Params(gen)
    Pb.t = {k: v.to(torch.bfloat16).to(torch.float64) for k, v in P.t.items()}
    dec_bf16 = decode(Pb, cfg, z, chunked=True)
    print(f"bf16 weights: rel L2 of the decode vs f32 weights {rel_l2(dec_bf16, dec):.3e}")

    # tiled decode: latents 2x5x7 in 32-pixel tiles every 16 pixels (3 x 4 tiles, the last ones partial)
    zt = torch.randn(cfg["z_dim"], 2, 5, 7, generator=gen)
    dec_tiled = tiled_decode(P, cfg, zt, 32, 16)
    print(f"tiled decode {tuple(dec_tiled.shape)}: rel L2 vs untiled {rel_l2(dec_tiled, decode(P, cfg, zt, True)):.3f}")

    for sub, dtype in (("f32", "F32"), ("bf16", "BF16")):
        d = os.path.join(root, sub)
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, "diffusion_pytorch_model.safetensors"), P.t, dtype)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
    write_safetensors(os.path.join(root, "cases.safetensors"),
                      {"latents": z, "decoded": dec, "decoded_bf16": dec_bf16, "video": video, "mu": mu,
                       "tile_latents": zt, "decoded_tiled": dec_tiled}, "F32")
    n = sum(v.numel() for v in P.t.values())
    print(f"{len(P.t)} tensors, {n} parameters written under {root}")


if __name__ == "__main__":
    main()
