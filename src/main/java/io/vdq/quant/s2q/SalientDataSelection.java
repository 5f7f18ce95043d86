package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Hessian-aware Salient Data Selection (S²Q-VDiT §3). Each candidate (prompt, step) gets
 * {@code C_sample = norm(C_diff)·norm(C_quant)} with min–max normalisation over the whole pool; the top K are kept.
 *
 * <p>Decisions (recorded here and as recipe options): the tensor X_t is the model's input latent at step t,
 * tokenised into patches (rows = tokens, columns = C·p_t·p_h·p_w), because it is what the sampler has at no cost
 * and is the paper's "x_t"; the norm of XᵀX is the spectral norm by power iteration ({@link Norm#SPECTRAL}),
 * Frobenius as an option; when max = min on an axis every normalised score is 1; ties break by lower step, then
 * lower prompt index; candidates of the last step (no successor) are not in the pool.
 */
public final class SalientDataSelection {
    private SalientDataSelection() {}

    /** The norm used for C_quant. */
    public enum Norm { SPECTRAL, FROBENIUS }

    /**
     * Which token matrix X C_quant = ‖XᵀX‖ is taken of: {@link #LATENT} the tokenised model input x_t,
     * {@link #HIDDEN} block 0's input after the patch embedding (n × model width), the input of the first quantized
     * linears' norm, an alternative closer to GPTQ's Hessian argument, or {@link #DENOISED} the
     * tokenised denoised estimate x̂₀ of step t (first CFG branch), the tensor {@link DiffInput#DENOISED} reads C_diff
     * on. The paper writes both scores of the same x_t, "the denoised feature of timestep t" (Eq. 3 and 6);
     * {@code sds_input=denoised} with {@code sds_diff=denoised} (or latent with latent) is that reading.
     */
    public enum QuantInput { LATENT, HIDDEN, DENOISED }

    /**
     * Which trajectory C_diff = ‖x_t − x_next‖²/‖x_t‖² is taken along. The paper calls x_t "the denoised feature of
     * timestep t". {@link #DENOISED} (default) reads that as the model's denoised estimate x̂₀ = x_t − σ_t·v_t (flow
     * matching, σ = timestep/1000, first CFG branch), compared with the next step's x̂₀; {@link #LATENT} as the
     * sampler's latent, the noisy input of step t, compared with the next step's latent. The two readings select
     * opposite ends of the schedule on vdq-tiny. Along the latent, C_diff rises 110× towards the clean end, because
     * the step size grows while the latent's norm shrinks, so SDS keeps only the last steps. Along x̂₀ it is largest
     * at the first steps (0.26 at step 0, 0.011–0.033 over steps 5–8; calib-10), where the estimate of the clean
     * video still moves, and with C_quant (largest at the clean end) SDS keeps both ends. Why DENOISED is the
     * default: on vdq-tiny at W4A6 it was closer to full precision in 9 of 9 paired runs (3 calibration sets × 3
     * seeds, +0.88 dB mean PSNR; BENCHMARKS.md).
     */
    public enum DiffInput { LATENT, DENOISED }

    /** Selection strategies: the paper's method and the ablation baselines. */
    public enum Selector {
        /** top-K by C_sample (the method) */ SDS,
        /** K candidates drawn uniformly at random from the pool */ RANDOM,
        /** K candidates at evenly spaced steps, cycling over prompts */ UNIFORM,
        /** all timesteps of one prompt (K evenly spaced steps of prompt 0) */ ATOP,
        /** all timesteps of five prompts (K/5 evenly spaced steps of each of prompts 0–4) */ ATFP,
        /** random timesteps of five prompts */ RTFP
    }

    /** C_diff = ‖x_t − x_next‖² / ‖x_t‖² over whole tensors (double accumulation). */
    public static double diffusionSalience(float[] xt, float[] xNext) {
        if (xt.length != xNext.length)
            throw new ConfigException("diffusion salience: latents of " + xt.length + " and " + xNext.length + " values");
        double num = 0, den = 0;
        for (int i = 0; i < xt.length; i++) {
            double d = xt[i] - xNext[i];
            num += d * d;
            den += (double) xt[i] * xt[i];
        }
        return den == 0 ? 0 : num / den;
    }

