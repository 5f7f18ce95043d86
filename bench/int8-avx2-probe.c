/*
 * Why W8A8 on AVX2 (no VNNI) cannot reach 2x the FP32 GEMM on an Intel core (issue #29, item 3): L1-resident
 * inner loops, multiply-accumulates per CPU-second (best of 7), each integer scheme against the FP32 6 x 16 FMA
 * tile of src/main/c/sgemm_avx2.c:
 *   sign 4x16 / 6x16: today's gemm_avx2.c scheme, vpmaddubsw(|a|, sign(w, a)) -> vpmaddwd(., 1) -> vpaddd:
 *       4 vector ALU ops per 32 MACs plus vpabsb per row step, 3 of them multiply-class;
 *   s16 madd 4x16 / 6x16: weights and activations widened to int16 beforehand, vpmaddwd -> vpaddd: 2 ops per
 *       16 MACs, no saturation question at all.
 * FP32 does 16 MACs per cycle (2 FMA pipes x 8 lanes); an int8 scheme needs 32 per cycle for 2x. Intel cores
 * (Haswell to Golden Cove) run 256-bit integer multiplies and vpsignb / vpabsb on 2 ports (p0, p1) and adds on
 * 3 (p0, p1, p5). Per 32 MACs the sign trick issues 3 ops on p0/p1 (sign, maddubs, madd) plus 1.5 others (add,
 * half an abs): max(3 / 2, 4.5 / 3) = 1.5 cycles, 21 MACs/cycle = 1.33x FP32; the int16 scheme issues 2 madd +
 * 2 add: max(2 / 2, 4 / 3) = 1.33 cycles, 24 MACs/cycle = 1.5x. Neither reaches 2x; with 4 vector pipes (Zen 3)
 * the bound moves and has to be measured there.
 * Build and run: gcc -O3 -mavx2 -mfma -fno-tree-pre -o /tmp/int8-probe bench/int8-avx2-probe.c && /tmp/int8-probe
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
static double cpu(void) { struct timespec a; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a); return a.tv_sec + a.tv_nsec * 1e-9; }
#define K 256
static int8_t W[K * 16] __attribute__((aligned(64)));     /* k4 steps x 64 bytes (16 cols x 4 k) */
static int16_t W16[K * 16] __attribute__((aligned(64)));  /* same, widened */
static int8_t A[6][K] __attribute__((aligned(64)));
static int16_t A16[6][K] __attribute__((aligned(64)));
static float FB[K * 16] __attribute__((aligned(64))), FA[K * 6] __attribute__((aligned(64)));
static int32_t sink[64];
static float fsink[128];

