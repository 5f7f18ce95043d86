/*
 * FP32 flash attention for 256-bit vectors (AVX2 + FMA): 4 x 24 register tile, query blocks of 4 panels of 24;
 * the body is attention_impl.h, with the int16 Q.K^T variant (vpmaddwd). Also the packing of K and V shared with
 * attention_avx512.c, and of K's int16 codes (plain C).
 */
#define VL 8
#define MR 4
#define ATTN_PANELS 4
#define ATTN_BLOCK vdq_attn_block_avx2
#define ATTN_BLOCK_Q16 vdq_attn_block_q16_avx2
#include "attention_impl.h"

/*
 * K and V of one head for the attention kernels, key panels [p0, p1) of mr keys (keys past nk zero):
 * kp[(p*mr + r)*d ... ] as [panel][c][mr], i.e. kp[p*mr*d + c*mr + r] = K[p*mr + r][c];
 * vp[key*dp + c] = V[key][c] with dp = round_up(d, mr) (zero for c >= d).
 */
void vdq_attn_pack_kv(const float* k, int ldk, const float* v, int ldv, int nk, int d, int mr, float* kp, float* vp,
                      int p0, int p1) {
    const int dp = (d + mr - 1) / mr * mr;
    for (int p = p0; p < p1; p++) {
        float* kd = kp + (size_t)p * mr * d;
        for (int r = 0; r < mr; r++) {
            const int key = p * mr + r;
            float* vd = vp + (size_t)key * dp;
            if (key < nk) {
                const float* ks = k + (size_t)key * ldk;
                for (int c = 0; c < d; c++) kd[c * mr + r] = ks[c];
                memcpy(vd, v + (size_t)key * ldv, d * sizeof(float));
                for (int c = d; c < dp; c++) vd[c] = 0.0f;
            } else {
                for (int c = 0; c < d; c++) kd[c * mr + r] = 0.0f;
                memset(vd, 0, dp * sizeof(float));
            }
        }
    }
}

/* Per-channel mean of K over its nk keys (double sums): the smoothing the int16 variant subtracts before quantizing. */
void vdq_attn_kmean(const float* k, int ldk, int nk, int d, float* mean) {
    double* acc = calloc(d, sizeof(double));
    if (!acc) { for (int c = 0; c < d; c++) mean[c] = 0.0f; return; }
    for (int j = 0; j < nk; j++)
        for (int c = 0; c < d; c++) acc[c] += k[(size_t)j * ldk + c];
    for (int c = 0; c < d; c++) mean[c] = (float)(acc[c] / nk);
    free(acc);
}

/*
 * K - mean of one head as int16 codes for vdq_attn_block_q16_avx2, key panels [p0, p1) of mr keys: per key
 * symmetric, codes round((k - mean) / s) in [-qmax, qmax] with s = max|k - mean| / qmax, stored as
 * kq[p*mr*dq2*2 + (c/2)*mr*2 + r*2 + (c & 1)] (dq2 = ceil(d / 2); zero past d and past nk), and ksc[key] = s * scale.
 */
void vdq_attn_pack_k16(const float* k, int ldk, int nk, int d, int mr, int qmax, float scale, const float* mean,
                       int16_t* kq, float* ksc, int p0, int p1) {
    const int dq2 = (d + 1) / 2;
    for (int p = p0; p < p1; p++) {
        int16_t* kd = kq + (size_t)p * mr * dq2 * 2;
        for (int r = 0; r < mr; r++) {
            const int key = p * mr + r;
            float amax = 0.0f;
            if (key < nk)
                for (int c = 0; c < d; c++) amax = fmaxf(amax, fabsf(k[(size_t)key * ldk + c] - mean[c]));
            const float s = amax > 0.0f ? amax / qmax : 1.0f, inv = 1.0f / s;
            ksc[key] = key < nk ? s * scale : 0.0f;
            for (int c = 0; c < 2 * dq2; c++)
                kd[(c / 2) * mr * 2 + r * 2 + (c & 1)] =
                        key < nk && c < d ? (int16_t)lrintf((k[(size_t)key * ldk + c] - mean[c]) * inv) : 0;
        }
    }
}

/*
 * V of one head as int16 codes for vdq_attn_block_q16_avx2's integer P.V, all nk keys: per head dimension c
 * symmetric over the keys, vsc[c] = max_j |V[j][c]| / vqmax, codes round(V / vsc) stored as key pairs
 * vq[(key/2)*dp*2 + c*2 + (key & 1)] (dp = round_up(d, mr); zero past d and past nk, up to round_up(nk, mr) keys).
 */
void vdq_attn_pack_v16(const float* v, int ldv, int nk, int d, int mr, int vqmax, int16_t* vq, float* vsc) {
    const int dp = (d + mr - 1) / mr * mr, nkp = (nk + mr - 1) / mr * mr;
    for (int c = 0; c < dp; c++) vsc[c] = 0.0f;
    for (int j = 0; j < nk; j++)
        for (int c = 0; c < d; c++) vsc[c] = fmaxf(vsc[c], fabsf(v[(size_t)j * ldv + c]));
    for (int c = 0; c < dp; c++) vsc[c] = vsc[c] > 0.0f ? vsc[c] / vqmax : 1.0f;
    for (int j = 0; j < nkp; j++)
        for (int c = 0; c < dp; c++)
            vq[((size_t)(j / 2) * dp + c) * 2 + (j & 1)] = j < nk && c < d ? (int16_t)lrintf(v[(size_t)j * ldv + c] / vsc[c]) : 0;
}
