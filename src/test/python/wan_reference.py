#!/usr/bin/env python3
"""Independent numpy reference for vdq's Wan2.1 runtime (model forward, flow-matching schedulers, sampling).

Written from the semantics of huggingface/diffusers (WanTransformer3DModel, FlowMatchEulerDiscreteScheduler,
UniPCMultistepScheduler with flow_prediction / use_flow_sigmas, WanPipeline's CFG); computes in float64 except
where diffusers itself rounds to float32 in a way that matters (timestep sinusoid, scheduler tables).

Run once from the repository root:  python3 src/test/python/wan_reference.py
It writes src/test/resources/wan/tiny_golden.safetensors (weights, inputs, expected outputs; F32) and
src/test/resources/wan/schedules.json (sigma / timestep tables). Needs numpy only.
"""
import json
import math
import os
import struct

import numpy as np

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "resources", "wan")

# tiny config (diffusers' test config): 2 heads x 12, ffn 32, 2 layers, in/out 4, text 16, freq 256
CFG = dict(patch=(1, 2, 2), heads=2, head_dim=12, cin=4, cout=4, text_dim=16, freq_dim=256, ffn=32, layers=2, eps=1e-6)
D = CFG["heads"] * CFG["head_dim"]


# ---------------------------------------------------------------- weights
def make_weights(rng):
    c = CFG
    pt, ph, pw = c["patch"]
    w = {}

    def lin(name, out, inp):
        w[name + ".weight"] = rng.standard_normal((out, inp)) / math.sqrt(inp)
        w[name + ".bias"] = 0.1 * rng.standard_normal(out)

    w["patch_embedding.weight"] = rng.standard_normal((D, c["cin"], pt, ph, pw)) / math.sqrt(c["cin"] * pt * ph * pw)
    w["patch_embedding.bias"] = 0.1 * rng.standard_normal(D)
    lin("condition_embedder.time_embedder.linear_1", D, c["freq_dim"])
    lin("condition_embedder.time_embedder.linear_2", D, D)
    lin("condition_embedder.time_proj", 6 * D, D)
    lin("condition_embedder.text_embedder.linear_1", D, c["text_dim"])
    lin("condition_embedder.text_embedder.linear_2", D, D)
    for i in range(c["layers"]):
        p = f"blocks.{i}."
        w[p + "scale_shift_table"] = rng.standard_normal((1, 6, D)) / math.sqrt(D)
        for a in ("attn1", "attn2"):
            for l in ("to_q", "to_k", "to_v", "to_out.0"):
                lin(p + a + "." + l, D, D)
            w[p + a + ".norm_q.weight"] = 1 + 0.2 * rng.standard_normal(D)
            w[p + a + ".norm_k.weight"] = 1 + 0.2 * rng.standard_normal(D)
        w[p + "norm2.weight"] = 1 + 0.2 * rng.standard_normal(D)
        w[p + "norm2.bias"] = 0.1 * rng.standard_normal(D)
        lin(p + "ffn.net.0.proj", c["ffn"], D)
        lin(p + "ffn.net.2", D, c["ffn"])
    w["scale_shift_table"] = rng.standard_normal((1, 2, D)) / math.sqrt(D)
    lin("proj_out", c["cout"] * pt * ph * pw, D)
    # round to float32 once: both sides then start from identical parameters
    return {k: v.astype(np.float32).astype(np.float64) for k, v in w.items()}


# ---------------------------------------------------------------- model pieces
def timestep_sinusoid(t, dim):
    """get_timestep_embedding(flip_sin_to_cos=True, downscale_freq_shift=0), float32 like PyTorch."""
    half = dim // 2
    exponent = np.float32(-math.log(10000.0)) * np.arange(half, dtype=np.float32)
    exponent = exponent / np.float32(half)
    freqs = np.exp(exponent).astype(np.float32)
    arg = (np.float32(t) * freqs).astype(np.float32)
    return np.concatenate([np.cos(arg), np.sin(arg)]).astype(np.float64)


