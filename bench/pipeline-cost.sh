#!/usr/bin/env bash
# Cost of a prompt to an MP4 on a Wan2.1-1.3B-shaped random pipeline (issue "prompt to video file"):
# seconds per sampling step (FP32, W4A8, W4A4 on the integer kernels, int8 attention on and off), VAE decode
# seconds and peak RSS, 17 frames of 240×416, 2 threads. Each run samples STEPS steps with CFG (two transformer
# calls per step); per-step and VAE times are read from run.json, peak RSS from GNU time.
#   bench/pipeline-cost.sh [PIPELINE_DIR] [STEPS]     (the pipeline is written with make-checkpoint when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-/tmp/vdq-pipe-1.3b}
STEPS=${2:-2}
VDQ=${VDQ:-./vdq}   # a copy of the launcher+jar keeps a long run safe from rebuilds of target/
OUT=${OUT:-/tmp/vdq-pipeline-cost}
[[ -f "$P/model_index.json" ]] || "$VDQ" make-checkpoint --pipeline --shape wan2.1-1.3b --quiet --out "$P"
mkdir -p "$OUT"
grep -m1 'model name' /proc/cpuinfo; grep -o -w 'avx512_vnni\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' '; echo; date -u
run() { # name, extra generate flags…
  local name=$1; shift
  /usr/bin/time -v "$VDQ" generate --model "$P" --prompt "a red fox running through snow" --frames 17 --height 240 --width 416 \
      --steps "$STEPS" --seed 1 --quiet --out "$OUT/$name" "$@" 2> "$OUT/$name.time" > /dev/null
  python3 - "$OUT/$name" <<'PY'
import json, re, sys
d = sys.argv[1]; r = json.load(open(d + "/run.json")); t = r["timings_s"]
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(d + ".time").read())
print(f"{d.split('/')[-1]:<22} s/step {sum(t['per_step'])/len(t['per_step']):8.1f}   steps {['%.1f' % x for x in t['per_step']]}   "
      f"VAE decode {t['vae_decode']:6.1f} s   load {t['load']:5.1f} s   peak RSS {int(rss.group(1))/1048576:.2f} GB")
PY
}
run fp32
run w4a8 --quant w4a8-dvd
run w4a4 --quant w4a4-dvd
run w4a4-int8attn --quant 'w4a4-dvd+int8_attention=true'
run w4a4-int8attn-pv --quant 'w4a4-dvd+int8_attention=true+int8_attention_pv=true'
