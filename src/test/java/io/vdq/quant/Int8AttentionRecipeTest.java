package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The recipe option int8_attention swaps the model's self-attention for int8 Q·Kᵀ attention. */
class Int8AttentionRecipeTest {
    static float[] forward(WanModel m) {
        WanConfig c = m.config();
        Tensor lat = Tensor.randn(5, c.inChannels(), 2, 8, 8);
        return m.forward(lat, 500f, Tensor.randn(6, 7, c.textDim())).toArray();
    }

    @Test
    void int8AttentionChangesTheOutputOnlySlightly() {
        Recipe base = Presets.resolve("w4a4-dvd").withBits(8, 8).withOption("bgr_max_iterations", 0); // DVD checks its options
        WanModel plain = WanModel.random(WanConfig.tiny(), 3), attn8 = WanModel.random(WanConfig.tiny(), 3);
        QuantMethods.apply(plain, base, Calibration.none());
        QuantMethods.apply(attn8, base.withOption("int8_attention", true), Calibration.none());
        float[] a = forward(plain), b = forward(attn8);
        double e = 0, n = 0;
        for (int i = 0; i < a.length; i++) { e += (double) (a[i] - b[i]) * (a[i] - b[i]); n += (double) a[i] * a[i]; }
        double rel = Math.sqrt(e / n);
        assertTrue(rel > 0, "the attention was replaced");
        assertTrue(rel < 3e-2, "int8 attention changes a W8A8 model's output by rel L2 " + rel);
        attn8.setSelfAttention(null); // back to the float kernel: the same output as the plain model
        assertArrayEquals(a, forward(attn8), 0f);
    }

    @Test
    void int8PVIsAFurtherStepAndNeedsInt8Attention() {
        Recipe base = Presets.resolve("w4a4-dvd").withBits(8, 8).withOption("bgr_max_iterations", 0);
        WanModel qk = WanModel.random(WanConfig.tiny(), 3), pv = WanModel.random(WanConfig.tiny(), 3);
        QuantMethods.apply(qk, base.withOption("int8_attention", true), Calibration.none());
        QuantMethods.apply(pv, base.withOption("int8_attention", true).withOption("int8_attention_pv", true), Calibration.none());
        float[] a = forward(qk), b = forward(pv);
        double e = 0, n = 0;
        for (int i = 0; i < a.length; i++) { e += (double) (a[i] - b[i]) * (a[i] - b[i]); n += (double) a[i] * a[i]; }
        double rel = Math.sqrt(e / n);
        assertTrue(rel > 0 && rel < 5e-2, "int8 P·V changes the output by rel L2 " + rel);
        var m = WanModel.random(WanConfig.tiny(), 3);
        var x = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, base.withOption("int8_attention_pv", true), Calibration.none()));
        assertTrue(x.getMessage().contains("needs 'int8_attention: true'"), x.getMessage());
    }

    @Test
    void modelsWithoutReplaceableAttentionAreRefused() {
        FakeRegistry r = new FakeRegistry();
        assertThrows(ConfigException.class, () -> QuantMethods.apply(r,
                Presets.resolve("w8a8-minmax").withOption("int8_attention", true), Calibration.none()));
    }
}