/* (a) today's: 4 rows x 16 cols, sign trick */
__attribute__((noinline)) void w8a8_sign(int reps) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < reps; r++) {
        __m256i acc[4][2]; for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        for (int s = 0; s < K / 4; s++) {
            const __m256i w0 = _mm256_load_si256((const __m256i*) (W + s * 64)), w1 = _mm256_load_si256((const __m256i*) (W + s * 64 + 32));
            for (int t = 0; t < 4; t++) {
                int32_t v; memcpy(&v, &A[t][s * 4], 4); const __m256i a = _mm256_set1_epi32(v), ua = _mm256_abs_epi8(a);
                acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(w0, a)), ones));
                acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(w1, a)), ones));
            }
        }
        for (int t = 0; t < 4; t++) { _mm256_storeu_si256((__m256i*) (sink + t * 16), _mm256_add_epi32(_mm256_loadu_si256((__m256i*) (sink + t * 16)), acc[t][0])); _mm256_storeu_si256((__m256i*) (sink + t * 16 + 8), acc[t][1]); }
    }
}
/* (b) s16 x s16 vpmaddwd: weights pre-widened, 4 rows x 16 cols, k2 per madd: acc lanes = 8 cols; per k4 step 4 weight vectors */
__attribute__((noinline)) void w8a8_s16(int reps) {
    for (int r = 0; r < reps; r++) {
        __m256i acc[4][2]; for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        for (int s = 0; s < K / 2; s++) {   /* k2 step: 16 cols x 2 k = 32 s16 = 2 vectors */
            const __m256i w0 = _mm256_load_si256((const __m256i*) (W16 + s * 32)), w1 = _mm256_load_si256((const __m256i*) (W16 + s * 32 + 16));
            for (int t = 0; t < 4; t++) {
                int32_t v; memcpy(&v, &A16[t][s * 2], 4); const __m256i a = _mm256_set1_epi32(v);
                acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(a, w0));
                acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(a, w1));
            }
        }
        for (int t = 0; t < 4; t++) { _mm256_storeu_si256((__m256i*) (sink + t * 16), _mm256_add_epi32(_mm256_loadu_si256((__m256i*) (sink + t * 16)), acc[t][0])); _mm256_storeu_si256((__m256i*) (sink + t * 16 + 8), acc[t][1]); }
    }
}
/* (c) s16 vpmaddwd, 6 rows x 16 cols (12 accumulators) */
__attribute__((noinline)) void w8a8_s16_6(int reps) {
    for (int r = 0; r < reps; r++) {
        __m256i acc[6][2]; for (int t = 0; t < 6; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        for (int s = 0; s < K / 2; s++) {
            const __m256i w0 = _mm256_load_si256((const __m256i*) (W16 + s * 32)), w1 = _mm256_load_si256((const __m256i*) (W16 + s * 32 + 16));
            for (int t = 0; t < 6; t++) {
                int32_t v; memcpy(&v, &A16[t][s * 2], 4); const __m256i a = _mm256_set1_epi32(v);
                acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(a, w0));
                acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(a, w1));
            }
        }
        for (int t = 0; t < 6; t++) { _mm256_storeu_si256((__m256i*) (sink + t * 8), _mm256_add_epi32(acc[t][1], _mm256_add_epi32(_mm256_loadu_si256((__m256i*) (sink + t * 8)), acc[t][0]))); }
    }
}
/* (d) sign trick, 6 rows x 16 cols */
__attribute__((noinline)) void w8a8_sign6(int reps) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < reps; r++) {
        __m256i acc[6][2]; for (int t = 0; t < 6; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        for (int s = 0; s < K / 4; s++) {
            const __m256i w0 = _mm256_load_si256((const __m256i*) (W + s * 64)), w1 = _mm256_load_si256((const __m256i*) (W + s * 64 + 32));
            for (int t = 0; t < 6; t++) {
                int32_t v; memcpy(&v, &A[t][s * 4], 4); const __m256i a = _mm256_set1_epi32(v), ua = _mm256_abs_epi8(a);
                acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(w0, a)), ones));
                acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(w1, a)), ones));
            }
        }
        for (int t = 0; t < 6; t++) { _mm256_storeu_si256((__m256i*) (sink + t * 8), _mm256_add_epi32(acc[t][1], _mm256_add_epi32(_mm256_loadu_si256((__m256i*) (sink + t * 8)), acc[t][0]))); }
    }
}
/* (e) sign trick on the activation instead: maddubs(|w|, sign(a, w)) with |w| packed beforehand (a second weight
 * array), so no vpabsb per row step: sign + maddubs + madd + add per 32 MACs, 4 x 16 */
static int8_t AW[K * 16] __attribute__((aligned(64)));
__attribute__((noinline)) void w8a8_absw(int reps) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < reps; r++) {
        __m256i acc[4][2]; for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        for (int s = 0; s < K / 4; s++) {
            const __m256i w0 = _mm256_load_si256((const __m256i*) (W + s * 64)), w1 = _mm256_load_si256((const __m256i*) (W + s * 64 + 32));
            const __m256i u0 = _mm256_load_si256((const __m256i*) (AW + s * 64)), u1 = _mm256_load_si256((const __m256i*) (AW + s * 64 + 32));
            for (int t = 0; t < 4; t++) {
                int32_t v; memcpy(&v, &A[t][s * 4], 4); const __m256i a = _mm256_set1_epi32(v);
                acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(_mm256_maddubs_epi16(u0, _mm256_sign_epi8(a, w0)), ones));
                acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(_mm256_maddubs_epi16(u1, _mm256_sign_epi8(a, w1)), ones));
            }
        }
        for (int t = 0; t < 4; t++) { _mm256_storeu_si256((__m256i*) (sink + t * 16), _mm256_add_epi32(_mm256_loadu_si256((__m256i*) (sink + t * 16)), acc[t][0])); _mm256_storeu_si256((__m256i*) (sink + t * 16 + 8), acc[t][1]); }
    }
}
/* (f) the same with |w| computed per k step (2 vpabsb shared by the 4 rows instead of 4 on the activations; same
 * packed weights as today) */
