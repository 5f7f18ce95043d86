#!/usr/bin/env python3
"""CPU-time split of `vdq bench quant` forwards by part of the model, from a JFR recording with JDK 25's CPU-time
sampler (jdk.CPUTimeSample, which also samples threads inside native kernels, unlike jdk.ExecutionSample):

  VDQ_JAVA_OPTS="-XX:StartFlightRecording=jdk.CPUTimeSample#enabled=true,jdk.CPUTimeSample#throttle=5ms,filename=/tmp/b.jfr" \
      ./vdq bench quant --tokens 4096 --reps 2 --recipes fp32,w4a4-minmax+attn8pv
  python3 bench/block-split.py /tmp/b.jfr

Samples are classified by the frames on their stack (integer or FP32 linears, int8 or float attention, GELU, norms,
RoPE, modulation and residuals). Samples before the first integer-GEMM sample belong to the first recipe (fp32), the
rest to the quantized one; so run exactly two recipes, fp32 first. The fp32 part includes the command's untimed
JIT warm-up forward. Worker-thread stacks do not reach WanBlock.forward, so FP32 linears and float attention on the
worker are counted as "(self or cross)" / "(block or outside)".
"""
import collections
import os
import re
import subprocess
import sys

jfr = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "jfr")
ev = "jdk.CPUTimeSample"
txt = subprocess.run([jfr, "print", "--stack-depth", "200", "--events", ev, sys.argv[1]],
                     capture_output=True, text=True, check=True).stdout


def kind(frames):
    names = " ".join(f for f, _ in frames)
    blk = [int(line) for f, line in frames if f.endswith("WanBlock.forward")]
    if "Int8Attention" in names or "softmaxInt8" in names:
        return "self-attention, int8"
    if "VectorAttention" in names:
        if not blk:
            return "float attention (self or cross)"
        return "float attention, self" if blk[0] < 82 else "float attention, cross (512 text tokens)"
    if "IntBackend" in names or "IntGemm" in names or "ActQuant" in names:
        return "linears, integer (with activation quantization)"
    if "VectorGemm" in names or "LazyPackedGemm" in names:
        if "WanBlock" in names:
            return "linears, FP32, in the block"
        return "linears, FP32, outside the block (embedders, head)" if "WanModel.forward" in names else "linears, FP32 (block or outside)"
    if "geluRange" in names or "geluTanh" in names:
        return "GELU"
    if "rope" in names.lower():
        return "RoPE"
    if "layerNorm" in names or "rmsNorm" in names or "normRow" in names or "sumSqDev" in names:
        return "LayerNorm / RMSNorm"
    if "modulate" in names or "gatedResidual" in names or "VectorOps.add" in names:
        return "modulation, residuals"
    if "WanModel.forward" in names or "WanBlock" in names:
        return "other, in the forward"
    return None  # set-up, quantization, JIT, GC


rows = []
for e in txt.split(ev + " {")[1:]:
    m = re.search(r"startTime = (\S+)", e)
    frames = re.findall(r"^\s+([\w.$<>]+)\(.*?line: (\d+)", e, re.M)
    rows.append((m.group(1) if m else "", kind(frames)))
rows.sort(key=lambda r: r[0])
ints = [t for t, k in rows if k and k.startswith("linears, integer")]
cut = ints[0] if ints else "~"
for label, sel in (("first recipe (fp32)", lambda t: t < cut), ("second recipe (quantized)", lambda t: t >= cut)):
    c = collections.Counter(k for t, k in rows if sel(t) and k)
    n = sum(c.values())
    print(f"{label}: {n} CPU-time samples in forwards")
    for k, v in c.most_common():
        print(f"  {100 * v / n:5.1f} %  {k}")
