package io.vdq.quant.s2q;

import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.io.Checkpoints;
import io.vdq.model.wan.BlockHook;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.synth.TextEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Why SDS picks the steps it picks: the per-step means, over a prompt file, of the two SDS factors on the
 * conditional branch of a pixel-space Wan model's sampling (UniPC, shift 3, CFG 4, 8 frames of 32×32):
 * C_quant = λ_max(XᵀX) of the tokenised latent and of block 0's input, each also after removing the column means
 * (λ_max of the scatter matrix), the latent's mean value, and C_diff against the next step, of the latent and of the denoised estimate x̂₀ = x_t − σ·v. Not a test (no
 * assertions): run with
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:target/lib/* io.vdq.quant.s2q.SdsScoresExperiment MODEL_DIR PROMPTS_FILE [STEPS]}.
 */
public final class SdsScoresExperiment {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        List<String> prompts = Files.readAllLines(Path.of(args[1])).stream().map(String::strip)
                .filter(s -> !s.isEmpty() && !s.startsWith("#")).toList();
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        WanConfig c = WanConfig.read(dir.resolve("config.json"));
        WanModel m = WanModel.load(c, Checkpoints.open(dir));
        TextEncoder enc = new TextEncoder(c.textDim(), TextEncoder.DEFAULT_LENGTH, TextEncoder.DEFAULT_SEED);
        double[][] sum = new double[steps][7];
        int[] count = new int[steps];
        for (int p = 0; p < prompts.size(); p++) {
            int[] step = {-1};
            boolean[] first = {false}, firstOut = {false};
            List<float[]> latents = new ArrayList<>(), denoised = new ArrayList<>();
            BlockHook hook = new BlockHook() {
                @Override public void beforeBlocks(int f, int h, int w, float[] patches, float[] hidden, float[] text, float[] tproj) {
                    if (!first[0]) return; // conditional branch only, as the pool's C_quant
                    first[0] = false;
                    int n = f * h * w, d = patches.length / n, dh = hidden.length / n, s = step[0];
                    float[] x = Arrays.copyOf(patches, n * d);
                    latents.add(x);
                    sum[s][0] += SalientDataSelection.gramSpectralNorm(x, n, d, 200, 1e-12);
                    sum[s][1] += SalientDataSelection.gramSpectralNorm(centred(x, n, d), n, d, 200, 1e-12);
                    sum[s][2] += SalientDataSelection.gramSpectralNorm(hidden, n, dh, 200, 1e-12);
                    sum[s][3] += SalientDataSelection.gramSpectralNorm(centred(hidden, n, dh), n, dh, 200, 1e-12);
                    double mean = 0;
                    for (float v : x) mean += v;
                    sum[s][4] += mean / x.length;
                    count[s]++;
                }

                @Override public void afterForward(io.vdq.tensor.Tensor lat, float t, io.vdq.tensor.Tensor v) {
                    if (!firstOut[0]) return;
                    firstOut[0] = false;
                    float[] x = lat.toArray(), vel = v.toArray(), x0 = new float[x.length];
                    for (int i = 0; i < x.length; i++) x0[i] = x[i] - t / 1000f * vel[i];
                    denoised.add(x0);
                }
            };
            try (AutoCloseable h = m.observe(hook)) {
                Sampler.sample(m::forward, Scheduler.create("unipc", steps, 3.0), Sampler.noise(1_000_003L + p, c.inChannels(), 8, 32, 32),
                        enc.encode(prompts.get(p)), null, 4f, new StepHook() {
                            @Override public void beforeStep(Step s) { step[0] = s.index(); first[0] = true; firstOut[0] = true; }
                        });
            }
            for (int s = 0; s + 1 < latents.size(); s++) sum[s][5] += SalientDataSelection.diffusionSalience(latents.get(s), latents.get(s + 1));
            for (int s = 0; s + 1 < denoised.size(); s++) sum[s][6] += SalientDataSelection.diffusionSalience(denoised.get(s), denoised.get(s + 1));
        }
        System.out.printf(Locale.ROOT, "%s, %d prompts from %s, %d steps: per-step means (conditional branch)%n", dir, prompts.size(), args[1], steps);
        System.out.println("step  C_quant latent  centred  C_quant hidden  centred  mean(latent)  C_diff     C_diff(x̂₀)");
        for (int s = 0; s < steps; s++) {
            int n = Math.max(1, count[s]);
            System.out.printf(Locale.ROOT, "%4d %15.1f %8.1f %15.1f %8.1f %13.4f  %s%n", s, sum[s][0] / n, sum[s][1] / n, sum[s][2] / n,
                    sum[s][3] / n, sum[s][4] / n, s + 1 < steps ? String.format(Locale.ROOT, "%.3e  %.3e", sum[s][5] / n, sum[s][6] / n) : "(last step)");
        }
    }

    /** X minus its column means. */
    static float[] centred(float[] x, int n, int d) {
        double[] mu = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mu[j] += x[i * d + j];
        float[] y = new float[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) y[i * d + j] = (float) (x[i * d + j] - mu[j] / n);
        return y;
    }
}
