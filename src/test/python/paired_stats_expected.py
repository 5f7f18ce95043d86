#!/usr/bin/env python3
"""Expected values for PairedStatsTest, computed independently of the Java code (Python's statistics module).

Run: python3 src/test/python/paired_stats_expected.py
"""
import math
import statistics

def paired(cand, base):
    d = [c - b for c, b in zip(cand, base)]
    m = statistics.fmean(d)
    s = statistics.stdev(d)
    return m, s, m / (s / math.sqrt(len(d)))

values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
print("mean", statistics.fmean(values), "sd", repr(statistics.stdev(values)))
cand = [31.2, 29.8, 30.5, 32.0, 30.1]
base = [30.0, 30.1, 29.5, 30.8, 29.6]
m, s, t = paired(cand, base)
print("paired mean", repr(m), "sd", repr(s), "t", repr(t))
