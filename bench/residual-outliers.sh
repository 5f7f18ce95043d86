#!/usr/bin/env bash
# Issue #31: W4A4/W4A8 recipes on random Wan checkpoints whose residual stream has outlier channels.
# Per seed s: `vdq make-checkpoint` (dim 256 = 2 heads x 128, 2 blocks, FFN 1024, text dim 64, Student-t(4) weights,
# no weight/modulation outliers, dim/12 = 21 patch-embedding channels with weights x8 and bias x25, seed s), then
# full precision and every recipe sample 13 frames of 128x128 in 8 steps with sampling seed s; `vdq eval` gives the
# latent PSNR against full precision. Prints one row per recipe, one column per seed, and the mean.
# The checkpoint seed and the sampling seed are both s (each seed is a different random model).
# Usage: bench/residual-outliers.sh [WORKDIR]   (env: SEEDS="3 4 5 6", RECIPES="...", STEPS=8, THREADS=2,
#   RESID_COUNT=21, CKPT_FLAGS="--outliers 0 --dtype F32" (other make-checkpoint flags), RESID_FLAGS="--residual-outlier-scale 8"
#   (e.g. add --residual-outlier-bias-scale 5000 for token-independent offsets 20-200x the other channels))
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VDQ="${VDQ:-$ROOT/vdq}"
W="${1:-/tmp/vdq-resid}"
SEEDS="${SEEDS:-3 4 5 6}"
STEPS="${STEPS:-8}"
RECIPES="${RECIPES:-w4a4-dvd w4a4-minmax w4a4-quarot-rtn w4a8-dvd w4a8-minmax}"
CKPT_FLAGS="${CKPT_FLAGS:---outliers 0 --dtype F32}"
export VDQ_JAVA_OPTS="${VDQ_JAVA_OPTS:-} -Dvdq.threads=${THREADS:-2}"
for s in $SEEDS; do
  m="$W/model-s$s"
  [[ -f "$m/config.json" ]] ||
    "$VDQ" make-checkpoint --shape wan2.1-1.3b --heads 2 --layers 2 --ffn 1024 --text-dim 64 --dist student-t --nu 4 \
      $CKPT_FLAGS --residual-outliers ${RESID_COUNT:-21} ${RESID_FLAGS:---residual-outlier-scale 8} --seed "$s" --prompts 1 --out "$m" --quiet
  common=(--model "$m" --steps "$STEPS" --frames 13 --height 128 --width 128 --max-sequence-length 64 --seed "$s"
          --prompt-embeds "$m/prompts/prompt-0.safetensors" --quiet)
  [[ -f "$W/runs/s$s/fp/latents.safetensors" ]] || "$VDQ" generate "${common[@]}" --out "$W/runs/s$s/fp"
  cands=()
  for r in $RECIPES; do
    n="$(basename "$r" .json)"
    [[ -f "$W/runs/s$s/$n/latents.safetensors" ]] || "$VDQ" generate "${common[@]}" --quant "$r" --out "$W/runs/s$s/$n"
    cands+=("$W/runs/s$s/$n")
  done
  "$VDQ" eval --ref "$W/runs/s$s/fp" --cand "${cands[@]}" --json "$W/eval-s$s.json" > "$W/eval-s$s.txt"
done
python3 - "$W" "$SEEDS" <<'PY'
import json, sys, collections
w, seeds = sys.argv[1], sys.argv[2].split()
rows = collections.OrderedDict()
for s in seeds:
    for c in json.load(open(f"{w}/eval-s{s}.json"))["candidates"]:
        rows.setdefault(c["recipe"], {})[s] = c["psnr_db"]
print("| recipe | " + " | ".join("seed " + s for s in seeds) + " | mean |")
print("|---" * (len(seeds) + 2) + "|")
for r, v in rows.items():
    vals = [v.get(s) for s in seeds]
    ok = [x for x in vals if x is not None]
    print(f"| {r} | " + " | ".join("—" if x is None else f"{x:.2f}" for x in vals) + f" | {sum(ok)/len(ok):.2f} |")
PY
