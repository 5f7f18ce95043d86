package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** No method quantizes a layer holding NaN or ±Inf: the common target selection refuses it, naming layer and row. */
class NonFiniteWeightsTest {
    @ParameterizedTest
    @ValueSource(strings = {"w4a4-minmax", "w4a4-dvd", "w4a8-gptq", "w4a8-smoothquant", "w4a4-quarot-rtn"})
    void nanAndInfWeightsAreRefusedNamingLayerAndRow(String preset) {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            WanModel m = WanModel.random(WanConfig.tiny(), 0);
            FloatLinear k = (FloatLinear) m.linears().get("blocks.1.attn1.to_k");
            k.weight()[3 * k.inFeatures() + 7] = bad;
            Calibration cal = Calibration.none();
            var e = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Presets.get(preset), cal));
            assertTrue(e.getMessage().contains("layer 'blocks.1.attn1.to_k': weight row 3 column 7 is " + bad), preset + ": " + e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"w4a8-minmax"})
    void aNonFiniteBiasIsRefused(String preset) {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        FloatLinear v = (FloatLinear) m.linears().get("blocks.0.attn2.to_v");
        v.bias()[1] = Float.NaN;
        var e = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Presets.get(preset), Calibration.none()));
        assertTrue(e.getMessage().contains("layer 'blocks.0.attn2.to_v': bias element 1 is NaN"), e.getMessage());
    }

    @Test
    void aHessianWithNonFiniteEntriesNamesTheLayer() {
        double[] h = {1, 0, 0, Double.NaN};
        var e = assertThrows(ConfigException.class, () -> HessianFactor.upperCholeskyOfInverse(h, 2, "GPTQ blocks.0.attn1.to_k"));
        assertTrue(e.getMessage().startsWith("GPTQ blocks.0.attn1.to_k: Hessian of the calibration inputs holds NaN at input channel 1"),
                e.getMessage());
    }
}
