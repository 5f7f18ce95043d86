/*
 * AVX-512 VNNI probes behind BENCHMARKS.md "Native integer GEMM with AVX-512 VNNI" (not part of the library or
 * the Maven build; the AVX2 probes are in probe.c):
 *  1. clock: a dependent chain of adds (1 cycle each) per CPU-second;
 *  2. throughput of vpdpbusd (zmm and ymm) and of the FP32 FMA (zmm and ymm), 12 independent chains;
 *  3. the W8A8 and W4 AVX-512 kernels on one L1-resident 8x32 tile (k = 1024), in multiply-accumulates per cycle.
 * Times are thread CPU time, so other tenants of a busy machine distort them less than wall time.
 *   gcc -O1 -mavx512f src/test/c/probe_avx512.c target/classes/native/libvdqnative.so \
 *       -Wl,-rpath,$PWD/target/classes/native -o /tmp/vdq-probe512 && /tmp/vdq-probe512
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include "../../main/c/vdqnative.h"   /* the library's prototypes */

static double cpu(void) { struct timespec a; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a); return a.tv_sec + a.tv_nsec * 1e-9; }

#define C(op, r, i) op " %%" r "12, %%" r "13, %%" r #i "\n\t"
#define R12(op, r) C(op, r, 0) C(op, r, 1) C(op, r, 2) C(op, r, 3) C(op, r, 4) C(op, r, 5) C(op, r, 6) C(op, r, 7) \
    C(op, r, 8) C(op, r, 9) C(op, r, 10) C(op, r, 11)
#define PROBE(name, per, body) { long n = 20000000; double t = cpu();                                             \
    for (long i = 0; i < n; i++) __asm__ volatile(body ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", \
                                                  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");                        \
    t = cpu() - t; double ipc = 12.0 * n / (t * ghz * 1e9);                                                         \
    printf("  %-24s %.2f per cycle = %.0f G%s/s per core\n", name, ipc, ipc * (per) * ghz, (per) == 128 || (per) == 64 ? "OP" : "FLOP"); }

int main(void) {
    long n = 400000000, x = 0;
    double t = cpu();
    for (long i = 0; i < n; i++)
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
    double ghz = 8.0 * n / (cpu() - t) / 1e9;
    printf("clock (dependent adds per CPU-second): %.2f GHz\n", ghz);
    printf("instruction throughput, 12 independent chains:\n");
    PROBE("vpdpbusd zmm (128 op)", 128, R12("vpdpbusd", "zmm"))
    PROBE("vpdpbusd ymm (64 op)", 64, R12("vpdpbusd", "ymm"))
    PROBE("vfmadd231ps zmm (32 flop)", 32.0, R12("vfmadd231ps", "zmm"))
    PROBE("vfmadd231ps ymm (16 flop)", 16.0, R12("vfmadd231ps", "ymm"))

    int kp = 1024, np = 2;
    int8_t* q = aligned_alloc(64, 8 * kp);
    uint8_t* w = aligned_alloc(64, 16 * kp * np);
    for (int i = 0; i < 8 * kp; i++) q[i] = (int8_t) (i % 7 - 3);
    for (int i = 0; i < 16 * kp * np; i++) w[i] = (uint8_t) (i % 5);
    float as[8] = {1, 1, 1, 1, 1, 1, 1, 1}, ws[32] = {0}, y[8 * 32];
    int32_t xs[8] = {0}, wz[32] = {0};
    printf("one L1-resident 8x32 tile, k = %d:\n", kp);
    for (int b = 0; b < 2; b++) {
        long it = 200000;
        t = cpu();
        for (long i = 0; i < it; i++) {
            if (b == 0) vdq_gemm_w8a8_avx512(q, as, xs, (const int8_t*) w, ws, wz, NULL, y, 32, kp, 1, kp / 4, 0, 0, 8, 0, 32);
            else vdq_gemm_w4_avx512(q, as, xs, w, ws, wz, NULL, y, 32, kp, 1, kp / 4, 0, 0, 8, 0, 32);
        }
        t = cpu() - t;
        double mac = (double) it * 8 * 32 * kp / t;
        printf("  %-24s %.1f MAC/cycle = %.0f GOP/s per core\n", b ? "W4 (nibbles)" : "W8A8 (weight offset)",
               mac / (ghz * 1e9), 2 * mac / 1e9);
    }
    return 0;
}
