package io.vdq.pipeline;

import io.vdq.diffusion.Denoiser;
import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.eval.Fidelity;
import io.vdq.eval.StepFidelity;
import io.vdq.eval.vbench.Dimension;
import io.vdq.eval.vbench.VBenchLite;
import io.vdq.eval.vbench.VideoScore;
import io.vdq.io.Checkpoints;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.synth.Prompt;
import io.vdq.io.video.Frames;
import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Tensor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One evaluation of quantization recipes against full precision, without any output files (used by {@code vdq demo}
 * and {@code vdq sweep}): full-precision videos for the evaluation prompts, then per recipe a
 * fresh copy of the model, quantization (calibrated on separate prompts when the method records statistics), the
 * same prompts and seeds again with the report's sampler hook before every step, and fidelity against full
 * precision: of the final videos, and (with {@code teacherForced}) of every step's guided prediction when the
 * quantized model is given the full-precision trajectory's latents ({@link StepFidelity}). Samples are pixel-space
 * {@code [3, F, H, W]}.
 */
public final class RecipeRun {
    /** What to run. */
    public record Settings(WanConfig config, Path modelDir, long modelSeed, int frames, int size, int steps, float guidance, double shift,
                    List<String> prompts, List<String> calibrationPrompts, long noiseSeed, boolean teacherForced, long calibrationSeed) {
        /** The demo's calibration noise: calibration prompt i gets seed {@value #DEFAULT_CALIBRATION_SEED} + i. */
        public static final long DEFAULT_CALIBRATION_SEED = 1_000_003L;

        public Settings(WanConfig config, Path modelDir, long modelSeed, int frames, int size, int steps, float guidance, double shift,
                 List<String> prompts, List<String> calibrationPrompts, long noiseSeed, boolean teacherForced) {
            this(config, modelDir, modelSeed, frames, size, steps, guidance, shift, prompts, calibrationPrompts, noiseSeed, teacherForced,
                    DEFAULT_CALIBRATION_SEED);
        }

        public Settings(WanConfig config, Path modelDir, long modelSeed, int frames, int size, int steps, float guidance, double shift,
                 List<String> prompts, List<String> calibrationPrompts, long noiseSeed) {
            this(config, modelDir, modelSeed, frames, size, steps, guidance, shift, prompts, calibrationPrompts, noiseSeed, true);
        }

        /** A trained model (loaded from {@code modelDir}) rather than a seeded random-init one. */
        public boolean trained() { return modelDir != null; }
    }

    /**
     * One recipe's outcome; {@code error} is set (and the rest empty) when it failed. {@code layerNames} and
     * {@code layerWeightRelL2} are parallel, in the method's report order.
     */
    public record RecipeResult(Recipe recipe, String description, List<Tensor> samples, List<Fidelity.Metrics> perPrompt,
                        double psnr, double relL2, double cosine, double quantizeS, double generateS,
                        int[] bitSchedule, boolean bitsVary, int layers, List<String> layerNames, double[] layerWeightRelL2,
                        double[] vbench, StepFidelity stepFidelity, String error) {}

    /** One prompt's full-precision trajectory: the latents entering each step and the guided prediction there. */
    public record Trajectory(float[][] latents, float[][] guided) {}

    private final Settings s;
    private final TextEncoder encoder;
    private final PrintStream log; // null = quiet
    private final long t0;
    private final List<Trajectory> trajectories = new ArrayList<>(); // filled by generateFullPrecision when teacher-forced

    public RecipeRun(Settings s, PrintStream log) { this(s, log, System.nanoTime()); }

    /** As above, progress times counted from {@code t0} ({@link System#nanoTime()}; a sweep's start). */
    public RecipeRun(Settings s, PrintStream log, long t0) {
        this.t0 = t0;
        this.s = s;
        this.log = log;
        this.encoder = new TextEncoder(s.config().textDim(), TextEncoder.DEFAULT_LENGTH, TextEncoder.DEFAULT_SEED);
    }

    public double elapsed() { return (System.nanoTime() - t0) / 1e9; }

    public void progress(String fmt, Object... args) {
        if (log != null) log.printf(Locale.ROOT, "[%6.1f s] %s%n", elapsed(), String.format(Locale.ROOT, fmt, args));
    }

    /** A fresh copy of the model: loaded from the model folder (weights converted to float32), or random-init. */
    public WanModel freshModel() {
        return s.trained() ? WanModel.load(s.config(), Checkpoints.open(s.modelDir())) : WanModel.random(s.config(), s.modelSeed());
    }

    /**
     * VBench-lite means per {@link Dimension} over the videos (prompt i with video i), or an empty array for a
     * random-init model, whose videos have no object to score, and for a latent-space model (no VAE here).
     */
    public double[] vbench(List<Tensor> videos) {
        if (!s.trained() || videos.isEmpty() || s.config().inChannels() != 3) return new double[0]; // latents: nothing to score
        double[] sum = new double[Dimension.values().length];
        for (int i = 0; i < videos.size(); i++) {
            VideoScore sc = VBenchLite.score(pixelVideo(videos.get(i)), Prompt.parse(s.prompts().get(i)));
            for (Dimension d : Dimension.values()) sum[d.ordinal()] += sc.get(d);
        }
        for (int k = 0; k < sum.length; k++) sum[k] /= videos.size();
        return sum;
    }

