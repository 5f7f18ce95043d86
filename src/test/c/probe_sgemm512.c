/*
 * Probe of the AVX-512 FP32 macro-kernel (sgemm_avx512.c) behind BENCHMARKS.md "Native FP32 macro-kernel on
 * AVX-512" (not part of the library or the Maven build):
 *  1. one L1-resident 4x32 tile row (mc = 4, kc = 256, one panel), repeated;
 *  2. VectorGemm's blocking without its packing (KC = 256, MC = 128, all panels per call) over m x n x k, with
 *     the C, A and B buffers at a chosen byte offset from a 64-byte boundary: Java float[] data is 16 bytes past
 *     an 8-byte aligned header, so in the JVM every offset 8, 16, ... 56 occurs.
 * Times are thread CPU time (best of 5), so other tenants of a busy machine distort them less than wall time.
 * From the repository root (the library is linked by that relative path):
 *   gcc -O2 src/test/c/probe_sgemm512.c target/classes/native/libvdqnative.so \
 *       -Wl,-rpath,$PWD/target/classes/native -o /tmp/vdq-probe-sgemm && /tmp/vdq-probe-sgemm
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../../main/c/vdqnative.h"   /* the library's prototypes */

static double cpu(void) { struct timespec a; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a); return a.tv_sec + a.tv_nsec * 1e-9; }

/* n floats at `off` bytes past a 64-byte boundary, filled with small values */
static float* buffer(size_t n, int off) {
    char* raw = aligned_alloc(64, (n * sizeof(float) + 127) / 64 * 64);
    float* f = (float*) (raw + off);
    for (size_t i = 0; i < n; i++) f[i] = (float) (i % 7) * 0.01f;
    return f;
}

/* GFLOP per CPU-second of VectorGemm's loop nest over the macro-kernel (best of 5 timings of reps calls) */
static double gemm(int m, int n, int k, int reps, int offA, int offB, int offC) {
    const int KC = 256, MC = 128, np = (n + 31) / 32;
    float *ap = buffer((size_t) MC * KC, offA), *bp = buffer((size_t) np * 32 * k, offB), *c = buffer((size_t) m * n, offC);
    double best = 1e30;
    for (int t = 0; t < 6; t++) {
        double t0 = cpu();
        for (int r = 0; r < reps; r++)
            for (int pc = 0; pc < k; pc += KC) {
                int kc = k - pc < KC ? k - pc : KC;
                for (int ic = 0; ic < m; ic += MC)
                    vdq_sgemm_macro_avx512(ap, m - ic < MC ? m - ic : MC, kc, bp + (size_t) pc * np * 32, 0, np, n,
                                           c + (size_t) ic * n, n, pc > 0);
            }
        double dt = cpu() - t0;
        if (t > 0 && dt < best) best = dt; /* the first is a warm-up */
    }
    return 2.0 * m * n * k * reps / best / 1e9;
}

int main(void) {
    printf("L1-resident 4x32 tile, kc = 256:   %.1f GFLOP/cpu-s\n", gemm(4, 32, 256, 20000, 0, 0, 0));
    int offs[][3] = {{0, 0, 0}, {0, 16, 0}, {16, 0, 0}, {0, 0, 16}, {0, 0, 32}, {8, 8, 8}, {16, 16, 16}};
    for (int i = 0; i < 7; i++)
        printf("1024^3, A/B/C at +%2d/+%2d/+%2d bytes: %.1f GFLOP/cpu-s\n", offs[i][0], offs[i][1], offs[i][2],
               gemm(1024, 1024, 1024, 5, offs[i][0], offs[i][1], offs[i][2]));
    printf("4096x1536x1536, all at +16 bytes: %.1f GFLOP/cpu-s\n", gemm(4096, 1536, 1536, 1, 16, 16, 16));
    return 0;
}
