#!/usr/bin/env bash
# W4A4 comparison on a random Wan model of realistic width (dim 256 = 2 heads x 128, ffn 1024, 4 blocks,
# Student-t(4) weights, 4 outlier channels x10 per weight and per block modulation table): every recipe samples the
# same prompts with the same seeds; `vdq eval` compares each run with the full-precision run of the same prompt and
# seed (latent cosine, frame PSNR on latent channels 0-2). Besides the presets it runs three diagnostic variants of
# w4a4-dvd (recipe JSON files made here): Λ per channel, no Λ, and no Λ with MinMax weights.
# Usage: bench/w4a4-compare.sh [WORKDIR]   (env: STEPS, SEEDS, PROMPTS, THREADS)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VDQ="$ROOT/vdq"
W="${1:-/tmp/vdq-w4a4}"
STEPS="${STEPS:-8}"
SEEDS="${SEEDS:-0 1}"
PROMPTS="${PROMPTS:-0 1}"
export VDQ_JAVA_OPTS="${VDQ_JAVA_OPTS:-} -Dvdq.threads=${THREADS:-2}"
mkdir -p "$W/recipes"
if [[ ! -f "$W/model/config.json" ]]; then
  "$VDQ" make-checkpoint --shape wan2.1-1.3b --heads 2 --layers 4 --ffn 1024 --text-dim 256 --dist student-t --nu 4 \
    --outliers 4 --outlier-scale 10 --dtype F32 --seed 5 --prompts 2 --out "$W/model" --quiet
fi
variant() { # name, then python assignments on the options dict o
  "$VDQ" recipes --show w4a4-dvd 2>/dev/null | python3 -c "
import json,sys; r=json.load(sys.stdin); r['name']='$1'; o=r['options']; $2; print(json.dumps(r, indent=1))" > "$W/recipes/$1.json"
}
variant w4a4-dvd-lambda-channel "o['scaling']='channel'"
variant w4a4-dvd-lambda-off "o['scaling']='off'"
variant w4a4-dvd-lambda-off-minmax "o['scaling']='off'; o['bgr']=False"
RECIPES="w4a4-minmax w4a4-quarot-rtn w4a4-dvd w4a4-dvd-bgr-only w4a4-dvd-arq-only"
for v in w4a4-dvd-lambda-channel w4a4-dvd-lambda-off w4a4-dvd-lambda-off-minmax; do RECIPES="$RECIPES $W/recipes/$v.json"; done
common=(--model "$W/model" --steps "$STEPS" --frames 9 --height 128 --width 128 --max-sequence-length 64 --quiet)
for p in $PROMPTS; do
  for s in $SEEDS; do
    run="p$p-s$s"
    [[ -f "$W/runs/fp-$run/latents.safetensors" ]] ||
      "$VDQ" generate "${common[@]}" --prompt-embeds "$W/model/prompts/prompt-$p.safetensors" --seed "$s" --out "$W/runs/fp-$run"
    cands=()
    for r in $RECIPES; do
      n="$(basename "$r" .json)"
      [[ -f "$W/runs/$n-$run/latents.safetensors" ]] ||
      "$VDQ" generate "${common[@]}" --prompt-embeds "$W/model/prompts/prompt-$p.safetensors" --seed "$s" --quant "$r" --out "$W/runs/$n-$run"
      cands+=("$W/runs/$n-$run")
    done
    "$VDQ" eval --ref "$W/runs/fp-$run" --cand "${cands[@]}" --json "$W/eval-$run.json" > "$W/eval-$run.txt"
  done
done
python3 - "$W" <<'PY'
import json, glob, sys, collections
rows = collections.OrderedDict()
for f in sorted(glob.glob(sys.argv[1] + "/eval-*.json")):
    for c in json.load(open(f))["candidates"]:
        rows.setdefault(c["recipe"], []).append(c)
print("| recipe | runs | latent cosine (mean, min) | rel L2 (mean) | PSNR dB (mean, min) | SSIM (mean) |")
print("|---|---|---|---|---|---|")
for r, cs in rows.items():
    cos = [c["cosine"] for c in cs]; l2 = [c["rel_l2"] for c in cs]; ps = [c["psnr_db"] for c in cs]; ss = [c["ssim"] for c in cs]
    print(f"| {r} | {len(cs)} | {sum(cos)/len(cos):.4f}, {min(cos):.4f} | {sum(l2)/len(l2):.4f} | {sum(ps)/len(ps):.2f}, {min(ps):.2f} | {sum(ss)/len(ss):.4f} |")
PY