__attribute__((noinline)) void w8a8_absw_live(int reps) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < reps; r++) {
        __m256i acc[4][2]; for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        for (int s = 0; s < K / 4; s++) {
            const __m256i w0 = _mm256_load_si256((const __m256i*) (W + s * 64)), w1 = _mm256_load_si256((const __m256i*) (W + s * 64 + 32));
            const __m256i u0 = _mm256_abs_epi8(w0), u1 = _mm256_abs_epi8(w1);
            for (int t = 0; t < 4; t++) {
                int32_t v; memcpy(&v, &A[t][s * 4], 4); const __m256i a = _mm256_set1_epi32(v);
                acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(_mm256_maddubs_epi16(u0, _mm256_sign_epi8(a, w0)), ones));
                acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(_mm256_maddubs_epi16(u1, _mm256_sign_epi8(a, w1)), ones));
            }
        }
        for (int t = 0; t < 4; t++) { _mm256_storeu_si256((__m256i*) (sink + t * 16), _mm256_add_epi32(_mm256_loadu_si256((__m256i*) (sink + t * 16)), acc[t][0])); _mm256_storeu_si256((__m256i*) (sink + t * 16 + 8), acc[t][1]); }
    }
}
/* FP32 6x16 */
__attribute__((noinline)) void f32_6x16(int reps) {
    for (int r = 0; r < reps; r++) {
        __m256 acc[6][2]; for (int t = 0; t < 6; t++) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
        for (int k = 0; k < K; k++) {
            const __m256 b0 = _mm256_load_ps(FB + k * 16), b1 = _mm256_load_ps(FB + k * 16 + 8);
            for (int t = 0; t < 6; t++) { __m256 a = _mm256_broadcast_ss(FA + k * 6 + t); acc[t][0] = _mm256_fmadd_ps(a, b0, acc[t][0]); acc[t][1] = _mm256_fmadd_ps(a, b1, acc[t][1]); }
        }
        for (int t = 0; t < 6; t++) _mm256_storeu_ps(fsink + t * 16, _mm256_add_ps(acc[t][0], _mm256_add_ps(acc[t][1], _mm256_loadu_ps(fsink + t * 16))));
    }
}
static double rate(void (*f)(int), double macs_per_rep) {
    int reps = 20000; double best = 1e30;
    for (int i = 0; i < 7; i++) { double t = cpu(); f(reps); t = cpu() - t; if (t < best) best = t; }
    return macs_per_rep * reps / best / 1e9;
}
int main(void) {
    for (int i = 0; i < K * 16; i++) { W[i] = (int8_t) (i * 37 % 255 - 127); W16[i] = W[i]; AW[i] = (int8_t) (W[i] < 0 ? -W[i] : W[i]); FB[i] = i * 0.001f; }
    for (int t = 0; t < 6; t++) for (int i = 0; i < K; i++) { A[t][i] = (int8_t) ((i * 13 + t) % 255 - 127); A16[t][i] = A[t][i]; }
    for (int i = 0; i < K * 6; i++) FA[i] = i * 0.01f;
    for (int rep = 0; rep < 3; rep++) {
        double f = rate(f32_6x16, 6.0 * 16 * K);
        double a = rate(w8a8_sign, 4.0 * 16 * K), d = rate(w8a8_sign6, 6.0 * 16 * K), b = rate(w8a8_s16, 4.0 * 16 * K), c = rate(w8a8_s16_6, 6.0 * 16 * K);
        double e = rate(w8a8_absw, 4.0 * 16 * K), g = rate(w8a8_absw_live, 4.0 * 16 * K);
        printf("GMAC/cpu-s: fp32 6x16 %.1f | w8a8 sign 4x16 %.1f (%.2fx) sign 6x16 %.1f (%.2fx) | s16 madd 4x16 %.1f (%.2fx) 6x16 %.1f (%.2fx)"
               " | |w| packed 4x16 %.1f (%.2fx) |w| per step 4x16 %.1f (%.2fx)\n",
               f, a, a / f, d, d / f, b, b / f, c, c / f, e, e / f, g, g / f);
    }
    return sink[3] + (int) fsink[5];
}
