#!/usr/bin/env bash
# Video-level fidelity of GGUF files on vdq-tiny: ggml's reference block encoders against vdq's BGR encoder, same
# types, same prompts and seeds. Each GGUF is made by `vdq export-gguf`, sampled with `vdq generate --model X.gguf`
# (dequantized at load, so only the weight encoding differs), and compared with full precision by `vdq eval`
# (latent PSNR over each prompt's video). Prints one line per type × method: mean PSNR over N prompts and the file size.
#   bench/gguf-tiny.sh [N_PROMPTS] [TYPES]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-8}
TYPES=${2:-q8_0 q5_k q4_k q4_0 q3_k}
VDQ=${VDQ:-./vdq}
OUT=${OUT:-/tmp/vdq-gguf-tiny}
mkdir -p "$OUT"
mapfile -t PROMPTS < <(grep -v '^#' bench/eval-32.txt | head -n "$N")
gen() { # model, name, prompt index
  "$VDQ" generate --model "$1" --prompt "${PROMPTS[$3]}" --seed $((100 + $3)) --quiet --out "$OUT/$2-$3" > /dev/null 2>&1
}
for i in "${!PROMPTS[@]}"; do gen models/vdq-tiny fp "$i"; done
for t in $TYPES; do
  for m in ref bgr; do
    "$VDQ" export-gguf --model models/vdq-tiny --type "$t" --method "$m" --quiet --out "$OUT/$t-$m.gguf" > /dev/null 2>&1
    sum=0
    for i in "${!PROMPTS[@]}"; do
      gen "$OUT/$t-$m.gguf" "$t-$m" "$i"
      p=$("$VDQ" eval --ref "$OUT/fp-$i" --cand "$OUT/$t-$m-$i" 2>/dev/null | awk '$1 ~ /'"$t-$m-$i"'$/ {print $(NF-1)}')
      sum=$(python3 -c "print($sum + $p)")
    done
    printf '%-6s %-4s PSNR %6.2f dB (mean of %d prompts)  %8d bytes\n' "$t" "$m" "$(python3 -c "print($sum / $N)")" "$N" \
        "$(stat -c %s "$OUT/$t-$m.gguf")"
  done
done