    /** ‖XᵀX‖ of the n×d token matrix X under the chosen norm. */
    public static double gramNorm(float[] x, int n, int d, Norm norm) {
        return norm == Norm.SPECTRAL ? gramSpectralNorm(x, n, d, 100, 1e-10) : gramFrobeniusNorm(x, n, d);
    }

    /**
     * λ_max(XᵀX) = σ_max(X)² by power iteration with implicit products v ← Xᵀ(X·v), in double; stops when the
     * Rayleigh quotient changes by less than {@code relTol} or after {@code maxIter} iterations. Deterministic start
     * vector (all ones, normalised), which is not orthogonal to the top eigenvector for non-degenerate data.
     */
    public static double gramSpectralNorm(float[] x, int n, int d, int maxIter, double relTol) {
        double[] v = new double[d], xv = new double[n], w = new double[d];
        for (int j = 0; j < d; j++) v[j] = 1 / Math.sqrt(d);
        double lambda = 0;
        for (int it = 0; it < maxIter; it++) {
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += x[i * d + j] * v[j];
                xv[i] = s;
            }
            Arrays.fill(w, 0);
            for (int i = 0; i < n; i++) {
                double a = xv[i];
                for (int j = 0; j < d; j++) w[j] += x[i * d + j] * a;
            }
            double next = 0, nrm = 0;
            for (int j = 0; j < d; j++) { next += v[j] * w[j]; nrm += w[j] * w[j]; }
            nrm = Math.sqrt(nrm);
            if (nrm == 0) return 0;
            for (int j = 0; j < d; j++) v[j] = w[j] / nrm;
            boolean done = Math.abs(next - lambda) <= relTol * Math.abs(next);
            lambda = next;
            if (done) break;
        }
        return lambda;
    }

    /** ‖XᵀX‖_F, forming the d×d Gram matrix in double. */
    public static double gramFrobeniusNorm(float[] x, int n, int d) {
        double[] g = new double[d * d];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < d; a++) {
                double xa = x[i * d + a];
                for (int b = 0; b < d; b++) g[a * d + b] += xa * x[i * d + b];
            }
        double s = 0;
        for (double e : g) s += e * e;
        return Math.sqrt(s);
    }

    /** C_sample for every candidate in pool order: product of the min–max normalised scores. */
    public static double[] scores(List<Candidate> pool) {
        double[] d = normalise(pool.stream().mapToDouble(Candidate::cDiff).toArray());
        double[] q = normalise(pool.stream().mapToDouble(Candidate::cQuant).toArray());
        double[] s = new double[pool.size()];
        for (int i = 0; i < s.length; i++) s[i] = d[i] * q[i];
        return s;
    }

    static double[] normalise(double[] v) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double e : v) { min = Math.min(min, e); max = Math.max(max, e); }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = max == min ? 1.0 : (v[i] - min) / (max - min);
        return out;
    }

    /** Picks {@code k} candidates of the pool with the given strategy; the result is in pool order. */
    public static List<Candidate> select(List<Candidate> pool, Selector selector, int k, long seed) {
        return select(pool, selector, k, seed, 0);
    }

    /**
     * As {@link #select(List, Selector, int, long)}, with at most {@code maxPerStep} SDS picks per sampling step
     * (0: no cap, the paper's plain top-K). The paper has no diversity constraint; on vdq-tiny its top-K collapses
     * onto the first and last steps (at 50 steps: 40 picks on 5 of 49 steps), which this option prevents: the
     * candidates are taken in score order, skipping those whose step is full. When the cap leaves fewer than K
     * (cap × steps &lt; K), the best skipped candidates fill the rest. Only SDS reads the cap.
     */
    public static List<Candidate> select(List<Candidate> pool, Selector selector, int k, long seed, int maxPerStep) {
        if (maxPerStep < 0) throw new ConfigException("SDS step cap (recipe option sds_max_per_step) must be 0 (none) or positive, got " + maxPerStep);
        if (k <= 0) throw new ConfigException("calibration sample count must be positive, got " + k);
        if (pool.isEmpty()) throw new ConfigException("calibration candidate pool is empty");
        k = Math.min(k, pool.size());
        TreeSet<Integer> chosen = new TreeSet<>();
        switch (selector) {
            case SDS -> {
                double[] s = scores(pool);
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < pool.size(); i++) idx.add(i);
                idx.sort(Comparator.<Integer>comparingDouble(i -> -s[i])
                        .thenComparingInt(i -> pool.get(i).step()).thenComparingInt(i -> pool.get(i).prompt()));
                if (maxPerStep == 0) {
                    chosen.addAll(idx.subList(0, k));
                } else {
                    Map<Integer, Integer> perStep = new HashMap<>();
                    for (int i : idx)
                        if (chosen.size() < k && perStep.merge(pool.get(i).step(), 1, Integer::sum) <= maxPerStep) chosen.add(i);
                    for (int i : idx) if (chosen.size() < k) chosen.add(i); // the cap left too few: best of the rest
                }
            }
            case RANDOM -> chosen.addAll(randomSubset(indices(pool, Integer.MAX_VALUE), k, seed));
            case RTFP -> chosen.addAll(randomSubset(indices(pool, 5), k, seed));
            case UNIFORM -> chosen.addAll(evenlySpaced(pool, Integer.MAX_VALUE, k));
            case ATOP -> chosen.addAll(evenlySpaced(pool, 1, k));
            case ATFP -> chosen.addAll(evenlySpaced(pool, 5, k));
        }
        List<Candidate> out = new ArrayList<>();
        for (int i : chosen) out.add(pool.get(i));
        return out;
    }

    /** Pool indices of candidates whose prompt is among the first {@code prompts} distinct prompts. */
    private static List<Integer> indices(List<Candidate> pool, int prompts) {
        TreeSet<Integer> ps = new TreeSet<>();
        for (Candidate c : pool) ps.add(c.prompt());
        List<Integer> keep = new ArrayList<>(ps).subList(0, Math.min(prompts, ps.size()));
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) if (keep.contains(pool.get(i).prompt())) out.add(i);
        return out;
    }

    private static List<Integer> randomSubset(List<Integer> from, int k, long seed) {
        List<Integer> a = new ArrayList<>(from);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = a.size() - 1; i > 0; i--) { int j = r.nextInt(i + 1); Integer t = a.get(i); a.set(i, a.get(j)); a.set(j, t); }
        return a.subList(0, Math.min(k, a.size()));
    }

    /**
     * K candidates spread evenly: the first {@code prompts} prompts each contribute an equal share (earlier prompts
     * take the remainder), at evenly spaced positions of that prompt's steps.
     */
    private static List<Integer> evenlySpaced(List<Candidate> pool, int prompts, int k) {
        List<Integer> idx = indices(pool, prompts);
        TreeSet<Integer> ps = new TreeSet<>();
        for (int i : idx) ps.add(pool.get(i).prompt());
        List<Integer> plist = new ArrayList<>(ps);
        List<Integer> out = new ArrayList<>();
        for (int p = 0; p < plist.size(); p++) {
            int share = k / plist.size() + (p < k % plist.size() ? 1 : 0);
            int pid = plist.get(p);
            List<Integer> mine = idx.stream().filter(i -> pool.get(i).prompt() == pid)
                    .sorted(Comparator.comparingInt(i -> pool.get(i).step())).toList();
            share = Math.min(share, mine.size());
            for (int s = 0; s < share; s++) {
                int pos = share == 1 ? 0 : (int) Math.round((double) s * (mine.size() - 1) / (share - 1));
                out.add(mine.get(pos));
            }
        }
        return out;
    }
}
