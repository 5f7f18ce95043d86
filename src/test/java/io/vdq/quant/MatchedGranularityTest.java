package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Issue #25, matched granularity: every method reads the recipe's weight granularity, set by the {@code +group_size=}
 * override as for any preset. On a heavy-tailed layer (Student-t(3) weights, outliers spread over every row) groups of
 * 32 along K must give a lower weight error than one scale per output channel, for each method. S²Q needs a Wan model
 * and is checked in {@code S2qMethodTest}.
 */
class MatchedGranularityTest {
    static final String NAME = "blocks.0.ffn.net.0.proj";
    static final int OUT = 48, K = 256, ROWS = 64;

    /** Student-t(3) weights scaled by 1/√K: Z / sqrt(χ²₃/3), heavy tails on every row. */
    static FloatLinear heavyTailed(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[OUT * K];
        for (int i = 0; i < w.length; i++) {
            double chi = 0;
            for (int j = 0; j < 3; j++) { double g = r.nextGaussian(); chi += g * g; }
            w[i] = (float) (r.nextGaussian() / Math.sqrt(chi / 3) / Math.sqrt(K));
        }
        float[] b = new float[OUT];
        return new FloatLinear(w, b, OUT, K);
    }

    static Stream<String> presets() {
        return Stream.of("w4a8-minmax", "w4a8-smoothquant", "w4a6-vidit", "w4a4-quarot", "w4a8-gptq", "w4a8-dvd", "w4a4-dvd");
    }

    /** Mean relative weight error (LayerReport: folded transform, or BGR's refined stage) of one run of {@code spec} at A16. */
    static double weightError(String spec) {
        Recipe r = Presets.resolve(spec);
        r = r.withBits(4, 16).withPatterns(List.of("blocks.**"), List.of());
        FakeRegistry m = new FakeRegistry().put(NAME, heavyTailed(7));
        float[][] perStep = {TestData.outlierChannels(1, ROWS, K, 16, 8f), TestData.outlierChannels(2, ROWS, K, 16, 8f)};
        QuantReport rep = QuantMethods.apply(m, r, TestData.feed(m, NAME, perStep, ROWS));
        double sum = 0;
        for (LayerReport l : rep.layers()) sum += l.weightRelL2();
        return sum / rep.layers().size();
    }

    @ParameterizedTest
    @MethodSource("presets")
    void groupsOf32GiveALowerWeightErrorThanPerChannelForEveryMethod(String preset) {
        Recipe g = Presets.resolve(preset + "+group_size=32");
        assertEquals(Granularity.PER_GROUP, g.weightGranularity());
        assertEquals(32, g.groupSize());
        assertEquals(Presets.resolve(preset).options(), g.options(), "group_size is a recipe field, not a method option");
        double perChannel = weightError(preset + "+group_size=0"), g64 = weightError(preset + "+group_size=64"),
                g32 = weightError(preset + "+group_size=32");
        assertTrue(g32 < g64 && g64 < perChannel, preset + ": per channel " + perChannel + ", g64 " + g64 + ", g32 " + g32);
    }

    @Test
    void groupOverridesAreRecipeFieldsAndBadValuesAreRejected() {
        Recipe r = Presets.resolve("w4a8-minmax-g128+group_size=0");
        assertEquals(Granularity.PER_CHANNEL, r.weightGranularity());
        assertEquals(Granularity.PER_CHANNEL, Presets.resolve("w4a16-gptq+weight_granularity=per_channel").weightGranularity());
        assertEquals(Presets.get("w4a16-gptq-g128"), Presets.resolve("w4a16-gptq"), "the old name is an alias");
        assertEquals(128, Presets.get("w4a8-gptq-g128").groupSize());
        assertEquals(Granularity.PER_GROUP, Presets.get("w4a8-dvd-g128").weightGranularity());
        assertThrows(ConfigException.class, () -> Presets.resolve("w4a8-minmax+group_size=-4"));
        assertThrows(ConfigException.class, () -> Presets.resolve("w4a8-minmax+group_size=big"));
        assertThrows(ConfigException.class, () -> Presets.resolve("w4a8-minmax+weight_granularity=per_token"));
    }
}
