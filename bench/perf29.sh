#!/usr/bin/env bash
# Issue #29's headline table (BENCHMARKS.md "Issue #29 on an Intel AVX-512 VNNI host"): FP32 GEMM against the
# system OpenBLAS (Debian libopenblas0) in the same run, on both code paths of one AVX-512 host -- the AVX2 path
# (JVM with -XX:UseAVX=2, so 256-bit vectors and the native-avx2 kernel; OpenBLAS forced to its Haswell kernels)
# and the AVX-512 path (native-avx512; OpenBLAS forced to SkylakeX: Debian's 0.3.21 does not know newer Intel
# cores and otherwise falls back to SSE3 "Prescott" kernels) -- then the AVX2 integer GEMMs, then one
# Wan2.1-1.3B-shaped block per recipe and PyTorch FP32 on the same shapes. On an AVX2-only host the AVX-512 lines
# are skipped. Everything at 1024³ runs 1 and 2 threads, the Wan shapes 2 threads.
#   bench/perf29.sh [gemm|int|block|all]      (default all; VDQ=path/to/vdq launcher, default ./vdq)
set -euo pipefail
cd "$(dirname "$0")/.."
VDQ=${VDQ:-./vdq}; WHAT=${1:-all}
grep -m1 'model name' /proc/cpuinfo; date -u; uptime; git log -1 --format='commit %h' 2>/dev/null || true
paths=(avx2); grep -qw avx512f /proc/cpuinfo && paths+=(avx512)
for p in "${paths[@]}"; do
  if [[ $p == avx2 ]]; then jo="-XX:UseAVX=2"; ct=Haswell; else jo=""; ct=SkylakeX; fi
  if [[ $WHAT == gemm || $WHAT == all ]]; then
    OPENBLAS_CORETYPE=$ct VDQ_JAVA_OPTS="$jo -Xmx4g" "$VDQ" bench gemm --anchor openblas --threads 1,2 --reps 15
    for s in "4096 1536 1536" "4096 8960 1536" "4096 1536 8960"; do set -- $s
      OPENBLAS_CORETYPE=$ct VDQ_JAVA_OPTS="$jo -Xmx4g" "$VDQ" bench gemm --anchor openblas --m $1 --n $2 --k $3 --threads 2 --reps 5 --warmup 1
    done
  fi
done
if [[ $WHAT == int || $WHAT == all ]]; then
  VDQ_JAVA_OPTS="-XX:UseAVX=2 -Dvdq.native=avx2 -Xmx4g" "$VDQ" bench int --threads 1 --skip-ref --reps 15
fi
if [[ $WHAT == block || $WHAT == all ]]; then
  ct=Haswell; grep -qw avx512f /proc/cpuinfo && ct=SkylakeX
  OPENBLAS_CORETYPE=$ct OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch-block.py --tokens 4096 --threads 2 --reps 3
  VDQ_JAVA_OPTS="-Xmx4g" "$VDQ" bench quant --tokens 4096 --reps 3 --recipes fp32,w4a4-minmax,w4a4-minmax+attn8,w4a4-minmax+attn8pv
  OPENBLAS_CORETYPE=$ct OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch-block.py --tokens 4096 --threads 2 --reps 3
fi
