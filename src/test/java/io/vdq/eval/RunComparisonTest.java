package io.vdq.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.SafetensorsWriter;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunComparisonTest {
    @TempDir Path dir;

    private Path run(String name, Tensor lat, Map<String, String> meta) {
        Path d = dir.resolve(name);
        new SafetensorsWriter().metadata(meta).add("latents", lat).write(d.resolve(RunComparison.LATENTS));
        return d;
    }

    @Test
    void pixelRunsUseThePixelsAndTheReferenceRange() {
        // 3-channel "pixel" run: ref in [-1, 1], candidate = ref + 0.1 everywhere
        int n = 3 * 2 * 6 * 6;
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) { a[i] = (float) Math.sin(0.37 * i); b[i] = a[i] + 0.1f; }
        float lo = 1, hi = -1;
        for (float v : a) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        Path r = run("ref", Tensor.of(a, 1, 3, 2, 6, 6), Map.of("seed", "1"));
        Path c = run("cand", Tensor.of(b, 1, 3, 2, 6, 6), Map.of("seed", "1", "quant", "w4a8-minmax"));
        var res = RunComparison.compare(RunComparison.load(r), RunComparison.load(c));
        double mse = 0;
        for (int i = 0; i < n; i++) mse += ((double) b[i] - a[i]) * ((double) b[i] - a[i]);
        mse /= n; // ≈ 0.01 (float rounding of the shift)
        assertEquals(10 * Math.log10(((double) hi - lo) * ((double) hi - lo) / mse), res.psnr(), 1e-9);
        assertEquals(0.01, mse, 1e-6);
        assertEquals((double) hi - lo, res.frameRange(), 1e-12);
        assertTrue(res.ssim() < 1 && res.ssim() > 0.9, "a small constant shift keeps most of the structure: " + res.ssim());
        assertEquals("w4a8-minmax", res.run().recipe());
        assertNull(res.run().bitSchedule());
    }

    @Test
    void shapeAndSeedMismatchesAreRefusedNamingTheField() {
        Path r = run("ref", Tensor.randn(1, 1, 4, 2, 4, 4), Map.of("seed", "3"));
        Path wide = run("wide", Tensor.randn(1, 1, 4, 2, 4, 8), Map.of("seed", "3"));
        Path noSeed = run("noseed", Tensor.randn(1, 1, 4, 2, 4, 4), Map.of());
        var e = assertThrows(ConfigException.class, () -> RunComparison.compare(RunComparison.load(r), RunComparison.load(wide)));
        assertTrue(e.getMessage().contains("shape") && e.getMessage().contains("[4, 2, 4, 4]") && e.getMessage().contains("[4, 2, 4, 8]"), e.getMessage());
        var e2 = assertThrows(ConfigException.class, () -> RunComparison.compare(RunComparison.load(r), RunComparison.load(noSeed)));
        assertTrue(e2.getMessage().contains("seed") && e2.getMessage().contains(noSeed.toString()), e2.getMessage());
        assertThrows(ConfigException.class, () -> RunComparison.load(dir.resolve("missing")));
    }

    @Test
    void schedulesParseInBothFormats() {
        assertArrayEquals(new int[]{8, 8, 4, 4, 8}, RunComparison.parseSchedule("88448", dir));
        assertArrayEquals(new int[]{8, 16, 4}, RunComparison.parseSchedule("8,16,4", dir));
        assertEquals(6.4, RunComparison.mean(new int[]{8, 8, 4, 4, 8}), 1e-12);
        assertThrows(ConfigException.class, () -> RunComparison.parseSchedule("8x4", dir));
    }
}
