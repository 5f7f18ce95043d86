#!/usr/bin/env bash
# GGUF fidelity on a Wan2.1-1.3B-shaped heavy-tailed checkpoint (random Student-t(4) weights, 4 outlier input
# channels ×10 per linear and per modulation table; the real widths: dim 1536, ffn 8960, text 4096, cut to LAYERS
# blocks). For each type × method: `vdq export-gguf`, then `vdq bench gguf` loads every file through the GGUF loader
# and prints file size, ‖W − Ŵ‖/‖W‖ pooled over the quantized tensors, and the relative L2 error of one forward
# (velocity) against the float model on the same latent (1 frame 32×32), timestep 500 and text embedding.
#   bench/gguf-1.3b.sh [LAYERS] [TYPES] [METHODS]      (VDQ=path of the launcher, OUT=work folder)
set -euo pipefail
cd "$(dirname "$0")/.."
LAYERS=${1:-4}
TYPES=${2:-q8_0 q5_k q4_k q4_0 q3_k}
METHODS=${3:-ref bgr}
VDQ=${VDQ:-./vdq}
OUT=${OUT:-/tmp/vdq-gguf-1.3b}
mkdir -p "$OUT"
if [[ ! -f "$OUT/model/config.json" ]]; then
  "$VDQ" make-checkpoint --shape wan2.1-1.3b --layers "$LAYERS" --dist student-t --nu 4 --outliers 4 --outlier-scale 10 \
      --seed 0 --quiet --out "$OUT/model"
fi
files=()
for t in $TYPES; do
  for m in $METHODS; do
    f="$OUT/$t-$m.gguf"
    if [[ ! -f "$f" ]]; then
      s=$(date +%s)
      "$VDQ" export-gguf --model "$OUT/model" --type "$t" --method "$m" --quiet --out "$f" > /dev/null
      echo "# export $t $m: $(( $(date +%s) - s )) s wall (load $(cut -d' ' -f1 /proc/loadavg))"
    fi
    files+=("$f")
  done
done
"$VDQ" bench gguf --model "$OUT/model" "${files[@]}"
