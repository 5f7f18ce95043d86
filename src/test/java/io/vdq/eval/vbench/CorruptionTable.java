package io.vdq.eval.vbench;

import io.vdq.synth.*;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Prints the validation table of docs/VBENCH_LITE.md §3 (not a test; run it with
 * {@code mvn -q test-compile && java -cp target/classes:target/test-classes io.vdq.eval.vbench.CorruptionTable}).
 */
public final class CorruptionTable {
    interface Corruption { Tensor apply(Tensor v, SceneSpec spec, int i); }

    /** Per-frame, per-channel separable Gaussian blur (radius ⌈3σ⌉, edge pixels repeated outside the frame). */
    static Tensor gaussianBlur(Tensor v, double sigma) {
        int f = v.dim(0), h = v.dim(1), w = v.dim(2), rad = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * rad + 1];
        double z = 0;
        for (int i = -rad; i <= rad; i++) z += k[i + rad] = Math.exp(-i * i / (2 * sigma * sigma));
        float[] src = v.data(), tmp = new float[src.length];
        Tensor o = v.copy();
        float[] dst = o.data();
        for (int t = 0; t < f; t++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++) {
                        double acc = 0;
                        for (int i = -rad; i <= rad; i++) acc += k[i + rad] * src[((t * h + y) * w + Math.clamp(x + i, 0, w - 1)) * 3 + c];
                        tmp[((t * h + y) * w + x) * 3 + c] = (float) (acc / z);
                    }
        for (int t = 0; t < f; t++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++) {
                        double acc = 0;
                        for (int i = -rad; i <= rad; i++) acc += k[i + rad] * tmp[((t * h + Math.clamp(y + i, 0, h - 1)) * w + x) * 3 + c];
                        dst[((t * h + y) * w + x) * 3 + c] = (float) (acc / z);
                    }
        return o;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 48, F = 16, H = 32, W = 32;
        Map<String, Corruption> cs = new LinkedHashMap<>();
        cs.put("ground truth", (v, s, i) -> v);
        for (double sigma : new double[]{0.02, 0.05, 0.1}) cs.put("+ Gaussian noise σ = " + sigma, (v, s, i) -> VBenchLiteTest.addNoise(v, sigma, i));
        cs.put("3×3 box blur", (v, s, i) -> VBenchLiteTest.boxBlur(v));
        cs.put("frozen (all frames = frame 0)", (v, s, i) -> {
            Tensor o = v.copy();
            for (int f = 1; f < F; f++) o.row(f).copyFrom(v.row(0));
            return o;
        });
        cs.put("frames shuffled", (v, s, i) -> {
            Tensor o = v.copy();
            List<Integer> idx = new ArrayList<>();
            for (int f = 0; f < F; f++) idx.add(f);
            Collections.shuffle(idx, new Random(i));
            for (int f = 0; f < F; f++) o.row(f).copyFrom(v.row(idx.get(f)));
            return o;
        });
        cs.put("wrong object colour", (v, s, i) -> Renderer.render(new SceneSpec(s.shape(),
                ObjectColor.values()[(s.color().ordinal() + 1) % ObjectColor.values().length], s.direction(), s.travel(),
                s.x0(), s.y0(), s.size(), s.background()), F, H, W));
        cs.put("wrong shape", (v, s, i) -> Renderer.render(new SceneSpec(
                ObjectShape.values()[(s.shape().ordinal() + 1) % ObjectShape.values().length], s.color(), s.direction(),
                s.travel(), s.x0(), s.y0(), s.size(), s.background()), F, H, W));
        cs.put("Gaussian blur σ = 1.3 px", (v, s, i) -> gaussianBlur(v, 1.3));
        cs.put("brightness ×1.15 on odd frames", (v, s, i) -> {
            Tensor o = v.copy();
            float[] d = o.data();
            for (int f = 1; f < F; f += 2) for (int k = f * H * W * 3; k < (f + 1) * H * W * 3; k++) d[k] = Math.min(1, d[k] * 1.15f);
            return o;
        });
        System.out.println("| videos | colour | shape | direction | smoothness | subject | background | dynamic | imaging |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (var e : cs.entrySet()) {
            List<VideoScore> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                SceneSpec s = SpecSampler.standard().sample(SpecSampler.Split.VALIDATION.seed(i));
                all.add(VBenchLite.score(e.getValue().apply(Renderer.render(s, F, H, W), s, i), s));
            }
            StringBuilder sb = new StringBuilder("| " + e.getKey() + " |");
            for (double x : VBenchLite.mean(all)) sb.append(String.format(java.util.Locale.ROOT, " %.1f |", 100 * x));
            System.out.println(sb);
        }
    }
}
