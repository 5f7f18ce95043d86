/*
 * FP32 flash attention for 256-bit vectors (AVX2 + FMA): 4 x 24 register tile, query blocks of 4 panels of 24;
 * the body is attention_impl.h. Also the packing of K and V shared with attention_avx512.c (plain C).
 */
#define VL 8
#define MR 4
#define ATTN_PANELS 4
#define ATTN_BLOCK vdq_attn_block_avx2
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
