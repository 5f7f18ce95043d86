/*
 * vdq's oracle for the ggml block formats: quantizes a deterministic set of rows with ggml's own
 * ggml_quantize_chunk (no importance matrix, i.e. the quantize_row_*_ref path) and decodes random blocks with
 * ggml's to_float, writing the results as fixture files for GgmlOracleTest. Built and run by ggml-oracle.sh
 * against a ggml source tree; nothing from ggml is committed to vdq.
 *
 * usage: ggml_oracle OUTDIR
 */
#include "ggml.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 48
#define N 512

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static float uni(void) { return (float) ((next() >> 11) * (1.0 / 9007199254740992.0)); }
static float gauss(void) { float u = uni() + 1e-7f, v = uni(); return sqrtf(-2.f * logf(u)) * cosf(6.2831853f * v); }

static void put(const char *dir, const char *name, const void *p, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) { perror(path); exit(1); }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s OUTDIR\n", argv[0]); return 2; }
    static float x[ROWS * N];
    for (int r = 0; r < ROWS; r++) {
        float scale = powf(10.f, (float) (r % 7) - 3.f);
        for (int i = 0; i < N; i++) {
            float v;
            switch (r % 6) {
                case 0: v = gauss(); break;                                     /* Gaussian */
                case 1: { float g = gauss(), c = 0; for (int k = 0; k < 3; k++) { float h = gauss(); c += h * h; }
                          v = g / sqrtf(c / 3.f); break; }                       /* Student-t, 3 dof */
                case 2: v = uni() * 2.f - 0.5f; break;                          /* shifted uniform */
                case 3: v = (i % 37 == 0) ? 40.f * gauss() : gauss(); break;    /* outliers */
                case 4: v = (i % 3 == 0) ? 0.f : fabsf(gauss()); break;         /* non-negative, zeros */
                default: v = (i / 64 % 2) ? 0.f : gauss(); break;               /* zero sub-blocks */
            }
            x[r * N + i] = v * scale;
        }
    }
    for (int i = 0; i < N; i++) x[(ROWS - 1) * N + i] = 0.f;                   /* an all-zero row */
    put(argv[1], "input.f32", x, sizeof x);

    const enum ggml_type types[] = {GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0,
        GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        enum ggml_type type = types[t];
        const char *name = ggml_type_name(type);
        size_t row = ggml_row_size(type, N);
        unsigned char *q = malloc(row * ROWS);
        float *y = malloc(sizeof(float) * N * ROWS);
        ggml_quantize_chunk(type, x, q, 0, ROWS, N, NULL);
        ggml_get_type_traits(type)->to_float(q, y, (int64_t) N * ROWS);
        char fn[256];
        snprintf(fn, sizeof fn, "%s.q", name); put(argv[1], fn, q, row * ROWS);
        snprintf(fn, sizeof fn, "%s.deq", name); put(argv[1], fn, y, sizeof(float) * N * ROWS);
        /* random blocks with finite fp16 scales (bit 14 cleared: |value| < 2) through the decoder */
        size_t bs = ggml_type_size(type), nb = 64;
        int64_t be = ggml_blck_size(type);
        unsigned char *rb = malloc(bs * nb);
        float *ry = malloc(sizeof(float) * be * nb);
        for (size_t i = 0; i < bs * nb; i++) rb[i] = (unsigned char) next();
        for (size_t b = 0; b < nb; b++) {
            unsigned char *p = rb + b * bs;
            int h[2] = {-1, -1};
            switch (type) {
                case GGML_TYPE_F16: case GGML_TYPE_BF16: h[0] = 0; break;
                case GGML_TYPE_Q4_0: case GGML_TYPE_Q5_0: case GGML_TYPE_Q8_0: h[0] = 0; break;
                case GGML_TYPE_Q4_1: case GGML_TYPE_Q5_1: case GGML_TYPE_Q4_K: case GGML_TYPE_Q5_K: h[0] = 0; h[1] = 2; break;
                case GGML_TYPE_Q2_K: h[0] = 80; h[1] = 82; break;
                case GGML_TYPE_Q3_K: h[0] = 108; break;
                case GGML_TYPE_Q6_K: h[0] = 208; break;
                default: break;
            }
            for (int k = 0; k < 2; k++) if (h[k] >= 0) p[h[k] + 1] &= 0xBF;
        }
        ggml_get_type_traits(type)->to_float(rb, ry, be * (int64_t) nb);
        snprintf(fn, sizeof fn, "%s.rnd", name); put(argv[1], fn, rb, bs * nb);
        snprintf(fn, sizeof fn, "%s.rnd.deq", name); put(argv[1], fn, ry, sizeof(float) * be * nb);
        free(q); free(y); free(rb); free(ry);
    }
    return 0;
}
