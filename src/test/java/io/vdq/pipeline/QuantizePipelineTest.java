package io.vdq.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.io.DType;
import io.vdq.model.Linear;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Granularity;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.dvd.ArqLinear;
import io.vdq.quant.vidit.TimestepSwitchedLinear;
import io.vdq.quant.QuantReport;
import io.vdq.quant.ckpt.CheckpointSize;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.quant.dvd.DvdQuantMethod;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class QuantizePipelineTest {
    @TempDir Path dir;

    static final int[] LATENT = {4, 2, 8, 8};

    static QuantizePipeline.Settings settings(String preset) {
        return new QuantizePipeline.Settings(Presets.resolve(preset), List.of("a red circle moving left", "a blue square moving up"),
                11, preset.contains("-dvd") ? 6 : 3, LATENT, 5f, 3.0, 64); // δ-GBS's 6-bit target needs > 3 steps (2 run high)
    }

    // GGUF recipes are not stored as checkpoints (export-gguf writes them): GgufMethodTest covers them
    static Stream<String> presets() { return Presets.all().entrySet().stream().filter(e -> !e.getValue().gguf()).map(java.util.Map.Entry::getKey); }

    /** One recipe of every method with its weights in groups of 8 along K (the tiny model's K is 24 or 32). */
    static Stream<String> grouped() {
        return Stream.of("w4a8-minmax", "w4a8-smoothquant", "w4a6-vidit", "w4a4-quarot", "w4a8-gptq", "w4a4-dvd", "w4a4/8-dvd", "w4a6-s2q")
                .map(p -> p + "+group_size=8");
    }

    @ParameterizedTest
    @MethodSource("grouped")
    void groupedRecipesOfEveryMethodStoreTheirGroupsAndRoundTrip(String spec) {
        savedAndLoadedModelGeneratesBitIdenticalLatents(spec);
        QuantizedCheckpoint.Loaded loaded = QuantizedCheckpoint.load(dir);
        assertEquals(Granularity.PER_GROUP, loaded.recipe().weightGranularity(), spec);
        assertEquals(8, loaded.recipe().groupSize(), spec);
        for (var e : loaded.model().linears().entrySet()) {
            Linear l = e.getValue() instanceof TimestepSwitchedLinear t ? t.variants().getFirst() : e.getValue();
            if (l instanceof QuantizedLinear q && q.weightParams() != null) {
                assertEquals(Granularity.PER_GROUP, q.weightParams().granularity(), spec + " " + e.getKey());
                assertEquals(8, q.weightParams().groupSize(), spec + " " + e.getKey());
            } else if (l instanceof ArqLinear a) {
                assertEquals(8, a.weights().groupSize(), spec + " " + e.getKey());
            }
        }
    }

    static int[] bits(Tensor t) {
        float[] a = t.toArray();
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    static byte[] readAll(Path f) {
        try {
            return java.nio.file.Files.readAllBytes(f);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Tensor generate(WanModel m, QuantReport rep) {
        return Sampling.sample(m, "unipc", 4, 3.0, 5f, 7, LATENT, QuantizePipeline.encode(m, "a green triangle moving right"), rep.hook());
    }

    @ParameterizedTest
    @MethodSource("presets")
    void savedAndLoadedModelGeneratesBitIdenticalLatents(String preset) {
        QuantizePipeline.Result res = QuantizePipeline.run(WanModel.random(WanConfig.tiny(), 0), settings(preset), QuantizePipeline.Progress.NONE);
        QuantizePipeline.save(res, dir, DType.F32);
        Tensor inMemory = generate(res.model(), res.report());
        QuantizedCheckpoint.Loaded loaded = QuantizedCheckpoint.load(dir);
        assertEquals(preset, loaded.recipe().name());
        for (var e : res.model().linears().entrySet()) {
            Linear l = loaded.model().linears().get(e.getKey());
            assertEquals(e.getValue().getClass(), l.getClass(), e.getKey());
        }
        if (DvdQuantMethod.controller(res.report()).isPresent())
            assertEquals(DvdQuantMethod.controller(res.report()).get().delta(), DvdQuantMethod.controller(loaded.report()).get().delta());
        // saving the loaded model again reproduces the file byte for byte (nothing is lost or re-derived differently)
        Path again = dir.resolve("again");
        QuantizedCheckpoint.save(again, loaded.model(), loaded.report(), loaded.baseSha256(), DType.F32, loaded.metadata());
        assertArrayEquals(readAll(dir.resolve(QuantizedCheckpoint.WEIGHTS)), readAll(again.resolve(QuantizedCheckpoint.WEIGHTS)), preset);
        Tensor fromFile = generate(loaded.model(), loaded.report());
        assertArrayEquals(bits(inMemory), bits(fromFile), preset + ": latents from the saved checkpoint differ");
        // and the in-memory model, run again, is unchanged by the save (a second run gives the same bits too)
        assertArrayEquals(bits(inMemory), bits(generate(res.model(), res.report())));
        assertTrue(res.rows().size() >= 1);
        // the size model used for Wan2.1-1.3B figures is the writer's layout: estimate = measured file, byte for byte
        CheckpointSize measured = CheckpointSize.measure(dir.resolve(QuantizedCheckpoint.WEIGHTS));
        assertEquals(CheckpointSize.estimate(WanConfig.tiny(), Presets.resolve(preset), DType.F32), measured);
    }

    @org.junit.jupiter.api.Test
    void bf16BaseKeepsItsFloatPartsInBf16AndStillRoundTripsBitIdentically() {
        Path base = dir.resolve("base"), out = dir.resolve("q");
        io.vdq.io.SafetensorsWriter w = new io.vdq.io.SafetensorsWriter();
        WanModel.random(WanConfig.tiny(), 0).toTensors().forEach((n, t) -> w.add(n, t, DType.BF16));
        w.write(base.resolve("diffusion_pytorch_model.safetensors"));
        WanModel m;
        try (var src = io.vdq.io.SafetensorsFile.open(base.resolve("diffusion_pytorch_model.safetensors"))) {
            m = WanModel.load(WanConfig.tiny(), src);
        }
        QuantizePipeline.Result res = QuantizePipeline.run(m, settings("w4a8-minmax"), QuantizePipeline.Progress.NONE);
        Tensor inMemory = generate(res.model(), res.report());
        QuantizePipeline.save(res, out, DType.BF16);
        try (var f = io.vdq.io.SafetensorsFile.open(out.resolve(QuantizedCheckpoint.WEIGHTS))) {
            assertEquals(DType.BF16, f.info("patch_embedding.weight").dtype());
            assertEquals(DType.BF16, f.info("blocks.0.attn1.to_q.bias").dtype());
            assertEquals(DType.U8, f.info("blocks.0.attn1.to_q.qweight").dtype());
            assertEquals(DType.F32, f.info("blocks.0.attn1.to_q.scales").dtype());
        }
        QuantizedCheckpoint.Loaded loaded = QuantizedCheckpoint.load(out);
        assertEquals(res.baseSha256(), loaded.baseSha256());
        assertArrayEquals(bits(inMemory), bits(generate(loaded.model(), loaded.report())));
    }

    @org.junit.jupiter.api.Test
    void tableCarriesTheMethodsExtraColumns() {
        var a = new io.vdq.quant.LayerReport("blocks.0.attn1.to_q", 24, 24, 4, 8, 1e-4, 0.01, "n")
                .withExtra("minmax", 2.5e-3).withExtra("refined", 1.25e-3);
        var b = new io.vdq.quant.LayerReport("blocks.0.attn1.to_k", 24, 24, 4, 8, 1e-4, 0.03, "");
        assertEquals(List.of("minmax", "refined"), List.copyOf(a.extra().keySet()));
        assertTrue(b.extra().isEmpty());
        String t = QuantizePipeline.table(List.of(
                new QuantizePipeline.LayerRow(a.name(), 24, 24, 4, 8, a.weightRelL2(), 0.02, a.note(), a.extra()),
                new QuantizePipeline.LayerRow(b.name(), 24, 24, 4, 8, b.weightRelL2(), 0.04, b.note(), b.extra())));
        List<String> lines = t.lines().toList();
        assertTrue(lines.get(0).contains("minmax") && lines.get(0).indexOf("minmax") < lines.get(0).indexOf("refined"), t);
        assertTrue(lines.get(1).contains("2.5000e-03") && lines.get(1).contains("1.2500e-03"), t);
        assertTrue(lines.get(3).startsWith("mean") && lines.get(3).contains("2.0000e-02") && lines.get(3).contains("3.0000e-02"), t);
    }
}