    /** Text embeddings {@code [16, 64]} of a prompt from the built-in text encoder of the synthetic world. */
    public Tensor text(String prompt) { return encoder.encode(prompt); }

    /** The noise seed of evaluation prompt {@code i} (the same for FP and every recipe). */
    public long seed(int i) { return s.noiseSeed() + i; }

    public int[] sampleShape() { return new int[]{s.config().inChannels(), s.frames(), s.size(), s.size()}; }

    /** One video; {@code hook} runs before every step (a δ-GBS controller also sees every guided output). */
    public Tensor sample(WanModel m, String prompt, long seed, SamplerHook hook, ActivationBits bits, int[] schedule) {
        return sample(m::forward, prompt, seed, hook, bits, schedule, StepHook.NONE);
    }

    /** As above with any denoiser; {@code observer} sees every step after the recipe's hook. */
    private Tensor sample(Denoiser d, String prompt, long seed, SamplerHook hook, ActivationBits bits, int[] schedule, StepHook observer) {
        Scheduler sched = Scheduler.create("unipc", s.steps(), s.shift());
        return Sampler.sample(d, sched, Sampler.noise(seed, sampleShape()), text(prompt), null, s.guidance(),
                new StepHook() {
                    @Override public void beforeStep(Step st) {
                        hook.beforeStep(st.index(), st.steps(), st.timestep());
                        if (schedule != null && bits != null) schedule[st.index()] = bits.isFloat() ? 16 : bits.get();
                        observer.beforeStep(st);
                    }
                    @Override public void afterStep(Step st) {
                        // δ-GBS picks the next step's bits from the guided outputs
                        hook.afterStep(st.index(), st.guided().toArray());
                        observer.afterStep(st);
                    }
                });
    }

    /** Records a prompt's full-precision trajectory. */
    private static StepHook recorder(Trajectory t) {
        return new StepHook() {
            @Override public void beforeStep(Step st) { t.latents()[st.index()] = st.latents().toArray().clone(); }
            @Override public void afterStep(Step st) { t.guided()[st.index()] = st.guided().toArray().clone(); }
        };
    }

    /**
     * Teacher-forced fidelity of {@code m} (with the recipe's hook and bits): every step of every evaluation prompt
     * runs on the full-precision trajectory's latents, and the guided prediction is compared with full precision's.
     * Null when the settings ask for none.
     */
    public StepFidelity teacherForced(WanModel m, SamplerHook hook, ActivationBits bits) {
        if (trajectories.isEmpty()) return null;
        StepFidelity f = new StepFidelity(s.steps());
        for (int i = 0; i < s.prompts().size(); i++) {
            Trajectory tr = trajectories.get(i);
            int[] at = {0};
            // the sampler's own latents are ignored: each step sees full precision's latents of that step
            Denoiser forced = (x, t, text) -> m.forward(Tensor.of(tr.latents()[at[0]], sampleShape()), t, text);
            sample(forced, s.prompts().get(i), seed(i), hook, bits, null, new StepHook() {
                @Override public void beforeStep(Step st) { at[0] = st.index(); }
                @Override public void afterStep(Step st) { f.add(st.index(), tr.guided()[st.index()], st.guided().toArray()); }
            });
        }
        return f;
    }

    /** Full-precision videos, one per evaluation prompt. */
    public List<Tensor> generateFullPrecision(double[] seconds) {
        WanModel m = freshModel();
        List<Tensor> out = new ArrayList<>();
        trajectories.clear(); // a second call records afresh instead of appending
        long g0 = System.nanoTime();
        for (int i = 0; i < s.prompts().size(); i++) {
            progress("full precision: prompt %d/%d \"%s\"", i + 1, s.prompts().size(), s.prompts().get(i));
            StepHook rec = StepHook.NONE;
            if (s.teacherForced()) {
                Trajectory t = new Trajectory(new float[s.steps()][], new float[s.steps()][]);
                trajectories.add(t);
                rec = recorder(t);
            }
            out.add(sample(m::forward, s.prompts().get(i), seed(i), SamplerHook.NONE, null, null, rec));
        }
        seconds[0] = (System.nanoTime() - g0) / 1e9;
        return out;
    }

    /** Calibration: the sampler over the calibration prompts, the tag set before each step's model calls. */
    public Calibration calibration(WanModel m) { return calibration(m, s.calibrationPrompts()); }

    /** As above on other calibration prompts (a sweep's calibration set). */
    public Calibration calibration(WanModel m, List<String> prompts) {
        return Calibration.of(s.steps(), tag -> {
            for (int i = 0; i < prompts.size(); i++) {
                String p = prompts.get(i);
                progress("  calibration prompt %d/%d \"%s\"", i + 1, prompts.size(), p);
                sample(m, p, s.calibrationSeed() + i, SamplerHook.tagging(tag), null, null);
            }
            tag.clear();
        });
    }

    public RecipeResult runRecipe(Recipe r, String description, List<Tensor> reference) {
        return runRecipe(r, description, reference, s.calibrationPrompts());
    }

