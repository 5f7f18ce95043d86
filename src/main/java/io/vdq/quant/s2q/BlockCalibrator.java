package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.Granularity;
import io.vdq.quant.QuantizedLinear;
import io.vdq.tensor.Parallel;
import io.vdq.train.AdamW;
import io.vdq.train.CosineSchedule;
import io.vdq.train.FakeQuantSTE;
import io.vdq.train.LinearLayer;
import io.vdq.train.Ops;
import io.vdq.train.Param;
import io.vdq.train.RopeTable;
import io.vdq.train.WanBlockLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * S²Q-VDiT block-wise reconstruction of one Wan block (FlatQuant's loop, docs/QUANT.md): the FP block
 * maps each calibration sample's FP input to its FP output (cached); one {@link LearnableTransform} per group of
 * linears reading the same activation (attn1 q/k/v; attn1 out; attn2 q; attn2 k/v on the text; attn2 out; FFN up;
 * FFN down) plus learnable per-row (or per-group, with the recipe's group size) weight clipping (and, as an option, per-layer activation clipping) are trained
 * through fake quantization with a straight-through estimator on the token-weighted loss of
 * {@link TokenWeightedLoss}, λ from the FP self-attention ({@link TokenImportance}, attn1 only: its keys are the
 * block's output tokens; cross-attention keys are text tokens). AdamW (no decay), cosine decay to lr·1e-3.
 * Then the transforms are folded into the weights and GPTQ ({@link ClippedGptq}) quantizes them with the Hessian of
 * the transformed FP inputs. The next block's inputs are this block's FP outputs (errors do not propagate).
 */
public final class BlockCalibrator {
    private BlockCalibrator() {}

    /** One calibration sequence: FP block input (n × dim), projected text (m × dim), timestep projection (6·dim). */
    public record Sample(float[] x, float[] text, float[] tproj) {}

    /** Everything the loop needs besides the data. */
    public record Settings(int weightBits, int activationBits, int epochs, int batch, double lr, double clipLr, boolean learnActClip,
                           boolean learnRotation, LearnableTransform.RotationInit rotationInit, double alpha, boolean std,
                           float lambdaMin, float lambdaMax, double damp, long seed, int groupSize) {
        public Settings {
            if (weightBits < 2 || weightBits > 8) throw new ConfigException("S²Q: weight_bits " + weightBits + ", expected 2..8");
            if (groupSize < 0) throw new ConfigException("S²Q: weight group size " + groupSize + ", expected 0 (per channel) or >= 1");
            if (epochs < 0 || batch < 1) throw new ConfigException("S²Q: epochs (" + epochs + ") must be >= 0 and batch (" + batch + ") >= 1");
            if (!(alpha >= 0 && alpha <= 1)) throw new ConfigException("S²Q: option 'alpha' = " + alpha + ", expected 0..1");
        }

        /** Per-channel weights (groupSize 0). */
        public Settings(int weightBits, int activationBits, int epochs, int batch, double lr, double clipLr, boolean learnActClip,
                        boolean learnRotation, LearnableTransform.RotationInit rotationInit, double alpha, boolean std,
                        float lambdaMin, float lambdaMax, double damp, long seed) {
            this(weightBits, activationBits, epochs, batch, lr, clipLr, learnActClip, learnRotation, rotationInit, alpha, std,
                    lambdaMin, lambdaMax, damp, seed, 0);
        }

        boolean floatActivations() { return activationBits == 0 || activationBits >= 16; }

        /** Weight scales (and clipping values) per row of a layer with K inputs: 1, or ceil(K / groupSize). */
        int groups(int k) { int w = ClippedGptq.width(k, groupSize); return (k + w - 1) / w; }
    }

    /**
     * The quantized layers by name, this block's FP outputs (next inputs), the λ-weighted loss before/after and per
     * epoch, and how concentrated STD's weights were: the mean λ and the share of tokens with λ above the middle of
     * [λ_min, λ_max] (both NaN without STD).
     */
    public record Result(LinkedHashMap<String, QuantizedLinear> layers, List<float[]> outputs, double lossBefore, double lossAfter,
                         double[] epochLoss, double lambdaMean, double lambdaHighShare, double topDecileShare) {}

    /** Group of each of {@link WanBlockLayer#linears()}: attn1 qkv, attn1 out, attn2 q, attn2 kv, attn2 out, ffn up, ffn down. */
    static final int[] GROUP = {0, 0, 0, 1, 2, 3, 3, 4, 5, 6};
    static final int GROUPS = 7;

    /**
     * Calibrates {@code block} on {@code samples} (each n video tokens, m text tokens) and returns the quantized
     * replacements of the layers named in {@code quantize}; the block's hooks are cleared on return.
     */
    public static Result run(WanBlockLayer block, List<Sample> samples, int n, int m, int dim, int heads, int headDim, RopeTable rope,
                             Set<String> quantize, Settings s, ActivationBits deployBits, Consumer<String> progress) {
        LinearLayer[] lin = block.linears();
        for (LinearLayer l : lin) { l.setInputFn(null); l.setWeightFn(null); }
        int S = samples.size();
        if (S == 0) throw new ConfigException("S²Q: no calibration samples");
        // 1. FP pass: targets, λ, per-group input abs max and XᵀX
        List<float[]> target = new ArrayList<>(), lambda = new ArrayList<>();
        double topShareSum = 0; // Σ over samples of the attention share of the top 10 % of tokens
        int[] width = new int[GROUPS];
        for (int i = 0; i < lin.length; i++) width[GROUP[i]] = lin[i].in();
        boolean[] active = new boolean[GROUPS];
        for (int i = 0; i < lin.length; i++) if (quantize.contains(lin[i].name())) active[GROUP[i]] = true;
        float[][] xmax = new float[GROUPS][];
        double[][] hraw = new double[GROUPS][];
        for (int g = 0; g < GROUPS; g++) if (active[g]) { xmax[g] = new float[width[g]]; hraw[g] = new double[width[g] * width[g]]; }
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int b0 = 0; b0 < S; b0 += s.batch()) {
            int[] idx = range(b0, Math.min(S, b0 + s.batch()));
            WanBlockLayer.Cache c = block.forward(cat(samples, idx, 0), cat(samples, idx, 1), cat(samples, idx, 2), idx.length, n, m, rope);
            for (int k = 0; k < idx.length; k++) {
                target.add(Arrays.copyOfRange(c.y(), k * n * dim, (k + 1) * n * dim));
                if (s.std()) {
                    float[] q = c.a1().att().q(), kk = c.a1().att().k();
                    int inner = heads * headDim;
                    double[] col = TokenImportance.receivedAttention(q, k * n * inner, inner, kk, k * n * inner, inner, n, n, heads, headDim,
                            scale, TokenImportance.DEFAULT_CHUNK);
                    lambda.add(TokenImportance.lambdas(col, s.lambdaMin(), s.lambdaMax()));
                    topShareSum += TokenImportance.topShare(col, 0.1);
                }
            }
            LinearLayer.Cache[] in = groupInputs(c);
            for (int g = 0; g < GROUPS; g++) {
                if (!active[g]) continue;
                int d = width[g], rows = in[g].rows();
                float[] x = in[g].x();
                for (int r = 0; r < rows; r++) for (int j = 0; j < d; j++) xmax[g][j] = Math.max(xmax[g][j], Math.abs(x[r * d + j]));
                addGram(x, rows, d, hraw[g]);
            }
        }
        // 2. transforms and quantizers
        LearnableTransform[] tr = new LearnableTransform[GROUPS];
        for (int g = 0; g < GROUPS; g++) {
            if (!active[g]) continue;
            float[] wmax = new float[width[g]];
            for (int i = 0; i < lin.length; i++) {
                if (GROUP[i] != g) continue;
                float[] w = lin[i].weight().v();
                int d = width[g];
                for (int r = 0; r < lin[i].out(); r++) for (int j = 0; j < d; j++) wmax[j] = Math.max(wmax[j], Math.abs(w[r * d + j]));
            }
            float[] c0 = new float[width[g]];
            for (int j = 0; j < c0.length; j++)
                c0[j] = xmax[g][j] > 0 && wmax[j] > 0
                        ? (float) Math.max(1e-5, Math.pow(xmax[g][j], s.alpha()) / Math.pow(wmax[j], 1 - s.alpha())) : 1f;
            tr[g] = new LearnableTransform(lin[firstOf(g)].name() + ".s2q", c0, s.rotationInit(), s.learnRotation(), s.seed() * 31 + g);
        }
        List<Param> params = new ArrayList<>();
        for (LearnableTransform t : tr) if (t != null) params.addAll(t.params());
        Param[] wClip = new Param[lin.length], aClip = new Param[lin.length];
        for (int i = 0; i < lin.length; i++) {
            if (!quantize.contains(lin[i].name())) continue;
            LearnableTransform t = tr[GROUP[i]];
            int ng = s.groups(lin[i].in());
            wClip[i] = FakeQuantSTE.clipParam(lin[i].name() + ".w_clip", lin[i].out() * ng, 4f).lrScale(s.clipLr() / s.lr());
            params.add(wClip[i]);
            lin[i].setWeightFn(t.weightFn(ng == 1 ? FakeQuantSTE.perChannelWeight(s.weightBits(), wClip[i])
                    : FakeQuantSTE.perGroupWeight(s.weightBits(), wClip[i], s.groupSize())));
            FakeQuantSTE aq = null;
            if (!s.floatActivations()) {
                Param a = FakeQuantSTE.clipParam(lin[i].name() + ".a_clip", 1, s.learnActClip() ? 4f : 30f).lrScale(s.clipLr() / s.lr());
                if (s.learnActClip()) params.add(a);
                aClip[i] = a;
                aq = FakeQuantSTE.perTokenActivation(s.activationBits(), a);
            }
            lin[i].setInputFn(t.inputFn(aq));
        }
        // 3. training
        double before = evalLoss(block, samples, target, lambda, n, m, dim, rope, s);
        int perEpoch = (S + s.batch() - 1) / s.batch(), total = Math.max(1, s.epochs() * perEpoch);
        CosineSchedule sched = new CosineSchedule(s.lr(), s.lr() * 1e-3, 0, total);
        AdamW opt = AdamW.withDecay(0);
        double[] epochLoss = new double[s.epochs()];
        int step = 0;
        for (int e = 0; e < s.epochs(); e++) {
            int[] order = shuffle(S, new SplittableRandom(s.seed() + 7919L * e));
            double sum = 0;
            for (int b0 = 0; b0 < S; b0 += s.batch()) {
                int[] idx = Arrays.copyOfRange(order, b0, Math.min(S, b0 + s.batch()));
                WanBlockLayer.Cache c = block.forward(cat(samples, idx, 0), cat(samples, idx, 1), cat(samples, idx, 2), idx.length, n, m, rope);
                float[] dy = new float[c.y().length];
                double loss = TokenWeightedLoss.loss(c.y(), catList(target, idx), s.std() ? catList(lambda, idx) : null, idx.length, n, dim, dy);
                sum += loss * idx.length;
                for (Param p : params) p.zeroGrad();
                block.backward(c, dy, new float[idx.length * m * dim], new float[idx.length * 6 * dim]);
                for (LearnableTransform t : tr) if (t != null) t.finishBackward();
                opt.step(params, sched.at(step++));
                for (LearnableTransform t : tr) if (t != null) t.refresh();
            }
            epochLoss[e] = sum / S;
            if (progress != null) progress.accept(String.format(Locale.ROOT, "epoch %d/%d loss %.4e", e + 1, s.epochs(), epochLoss[e]));
        }
        double after = evalLoss(block, samples, target, lambda, n, m, dim, rope, s);
        // 4. fold, GPTQ, deployable layers
        LinkedHashMap<String, QuantizedLinear> out = new LinkedHashMap<>();
        KroneckerTransform[] frozen = new KroneckerTransform[GROUPS];
        double[][] hT = new double[GROUPS][];
        for (int g = 0; g < GROUPS; g++) if (tr[g] != null) { frozen[g] = tr[g].freeze(); hT[g] = transformedGram(hraw[g], frozen[g]); }
        for (int i = 0; i < lin.length; i++) {
            lin[i].setInputFn(null);
            lin[i].setWeightFn(null);
            if (wClip[i] == null) continue;
            int g = GROUP[i], o = lin[i].out(), k = lin[i].in();
            float[] w = lin[i].weight().v().clone();
            frozen[g].foldIntoWeights(w, o);
            float[] ratio = new float[o * s.groups(k)];
            for (int r = 0; r < ratio.length; r++) ratio[r] = (float) (1 / (1 + Math.exp(-wClip[i].v()[r])));
            float[] sc = ClippedGptq.clippedScales(w, o, k, s.weightBits(), ratio, s.groupSize());
            float actClipI = aClip[i] == null ? 1f : (float) (1 / (1 + Math.exp(-aClip[i].v()[0])));
            ClippedGptq.Result res = ClippedGptq.quantize(lin[i].name(), w, o, k, hT[g], s.weightBits(), sc, s.groupSize(), s.damp());
            float[] bias = lin[i].bias() == null ? null : lin[i].bias().v().clone();
            // the learned activation clip is deployed with the quantizer it was trained for (fake-quant path; the
            // integer kernels have no clip ratio); without act_clip the ratio stayed at sigmoid(30) and is not used
            ActivationQuantizer aq = s.floatActivations() ? null : !s.learnActClip() ? ActivationQuantizer.perToken(deployBits, true)
                    : new ActivationQuantizer(deployBits, true, Granularity.PER_TOKEN, 0, null, actClipI);
            out.put(lin[i].name(), new QuantizedLinear(o, k, res.dequantized(), bias, res.codes(), res.params(), frozen[g], aq));
        }
        double lsum = 0, high = 0, count = 0, mid = 0.5 * (s.lambdaMin() + s.lambdaMax());
        for (float[] l : lambda) for (float v : l) { lsum += v; if (v > mid) high++; count++; }
        return new Result(out, target, before, after, epochLoss, count == 0 ? Double.NaN : lsum / count, count == 0 ? Double.NaN : high / count,
                lambda.isEmpty() ? Double.NaN : topShareSum / lambda.size());
    }

    /** λ-weighted loss of the current (fake-quantized) block over all samples, without gradients. */
    private static double evalLoss(WanBlockLayer block, List<Sample> samples, List<float[]> target, List<float[]> lambda,
                                   int n, int m, int dim, RopeTable rope, Settings s) {
        double sum = 0;
        int S = samples.size();
        for (int b0 = 0; b0 < S; b0 += s.batch()) {
            int[] idx = range(b0, Math.min(S, b0 + s.batch()));
            WanBlockLayer.Cache c = block.forward(cat(samples, idx, 0), cat(samples, idx, 1), cat(samples, idx, 2), idx.length, n, m, rope);
            sum += idx.length * TokenWeightedLoss.loss(c.y(), catList(target, idx), s.std() ? catList(lambda, idx) : null, idx.length, n, dim, null);
        }
        return sum / S;
    }

    private static LinearLayer.Cache[] groupInputs(WanBlockLayer.Cache c) {
        return new LinearLayer.Cache[]{c.a1().q(), c.a1().out(), c.a2().q(), c.a2().k(), c.a2().out(), c.f0(), c.f2()};
    }

    private static int firstOf(int g) {
        for (int i = 0; i < GROUP.length; i++) if (GROUP[i] == g) return i;
        throw new IllegalStateException("group " + g);
    }

    /** H += XᵀX (rows × d) through the float GEMM in chunks of 256 rows, each chunk added in double. */
    static void addGram(float[] x, int rows, int d, double[] h) {
        float[] part = new float[d * d];
        for (int r0 = 0; r0 < rows; r0 += 256) {
            int nr = Math.min(256, rows - r0);
            Ops.tn(d, d, nr, x, r0 * d, d, x, r0 * d, d, 0f, part, 0, d);
            for (int i = 0; i < d * d; i++) h[i] += part[i];
        }
    }

    /** Tᵀ·H·T for T = diag(1/c)·(P₁⊗P₂), in double: scale, then the Kronecker product on rows, transpose, rows again. */
    static double[] transformedGram(double[] h, KroneckerTransform t) {
        int d = t.channels(), d1 = t.d1(), d2 = t.d2();
        float[] c = t.scale(), p1 = t.p1(), p2 = t.p2();
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) a[i * d + j] = h[i * d + j] / ((double) c[i] * c[j]);
        a = kronRows(a, d, d1, d2, p1, p2);
        double[] at = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) at[j * d + i] = a[i * d + j];
        return kronRows(at, d, d1, d2, p1, p2);
    }

    private static double[] kronRows(double[] a, int d, int d1, int d2, float[] p1, float[] p2) {
        double[] out = new double[d * d];
        Parallel.range(d, (from, to) -> {
            double[] z = new double[d];
            for (int r = from; r < to; r++) {
                int o = r * d;
                for (int i = 0; i < d1; i++)
                    for (int l = 0; l < d2; l++) {
                        double s = 0;
                        for (int j = 0; j < d2; j++) s += a[o + i * d2 + j] * p2[j * d2 + l];
                        z[i * d2 + l] = s;
                    }
                for (int k = 0; k < d1; k++)
                    for (int l = 0; l < d2; l++) {
                        double s = 0;
                        for (int i = 0; i < d1; i++) s += p1[i * d1 + k] * z[i * d2 + l];
                        out[o + k * d2 + l] = s;
                    }
            }
        });
        return out;
    }

    private static int[] range(int a, int b) {
        int[] r = new int[b - a];
        for (int i = 0; i < r.length; i++) r[i] = a + i;
        return r;
    }

    private static int[] shuffle(int n, SplittableRandom rng) {
        int[] a = range(0, n);
        for (int i = n - 1; i > 0; i--) { int j = rng.nextInt(i + 1); int t = a[i]; a[i] = a[j]; a[j] = t; }
        return a;
    }

    /** Concatenates field f (0 x, 1 text, 2 tproj) of the chosen samples. */
    private static float[] cat(List<Sample> samples, int[] idx, int f) {
        List<float[]> parts = new ArrayList<>();
        for (int i : idx) { Sample s = samples.get(i); parts.add(f == 0 ? s.x() : f == 1 ? s.text() : s.tproj()); }
        return concat(parts);
    }

    private static float[] catList(List<float[]> list, int[] idx) {
        List<float[]> parts = new ArrayList<>();
        for (int i : idx) parts.add(list.get(i));
        return concat(parts);
    }

    private static float[] concat(List<float[]> parts) {
        int len = 0;
        for (float[] p : parts) len += p.length;
        float[] out = new float[len];
        int o = 0;
        for (float[] p : parts) { System.arraycopy(p, 0, out, o, p.length); o += p.length; }
        return out;
    }
}
