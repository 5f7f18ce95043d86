/*
 * CPU probes behind BENCHMARKS-native.md (not part of the library or the Maven build):
 *  1. clock: a dependent chain of adds (1 cycle each) per CPU-second;
 *  2. throughput of the AVX2 instructions the kernels use, alone and in pairs (8 independent chains), and of
 *     the FP32 FMA (16 FLOP each) for the FP32 peak;
 *  3. the W8A8 and W4 kernels on one L1-resident 4x16 tile (k = 2048), in multiply-accumulates per cycle.
 * Times are thread CPU time, so other tenants of a busy machine distort them less than wall time.
 *   gcc -O1 -mavx2 src/test/c/probe.c target/classes/native/libvdqnative.so \
 *       -Wl,-rpath,$PWD/target/classes/native -mfma -o /tmp/vdq-probe && /tmp/vdq-probe
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include "../../main/c/vdqnative.h"   /* the library's prototypes */

static double cpu(void) { struct timespec a; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a); return a.tv_sec + a.tv_nsec * 1e-9; }

#define R(op) op " %%ymm12, %%ymm0, %%ymm0\n\t" op " %%ymm12, %%ymm1, %%ymm1\n\t" op " %%ymm12, %%ymm2, %%ymm2\n\t" \
    op " %%ymm12, %%ymm3, %%ymm3\n\t" op " %%ymm12, %%ymm4, %%ymm4\n\t" op " %%ymm12, %%ymm5, %%ymm5\n\t"           \
    op " %%ymm12, %%ymm6, %%ymm6\n\t" op " %%ymm12, %%ymm7, %%ymm7\n\t"
#define PROBE(name, unit, body) { long n = 50000000; double t = cpu();                                           \
    for (long i = 0; i < n; i++) __asm__ volatile(body ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"); \
    t = cpu() - t; printf("  %-26s %.2f %s per cycle\n", name, 8.0 * n / (t * ghz * 1e9), unit); }

int main(void) {
    long n = 400000000, x = 0;
    double t = cpu();
    for (long i = 0; i < n; i++)
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
    double ghz = 8.0 * n / (cpu() - t) / 1e9;
    printf("clock (dependent adds per CPU-second): %.2f GHz\n", ghz);
    printf("instruction throughput (ymm):\n");
    PROBE("vpmaddubsw", "instr", R("vpmaddubsw"))
    PROBE("vpmaddwd", "instr", R("vpmaddwd"))
    PROBE("vpsignb", "instr", R("vpsignb"))
    PROBE("vpaddd", "instr", R("vpaddd"))
    PROBE("vfmadd231ps (FP32 peak)", "instr", R("vfmadd231ps"))
    PROBE("vpmaddubsw + vpsignb", "pairs", R("vpmaddubsw") R("vpsignb"))
    PROBE("vpmaddubsw + vpmaddwd", "pairs", R("vpmaddubsw") R("vpmaddwd"))
    PROBE("vpmaddubsw + vpaddw", "pairs", R("vpmaddubsw") R("vpaddw"))

    int kp = 2048;
    int8_t* q = aligned_alloc(64, 4 * kp);
    uint8_t* w = aligned_alloc(64, 16 * kp);
    for (int i = 0; i < 4 * kp; i++) q[i] = (int8_t) (i % 7 - 3);
    for (int i = 0; i < 16 * kp; i++) w[i] = (uint8_t) (i % 5);
    float as[4] = {1, 1, 1, 1}, ws[16] = {0}, y[64];
    int32_t xs[4] = {0}, wz[16] = {0};
    printf("one L1-resident 4x16 tile, k = %d:\n", kp);
    for (int b = 0; b < 2; b++) {
        long it = 200000;
        t = cpu();
        for (long i = 0; i < it; i++) {
            if (b == 0) vdq_gemm_w8a8_avx2(q, as, xs, (const int8_t*) w, ws, wz, NULL, y, 16, kp, 1, kp / 4, 8, 0, 4, 0, 16);
            else vdq_gemm_w4_avx2(q, as, xs, w, ws, wz, NULL, y, 16, kp, 1, kp / 4, 8, 0, 4, 0, 16);
        }
        t = cpu() - t;
        double mac = (double) it * 64 * kp / t;
        printf("  %-26s %.1f MAC/cycle = %.0f GOP/s per core\n", b ? "W4A8 (chunk 8)" : "W8A8 (sign trick)",
               mac / (ghz * 1e9), 2 * mac / 1e9);
    }
    return 0;
}