    /**
     * One recipe on a fresh copy of the model, calibrated (when the method records statistics, and for δ-GBS's
     * automatic δ) on {@code calibrationPrompts}; the evaluation prompts and their noise seeds are the settings'.
     */
    public RecipeResult runRecipe(Recipe r, String description, List<Tensor> reference, List<String> calibrationPrompts) {
        WanModel m = freshModel();
        long q0 = System.nanoTime();
        QuantReport rep;
        try {
            rep = QuantMethods.apply(m, r, calibration(m, calibrationPrompts));
        } catch (RuntimeException e) {
            progress("  %s failed: %s", r.name(), e.getMessage());
            return new RecipeResult(r, description, List.of(), List.of(), Double.NaN, Double.NaN, Double.NaN,
                    (System.nanoTime() - q0) / 1e9, Double.NaN, null, false, 0, List.of(), new double[0], new double[0], null,
                    String.valueOf(e.getMessage()));
        }
        String delta = calibrateDelta(r, rep, m, calibrationPrompts);
        if (delta != null) description = description + " [" + delta + "]";
        double quantS = (System.nanoTime() - q0) / 1e9;
        progress("  quantized %d layers in %.1f s", rep.layers().size(), quantS);
        List<Tensor> samples = new ArrayList<>();
        List<Fidelity.Metrics> metrics = new ArrayList<>();
        int[] schedule = new int[s.steps()];
        int[] first = null;
        boolean vary = false;
        long g0 = System.nanoTime();
        double psnr = 0, rel = 0, cos = 0;
        for (int i = 0; i < s.prompts().size(); i++) {
            progress("  %s: prompt %d/%d", r.name(), i + 1, s.prompts().size());
            Tensor v = sample(m, s.prompts().get(i), seed(i), rep.hook(), rep.activationBits(), schedule);
            samples.add(v);
            float[] ref = reference.get(i).toArray();
            Fidelity.Metrics fm = Fidelity.all(ref, v.toArray(), range(ref));
            metrics.add(fm);
            psnr += fm.psnr();
            rel += fm.relL2();
            cos += fm.cosine();
            if (first == null) first = schedule.clone();
            for (int k = 0; k < schedule.length; k++) vary |= schedule[k] != schedule[0];
        }
        double genS = (System.nanoTime() - g0) / 1e9;
        StepFidelity sf = teacherForced(m, rep.hook(), rep.activationBits());
        if (sf != null) progress("  %s: teacher-forced step SNR %.2f dB", r.name(), sf.snrDb());
        int n = s.prompts().size();
        return new RecipeResult(r, description, samples, metrics, psnr / n, rel / n, cos / n, quantS, genS,
                first, vary, rep.layers().size(), rep.layers().stream().map(l -> l.name()).toList(),
                rep.layers().stream().mapToDouble(l -> l.weightRelL2()).toArray(), vbench(samples), sf, null);
    }

    /**
     * A recipe whose sampler hook leaves a setting to be chosen by sampling (DVD-Quant's δ-GBS with {@code gbs_delta:
     * auto}: the method is data-free and starts at δ = 0.1, which can leave every step at high bits) is tuned on the
     * calibration prompts. Returns a note on the choice, or null when there was nothing to choose.
     */
    private String calibrateDelta(Recipe r, QuantReport rep, WanModel m, List<String> calib) {
        SamplerHook h = rep.hook();
        if (h.tuningGoal() == null) return null;
        progress("  %s on the calibration prompts", h.tuningGoal());
        String chosen = h.tune(() -> {
            for (int i = 0; i < calib.size(); i++)
                sample(m, calib.get(i), s.calibrationSeed() + i, h, rep.activationBits(), null);
        });
        progress("  tuned: %s", chosen);
        return chosen + ", auto-tuned on the calibration prompts";
    }

    /** A pixel-space sample {@code [3, F, H, W]} (values in [−1, 1]) as a video {@code [F, H, W, 3]} in [0, 1], for VBench-lite. */
    static Tensor pixelVideo(Tensor sample) {
        int f = sample.dim(1), h = sample.dim(2), w = sample.dim(3), plane = f * h * w;
        float[] a = sample.toArray();
        Tensor out = Tensor.zeros(f, h, w, 3);
        float[] o = out.data();
        for (int ch = 0; ch < 3; ch++)
            for (int i = 0; i < plane; i++) o[i * 3 + ch] = (float) (0.5 * (a[ch * plane + i] + 1.0)); // as LatentPreview shows pixel space
        return out;
    }

    /** max − min of a sample (the PSNR peak: the full-precision video's data range). */
    public static double range(float[] a) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float x : a) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
        return a.length == 0 ? 0 : (double) hi - lo;
    }

    /**
     * A sample {@code [3, F, H, W]} as frames {@code [F, H, W, 3]} in [0, 1], mapped linearly so that
     * [lo, hi] (the full-precision video's range, shared by every recipe of a prompt) spans [0, 1].
     */
    public static Tensor frames(Tensor sample, float lo, float hi) { return Frames.fromSample(sample, lo, hi); }
}
