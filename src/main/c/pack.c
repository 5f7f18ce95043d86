/* Weight prepacking: N x K signed integers (PyTorch out x in) into the AVX2 kernels' panel layouts. */
#include <string.h>
#include "vdqnative.h"

static inline int8_t wat(const int8_t* w, int n, int k, int col, int kk) {
    return (col < n && kk < k) ? w[(size_t) col * k + kk] : 0;
}

/*
 * W8: [panel = n/16][k4 step = kp/4][16 columns][4 k] bytes; the first 32 bytes of a step are columns 0..7
 * (one int32 lane each), the next 32 columns 8..15. Size: npanels * 16 * kp bytes.
 */
VDQ_API void vdq_pack_w8(const int8_t* w, int n, int k, int kp, int8_t* out) {
    int np = (n + VDQ_NR - 1) / VDQ_NR, steps = kp / 4;
    for (int p = 0; p < np; p++)
        for (int s = 0; s < steps; s++) {
            int8_t* o = out + ((size_t) p * steps + s) * 64;
            for (int c = 0; c < 16; c++)
                for (int j = 0; j < 4; j++) o[c * 4 + j] = wat(w, n, k, p * 16 + c, s * 4 + j);
        }
}

/*
 * W4 (values in [-8, 7]) stored unsigned as w + 8, two per byte: [panel][k4 step = kp/4][8 columns][4 k];
 * byte (c8, j) of step s holds column 16p + c8 in its low and column 16p + 8 + c8 in its high nibble, both at
 * k = 4s + j. Size: npanels * 8 * kp bytes. Padding weights are 0 (nibble 8).
 */
VDQ_API void vdq_pack_w4(const int8_t* w, int n, int k, int kp, uint8_t* out) {
    int np = (n + VDQ_NR - 1) / VDQ_NR, steps = kp / 4;
    for (int p = 0; p < np; p++)
        for (int s = 0; s < steps; s++) {
            uint8_t* o = out + ((size_t) p * steps + s) * 32;
            for (int c8 = 0; c8 < 8; c8++)
                for (int j = 0; j < 4; j++) {
                    int lo = wat(w, n, k, p * 16 + c8, s * 4 + j) + 8, hi = wat(w, n, k, p * 16 + 8 + c8, s * 4 + j) + 8;
                    o[c8 * 4 + j] = (uint8_t) (lo | (hi << 4));
                }
        }
}

VDQ_API int vdq_abi_version(void) { return 6; }
