#!/usr/bin/env bash
# Cost of a prompt to an MP4 on a Wan2.1-1.3B-shaped random pipeline (issue "prompt to video file"):
# seconds per sampling step (FP32, W4A8, W4A4 on the integer kernels, int8 attention on and off), VAE decode
# seconds and peak RSS, 17 frames of 240×416, 2 threads. Each run samples STEPS steps with CFG (two transformer
# calls per step); per-step and VAE times are read from run.json, peak RSS from GNU time. The full-precision run is
# the whole pipeline (UMT5 prompt, sampling, VAE decode to MP4); the quantized runs sample the same embeddings
# (vdq encode-prompt) on the bare transformer, so they time the transformer only (a VAE decode costs the same
# whatever made the latents).
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
PROMPT="a red fox running through snow"
"$VDQ" encode-prompt --model "$P" --prompt "$PROMPT" --out "$OUT/prompt.safetensors" > /dev/null 2>&1
run() { # name, model, extra generate flags…
  local name=$1 model=$2; shift 2
  /usr/bin/time -v "$VDQ" generate --model "$model" --frames 17 --height 240 --width 416 \
      --steps "$STEPS" --seed 1 --quiet --out "$OUT/$name" "$@" 2> "$OUT/$name.time" > /dev/null
  python3 - "$OUT/$name" <<'PY'
import json, re, sys
d = sys.argv[1]; r = json.load(open(d + "/run.json")); t = r["timings_s"]
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(d + ".time").read())
print(f"{d.split('/')[-1]:<22} s/step {sum(t['per_step'])/len(t['per_step']):8.1f}   steps {['%.1f' % x for x in t['per_step']]}   "
      f"VAE decode {t['vae_decode']:6.1f} s   load {t['load']:5.1f} s   peak RSS {int(rss.group(1))/1048576:.2f} GB")
PY
}
run fp32-pipeline "$P" --prompt "$PROMPT"
T=("$P/transformer" --prompt-embeds "$OUT/prompt.safetensors")
run fp32 "${T[@]}"
run w4a8-dvd "${T[@]}" --quant w4a8-dvd
run w4a4-dvd-paper "${T[@]}" --quant w4a4-dvd-paper
run w4a4-dvd-paper-int8attn "${T[@]}" --quant 'w4a4-dvd-paper+int8_attention=true'
run w4a4-dvd-paper-int8pv "${T[@]}" --quant 'w4a4-dvd-paper+int8_attention=true+int8_attention_pv=true'
run w4a4-dvd "${T[@]}" --quant w4a4-dvd
