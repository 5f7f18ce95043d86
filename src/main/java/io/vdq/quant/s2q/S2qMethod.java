package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.model.wan.WanRope;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.Granularity;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.ckpt.CheckpointSize;
import io.vdq.tensor.Tensor;
import io.vdq.train.ParamSet;
import io.vdq.train.RopeTable;
import io.vdq.train.WanBlockLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SequencedMap;
import java.util.Set;

/**
 * S²Q-VDiT (arXiv 2508.04016) on a Wan model. Steps: (1) the calibration driver samples the FP model over its prompts
 * and all steps while {@link CandidatePool} records, per (prompt, step), what replays block 0 for every CFG branch;
 * (2) {@link SalientDataSelection} keeps K candidates; (3) block by block, {@link BlockCalibrator} learns balancing
 * scales, Kronecker-Cayley rotations and clipping on the λ-weighted block loss ({@link TokenImportance} gives λ),
 * folds them and quantizes the weights with GPTQ; (4) the model's block linears become {@link QuantizedLinear}s with
 * a {@link KroneckerTransform} and dynamic symmetric per-token activations. Only linears inside {@code blocks.*}
 * can be selected (the method is block-wise).
 *
 * <p>Recipe options and the choices they record (method doc §12): {@code selector} = sds (default) | uniform | random
 * | atop | atfp | rtfp; {@code samples} K = 40 candidates (a candidate = one step of one prompt; every CFG branch of it
 * is a training sequence, {@code cfg_branches} = all | first); {@code norm} = spectral (default) | frobenius for
 * C_quant on X = the tokenised model input latent (rows = patches, C·pt·ph·pw columns; {@code sds_input} = latent,
 * or hidden = block 0's input after the patch embedding, the doc's alternative, or denoised = the tokenised x̂₀ that
 * {@code sds_diff=denoised} reads, so that both scores read the paper's one x_t); C_diff along {@code sds_diff} =
 * denoised (default: the model's x̂₀ estimates, +0.88 dB over latent in 9 of 9 paired W4A6 runs on vdq-tiny) or
 * latent (the sampler's latents; {@link SalientDataSelection.DiffInput}); min–max normalisation over the whole pool;
 * {@code sds_max_per_step} 0 (the paper's plain top-K; n caps the picks per sampling step,
 * {@link SalientDataSelection#select(List, SalientDataSelection.Selector, int, long, int)}); {@code std} = true (λ from FP self-attention, {@code lambda_min} 0.5, {@code lambda_max} 1; false
 * = λ ≡ 1); {@code epochs} 15, {@code batch} 4 sequences, {@code lr} 5e-3 (scales, rotations),
 * {@code clip_lr} 5e-2; {@code alpha} 0.3 (SmoothQuant-style init of the balancing scale); {@code rotation} =
 * hadamard (default; random orthogonal when a Kronecker factor is not a power of two) | random | identity, then
 * learned through a Cayley map ({@code learn_rotation} true); {@code act_clip} false: one learned clipping ratio per layer's per-token activation quantizer (the paper's
 * learnable activation clipping); it is deployed with the layer (the ratio is part of its {@code ActivationQuantizer}
 * and of the checkpoint) and runs on the fake-quant path, because the integer kernels have no clip ratio; false
 * keeps the plain min/max quantizer in training and deployment; {@code damp} 0.01 (GPTQ, no act order); {@code seed} 0; {@code pool_memory_mb} 1024 (replay data
 * beyond it spill to a temporary file). Block inputs are FP (FlatQuant); calibration state streams block by block.
 */
public final class S2qMethod implements QuantMethod<S2qSettings> {
    private static final System.Logger LOG = System.getLogger("io.vdq.quant.s2q");

    @Override public String name() { return "s2q"; }

    /** Checkpoint bytes of one layer: GPTQ codes, scales (zero points unless symmetric) and the folded Kronecker transform ({@link KroneckerCodec}). */
    @Override public OptionalLong storedBytes(Recipe r, S2qSettings s, String layer, int out, int in, long biasBytes) {
        long n = r.weightGranularity().count(out, in, r.weightGranularity() == Granularity.PER_GROUP ? r.groupSize() : 1);
        return OptionalLong.of(CheckpointSize.codes(out, in, r.weightBits()) + 4 * n + (r.weightSymmetric() ? 0 : n)
                + new KroneckerCodec().storedBytes(in) + biasBytes);
    }

    @Override public Set<String> options() { return S2qSettings.KEYS; }

    @Override public S2qSettings parseSettings(Recipe r) { return S2qSettings.parse(r); }

