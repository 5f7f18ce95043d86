package io.vdq.train;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Tensor;
import java.io.PrintStream;
import java.util.SequencedMap;
import java.util.SplittableRandom;

/**
 * The flow-matching training loop for a {@link WanTrainModel}: per step, a batch from the supplier, σ and ε
 * from a generator seeded by (seed, step), forward, MSE loss, backward, gradient clipping by global norm,
 * AdamW at the cosine-scheduled rate, optional EMA; a progress line (step/N, loss, rate, ETA) and
 * checkpoints by diffusers name through a {@link CheckpointSink}. Deterministic for a seed and any thread count.
 */
public final class TinyTrainer {
    private static final System.Logger LOG = System.getLogger("io.vdq.train");

    /** Clean latents/pixels x0 [B, C, F, H, W] and text-encoder states [B, L, text_dim]. */
    public record Batch(Tensor x0, Tensor text) {}

    @FunctionalInterface
    public interface BatchSupplier { Batch get(int step); }

    /** Receives the weights to save (EMA values when EMA is on) after {@code step} steps. */
    @FunctionalInterface
    public interface CheckpointSink { void save(int step, SequencedMap<String, Tensor> weights); }

    /**
     * @param emaDecay        0 turns EMA off
     * @param checkpointEvery 0 saves only at the end
     * @param logEvery        progress line every this many steps (and at the last)
     * @param logitMean       mean m of the logit-normal σ = sigmoid(m + z), z ~ N(0, 1) (0: median σ 0.5; larger puts
     *                        more steps at high noise, where only the caption tells what to draw)
     * @param sampleMinSigma  0: the network output is the velocity; > 0: it is the clean sample x̂, turned into the
     *                        velocity (x_t − x̂)/max(σ, sampleMinSigma) before the loss (see {@link FlowMatching#velocityFromSample})
     * @param sampleLoss      with sampleMinSigma > 0: weight each example's velocity loss by max(σ, sampleMinSigma)², which
     *                        makes it the plain MSE of x̂ against x0 (false: the velocity loss, i.e. the x̂ error weighted
     *                        by 1/max(σ, sampleMinSigma)²)
     */
    public record Options(int steps, double lr, double minLr, int warmup, double weightDecay, double clipNorm,
                          double emaDecay, FlowMatching.Sigmas sigmas, long seed, int checkpointEvery, int logEvery,
                          float sampleMinSigma, double logitMean, boolean sampleLoss) {
        public Options {
            if (steps < 1 || lr <= 0 || logEvery < 1)
                throw new ConfigException("TinyTrainer options: steps (" + steps + ") and logEvery (" + logEvery + ") must be >= 1, lr (" + lr + ") > 0");
            if (emaDecay < 0 || emaDecay >= 1) throw new ConfigException("TinyTrainer options: emaDecay " + emaDecay + " must be in [0, 1)");
            if (!(sampleMinSigma >= 0 && sampleMinSigma < 1))
                throw new ConfigException("TinyTrainer options: sampleMinSigma " + sampleMinSigma + " must be in [0, 1)");
            if (sampleLoss && sampleMinSigma == 0)
                throw new ConfigException("TinyTrainer options: the x̂ loss (sampleLoss) needs a sample-predicting model (sampleMinSigma > 0)");
        }

        public static Options defaults(int steps, double lr, long seed) {
            return new Options(steps, lr, lr * 0.1, Math.min(steps / 10, 200), 0.01, 1.0, 0, FlowMatching.Sigmas.LOGIT_NORMAL, seed, 0, 10, 0f, 0.0, false);
        }
    }

    /** Per-step losses and the EMA (null when off). */
    public record Result(double[] losses, Ema ema) {}

    private TinyTrainer() {}

    /** Runs the loop; {@code progress} (null = quiet) gets one line per {@code logEvery} steps; {@code sink} may be null. */
    public static Result run(WanTrainModel model, BatchSupplier data, Options o, PrintStream progress, CheckpointSink sink) {
        ParamSet ps = model.params();
        AdamW opt = AdamW.withDecay(o.weightDecay());
        CosineSchedule lr = new CosineSchedule(o.lr(), o.minLr(), o.warmup(), o.steps());
        Ema ema = o.emaDecay() > 0 ? new Ema(ps.all(), o.emaDecay(), true) : null;
        double[] losses = new double[o.steps()];
        long t0 = System.nanoTime();
        double window = 0;
        int inWindow = 0;
        for (int step = 0; step < o.steps(); step++) {
            Batch b = data.get(step);
            SplittableRandom rng = new SplittableRandom(o.seed() * 0x9E3779B97F4A7C15L + step);
            float[] sig = FlowMatching.sampleSigmas(rng, b.x0().dim(0), o.sigmas(), o.logitMean(), 1.0);
            FlowMatching.Sample s = FlowMatching.noise(b.x0(), sig, rng);
            WanTrainModel.Cache c = model.forward(s.xt(), s.timesteps(), b.text());
            float[] d = new float[c.output().size()];
            Tensor pred = o.sampleMinSigma() > 0 ? FlowMatching.velocityFromSample(s.xt(), c.output(), sig, o.sampleMinSigma()) : c.output();
            double loss = o.sampleLoss() ? FlowMatching.mseLoss(pred, s.target(), d, FlowMatching.sampleLossWeights(sig, o.sampleMinSigma()))
                    : FlowMatching.mseLoss(pred, s.target(), d);
            if (o.sampleMinSigma() > 0) FlowMatching.sampleGradient(d, sig, o.sampleMinSigma());
            if (!Double.isFinite(loss)) throw new ConfigException("training diverged at step " + step + ": loss " + loss + " (lower the learning rate)");
            ps.zeroGrad();
            model.backward(c, Tensor.of(d, c.output().shape().dims()));
            double gn = ps.clipGradNorm(o.clipNorm());
            double rate = lr.at(step);
            opt.step(ps.all(), rate);
            if (ema != null) ema.update();
            losses[step] = loss;
            window += loss;
            inWindow++;
            int done = step + 1;
            if (done % o.logEvery() == 0 || done == o.steps()) {
                double secs = (System.nanoTime() - t0) / 1e9, perStep = secs / done;
                String line = String.format("train %d/%d  loss %.4f (avg %.4f)  lr %.2e  |g| %.3f  %.2f step/s  ETA %s",
                        done, o.steps(), loss, window / inWindow, rate, gn, 1 / perStep, eta(perStep * (o.steps() - done)));
                if (progress != null) progress.println(line);
                LOG.log(System.Logger.Level.DEBUG, line);
                window = 0;
                inWindow = 0;
            }
            if (sink != null && o.checkpointEvery() > 0 && done % o.checkpointEvery() == 0 && done < o.steps())
                sink.save(done, ema != null ? ema.toMap() : ps.toMap());
        }
        if (sink != null) sink.save(o.steps(), ema != null ? ema.toMap() : ps.toMap());
        return new Result(losses, ema);
    }

    static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