def layer_norm(x, eps, w=None, b=None):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    if w is not None:
        y = y * w + b
    return y


def rms_norm(x, w, eps):
    """torch.nn.RMSNorm over the whole last dimension (all heads together)."""
    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * w


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1 + np.exp(-x))


def linear(w, name, x):
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def rope_angles(ppf, pph, ppw, head_dim, theta=10000.0):
    """Per token (f, h, w order) the angle of each rotary pair: t | h | w parts, h = w = head_dim // 3."""
    dh = head_dim // 3
    dt = head_dim - 2 * dh
    def axis(n, d):
        return np.outer(np.arange(n), 1.0 / theta ** (np.arange(0, d, 2) / d))
    af, ah, aw = axis(ppf, dt), axis(pph, dh), axis(ppw, dh)
    ang = np.zeros((ppf, pph, ppw, head_dim // 2))
    ang[..., : dt // 2] = af[:, None, None, :]
    ang[..., dt // 2: dt // 2 + dh // 2] = ah[None, :, None, :]
    ang[..., dt // 2 + dh // 2:] = aw[None, None, :, :]
    return ang.reshape(-1, head_dim // 2)


def apply_rope(x, ang, heads):
    """Rotate consecutive pairs as complex numbers: (x0 + i·x1)·e^{iθ}."""
    n = x.shape[0]
    xc = x.reshape(n, heads, -1, 2)
    z = (xc[..., 0] + 1j * xc[..., 1]) * np.exp(1j * ang)[:, None, :]
    return np.stack([z.real, z.imag], -1).reshape(n, -1)


def attention(q, k, v, heads):
    n, d = q.shape
    hd = d // heads
    out = np.zeros_like(q)
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        s = q[:, sl] @ k[:, sl].T / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        out[:, sl] = (s / s.sum(-1, keepdims=True)) @ v[:, sl]
    return out


def wan_forward(w, latents, t, text, block_outputs=None):
    c = CFG
    eps, heads = c["eps"], c["heads"]
    pt, ph, pw = c["patch"]
    C, F, H, W = latents.shape
    ppf, pph, ppw = F // pt, H // ph, W // pw
    # Conv3d with kernel = stride as a product over flattened (c, kt, kh, kw) patches, tokens in (f, h, w) order
    patches = latents.reshape(C, ppf, pt, pph, ph, ppw, pw).transpose(1, 3, 5, 0, 2, 4, 6).reshape(ppf * pph * ppw, -1)
    x = patches @ w["patch_embedding.weight"].reshape(D, -1).T + w["patch_embedding.bias"]

    temb = linear(w, "condition_embedder.time_embedder.linear_2",
                  silu(linear(w, "condition_embedder.time_embedder.linear_1", timestep_sinusoid(t, c["freq_dim"]))))
    tproj = linear(w, "condition_embedder.time_proj", silu(temb)).reshape(6, D)
    ctx = linear(w, "condition_embedder.text_embedder.linear_2",
                 gelu_tanh(linear(w, "condition_embedder.text_embedder.linear_1", text)))
    ang = rope_angles(ppf, pph, ppw, c["head_dim"])

    for i in range(c["layers"]):
        p = f"blocks.{i}."
        shift, scale, gate, c_shift, c_scale, c_gate = w[p + "scale_shift_table"][0] + tproj
        nx = layer_norm(x, eps) * (1 + scale) + shift
        q = rms_norm(linear(w, p + "attn1.to_q", nx), w[p + "attn1.norm_q.weight"], eps)
        k = rms_norm(linear(w, p + "attn1.to_k", nx), w[p + "attn1.norm_k.weight"], eps)
        v = linear(w, p + "attn1.to_v", nx)
        a = attention(apply_rope(q, ang, heads), apply_rope(k, ang, heads), v, heads)
        x = x + linear(w, p + "attn1.to_out.0", a) * gate
        nx = layer_norm(x, eps, w[p + "norm2.weight"], w[p + "norm2.bias"])
        q = rms_norm(linear(w, p + "attn2.to_q", nx), w[p + "attn2.norm_q.weight"], eps)
        k = rms_norm(linear(w, p + "attn2.to_k", ctx), w[p + "attn2.norm_k.weight"], eps)
        v = linear(w, p + "attn2.to_v", ctx)
        x = x + linear(w, p + "attn2.to_out.0", attention(q, k, v, heads))
        nx = layer_norm(x, eps) * (1 + c_scale) + c_shift
        x = x + linear(w, p + "ffn.net.2", gelu_tanh(linear(w, p + "ffn.net.0.proj", nx))) * c_gate
        if block_outputs is not None:
            block_outputs.append(x.copy())

    shift, scale = w["scale_shift_table"][0] + temb
    y = linear(w, "proj_out", layer_norm(x, eps) * (1 + scale) + shift)
    # unpatchify: channel index ((kt*ph + kh)*pw + kw)*C_out + c
    y = y.reshape(ppf, pph, ppw, pt, ph, pw, c["cout"]).transpose(6, 0, 3, 1, 4, 2, 5)
    return y.reshape(c["cout"], F, H, W)


# ---------------------------------------------------------------- schedulers
def shift_sigma(s, sigma):
    return s * sigma / (1 + (s - 1) * sigma)


def euler_schedule(steps, shift):
    """FlowMatchEulerDiscreteScheduler(shift): sigma_max/min from the float32 shifted training table, then
    linspace in timestep units, shifted (again), float32; timesteps = sigma * 1000 in float32."""
    train = np.linspace(1, 1000, 1000, dtype=np.float32)[::-1] / np.float32(1000)
    train = (np.float32(shift) * train / (np.float32(1) + np.float32(shift - 1) * train)).astype(np.float32)
    smax, smin = float(train[0]), float(train[-1])
    ts = np.linspace(smax * 1000, smin * 1000, steps)
    sig = shift_sigma(shift, ts / 1000).astype(np.float32)
    timesteps = (sig * np.float32(1000)).astype(np.float32)
    return np.concatenate([sig, np.zeros(1, np.float32)]), timesteps


def unipc_schedule(steps, shift):
    """UniPCMultistepScheduler(use_flow_sigmas, flow_shift): timesteps = int64(sigma64 * 1000)."""
    alphas = np.linspace(1, 1 / 1000, steps + 1)
    sig = np.flip(shift_sigma(shift, 1.0 - alphas))[:-1].copy()
    timesteps = (sig * 1000).astype(np.int64).astype(np.float32)
    return np.concatenate([sig, [0.0]]).astype(np.float32), timesteps


def euler_sample(model, x, sig, ts):
    for i in range(len(ts)):
        x = x + (float(sig[i + 1]) - float(sig[i])) * model(x, ts[i])
    return x


def unipc_sample(model, x, sig, ts, order=2):
    """UniPC bh2, predict_x0, flow prediction, lower_order_final; generic linear solves for the corrector."""
    sig = sig.astype(np.float64)
    n = len(ts)
    lam = lambda s: math.log(1 - s) - math.log(s) if s > 0 else math.inf
    hist = []          # x0 predictions, newest last
    last = None        # sample before the last predictor
    lower = 0
    this_order = 1
    for i in range(n):
        v = model(x, ts[i])
        m = x - sig[i] * v
        if i > 0 and last is not None:   # corrector UniC with the new model output
            p = this_order
            h = lam(sig[i]) - lam(sig[i - 1])
            hh = -h
            rks, d1s = [], []
            for j in range(1, p):
                rk = (lam(sig[i - 1 - j]) - lam(sig[i - 1])) / h
                rks.append(rk)
                d1s.append((hist[-1 - j] - hist[-1]) / rk)
            rks.append(1.0)
            rks = np.array(rks)
            phi = math.expm1(hh) / hh - 1
            fact, R, b = 1, [], []
            bh = math.expm1(hh)
            for k in range(1, p + 1):
                R.append(rks ** (k - 1))
                b.append(phi * fact / bh)
                fact *= k + 1
                phi = phi / hh - 1 / fact
            rhos = np.array([0.5]) if p == 1 else np.linalg.solve(np.array(R), np.array(b))
            corr = sum(rhos[j] * d1s[j] for j in range(len(d1s))) if d1s else 0
            x = (sig[i] / sig[i - 1]) * last - (1 - sig[i]) * math.expm1(hh) * hist[-1] \
                - (1 - sig[i]) * bh * (corr + rhos[-1] * (m - hist[-1]))
        hist.append(m)
        this_order = min(min(order, n - i), lower + 1)
        last = x.copy()
        # predictor UniP
        st, s0 = sig[i + 1], sig[i]
        h = lam(st) - lam(s0)
        hh = -h
        h_phi_1 = math.expm1(hh)
        x_new = (st / s0) * x - (1 - st) * h_phi_1 * hist[-1]
        if this_order == 2:
            rk = (lam(sig[i - 1]) - lam(s0)) / h
            x_new = x_new - (1 - st) * h_phi_1 * 0.5 * (hist[-2] - hist[-1]) / rk
        x = x_new
        lower = min(lower + 1, order)
    return x


# ---------------------------------------------------------------- output
def write_safetensors(path, tensors, metadata):
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    rng = np.random.default_rng(20250521)
    w = make_weights(rng)
    f32 = lambda a: a.astype(np.float32).astype(np.float64)
    latents = f32(rng.standard_normal((4, 2, 8, 8)))
    text = f32(rng.standard_normal((5, 16)))
    neg = f32(0.5 * rng.standard_normal((5, 16)))
    out = {k: v for k, v in w.items()}
    out["input.latents"] = latents
    out["input.text"] = text
    out["input.negative_text"] = neg
    meta = {"config": json.dumps(CFG)}

    for t in (999.0, 500.0, 3.0):
        blocks = []
        y = wan_forward(w, latents, t, text, blocks)
        key = f"expected.forward_t{int(t)}"
        out[key] = y
        out[key + ".block0"] = blocks[0]

    model_c = lambda x, t: wan_forward(w, x, t, text)
    model_u = lambda x, t: wan_forward(w, x, t, neg)
    g = 5.0
    def guided(x, t):
        u = model_u(x, t)
        return u + g * (model_c(x, t) - u)
    noise = f32(rng.standard_normal((4, 2, 8, 8)))
    out["input.noise"] = noise
    sig, ts = euler_schedule(4, 3.0)
    out["expected.euler_steps4_shift3_cfg5"] = euler_sample(guided, noise, sig, ts)
    sig, ts = unipc_schedule(6, 3.0)
    out["expected.unipc_steps6_shift3_cfg5"] = unipc_sample(guided, noise, sig, ts)
    meta["sampling"] = json.dumps({"guidance": g, "shift": 3.0, "euler_steps": 4, "unipc_steps": 6})
    os.makedirs(OUT_DIR, exist_ok=True)
    write_safetensors(os.path.join(OUT_DIR, "tiny_golden.safetensors"), out, meta)

    sched = []
    for kind, fn in (("euler", euler_schedule), ("unipc", unipc_schedule)):
        for steps in (1, 2, 5, 10, 50):
            for shift in (1.0, 3.0, 5.0, 8.0):
                s, t = fn(steps, shift)
                sched.append({"sampler": kind, "steps": steps, "shift": shift,
                              "sigmas": [float(v) for v in s], "timesteps": [float(v) for v in t]})
    with open(os.path.join(OUT_DIR, "schedules.json"), "w") as f:
        json.dump(sched, f, indent=0)
    print("wrote", OUT_DIR)


if __name__ == "__main__":
    main()
