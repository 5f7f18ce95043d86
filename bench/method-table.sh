#!/usr/bin/env bash
# Issue #25's results table: methods × W4A8 / W4A6 / W4A4, every weight 4-bit per output channel, activations
# dynamic per token. Runs the `vdq sweep`s behind one table, then prints it (bench/method-table.py).
# Usage: bench/method-table.sh tiny10|tiny50|w13|w13-calibrated|stability [WORKDIR]      (env: VDQ=path of the vdq launcher)
#   tiny10  vdq-tiny, 10 UniPC steps, the first 8 demo prompts × seeds 0-2 (S²Q in its own sweep, 2 training epochs)
#   tiny50  vdq-tiny, 50 steps, 2 prompts × seeds 0-2
#   w13     the data-free methods on a Wan2.1-1.3B-shaped heavy-tailed checkpoint cut to 2 blocks (Student-t(4)
#           weights, 4 outlier channels × 10, 128 residual-stream outlier channels), latents 16 × 2 × 16 × 16
#           (128 tokens), 8 steps, 2 prompts × seeds 0-1
#   w13-calibrated  the calibrated balancing baselines at W4A8 on the same checkpoint and settings (pairs with w13's
#           cells; GPTQ is left out: its 8960-wide Hessians took over 5 min of calibration per cell on the shared host)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VDQ="${VDQ:-$ROOT/vdq}"
W="${2:-/tmp/vdq-table25}"
R=bench/recipes
CHEAP="w4a8-minmax,w4a8-smoothquant,$R/w4a8-vidit-lite.json,w4a8-quarot,w4a8-gptq,w4a8-dvd,$R/w4a6-minmax.json,$R/w4a6-smoothquant.json,w4a6-vidit-lite,$R/w4a6-quarot.json,$R/w4a6-gptq.json,w4a6-arq,w4a4/8-dvd,w4a4-minmax,$R/w4a4-smoothquant.json,$R/w4a4-vidit-lite.json,w4a4-quarot,$R/w4a4-gptq.json,w4a4-dvd"
S2Q="$R/w4a8-s2q.json+epochs=2,w4a6-s2q+epochs=2,w4a4-s2q+epochs=2"
DATAFREE="w4a8-minmax,$R/w4a8-quarot-rtn.json,w4a8-dvd,$R/w4a6-minmax.json,$R/w4a6-quarot-rtn.json,w4a6-arq,w4a4/8-dvd,w4a4-minmax,w4a4-quarot-rtn,w4a4-dvd"
cd "$ROOT"
case "${1:-}" in
  tiny10)   # then: python3 bench/ranking-stability.py "$W/tiny10/cells.jsonl" "$W/tiny10-s2q/cells.jsonl" --recipes …
    "$VDQ" sweep --recipes "$CHEAP" --seeds 3 --prompts 8 --model models/vdq-tiny --out "$W/tiny10"
    "$VDQ" sweep --recipes "$S2Q" --seeds 3 --prompts 8 --model models/vdq-tiny --out "$W/tiny10-s2q"
    python3 bench/method-table.py --paired "$W/tiny10/cells.jsonl" "$W/tiny10-s2q/cells.jsonl" ;;
  tiny50)
    "$VDQ" sweep --recipes "$CHEAP" --seeds 3 --prompts 2 --steps 50 --model models/vdq-tiny --out "$W/tiny50"
    "$VDQ" sweep --recipes "$S2Q" --seeds 3 --prompts 2 --steps 50 --model models/vdq-tiny --out "$W/tiny50-s2q"
    python3 bench/method-table.py --paired "$W/tiny50/cells.jsonl" "$W/tiny50-s2q/cells.jsonl" ;;
  w13|w13-calibrated)
    [[ -f "$W/w13-2b/config.json" ]] || "$VDQ" make-checkpoint --shape wan2.1-1.3b --layers 2 --dist student-t --outliers 4 \
      --residual-outliers 128 --quiet --out "$W/w13-2b"
    common=(--model "$W/w13-2b" --frames 2 --size 16 --steps 8 --prompts 2 --seeds 2)
    if [[ "$1" == w13 ]]; then
      "$VDQ" sweep "${common[@]}" --recipes "$DATAFREE" --out "$W/w13"
      python3 bench/method-table.py --paired "$W/w13/cells.jsonl"
    else
      "$VDQ" sweep "${common[@]}" --recipes "w4a8-minmax,w4a8-smoothquant,$R/w4a8-vidit-lite.json" --out "$W/w13-cal"
      python3 bench/method-table.py --paired "$W/w13-cal/cells.jsonl"
    fi ;;
  stability)   # the demo's protocol (4 prompts) for the ten headline recipes that need no S²Q training
    "$VDQ" sweep --recipes w4a8-minmax,w4a4-minmax,w4a8-smoothquant,w4a6-vidit-lite,w4a4-dvd,w4a4/8-dvd,w4a8-dvd,w4a4-quarot,w4a8-quarot,w4a8-gptq \
      --seeds 3 --prompts 4 --model models/vdq-tiny --out "$W/tiny10-p4"
    python3 bench/ranking-stability.py "$W/tiny10-p4/cells.jsonl" ;;
  *) echo "usage: bench/method-table.sh tiny10|tiny50|w13|w13-calibrated|stability [WORKDIR]" >&2; exit 2 ;;
esac
