#!/usr/bin/env python3
"""The methods × W4A8/W4A6/W4A4 table of issue #25 from one or more `vdq sweep` cell files.

Usage: python3 bench/method-table.py [--paired] [--seeds N] SWEEP_DIR/cells.jsonl [MORE.jsonl ...]
Rows are methods, columns activation bit widths (all weights 4-bit per output channel). A cell reads
  step SNR mean ± sd · video PSNR mean · VBench-lite |Δ| mean
over the (seed, calibration set) pairs of the sweep (sd = sample sd over pairs). Recipes that are not in the map
below are listed after the table. On a latent-space checkpoint the "video PSNR" is of the final latents and there
is no VBench-lite (the cell then has two numbers).
--seeds N keeps the cells of seeds 0..N-1 only (so that every row has the same pairs). --paired adds, per column, every row against that column's MinMax row: the paired difference per (seed,
calibration set) of step SNR and video PSNR, mean, the pairs where the row is ahead, and t = mean / (sd / sqrt(n)).
"""
import json, math, sys

# recipe spec as given to `vdq sweep --recipes` -> (row, column)
ROWS = ["MinMax (RTN)", "SmoothQuant α=0.5", "ViDiT-Q lite", "QuaRot (RTN weights)", "QuaRot (GPTQ weights)", "GPTQ",
        "S²Q-VDiT (2 epochs)", "DVD-Quant", "DVD-Quant A4/8 mix (mean 6.0 bits)"]
COLS = ["W4A8", "W4A6", "W4A4"]
MAP = {}
def put(row, a8=None, a6=None, a4=None):
    for col, r in zip(COLS, (a8, a6, a4)):
        if r:
            MAP[r] = (row, col)
put("MinMax (RTN)", "w4a8-minmax", "bench/recipes/w4a6-minmax.json", "w4a4-minmax")
put("SmoothQuant α=0.5", "w4a8-smoothquant", "bench/recipes/w4a6-smoothquant.json", "bench/recipes/w4a4-smoothquant.json")
put("ViDiT-Q lite", "bench/recipes/w4a8-vidit-lite.json", "w4a6-vidit-lite", "bench/recipes/w4a4-vidit-lite.json")
put("QuaRot (RTN weights)", "bench/recipes/w4a8-quarot-rtn.json", "bench/recipes/w4a6-quarot-rtn.json", "w4a4-quarot-rtn")
put("QuaRot (GPTQ weights)", "w4a8-quarot", "bench/recipes/w4a6-quarot.json", "w4a4-quarot")
put("GPTQ", "w4a8-gptq", "bench/recipes/w4a6-gptq.json", "bench/recipes/w4a4-gptq.json")
put("S²Q-VDiT (2 epochs)", "bench/recipes/w4a8-s2q.json+epochs=2", "w4a6-s2q+epochs=2", "w4a4-s2q+epochs=2")
put("DVD-Quant", "w4a8-dvd", "w4a6-arq", "w4a4-dvd")
put("DVD-Quant A4/8 mix (mean 6.0 bits)", None, "w4a4/8-dvd", None)


def mean_sd(xs):
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    if not xs:
        return float("nan"), float("nan"), 0
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else float("nan")
    return m, sd, len(xs)


def load(paths, seeds=None):
    cells = {}
    for p in paths:
        for line in open(p):
            c = json.loads(line)
            if c.get("error") or (seeds is not None and c["seed"] >= seeds):
                continue
            cells[(c["recipe"], c["seed"], c["calib_set"])] = c
    return cells


def main(argv):
    seeds = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else None
    paths = [a for i, a in enumerate(argv) if not a.startswith("--") and not (i > 0 and argv[i - 1] == "--seeds")]
    cells = load(paths, seeds)
    recipes = sorted({r for (r, _, _) in cells})
    by = {}
    for r in recipes:
        cs = [c for (rr, _, _), c in cells.items() if rr == r]
        snr = mean_sd([c.get("step_snr_db") for c in cs])
        psnr = mean_sd([c.get("psnr_db") for c in cs])
        vb = mean_sd([c.get("vbench_delta_pts") for c in cs])
        by[r] = (snr, psnr, vb)
    grid = {}
    for r, v in by.items():
        if r in MAP:
            grid[MAP[r]] = (r, v)
    npairs = sorted({n for (_, v) in grid.values() for n in [v[0][2]]})
    print("| method | " + " | ".join(COLS) + " |")
    print("|---|" + "---|" * len(COLS))
    for row in ROWS:
        if not any((row, col) in grid for col in COLS):
            continue
        out = []
        for col in COLS:
            if (row, col) not in grid:
                out.append("—")
                continue
            r, (snr, psnr, vb) = grid[(row, col)]
            s = f"{snr[0]:.2f} ± {snr[1]:.2f} · {psnr[0]:.2f}"
            if not math.isnan(vb[0]):
                s += f" · {vb[0]:.1f}"
            out.append(s)
        print(f"| {row} | " + " | ".join(out) + " |")
    print(f"\npairs per cell: {', '.join(map(str, npairs))}")
    if "--paired" in argv:
        print("\npaired against MinMax of the same column: step SNR Δ (ahead, t) · video PSNR Δ (ahead, t)")
        for col in COLS:
            if ("MinMax (RTN)", col) not in grid:
                continue
            base = grid[("MinMax (RTN)", col)][0]
            for row in ROWS[1:]:
                if (row, col) not in grid:
                    continue
                r = grid[(row, col)][0]
                ks = sorted((s, k) for (rr, s, k) in cells if rr == r and (base, s, k) in cells)
                parts = []
                for key in ("step_snr_db", "psnr_db"):
                    d = [cells[(r, *p)][key] - cells[(base, *p)][key] for p in ks]
                    m, sd, n = mean_sd(d)
                    t = m / (sd / math.sqrt(n)) if n > 1 and sd > 0 else float("nan")
                    parts.append(f"{m:+.2f} ({sum(x > 0 for x in d)} of {n}, t {t:.1f})")
                print(f"{col} {row}: " + " · ".join(parts))
    rest = [r for r in recipes if r not in MAP]
    if rest:
        print("not in the table: " + ", ".join(rest))


if __name__ == "__main__":
    main(sys.argv[1:])
