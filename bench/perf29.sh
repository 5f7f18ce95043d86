#!/usr/bin/env bash
# Issue #29's headline table (BENCHMARKS.md "Issue #29 on an Intel AVX-512 VNNI host"): FP32 GEMM against the
# system OpenBLAS (Debian libopenblas0) in the same run, on both code paths of one AVX-512 host -- the AVX2 path
# (JVM with -XX:UseAVX=2, so 256-bit vectors and the native-avx2 kernel; OpenBLAS forced to its Haswell kernels)
# and the AVX-512 path (native-avx512; OpenBLAS forced to SkylakeX: Debian's 0.3.21 does not know newer Intel
# cores and otherwise falls back to SSE3 "Prescott" kernels) -- then the AVX2 integer GEMMs, then one
# Wan2.1-1.3B-shaped block per recipe and PyTorch FP32 on the same shapes. On an AVX2-only host the AVX-512 lines
# are skipped. Everything at 1024³ runs 1 and 2 threads (41 reps: a 15-30 ms call needs many for a per-CPU-second
# rate, the CPU clock ticks in 10 ms), the Wan shapes 2 threads. The block runs on both paths
# too (the AVX2 one with PyTorch on OpenBLAS's Haswell kernels). OPENBLAS_CORETYPE is forced per path whatever the
# environment says; the family OpenBLAS would pick by itself is printed first. `bench gemm --anchor openblas` sets
# OPENBLAS_THREAD_TIMEOUT=4 for its in-process OpenBLAS (idle workers sleep at once; see OpenBlas.java).
#   bench/perf29.sh [gemm|int|block|all]      (default all; VDQ=path/to/vdq launcher, default ./vdq;
#                                               BLOCK_REPS, default 3; BLOCK_RECIPES overrides the block's recipes)
set -euo pipefail
cd "$(dirname "$0")/.."
VDQ=${VDQ:-./vdq}; WHAT=${1:-all}
grep -m1 'model name' /proc/cpuinfo; grep -m1 'cpu family' /proc/cpuinfo; grep -m1 '^model\s' /proc/cpuinfo
date -u; uptime; git log -1 --format='commit %h' 2>/dev/null || true
/usr/bin/python3 - <<'PY' 2>/dev/null || true
import ctypes, os
os.environ.pop("OPENBLAS_CORETYPE", None)
l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p
print("OpenBLAS picks by itself:", l.openblas_get_corename().decode())
PY
paths=(avx2); grep -qw avx512f /proc/cpuinfo && paths+=(avx512)
for p in "${paths[@]}"; do
  if [[ $p == avx2 ]]; then jo="-XX:UseAVX=2"; ct=Haswell; else jo=""; ct=SkylakeX; fi
  if [[ $WHAT == gemm || $WHAT == all ]]; then
    OPENBLAS_CORETYPE=$ct VDQ_JAVA_OPTS="$jo -Xmx4g" "$VDQ" bench gemm --anchor openblas --threads 1,2 --reps 41
    for s in "4096 1536 1536" "4096 8960 1536" "4096 1536 8960"; do set -- $s
      OPENBLAS_CORETYPE=$ct VDQ_JAVA_OPTS="$jo -Xmx4g" "$VDQ" bench gemm --anchor openblas --m $1 --n $2 --k $3 --threads 2 --reps 5 --warmup 1
    done
  fi
done
if [[ $WHAT == int || $WHAT == all ]]; then
  VDQ_JAVA_OPTS="-XX:UseAVX=2 -Dvdq.native=avx2 -Xmx4g" "$VDQ" bench int --threads 1 --skip-ref --reps 41
fi
if [[ $WHAT == block || $WHAT == all ]]; then
  for p in "${paths[@]}"; do
    # the AVX2 path's integer kernels too: -Dvdq.native=avx2 (otherwise the AVX-512 VNNI ones run on an AVX-512 host)
    if [[ $p == avx2 ]]; then jo="-XX:UseAVX=2 -Dvdq.native=avx2"; ct=Haswell; else jo=""; ct=SkylakeX; fi
    echo "== block, $p path (JVM '$jo', OPENBLAS_CORETYPE=$ct for PyTorch)"
    OPENBLAS_CORETYPE=$ct OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch-block.py --tokens 4096 --threads 2 --reps ${BLOCK_REPS:-3}
    VDQ_JAVA_OPTS="$jo -Xmx4g" "$VDQ" bench quant --tokens 4096 --reps ${BLOCK_REPS:-3} \
      --recipes ${BLOCK_RECIPES:-fp32,w4a4-minmax,w4a4-minmax+attn8,w4a4-minmax+attn8pv}
    OPENBLAS_CORETYPE=$ct OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch-block.py --tokens 4096 --threads 2 --reps ${BLOCK_REPS:-3}
  done
fi
