package io.vdq.cli;

import io.vdq.synth.Prompt;
import io.vdq.synth.Renderer;
import io.vdq.synth.SceneSpec;
import io.vdq.synth.SpecSampler;
import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Tensor;
import io.vdq.train.TinyTrainer;
import java.util.SplittableRandom;

/**
 * Training batches for vdq-tiny from the synthetic world: example j of step s is the TRAIN-split scene with index
 * {@code s·batch + j}, rendered to pixels in [−1, 1] as {@code [3, F, H, W]}. Its caption is the scene's canonical
 * prompt with the speed and the background phrase each left out with probability ½ (so short prompts such as
 * "a red circle moving left" are in distribution), and with probability {@code dropText} the text embedding is all
 * zeros — the negative embedding the sampler uses for classifier-free guidance. A pure function of (seed, step).
 */
final class TinyData implements TinyTrainer.BatchSupplier {
    private final SpecSampler sampler;
    private final TextEncoder encoder;
    private final int batch, frames, size;
    private final double dropText;
    private final long seed;

    TinyData(TextEncoder encoder, int batch, int frames, int size, double dropText, long seed) {
        this.sampler = new SpecSampler(size, size, false);
        this.encoder = encoder;
        this.batch = batch;
        this.frames = frames;
        this.size = size;
        this.dropText = dropText;
        this.seed = seed;
    }

    @Override
    public TinyTrainer.Batch get(int step) {
        int plane = frames * size * size, len = encoder.length(), td = encoder.textDim();
        float[] x = new float[batch * 3 * plane], text = new float[batch * len * td], px = new float[plane * 3];
        for (int j = 0; j < batch; j++) {
            long index = (long) step * batch + j;
            SceneSpec spec = sampler.sample(SpecSampler.Split.TRAIN.seed(index));
            Renderer.renderInto(spec, frames, size, size, px, 0);
            toChannelsFirst(px, x, j * 3 * plane, plane);
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (index * 0xBF58476D1CE4E5B9L + 1));
            if (r.nextDouble() < dropText) continue; // zeros: the unconditional branch
            Prompt full = spec.toPrompt();
            Prompt p = new Prompt(full.color(), full.shape(), full.direction(),
                    r.nextBoolean() ? full.speed() : null, r.nextBoolean() ? full.background() : null);
            encoder.encodeInto(encoder.tokenize(p.text()), text, j * len * td);
        }
        return new TinyTrainer.Batch(Tensor.of(x, batch, 3, frames, size, size), Tensor.of(text, batch, len, td));
    }

    /** {@code [F, H, W, 3]} in [0, 1] → {@code [3, F, H, W]} in [−1, 1] at {@code off}. */
    static void toChannelsFirst(float[] px, float[] out, int off, int plane) {
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++) out[off + c * plane + i] = 2 * px[i * 3 + c] - 1;
    }
}
