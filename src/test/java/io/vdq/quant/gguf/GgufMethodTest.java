package io.vdq.quant.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import io.vdq.io.gguf.GgmlBlocks;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.quant.Calibration;
import io.vdq.quant.FakeRegistry;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufMethodTest {
    static final int DIM = 256, FFN = 512, TOKENS = 512;

    /** Correlated inputs (AR(1) along channels, log-normal channel scales) of width {@code k}. */
    static float[] inputs(long seed, int k) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] s = new float[k];
        for (int c = 0; c < k; c++) s[c] = (float) Math.exp(0.7 * rnd.nextGaussian());
        float[] x = new float[TOKENS * k];
        for (int t = 0; t < TOKENS; t++) {
            double p = rnd.nextGaussian();
            for (int c = 0; c < k; c++) { p = 0.8 * p + 0.6 * rnd.nextGaussian(); x[t * k + c] = (float) (p * s[c]); }
        }
        return x;
    }

    /** Calibration that feeds each layer its own fixed inputs (what the recorder sees). */
    static Calibration calibration(FakeRegistry m, Map<String, float[]> xs) {
        return Calibration.of(1, tag -> {
            tag.set(0, 1, 500f);
            xs.forEach((name, x) -> {
                Linear l = m.linears().get(name);
                l.forward(x, 0, TOKENS, new float[TOKENS * l.outFeatures()], 0);
            });
        });
    }

    static double outputError(float[] x, float[] w, float[] wq, int out, int k) {
        double num = 0, den = 0;
        for (int t = 0; t < TOKENS; t++)
            for (int r = 0; r < out; r++) {
                double y = 0, yq = 0;
                for (int c = 0; c < k; c++) { y += (double) x[t * k + c] * w[r * k + c]; yq += (double) x[t * k + c] * wq[r * k + c]; }
                num += (y - yq) * (y - yq);
                den += y * y;
            }
        return Math.sqrt(num / den);
    }

    record Run(Map<String, float[]> weights, Map<String, float[]> quantized, Map<String, float[]> inputs, QuantReport report) {}

    static Run run(String recipe) {
        FakeRegistry m = FakeRegistry.wanLike(3, 1, DIM, FFN);
        Map<String, float[]> w = new LinkedHashMap<>(), xs = new LinkedHashMap<>(), q = new LinkedHashMap<>();
        long seed = 40;
        for (var e : m.linears().entrySet()) {
            if (!e.getKey().startsWith("blocks.")) continue;
            w.put(e.getKey(), ((FloatLinear) e.getValue()).weight().clone());
            xs.put(e.getKey(), inputs(seed++, e.getValue().inFeatures()));
        }
        QuantReport rep = QuantMethods.apply(m, Presets.resolve(recipe), calibration(m, xs));
        for (String n : w.keySet()) q.put(n, ((QuantizedLinear) m.linears().get(n)).dequantizedWeight());
        assertTrue(m.linears().get("proj_out") instanceof FloatLinear, "layers outside the selection stay float");
        return new Run(w, q, xs, rep);
    }

    @Test
    void refRecipeGivesExactlyTheDecodedReferenceBytes() {
        Run r = run("gguf-q4_k");
        assertEquals(10, r.report().layers().size());
        r.weights().forEach((name, w) -> {
            int k = name.endsWith("ffn.net.2") ? FFN : DIM, out = w.length / k;
            for (int row = 0; row < out; row++) {
                float[] y = GgmlBlocks.decode(GgmlType.Q4_K, GgmlRefQuant.encode(GgmlType.Q4_K, w, row * k, k), k);
                float[] got = java.util.Arrays.copyOfRange(r.quantized().get(name), row * k, (row + 1) * k);
                assertArrayEquals(y, got, name + " row " + row);
            }
        });
    }

    /** Summed over the block's layers, on their calibration inputs: gptq < bgr (importance) < ref. */
    @Test
    void dataAwareEncodersLowerTheOutputError() {
        for (String type : new String[]{"q4_k", "q3_k"}) {
            double[] e = new double[3];
            String[] enc = {"", "-bgr", "-gptq"};
            for (int i = 0; i < 3; i++) {
                Run r = run("gguf-" + type + enc[i]);
                for (String n : r.weights().keySet()) {
                    int k = r.inputs().get(n).length / TOKENS;
                    e[i] += outputError(r.inputs().get(n), r.weights().get(n), r.quantized().get(n), r.weights().get(n).length / k, k);
                }
            }
            assertTrue(e[1] < e[0], type + ": bgr " + e[1] + " vs ref " + e[0]);
            assertTrue(e[2] < 0.9 * e[1], type + ": gptq " + e[2] + " vs bgr " + e[1]);
        }
    }

    @Test
    void presetsAreOnRequestAndRecipesAreChecked() {
        for (String t : new String[]{"q8_0", "q5_k", "q4_k", "q4_0", "q3_k"})
            for (String s : new String[]{"", "-bgr", "-gptq"}) {
                Presets.Preset p = Presets.all().get("gguf-" + t + s);
                assertTrue(p.gguf(), t + s);
                assertFalse(p.ablation(), t + s);
                assertEquals(t, ((GgufSettings) QuantMethods.settings(p.recipe())).type().name().toLowerCase(java.util.Locale.ROOT));
            }
        FakeRegistry m = FakeRegistry.wanLike(1, 1, DIM, FFN);
        assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Recipe.of("x", "gguf", 4, 16, Map.of()), Calibration.none()));
        assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Recipe.of("x", "gguf", 4, 16, Map.of("type", "f16")), Calibration.none()));
        assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Recipe.of("x", "gguf", 4, 16, Map.of("type", "q4_k", "encoder", "awq")), Calibration.none()));
        assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Recipe.of("x", "gguf", 4, 8, Map.of("type", "q4_k")), Calibration.none()));
        ConfigException none = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Presets.get("gguf-q4_k-gptq"), Calibration.none()));
        assertTrue(none.getMessage().contains("blocks.0.attn1.to_q' saw no input"), none.getMessage());   // the recorder's refusal
    }

    @Test
    void checkpointsOfGgufRecipesAreRefusedWithAPointerToExportGguf(@TempDir Path dir) {
        Run r = run("gguf-q8_0");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> QuantizedCheckpoint.save(dir.resolve("c"), null, r.report(), "x", DType.F32, Map.of()));
        assertTrue(e.getMessage().contains("vdq export-gguf --type q8_0 --method ref"), e.getMessage());
    }
}
