#!/usr/bin/env python3
"""Markdown table of a `vdq sweep` over gguf-<type>{,-bgr,-gptq} recipes, each paired against gguf-<type> (ref).

Usage: python3 bench/gguf-sweep-table.py SWEEP_DIR/cells.jsonl
Per recipe: mean ± sd over (seed, calibration set) pairs of video PSNR and teacher-forced step SNR. Paired
against the same type's ref encoder: per pair (n = pairs) for PSNR and step SNR, and per (pair, prompt) for PSNR
(the cell's per-prompt PSNRs; prompts of one pair share its calibration, so these draws are not independent).
"ahead" counts draws where the recipe is higher; t = mean / (sd / sqrt(n)).
"""
import json, math, sys

BITS = {"q8_0": 8.5, "q5_k": 5.5, "q4_k": 4.5, "q4_0": 4.5, "q3_k": 3.4375}

def stats(d):
    n = len(d)
    m = sum(d) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in d) / (n - 1)) if n > 1 else float("nan")
    t = m / (sd / math.sqrt(n)) if n > 1 and sd > 0 else float("nan")
    return m, sd, sum(1 for x in d if x > 0), n, t

cells = {}
for line in open(sys.argv[1]):
    c = json.loads(line)
    if "error" in c and c.get("psnr_db") is None:
        continue
    cells[(c["recipe"], c["seed"], c["calib_set"])] = c
pairs = sorted({(s, k) for (_, s, k) in cells})
print("| recipe | bits/weight | pairs | video PSNR dB | step SNR dB | Δ PSNR per pair (ahead, t) | Δ step SNR per pair (ahead, t) | Δ PSNR per prompt (ahead, t) | quantize s |")
print("|---|---|---|---|---|---|---|---|---|")
for t in BITS:
    base = "gguf-" + t
    for enc in ("", "-bgr", "-gptq"):
        r = base + enc
        ps = [p for p in pairs if (r, *p) in cells and (base, *p) in cells]
        if not ps:
            continue
        psnr = [cells[(r, *p)]["psnr_db"] for p in ps]
        snr = [cells[(r, *p)]["step_snr_db"] for p in ps]
        mp, sp, *_ = stats(psnr)
        ms, ss, *_ = stats(snr)
        row = f"| {r} | {BITS[t]} | {len(ps)} | {mp:.2f} ± {sp:.2f} | {ms:.2f} ± {ss:.2f} |"
        if enc:
            dp = [cells[(r, *p)]["psnr_db"] - cells[(base, *p)]["psnr_db"] for p in ps]
            ds = [cells[(r, *p)]["step_snr_db"] - cells[(base, *p)]["step_snr_db"] for p in ps]
            dq = [a - b for p in ps for a, b in zip(cells[(r, *p)]["psnr_db_per_prompt"], cells[(base, *p)]["psnr_db_per_prompt"])]
            for d in (dp, ds, dq):
                m, sd, k, n, tt = stats(d)
                row += f" {m:+.2f} ({k} of {n}, t {tt:.2f}) |"
        else:
            row += " (baseline) | | |"
        qs = [cells[(r, *p)]["quantize_s"] for p in ps]
        row += f" {sum(qs) / len(qs):.0f} |"
        print(row)