    @Override
    public String description() {
        return "S²Q-VDiT: salient data selection, attention-weighted block reconstruction of scales/rotations/clipping, GPTQ";
    }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, S2qSettings o, Calibration calibration) {
        if (!(model.underlying() instanceof WanModel wm))
            throw new ConfigException("recipe '" + r.name() + "': S²Q calibrates Wan blocks and needs a WanModel, got " + model.getClass().getSimpleName());
        if (r.floatWeights()) throw new ConfigException("recipe '" + r.name() + "': S²Q needs weight_bits 2..8");
        if (!r.weightSymmetric() || !r.activationSymmetric())
            throw new ConfigException("recipe '" + r.name() + "': S²Q quantizes symmetrically (set weight_symmetric and activation_symmetric true)");
        SequencedMap<String, FloatLinear> targets = QuantTargets.select(model, r);
        for (String name : targets.keySet())
            if (!name.startsWith("blocks."))
                throw new ConfigException("recipe '" + r.name() + "' selects '" + name + "': S²Q quantizes only linears inside blocks.*");
        WanConfig c = wm.config();
        int seed = o.seed();
        SalientDataSelection.Selector selector = o.selector();
        SalientDataSelection.Norm norm = o.norm();
        SalientDataSelection.DiffInput diffInput = o.sdsDiff();
        SalientDataSelection.QuantInput quantInput = o.sdsInput();
        int k = o.samples(), maxPerStep = o.sdsMaxPerStep();
        BlockCalibrator.Settings s = new BlockCalibrator.Settings(r.weightBits(), r.activationBits(), o.epochs(),
                o.batch(), o.lr(), o.clipLr(), o.actClip(), o.learnRotation(), o.rotation(), o.alpha(), o.std(),
                (float) o.lambdaMin(), (float) o.lambdaMax(), o.damp(), seed, weightGroup(r));
        long memory = o.poolMemoryBytes();

        long t0 = System.nanoTime();
        SequencedMap<String, Tensor> weights = wm.toTensors();
        List<BlockCalibrator.Sample> samples = new ArrayList<>();
        CandidatePool.Grid grid;
        String selection, poolNote = "";
        try (CandidatePool pool = CandidatePool.collect(wm, calibration, norm, quantInput, diffInput, memory)) {
            List<Candidate> chosen = SalientDataSelection.select(pool.candidates(), selector, k, seed, maxPerStep);
            grid = pool.grid();
            for (Candidate cand : chosen) {
                int idx = pool.indexOf(cand);
                int nb = o.allBranches() ? pool.branches(idx) : 1;
                for (int b = 0; b < nb; b++) {
                    CandidatePool.Replay rp = pool.replay(idx, b);
                    samples.add(new BlockCalibrator.Sample(rp.hidden(), rp.text(), rp.tproj()));
                }
            }
            selection = String.format(Locale.ROOT, "%s: %d of %d candidates, %d sequences%s; %s", selector.name().toLowerCase(Locale.ROOT),
                    chosen.size(), pool.candidates().size(), samples.size(), pool.spilled() ? " (pool spilled to disk)" : "",
                    spread(chosen, pool.candidates()));
            poolNote = poolNote(pool.candidates().size(), k);
        }
        if (!poolNote.isEmpty()) {
            String warn = "s2q: " + poolNote;
            LOG.log(System.Logger.Level.WARNING, warn);
            poolNote = "; " + poolNote;
        }
        LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT, "s2q: pool %.1f s; %s", (System.nanoTime() - t0) / 1e9, selection));

        int dim = c.dim(), n = grid.tokens(), m = samples.get(0).text().length / dim;
        RopeTable rope = RopeTable.wan(c.attentionHeadDim(), grid.frames(), grid.height(), grid.width(), WanRope.THETA);
        ActivationBits bits = new ActivationBits(r.activationBits());
        List<LayerReport> rows = new ArrayList<>();
        Set<String> quantize = new LinkedHashSet<>(targets.keySet());
        for (int b = 0; b < c.numLayers(); b++) {
            String prefix = "blocks." + b + ".";
            if (quantize.stream().noneMatch(x -> x.startsWith(prefix))) {
                samples = forwardOnly(block(weights, b, c), samples, n, m, dim, rope);
                continue;
            }
            long b0 = System.nanoTime();
            int bi = b;
            BlockCalibrator.Result res = BlockCalibrator.run(block(weights, b, c), samples, n, m, dim, c.numAttentionHeads(),
                    c.attentionHeadDim(), rope, quantize, s, bits,
                    msg -> LOG.log(System.Logger.Level.DEBUG, () -> "s2q block " + bi + ": " + msg));
            for (var e : res.layers().entrySet()) {
                FloatLinear f = targets.get(e.getKey());
                model.replaceLinear(e.getKey(), e.getValue());
                rows.add(LayerReport.measure(e.getKey(), f, e.getValue(), r.activationBits(), String.format(Locale.ROOT,
                        "block loss %.3e -> %.3e%s", res.lossBefore(), res.lossAfter(), poolNote)));
            }
            List<float[]> outs = res.outputs();
            List<BlockCalibrator.Sample> next = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) next.add(new BlockCalibrator.Sample(outs.get(i), samples.get(i).text(), samples.get(i).tproj()));
            samples = next;
            String lambdas = Double.isNaN(res.lambdaMean()) ? "λ ≡ 1"
                    : String.format(Locale.ROOT, "λ mean %.3f, %.1f %% of tokens above the middle; the top 10 %% of tokens receive %.1f %% of the attention",
                            res.lambdaMean(), 100 * res.lambdaHighShare(), 100 * res.topDecileShare());
            LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT, "s2q block %d/%d: loss %.4e -> %.4e (fake-quant, %s), %.1f s",
                    bi + 1, c.numLayers(), res.lossBefore(), res.lossAfter(), lambdas, (System.nanoTime() - b0) / 1e9));
        }
        return new QuantReport(name(), r, rows, null, bits);
    }

    /**
     * Empty when the pool offers a choice (more candidates than K); otherwise the sentence every such run prints in
     * its log and in each layer's report note: the selector then takes the whole pool, so SDS (or any ablation
     * selector) cannot act, and the run measures the block reconstruction, not the selection.
     */
    static String poolNote(int poolSize, int k) {
        return poolSize > k ? "" : String.format(Locale.ROOT, "candidate pool (%d) is not larger than K = %d: every candidate is "
                + "used and the selector makes no choice (more calibration prompts or steps are needed for SDS to act)", poolSize, k);
    }

    /**
     * The recipe's weight granularity as S²Q's group size: 0 = per output channel, else the group along K (the
     * learned clipping and the GPTQ scales are then per row and group).
     */
    static int weightGroup(Recipe r) {
        return switch (r.weightGranularity()) {
            case PER_CHANNEL -> 0;
            case PER_GROUP -> r.groupSize();
            default -> throw new ConfigException("recipe '" + r.name() + "': S²Q weight_granularity must be per_channel or per_group, got "
                    + r.weightGranularity().jsonName());
        };
    }

    /** One Wan block of the training engine holding the model's weights for block {@code b}. */
    static WanBlockLayer block(Map<String, Tensor> weights, int b, WanConfig c) {
        ParamSet ps = new ParamSet();
        WanBlockLayer layer = new WanBlockLayer(ps, "blocks." + b, c.dim(), c.numAttentionHeads(), c.attentionHeadDim(), c.ffnDim(), c.eps());
        Map<String, Tensor> mine = new HashMap<>();
        for (var e : weights.entrySet()) if (e.getKey().startsWith("blocks." + b + ".")) mine.put(e.getKey(), e.getValue());
        if (!c.crossAttnNorm()) throw new ConfigException("S²Q: Wan configs without cross_attn_norm are not supported by the training engine");
        ps.load(mine, "S²Q block " + b);
        return layer;
    }

    private static List<BlockCalibrator.Sample> forwardOnly(WanBlockLayer block, List<BlockCalibrator.Sample> in, int n, int m, int dim, RopeTable rope) {
        List<BlockCalibrator.Sample> out = new ArrayList<>();
        for (BlockCalibrator.Sample s : in)
            out.add(new BlockCalibrator.Sample(block.forward(s.x(), s.text(), s.tproj(), 1, n, m, rope).y(), s.text(), s.tproj()));
        return out;
    }

    /**
     * Where a selection landed, for the log: how many chosen candidates each sampling step (in sampling order,
     * high noise first) and how many distinct prompts contributed, e.g. {@code "per step [9 8 7 …], 10 prompts"}.
     */
    static String spread(List<Candidate> chosen, List<Candidate> pool) {
        int steps = 0;
        for (Candidate c : pool) steps = Math.max(steps, c.step() + 1);
        int[] per = new int[steps];
        Set<Integer> prompts = new HashSet<>();
        for (Candidate c : chosen) { per[c.step()]++; prompts.add(c.prompt()); }
        StringBuilder b = new StringBuilder("per step [");
        for (int i = 0; i < steps; i++) b.append(i == 0 ? "" : " ").append(per[i]);
        return b.append("], ").append(prompts.size()).append(prompts.size() == 1 ? " prompt" : " prompts").toString();
    }
}
