/*
 * FP32 flash attention for 512-bit vectors (AVX-512F): 8 x 48 register tile (24 zmm accumulators), query blocks
 * of 2 panels of 48; the body is attention_impl.h. Compiled apart with -mavx512f, like sgemm_avx512.c.
 */
#define VL 16
#define MR 8
#define ATTN_PANELS 2
#define ATTN_BLOCK vdq_attn_block_avx512
#include "attention_impl.h"
