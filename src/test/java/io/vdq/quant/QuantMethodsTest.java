package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuantMethodsTest {
    @Test
    void everyPresetMethodIsRegisteredAndRunsOnAWanLikeModel() {
        for (var p : Presets.all().values()) {
            Recipe r = p.recipe();
            assertNotNull(QuantMethods.get(r.method()), r.method());
            FakeRegistry m = FakeRegistry.wanLike(1, 2, 16, 32);
            if (r.method().equals("s2q")) { // replays Wan blocks: runs end to end in S2qMethodTest and the CLI tests
                var e = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, r, Calibration.none()));
                assertTrue(e.getMessage().contains(r.name()) && e.getMessage().contains("WanModel"), e.getMessage());
                continue;
            }
            float[][] xs = new float[4][];
            Calibration cal = Calibration.of(4, tag -> {
                for (int s = 0; s < 4; s++) {
                    tag.set(s, 4, 1000f - 250 * s);
                    for (var e : m.linears().entrySet()) {
                        var l = e.getValue();
                        float[] x = io.vdq.tensor.Tensor.randn(s * 31L + e.getKey().hashCode(), 8, l.inFeatures()).data();
                        l.forward(x, 0, 8, new float[8 * l.outFeatures()], 0);
                    }
                }
            });
            QuantReport rep = QuantMethods.apply(m, r, cal);
            int quantized = 0;
            for (var e : m.linears().entrySet()) {
                boolean floatLayer = e.getValue() instanceof io.vdq.model.FloatLinear;
                assertEquals(!r.selects(e.getKey()), floatLayer, p.recipe().name() + " " + e.getKey());
                if (!floatLayer) quantized++;
            }
            assertEquals(20, quantized);
            assertTrue(rep.layers().size() >= 20);
            for (LayerReport l : rep.layers()) assertTrue(l.weightRelL2() > 0 && l.weightRelL2() < 0.3, l.toString());
            // the quantized model still runs
            var y = new float[3 * 16];
            rep.hook().beforeStep(1, 4, 750f);
            m.linears().get("blocks.1.ffn.net.2").forward(io.vdq.tensor.Tensor.randn(9, 3, 32).data(), 0, 3, y, 0);
            for (float v : y) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void misspeltOptionsAreRefusedAndDeclaredOnesAccepted() throws Exception {
        for (var p : Presets.all().values()) QuantMethods.settings(p.recipe().withOption("int8_attention", true));
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("bench/recipes"))) { // the shipped recipe files
            for (var f : files.toList()) QuantMethods.settings(RecipeJson.read(f));
        }
        var e = assertThrows(ConfigException.class, () -> QuantMethods.settings(Presets.resolve("w4a6-s2q+lamda_min=0")));
        assertTrue(e.getMessage().contains("'lamda_min'") && e.getMessage().contains("'s2q'") && e.getMessage().contains("lambda_min"), e.getMessage());
        FakeRegistry m = FakeRegistry.wanLike(1, 1, 8, 8);
        Recipe typo = Presets.get("w8a8-minmax").withOption("static_activation", true);
        e = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, typo, Calibration.none()));
        assertTrue(e.getMessage().contains("'static_activation'") && e.getMessage().contains("[static_activations]"), e.getMessage());
        assertTrue(m.linears().values().stream().allMatch(l -> l instanceof io.vdq.model.FloatLinear), "nothing replaced");
    }

    @Test
    void unknownMethodNamesTheKnownOnes() {
        var e = assertThrows(ConfigException.class, () -> QuantMethods.get("awq"));
        assertTrue(e.getMessage().contains("gptq") && e.getMessage().contains("minmax"), e.getMessage());
    }

    @Test
    void patternsThatSelectNothingAreAnError() {
        FakeRegistry m = FakeRegistry.wanLike(1, 1, 8, 8);
        Recipe r = Presets.get("w8a8-minmax").withPatterns(List.of("transformer_blocks.**"), List.of());
        var e = assertThrows(ConfigException.class, () -> QuantMethods.apply(m, r, Calibration.none()));
        assertTrue(e.getMessage().contains("selects no layer"));
        Recipe twice = Presets.get("w8a8-minmax");
        QuantMethods.apply(m, twice, Calibration.none());
        assertThrows(ConfigException.class, () -> QuantMethods.apply(m, twice, Calibration.none()), "quantizing twice");
    }

    @Test
    void probedWeightErrorAgreesWithTheMethodsOwnReport() {
        for (String preset : new String[]{"w8a8-minmax", "w4a4-quarot-rtn"}) {
            FakeRegistry m = FakeRegistry.wanLike(2, 1, 16, 32);
            var before = new java.util.LinkedHashMap<>(m.linears());
            QuantReport rep = QuantMethods.apply(m, Presets.get(preset), Calibration.none());
            var probe = io.vdq.eval.LayerErrorReport.compare(before, m.linears(), 0, 1);
            assertEquals(rep.layers().size(), probe.rows().size());
            for (int i = 0; i < rep.layers().size(); i++) {
                assertEquals(rep.layers().get(i).name(), probe.rows().get(i).name());
                // an orthogonal rotation keeps the Frobenius error, so both bases give the same relative error
                assertEquals(rep.layers().get(i).weightRelL2(), probe.rows().get(i).weight().relL2(),
                        1e-4 * rep.layers().get(i).weightRelL2() + 1e-6, preset + " " + rep.layers().get(i).name());
            }
        }
    }
}
