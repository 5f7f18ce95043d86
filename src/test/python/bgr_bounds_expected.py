"""Expected bounded-init errors for BgrTest.boundedInitSearchesTheLowerAndUpperShrinkSeparately (plain Python).

Row of 512 values: a uniform negative half -(j+0.5)/256 and an exponential positive half -ln(1-(j+0.5)/256)/2,
interleaved, as float32. 4-bit asymmetric grid on [a_l*min, a_u*max] (widened to contain 0), step as float32,
zero point rint(-lo/step) clamped to [0, 15], codes clamp(rint(w/step + z)), error sum of (w - float32(step*(q-z)))^2.
Prints the minimum over the 11 x 11 grid of (a_l, a_u) in {1.00, 0.95, ..., 0.50} and over its diagonal.
"""
import math
import struct


def f32(x):
    return struct.unpack('f', struct.pack('f', x))[0]


def err(w, al, au, qmax=15):
    mn, mx = min(0.0, min(w)), max(0.0, max(w))
    lo, hi = al * mn, au * mx
    d = f32((hi - lo) / qmax)
    z = round(min(qmax, max(0.0, -lo / d)))
    e = 0.0
    for x in w:
        q = min(qmax, max(0, round(x / d + z)))
        r = x - f32(d * (q - z))
        e += r * r
    return e


w = []
for j in range(256):
    w.append(f32(-(j + 0.5) / 256))
    w.append(f32(-math.log(1 - (j + 0.5) / 256) / 2))
grid = [(err(w, 1 - 0.05 * a, 1 - 0.05 * b), a, b) for a in range(11) for b in range(11)]
print("separate", min(grid))
print("tied", min(g for g in grid if g[1] == g[2]))
print("minmax", err(w, 1, 1))
