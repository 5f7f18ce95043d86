#!/usr/bin/env bash
# Issue #29 item 4 (BENCHMARKS.md "Issue #29 item 4: attention"): float attention (native flash kernel, and the
# Vector API blockwise kernel it replaces), int8 Q·Kᵀ attention with a float or int8 P·V (integer GEMM), the flash
# kernel on 8- and 12-bit codes multiplied as int16 (qB-qk, qB-qkpv), and the FP32 GEMM of a
# Wan2.1-1.3B projection (4096×1536×1536), all in one run per code path with the reps alternating, at 4 096 and
# 16 384 tokens, 12 heads × 128 (Wan2.1-1.3B), 2 threads. The AVX2 path: -XX:UseAVX=2 -Dvdq.native=avx2 (256-bit
# Java vectors, the AVX2 GEMM, flash and integer kernels, no VNNI); the AVX-512 path (skipped on AVX2-only hosts):
# the defaults (AVX-512 GEMM and flash kernels, VNNI integer kernels).
#   bench/attn29.sh [4096|16384|all]     (default all; VDQ=path/to/vdq launcher, default ./vdq)
set -euo pipefail
cd "$(dirname "$0")/.."
VDQ=${VDQ:-./vdq}; WHAT=${1:-all}
grep -m1 'model name' /proc/cpuinfo; date -u; uptime; git log -1 --format='commit %h' 2>/dev/null || true
paths=(avx2); grep -qw avx512f /proc/cpuinfo && paths+=(avx512)
V=flash,blockwise,int8-qk,int8-qkpv,q8-qk,q8-qkpv,q12-qkpv   # at 4 096 tokens
V16=flash,int8-qk,q8-qkpv,q12-qkpv                         # at 16 384 (the Vector API blockwise kernel: see 4 096)
for p in "${paths[@]}"; do
  if [[ $p == avx2 ]]; then jo="-XX:UseAVX=2 -Dvdq.native=avx2"; else jo=""; fi
  if [[ $WHAT == 4096 || $WHAT == all ]]; then
    VDQ_JAVA_OPTS="$jo -Xmx4g" "$VDQ" bench attention --tokens 4096 --heads 12 --head-dim 128 --threads 2 \
      --variants $V --reps 5 --warmup 1 --warmup-seconds 0
  fi
  if [[ $WHAT == 16384 || $WHAT == all ]]; then
    VDQ_JAVA_OPTS="$jo -Xmx6g" "$VDQ" bench attention --tokens 16384 --heads 12 --head-dim 128 --threads 2 \
      --variants $V16 --reps 2 --warmup 1 --warmup-seconds 0
  fi
done
uptime
