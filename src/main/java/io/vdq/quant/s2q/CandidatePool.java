package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException;
import io.vdq.model.wan.BlockHook;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.quant.StepTag;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The S²Q candidate pool: the full-precision model is run by the calibration driver (prompts × all sampler steps ×
 * CFG branches, tagged by step); for every model call the pool keeps what replays a block forward — block 0's input,
 * the projected text and the timestep projection — and scores each (prompt, step) candidate with C_diff (against the
 * next step of the same trajectory, of the latent or of the denoised estimate; {@link SalientDataSelection.DiffInput})
 * and C_quant (‖XᵀX‖ of the tokenised latent or of block 0's input; {@link SalientDataSelection.QuantInput}); both
 * are taken of the first CFG branch. A new
 * trajectory starts when the step index goes down; the last step of a trajectory has no successor and is dropped.
 * Replay data stays in memory up to {@code memoryBytes}, then goes to a temporary file deleted by {@link #close}.
 */
public final class CandidatePool implements AutoCloseable {
    /** One model call's replay data (block 0 input n×dim, text L×dim, tproj 6·dim). */
    public record Replay(float[] hidden, float[] text, float[] tproj) {}

    /** The latent-patch grid of the calibration video (all calls must share it). */
    public record Grid(int frames, int height, int width) {
        public int tokens() { return frames * height * width; }
    }

    private final List<Candidate> candidates = new ArrayList<>();
    private final List<List<long[]>> where = new ArrayList<>(); // per candidate, per branch: {slot}
    private final List<float[][]> memory = new ArrayList<>();    // slot -> arrays, or null when on disk
    private final List<long[]> disk = new ArrayList<>();         // slot -> {offset, hLen, tLen, pLen}
    private final long memoryBytes;
    private long inMemory;
    private Path spill;
    private FileChannel channel;
    private long spillEnd;
    private Grid grid;

    private CandidatePool(long memoryBytes) { this.memoryBytes = memoryBytes; }

    /** Runs {@code calibration} on {@code model} with an observer installed and returns the scored pool. */
    public static CandidatePool collect(WanModel model, Calibration calibration, SalientDataSelection.Norm norm, long memoryBytes) {
        return collect(model, calibration, norm, SalientDataSelection.QuantInput.LATENT, SalientDataSelection.DiffInput.LATENT, memoryBytes);
    }

    /**
     * As {@link #collect(WanModel, Calibration, SalientDataSelection.Norm, long)}, C_quant taken of {@code quant} and
     * C_diff along {@code diff}.
     */
    public static CandidatePool collect(WanModel model, Calibration calibration, SalientDataSelection.Norm norm,
                                        SalientDataSelection.QuantInput quant, SalientDataSelection.DiffInput diff, long memoryBytes) {
        CandidatePool pool = new CandidatePool(memoryBytes);
        StepTag tag = new StepTag();
        Collector col = pool.new Collector(model, tag, norm, quant, diff);
        try (AutoCloseable h = model.observe(col)) {
            calibration.run(tag);
        } catch (VdqException e) {
            pool.close();
            throw e;
        } catch (Exception e) {
            pool.close();
            throw new ConfigException("S²Q candidate pool: calibration failed: " + e.getMessage());
        }
        if (pool.candidates.isEmpty()) {
            pool.close();
            throw new ConfigException("S²Q candidate pool is empty: the calibration must run at least two tagged sampler steps per prompt"
                    + " (saw " + col.calls + " model calls)");
        }
        return pool;
    }

    public List<Candidate> candidates() { return List.copyOf(candidates); }
    public Grid grid() { return grid; }
    public int branches(int candidate) { return where.get(candidate).size(); }

    /** The replay data of branch {@code branch} of candidate {@code index} (pool order). */
    public Replay replay(int index, int branch) {
        int slot = (int) where.get(index).get(branch)[0];
        float[][] m = memory.get(slot);
        if (m != null) return new Replay(m[0], m[1], m[2]);
        long[] d = disk.get(slot);
        return new Replay(read(d[0], (int) d[1]), read(d[0] + 4 * d[1], (int) d[2]), read(d[0] + 4 * (d[1] + d[2]), (int) d[3]));
    }

    /** Index of a candidate in pool order. */
    public int indexOf(Candidate c) { return candidates.indexOf(c); }

    /** Whether any replay data went to disk. */
    public boolean spilled() { return channel != null; }

    private int store(float[] hidden, float[] text, float[] tproj) {
        long bytes = 4L * (hidden.length + text.length + tproj.length);
        int slot = memory.size();
        if (inMemory + bytes <= memoryBytes) {
            memory.add(new float[][]{hidden.clone(), text.clone(), tproj.clone()});
            disk.add(null);
            inMemory += bytes;
            return slot;
        }
        try {
            if (channel == null) {
                spill = Files.createTempFile("vdq-s2q-pool", ".f32");
                channel = FileChannel.open(spill, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
            }
            ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : hidden) b.putFloat(v);
            for (float v : text) b.putFloat(v);
            for (float v : tproj) b.putFloat(v);
            b.flip();
            long at = spillEnd;
            while (b.hasRemaining()) spillEnd += channel.write(b, spillEnd);
            memory.add(null);
            disk.add(new long[]{at, hidden.length, text.length, tproj.length});
            return slot;
        } catch (IOException e) {
            throw new UncheckedIOException("S²Q candidate pool: cannot spill to " + spill, e);
        }
    }

    private float[] read(long offset, int count) {
        ByteBuffer b = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
        try {
            long at = offset;
            while (b.hasRemaining()) {
                int r = channel.read(b, at);
                if (r < 0) throw new IOException("unexpected end of spill file at " + at);
                at += r;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("S²Q candidate pool: cannot read " + spill, e);
        }
        b.flip();
        float[] out = new float[count];
        b.asFloatBuffer().get(out);
        return out;
    }

    @Override
    public void close() {
        try {
            if (channel != null) channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("S²Q candidate pool: cannot close " + spill, e);
        }
    }

    /**
     * Observes the model calls. A step's scores and replay slots are taken at its first branch's {@code beforeBlocks};
     * its C_diff feature (latent or x̂₀) is complete at that branch's {@code afterForward}, which is also when the
     * previous step of the same trajectory gets its C_diff and enters the pool.
     */
    private final class Collector implements BlockHook {
        private final WanModel model;
        private final StepTag tag;
        private final SalientDataSelection.Norm norm;
        private final SalientDataSelection.QuantInput quant;
        private final SalientDataSelection.DiffInput diff;
        private int prompt = -1, lastStep = Integer.MAX_VALUE, calls;
        private Step pending, current; // the last step awaiting its successor; the step whose first branch is running
        private boolean awaitingOutput;

        /** One (prompt, step) before it is scored: C_quant, replay slots per branch, and (once its output is known) the C_diff feature. */
        private static final class Step {
            final int prompt, step;
            final float timestep;
            final float[] patches;
            double quant; // NaN until known (C_quant of x̂₀ is known at the branch's output)
            final List<long[]> slots = new ArrayList<>();
            float[] feature;

            Step(int prompt, int step, float timestep, float[] patches, double quant) {
                this.prompt = prompt; this.step = step; this.timestep = timestep; this.patches = patches; this.quant = quant;
            }
        }

        Collector(WanModel model, StepTag tag, SalientDataSelection.Norm norm, SalientDataSelection.QuantInput quant, SalientDataSelection.DiffInput diff) {
            this.model = model;
            this.tag = tag; this.norm = norm; this.quant = quant; this.diff = diff;
        }

        @Override
        public void beforeBlocks(int ppf, int pph, int ppw, float[] patches, float[] hidden, float[] text, float[] tproj) {
            calls++;
            int step = tag.step();
            if (step < 0) throw new ConfigException("S²Q calibration: a model call without a step tag (the calibration driver must tag steps)");
            Grid g = new Grid(ppf, pph, ppw);
            if (grid == null) grid = g;
            else if (!grid.equals(g)) throw new ConfigException("S²Q calibration: latent grids differ (" + grid + " then " + g + ")");
            int n = g.tokens(), pin = patches.length / Math.max(1, n);
            if (step == lastStep && current != null) { // another CFG branch of the same step
                current.slots.add(new long[]{store(hidden, text, tproj)});
                return;
            }
            if (step < lastStep) { prompt++; pending = null; }
            float[] x = Arrays.copyOf(patches, n * pin);
            double cq = switch (quant) {
                case HIDDEN -> SalientDataSelection.gramNorm(hidden, n, hidden.length / Math.max(1, n), norm);
                case LATENT -> SalientDataSelection.gramNorm(x, n, pin, norm);
                case DENOISED -> Double.NaN;
            };
            current = new Step(prompt, step, tag.timestep(), x, cq);
            current.slots.add(new long[]{store(hidden, text, tproj)});
            awaitingOutput = true;
            lastStep = step;
        }

        @Override
        public void afterForward(Tensor latents, float timestep, Tensor velocity) {
            if (!awaitingOutput) return; // a later CFG branch
            awaitingOutput = false;
            float[] x0 = null;
            if (diff == SalientDataSelection.DiffInput.DENOISED || quant == SalientDataSelection.QuantInput.DENOISED) {
                float[] x = latents.toArray(), v = velocity.toArray();
                x0 = new float[x.length];
                float sigma = timestep / 1000f;
                for (int i = 0; i < x.length; i++) x0[i] = x[i] - sigma * v[i];
            }
            current.feature = diff == SalientDataSelection.DiffInput.DENOISED ? x0 : current.patches;
            if (quant == SalientDataSelection.QuantInput.DENOISED) {
                int n = grid.tokens();
                float[] tok = model.tokens(Tensor.of(x0, latents.shape().dims()));
                current.quant = SalientDataSelection.gramNorm(tok, n, tok.length / n, norm);
            }
            if (pending != null && pending.prompt == current.prompt && current.step > pending.step) {
                double cd = SalientDataSelection.diffusionSalience(pending.feature, current.feature);
                candidates.add(new Candidate(pending.prompt, pending.step, pending.timestep, cd, pending.quant));
                where.add(pending.slots);
            }
            pending = current;
        }
    }
}
