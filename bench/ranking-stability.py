#!/usr/bin/env python3
"""How many evaluation prompts the demo needs for its ranking of recipes to be the same at every seed.

Usage: python3 bench/ranking-stability.py CELLS.jsonl [MORE.jsonl ...] [--recipes a,b,...]
Reads `vdq sweep` cells (one calibration set, several seeds, the same evaluation prompts at every seed, e.g.
`--prompts 8 --seeds 3`). For every seed, recipes are ranked by video PSNR averaged over a set of k prompts
(higher first). Three readings, per k:
  demo   the demo's protocol: the first k prompts of its list. The rankings of the seeds are compared pairwise
         (Kendall tau, recipe pairs ordered differently, same best recipe); every seed pair is listed.
  split  two different seeds, each with its own random k of the prompts (2 000 draws): mean tau, the share of draws
         whose whole ranking is identical, and the mean number of discordant recipe pairs.
  model  for each recipe pair, the per-(seed, prompt) PSNR difference has mean m and sd s; with k prompts the pair is
         ordered as its mean says with probability Phi(m sqrt(k) / s) (prompts treated as independent; prompts of one
         seed share that seed's quantized model, so this is optimistic for calibrated methods). Listed: the pairs
         below 95 % at k, for k up to 128.
Step SNR (one number per cell, over all its prompts) is ranked per seed too, at the sweep's prompt count only.
"""
import itertools, json, math, random, sys


def kendall(a, b):
    """Kendall tau-a between two score dicts over the same keys, and the number of discordant pairs."""
    keys = sorted(a)
    con = dis = 0
    for x, y in itertools.combinations(keys, 2):
        s = (a[x] - a[y]) * (b[x] - b[y])
        if s > 0:
            con += 1
        elif s < 0:
            dis += 1
    n = len(keys) * (len(keys) - 1) // 2
    return (con - dis) / n, dis


def phi(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def main(argv):
    paths = [a for a in argv if not a.startswith("--") and not (argv.index(a) > 0 and argv[argv.index(a) - 1] == "--recipes")]
    only = None
    if "--recipes" in argv:
        only = argv[argv.index("--recipes") + 1].split(",")
    cells = {}
    for p in paths:
        for line in open(p):
            c = json.loads(line)
            if c.get("error"):
                continue
            if only and c["recipe"] not in only:
                continue
            cells[(c["recipe"], c["seed"])] = c
    recipes = sorted({r for r, _ in cells})
    seeds = sorted({s for _, s in cells})
    seeds = [s for s in seeds if all((r, s) in cells for r in recipes)]
    P = min(len(cells[(r, s)]["psnr_db_per_prompt"]) for r in recipes for s in seeds)
    print(f"{len(recipes)} recipes, seeds {seeds}, {P} prompts per cell: {', '.join(recipes)}")
    pp = {(r, s): cells[(r, s)]["psnr_db_per_prompt"][:P] for r in recipes for s in seeds}
    npairs = len(recipes) * (len(recipes) - 1) // 2

    def scores(s, idx):
        return {r: sum(pp[(r, s)][i] for i in idx) / len(idx) for r in recipes}

    print(f"\nvideo PSNR ranking, demo protocol (first k prompts), seed pairs compared ({npairs} recipe pairs):")
    print("k | mean tau | discordant pairs per seed pair | same best recipe at every seed | best recipe per seed")
    for k in range(1, P + 1):
        sc = {s: scores(s, range(k)) for s in seeds}
        taus, dis = [], []
        for a, b in itertools.combinations(seeds, 2):
            t, d = kendall(sc[a], sc[b])
            taus.append(t)
            dis.append(d)
        best = [max(sc[s], key=sc[s].get) for s in seeds]
        print(f"{k} | {sum(taus) / len(taus):.3f} | {', '.join(map(str, dis))} | {'yes' if len(set(best)) == 1 else 'no'} | {', '.join(best)}")

    rng = random.Random(20261207)
    print("\nvideo PSNR ranking, two different seeds with random k-prompt subsets (2 000 draws):")
    print("k | mean tau | identical ranking | mean discordant pairs")
    for k in range(1, P + 1):
        taus, same, dis = [], 0, []
        for _ in range(2000):
            a, b = rng.sample(seeds, 2)
            t, d = kendall(scores(a, rng.sample(range(P), k)), scores(b, rng.sample(range(P), k)))
            taus.append(t)
            dis.append(d)
            same += d == 0
        print(f"{k} | {sum(taus) / len(taus):.3f} | {100 * same / 2000:.1f} % | {sum(dis) / len(dis):.2f}")

    print("\nper recipe pair, from the per-(seed, prompt) PSNR differences: pairs ordered with < 95 % probability at k prompts")
    diffs = []
    for x, y in itertools.combinations(recipes, 2):
        d = [pp[(x, s)][i] - pp[(y, s)][i] for s in seeds for i in range(P)]
        m = sum(d) / len(d)
        sd = math.sqrt(sum((v - m) ** 2 for v in d) / (len(d) - 1))
        diffs.append((x, y, m, sd))
    for k in (1, 2, 4, 8, 16, 32, 64, 128):
        weak = [(x, y, m, sd) for x, y, m, sd in diffs if phi(abs(m) * math.sqrt(k) / sd) < 0.95]
        print(f"k = {k}: {len(weak)} of {npairs}" + (": " + "; ".join(f"{x} vs {y} ({m:+.2f} ± {sd:.2f} dB)" for x, y, m, sd in weak) if len(weak) <= 6 else ""))

    if all(cells[(r, s)].get("step_snr_db") is not None for r in recipes for s in seeds):
        print(f"\nstep SNR ranking per seed ({P} prompts):")
        sc = {s: {r: cells[(r, s)]["step_snr_db"] for r in recipes} for s in seeds}
        for a, b in itertools.combinations(seeds, 2):
            t, d = kendall(sc[a], sc[b])
            print(f"seeds {a},{b}: tau {t:.3f}, {d} discordant of {npairs}")
        for s in seeds:
            print(f"seed {s}: " + " > ".join(sorted(recipes, key=lambda r: -sc[s][r])))


if __name__ == "__main__":
    main(sys.argv[1:])
