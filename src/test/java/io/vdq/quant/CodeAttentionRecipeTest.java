package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.ExecutionContext;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import org.junit.jupiter.api.Test;

/** The recipe option attention_code_bits swaps the model's self-attention for the flash kernel on integer codes. */
class CodeAttentionRecipeTest {
    static double relDiff(float[] a, float[] b) {
        double e = 0, n = 0;
        for (int i = 0; i < a.length; i++) { e += (double) (a[i] - b[i]) * (a[i] - b[i]); n += (double) a[i] * a[i]; }
        return Math.sqrt(e / n);
    }

    @Test
    void twelveBitCodesChangeTheOutputLessThanInt8Attention() {
        assumeTrue(ExecutionContext.int16Attention() != null, "no int16 attention kernel here (it falls back to float)");
        Recipe base = Presets.resolve("w4a4-dvd").withBits(8, 8).withOption("bgr_max_iterations", 0);
        WanModel plain = WanModel.random(WanConfig.tiny(), 3), q12 = WanModel.random(WanConfig.tiny(), 3),
                i8 = WanModel.random(WanConfig.tiny(), 3);
        QuantMethods.apply(plain, base, Calibration.none());
        QuantMethods.apply(q12, base.withOption("attention_code_bits", 12), Calibration.none());
        QuantMethods.apply(i8, base.withOption("int8_attention", true), Calibration.none());
        float[] a = Int8AttentionRecipeTest.forward(plain);
        double e12 = relDiff(a, Int8AttentionRecipeTest.forward(q12)), e8 = relDiff(a, Int8AttentionRecipeTest.forward(i8));
        // 12-bit codes: steps 16× finer than int8's (whose bound here is 3e-2, Int8AttentionRecipeTest)
        assertTrue(e12 > 0 && e12 < 3e-3, "12-bit-code attention changes a W8A8 model's output by rel L2 " + e12);
        assertTrue(e12 < e8, "finer than int8 attention: " + e12 + " vs " + e8);
        q12.setSelfAttention(null);
        assertArrayEquals(a, Int8AttentionRecipeTest.forward(q12), 0f);
    }

    @Test
    void badWidthsAndTheInt8OptionTogetherAreRefused() {
        Recipe base = Presets.resolve("w8a8-minmax");
        var m = WanModel.random(WanConfig.tiny(), 3);
        var x = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, base.withOption("attention_code_bits", 14), Calibration.none()));
        assertTrue(x.getMessage().contains("expected 2..13 bits, got 14"), x.getMessage());
        var y = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, base.withOption("attention_code_bits", 8)
                .withOption("int8_attention", true), Calibration.none()));
        assertTrue(y.getMessage().contains("exclude each other"), y.getMessage());
        assertThrows(ConfigException.class, () -> QuantMethods.apply(new FakeRegistry(), base.withOption("attention_code_bits", 8),
                Calibration.none()));
    }
}
