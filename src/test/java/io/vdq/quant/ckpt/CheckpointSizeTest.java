package io.vdq.quant.ckpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.io.DType;
import io.vdq.model.wan.WanConfig;
import io.vdq.quant.Presets;
import org.junit.jupiter.api.Test;

/** Sizes of Wan2.1-1.3B-shaped checkpoints against hand-counted layer bytes (architectures.md shapes). */
class CheckpointSizeTest {
    static final int D = 1536, FFN = 8960, LAYERS = 30;
    /** out × in of the 10 quantized linears of one block: attn1/attn2 q, k, v, out, then ffn up and down. */
    static final int[][] BLOCK = {{D, D}, {D, D}, {D, D}, {D, D}, {D, D}, {D, D}, {D, D}, {D, D}, {FFN, D}, {D, FFN}};

    interface PerLayer { long bytes(long out, long in); }

    static long sum(PerLayer f) {
        long s = 0;
        for (int[] l : BLOCK) s += f.bytes(l[0], l[1]);
        return LAYERS * s;
    }

    static long bf16() { return sum((o, i) -> 2 * (o * i + o)); }

    @Test
    void w4PerChannelLayersOfWan13BAreBelowOneOver3Point9OfBf16() {
        // symmetric RTN int4: packed codes, one F32 scale per row, BF16 bias
        long minmax = sum((o, i) -> o * i / 2 + 4 * o + 2 * o);
        CheckpointSize s = CheckpointSize.estimate(WanConfig.wan21T2V1_3B(), Presets.get("w4a8-minmax"), DType.BF16);
        assertEquals(300, s.layers());
        assertEquals(minmax, s.quantizedBytes());
        assertEquals(bf16(), s.quantizedBf16Bytes());
        assertTrue(s.quantizedRatio() <= 1 / 3.9, "ratio " + s.quantizedRatio());
        // DVD-Quant: asymmetric BGR codes with F32 scale and F32 (real-valued) zero point per row
        long dvd = sum((o, i) -> o * i / 2 + 8 * o + 2 * o);
        CheckpointSize d = CheckpointSize.estimate(WanConfig.wan21T2V1_3B(), Presets.get("w4a6-dvd"), DType.BF16);
        assertEquals(dvd, d.quantizedBytes());
        assertTrue(d.quantizedRatio() <= 1 / 3.9, "ratio " + d.quantizedRatio());
    }

    @Test
    void groupwiseGptqPaysForItsScalesAndZeroPoints() {
        // int4 asymmetric, groups of 128: F32 scale + U8 zero point per group, i.e. 5/128 byte per weight on top of 1/2
        long gptq = sum((o, i) -> o * i / 2 + 5 * o * (i / 128) + 2 * o);
        CheckpointSize g = CheckpointSize.estimate(WanConfig.wan21T2V1_3B(), Presets.get("w4a16-gptq"), DType.BF16);
        assertEquals(gptq, g.quantizedBytes());
        assertEquals(gptq / (double) bf16(), g.quantizedRatio(), 1e-12);
        assertTrue(g.quantizedRatio() > 1 / 3.9, "group-128 scales cost more than the 1/3.9 budget leaves");
    }
}
