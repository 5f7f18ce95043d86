/*
 * Clock and FP32 FMA peak probe for BENCHMARKS.md (AVX2 + FMA hosts).
 *   gcc -O2 -mavx2 -mfma -o /tmp/cpu-peak-probe bench/cpu-peak-probe.c && /tmp/cpu-peak-probe
 * Clock: a dependent chain of 8 one-cycle `add` instructions per iteration. Peak: 12 independent chains of
 * 256-bit FMAs (enough to cover 2 pipes × 4-cycle latency), each chain started from a different value so the
 * compiler cannot merge them. Times are thread CPU time, so a shared machine inflates neither figure much.
 */
#include <stdio.h>
#include <time.h>
#include <immintrin.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
    for (int rep = 0; rep < 5; rep++) {
        long n = 200000000, x = 0;
        double t0 = now();
        __asm__ volatile("mov %1, %%rcx\n1:\n"
                         "add $1,%0\nadd $1,%0\nadd $1,%0\nadd $1,%0\nadd $1,%0\nadd $1,%0\nadd $1,%0\nadd $1,%0\n"
                         "dec %%rcx\njnz 1b\n" : "+r"(x) : "r"(n) : "rcx");
        double clk = 8.0 * n / (now() - t0) / 1e9;
        __m256 a[12], b = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-7f);
        for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(1.0f + 0.1f * i);
        long m = 50000000;
        t0 = now();
        for (long i = 0; i < m; i++) {
            a[0] = _mm256_fmadd_ps(a[0], b, c); a[1] = _mm256_fmadd_ps(a[1], b, c); a[2] = _mm256_fmadd_ps(a[2], b, c);
            a[3] = _mm256_fmadd_ps(a[3], b, c); a[4] = _mm256_fmadd_ps(a[4], b, c); a[5] = _mm256_fmadd_ps(a[5], b, c);
            a[6] = _mm256_fmadd_ps(a[6], b, c); a[7] = _mm256_fmadd_ps(a[7], b, c); a[8] = _mm256_fmadd_ps(a[8], b, c);
            a[9] = _mm256_fmadd_ps(a[9], b, c); a[10] = _mm256_fmadd_ps(a[10], b, c); a[11] = _mm256_fmadd_ps(a[11], b, c);
        }
        double peak = 12.0 * 16 * m / (now() - t0) / 1e9;
        __m256 s = a[0];
        for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
        float o[8];
        _mm256_storeu_ps(o, s);
        printf("clock %.2f GHz   FP32 FMA %.1f GFLOP/s per core (= %.1f flop/cycle)   [%g]\n", clk, peak, peak / clk, o[0]);
    }
    return 0;
}
