package io.vdq.scale;

import io.vdq.io.DType;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.model.wan.WanParameters;
import io.vdq.pipeline.Sampling;
import io.vdq.quant.Calibration;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Issue #31's case in memory: a random Wan model (dim 256 = 2 heads × 128, FFN 1024, text dim 64, Student-t(4)
 * weights, no weight or modulation outliers) whose residual stream has dim/12 = 21 outlier channels made at the
 * patch embedding, built by {@link SyntheticCheckpoint#tensor} exactly as {@code vdq make-checkpoint
 * --residual-outliers 21 ...} writes it; sampled by UniPC with CFG 5, shift 3, in full precision and with a recipe
 * from the same noise. {@link #main} prints latent relative L2 and PSNR against full precision per seed:
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:target/lib/*
 * io.vdq.scale.ResidualOutlierCase [biasScale] [layers] [seeds…]} (-Dsteps=8 -Dframes=13
 * -Drecipes=w4a4-dvd,w4a4-quarot-rtn,w4a4-minmax).
 */
public final class ResidualOutlierCase {
    private ResidualOutlierCase() {}

    /** The issue's shape with {@code layers} blocks. */
    public static WanConfig config(int layers) {
        WanConfig b = WanConfig.wan21T2V1_3B();
        return new WanConfig(b.patchT(), b.patchH(), b.patchW(), 2, 128, b.inChannels(), b.outChannels(), 64, b.freqDim(), 1024,
                layers, b.crossAttnNorm(), b.qkNorm(), b.eps(), b.ropeMaxSeqLen());
    }

    /** The make-checkpoint options: 21 residual channels, weights ×8, bias ×{@code biasScale}. */
    public static SyntheticCheckpoint.Options options(long seed, double biasScale) {
        return new SyntheticCheckpoint.Options(io.vdq.scale.HeavyTailed.parse("student-t", 4), 0, 10, seed, DType.F32, 21, 8, biasScale);
    }

    private static final Map<String, Map<String, float[]>> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /** A fresh model (its own copies of the weights; the generated values are cached per config and options). */
    public static WanModel model(WanConfig c, SyntheticCheckpoint.Options o) {
        Map<String, float[]> v = CACHE.computeIfAbsent(c + "|" + o, k -> {
            Map<String, float[]> m = new LinkedHashMap<>();
            for (var e : WanParameters.expectedShapes(c).entrySet()) m.put(e.getKey(), SyntheticCheckpoint.tensor(c, e.getKey(), e.getValue(), o));
            return m;
        });
        Map<String, int[]> shapes = WanParameters.expectedShapes(c);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (var e : v.entrySet()) t.put(e.getKey(), Tensor.of(e.getValue().clone(), shapes.get(e.getKey())));
        return WanModel.load(c, new InMemoryTensorSource(t));
    }

    /** Latents of {@code frames}×{@code size}² pixels (13 × 128² in the issue) sampled with {@code recipe} (null: FP). */
    public static float[] sample(WanConfig c, SyntheticCheckpoint.Options o, Recipe recipe, long seed, int steps, int frames, int size) {
        WanModel m = model(c, o);
        SamplerHook hook = SamplerHook.NONE;
        if (recipe != null) {
            QuantReport rep = QuantMethods.apply(m, recipe, Calibration.none());
            hook = rep.hook() == null ? SamplerHook.NONE : rep.hook();
        }
        Tensor text = Tensor.randn(seed ^ 0x7e57L, 16, c.textDim());
        Tensor padded = Tensor.zeros(64, c.textDim());
        System.arraycopy(text.data(), text.offset(), padded.data(), 0, text.size());
        int[] shape = {c.inChannels(), (frames - 1) / 4 + 1, size / 8, size / 8};
        return Sampling.sample(m, "unipc", steps, 3.0, 5f, seed, shape, padded, hook).toArray();
    }

    public static double psnr(float[] ref, float[] cand) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : ref) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        return io.vdq.eval.Fidelity.psnr(ref, cand, hi - lo);
    }

    public static void main(String[] args) {
        double bias = args.length > 0 ? Double.parseDouble(args[0]) : 25;
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        String[] recipes = System.getProperty("recipes", "w4a4-dvd,w4a4-quarot-rtn,w4a4-minmax").split(",");
        WanConfig c = config(layers);
        int steps = Integer.getInteger("steps", 8), frames = Integer.getInteger("frames", 13);
        for (int i = 2; i < Math.max(args.length, 3); i++) {
            long seed = args.length > 2 ? Long.parseLong(args[i]) : 3;
            SyntheticCheckpoint.Options o = options(seed, bias);
            float[] fp = sample(c, o, null, seed, steps, frames, 128);
            StringBuilder sb = new StringBuilder("seed " + seed + ":");
            for (String r : recipes) {
                float[] q = sample(c, o, Presets.resolve(r), seed, steps, frames, 128);
                sb.append(String.format(Locale.ROOT, "  %s relL2 %.4f PSNR %.2f", r, io.vdq.eval.Fidelity.relL2(fp, q), psnr(fp, q)));
            }
            System.out.println(sb);
        }
    }
}
