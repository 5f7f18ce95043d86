package io.vdq.train;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;

/**
 * The whole diffusers {@code WanTransformer3DModel} (T2V) with explicit forward and backward: patch embedding
 * as a linear on (c, pt, ph, pw)-flattened patches (weight stored as the Conv3d kernel [dim, C, pt, ph, pw]),
 * tokens in (f, h, w) order, condition embedder, blocks, output head
 * {@code proj_out(LN(h)·(1 + scale) + shift)} with (shift, scale) = scale_shift_table + temb, and unpatchify
 * (proj_out features ordered (pt, ph, pw, C_out)). Parameter names are diffusers', so {@link #params()}
 * loads into the inference model.
 */
public final class WanTrainModel {
    private final WanTrainConfig cfg;
    private final ParamSet params = new ParamSet();
    private final LinearLayer patch, projOut;
    private final ConditionEmbedder cond;
    private final List<WanBlockLayer> blocks = new ArrayList<>();
    private final LayerNormLayer normOut;
    private final Param headTable;

    public WanTrainModel(WanTrainConfig cfg) {
        this.cfg = cfg;
        int dim = cfg.dim();
        patch = new LinearLayer(params, "patch_embedding", cfg.patchIn(), dim, true,
                dim, cfg.inChannels(), cfg.patchT(), cfg.patchH(), cfg.patchW());
        cond = new ConditionEmbedder(params, cfg.freqDim(), cfg.textDim(), dim);
        for (int i = 0; i < cfg.numLayers(); i++)
            blocks.add(new WanBlockLayer(params, "blocks." + i, dim, cfg.numHeads(), cfg.headDim(), cfg.ffnDim(), cfg.eps()));
        headTable = params.add("scale_shift_table", 1, 2, dim).decay(false);
        normOut = new LayerNormLayer(dim, cfg.eps());
        projOut = new LinearLayer(params, "proj_out", dim, cfg.patchOut(), true);
    }

    /** A freshly initialised model: linears uniform ±1/√in, tables N(0, 1/dim), norms 1/0; seeded. */
    public static WanTrainModel create(WanTrainConfig cfg, long seed) {
        WanTrainModel m = new WanTrainModel(cfg);
        SplittableRandom rng = new SplittableRandom(seed);
        m.patch.initUniform(rng.split());
        for (LinearLayer l : m.cond.linears()) l.initUniform(rng.split());
        for (WanBlockLayer b : m.blocks) b.init(rng.split());
        Tensor.fillGaussian(rng.split(), m.headTable.v(), 0, m.headTable.size());
        float s = (float) (1.0 / Math.sqrt(cfg.dim()));
        for (int i = 0; i < m.headTable.size(); i++) m.headTable.v()[i] *= s;
        m.projOut.initUniform(rng.split());
        return m;
    }

    /** A model holding the given weights (diffusers names; every parameter must be present with its shape). */
    public static WanTrainModel fromWeights(WanTrainConfig cfg, Map<String, Tensor> weights, String what) {
        WanTrainModel m = new WanTrainModel(cfg);
        m.params.load(weights, what);
        return m;
    }

    public WanTrainConfig config() { return cfg; }
    public ParamSet params() { return params; }
    public List<WanBlockLayer> blocks() { return List.copyOf(blocks); }

    /** The linear layers inside the blocks, by diffusers prefix, in forward order (where quantizers hook in). */
    public SequencedMap<String, LinearLayer> blockLinears() {
        SequencedMap<String, LinearLayer> m = new LinkedHashMap<>();
        for (WanBlockLayer b : blocks) for (LinearLayer l : b.linears()) m.put(l.name(), l);
        return m;
    }

    /** The rotary table for a video of frames × height × width (pixels or latents, before patching). */
    public RopeTable rope(int frames, int height, int width) {
        return RopeTable.wan(cfg.headDim(), frames / cfg.patchT(), height / cfg.patchH(), width / cfg.patchW(), cfg.ropeTheta());
    }

    public record Cache(int batch, int frames, int height, int width, int n, int textLen, ConditionEmbedder.Cache cond,
                        LinearLayer.Cache patch, List<WanBlockLayer.Cache> blocks, LayerNormLayer.Cache normOut,
                        float[] headMod, LinearLayer.Cache proj, Tensor output) {
        /** The hidden states entering block i (batch·n rows of dim); block i's inputs for distillation. */
        public float[] blockInput(int i) { return blocks.get(i).x(); }

        /** The hidden states leaving block i. */
        public float[] blockOutput(int i) { return blocks.get(i).y(); }
    }

    /**
     * @param x         [B, C, F, H, W] (F, H, W divisible by the patch size)
     * @param timesteps B values (σ·1000 for flow matching)
     * @param text      [B, L, text_dim] text-encoder states
     */
    public Cache forward(Tensor x, float[] timesteps, Tensor text) {
        if (x.rank() != 5 || x.dim(1) != cfg.inChannels())
            throw new ShapeException("WanTrainModel input: expected [B, " + cfg.inChannels() + ", F, H, W], got " + x.shape());
        int batch = x.dim(0), f = x.dim(2), h = x.dim(3), w = x.dim(4);
        if (f % cfg.patchT() != 0 || h % cfg.patchH() != 0 || w % cfg.patchW() != 0)
            throw new ShapeException("WanTrainModel input " + x.shape() + ": F, H, W must be multiples of the patch size "
                    + cfg.patchT() + "×" + cfg.patchH() + "×" + cfg.patchW());
        if (text.rank() != 3 || text.dim(0) != batch || text.dim(2) != cfg.textDim())
            throw new ShapeException("WanTrainModel text: expected [" + batch + ", L, " + cfg.textDim() + "], got " + text.shape());
        if (timesteps.length != batch) throw new ShapeException("WanTrainModel: " + timesteps.length + " timesteps for batch " + batch);
        int pf = f / cfg.patchT(), ph = h / cfg.patchH(), pw = w / cfg.patchW(), n = pf * ph * pw, len = text.dim(1), dim = cfg.dim();
        RopeTable rope = rope(f, h, w);

        ConditionEmbedder.Cache cc = cond.forward(timesteps, text.toArray(), batch * len);
        float[] tokens = patches(x.toArray(), batch, f, h, w, false, true);
        LinearLayer.Cache pc = patch.forward(tokens, batch * n);
        float[] hs = pc.y();
        List<WanBlockLayer.Cache> bc = new ArrayList<>();
        for (WanBlockLayer b : blocks) {
            WanBlockLayer.Cache c = b.forward(hs, cc.text(), cc.tproj(), batch, n, len, rope);
            bc.add(c);
            hs = c.y();
        }
        float[] mod = headMod(cc.temb(), batch);
        LayerNormLayer.Cache no = normOut.forward(hs, batch * n);
        float[] mo = Ops.modulate(no.y(), batch, n, dim, mod, 2 * dim, 0, dim);
        LinearLayer.Cache po = projOut.forward(mo, batch * n);
        float[] out = patches(po.y(), batch, f, h, w, true, false);
        return new Cache(batch, f, h, w, n, len, cc, pc, bc, no, mod, po,
                Tensor.of(out, batch, cfg.outChannels(), f, h, w));
    }

    /** Gradients w.r.t. the model's inputs. */
    public record Grads(Tensor dx, Tensor dText) {}

    /** Adds all parameter gradients for dL/d(output) and returns the input gradients. */
    public Grads backward(Cache c, Tensor dOut) {
        c.output().requireShape("WanTrainModel.backward dOut", dOut.shape().dims());
        int batch = c.batch(), n = c.n(), dim = cfg.dim();
        float[] dTok = patches(dOut.toArray(), batch, c.frames(), c.height(), c.width(), true, true);
        float[] dmo = projOut.backward(c.proj(), dTok);
        float[] dmod = new float[batch * 2 * dim];
        float[] dno = Ops.modulateBackward(c.normOut().y(), dmo, batch, n, dim, c.headMod(), dmod, 2 * dim, 0, dim);
        float[] dh = normOut.backward(c.normOut(), dno);
        float[] dTemb = new float[batch * dim], dTproj = new float[batch * 6 * dim], dText = new float[batch * c.textLen() * dim];
        float[] tg = headTable.g();
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < 2; k++)
                for (int j = 0; j < dim; j++) {
                    float g = dmod[(b * 2 + k) * dim + j];
                    tg[k * dim + j] += g;
                    dTemb[b * dim + j] += g;
                }
        for (int i = blocks.size() - 1; i >= 0; i--) dh = blocks.get(i).backward(c.blocks().get(i), dh, dText, dTproj);
        float[] dTokIn = patch.backward(c.patch(), dh);
        float[] dx = patches(dTokIn, batch, c.frames(), c.height(), c.width(), false, false);
        float[] dTextIn = cond.backward(c.cond(), dTemb, dTproj, dText);
        return new Grads(Tensor.of(dx, batch, cfg.inChannels(), c.frames(), c.height(), c.width()),
                Tensor.of(dTextIn, batch, c.textLen(), cfg.textDim()));
    }

    private float[] headMod(float[] temb, int batch) {
        int dim = cfg.dim();
        float[] t = headTable.v(), mod = new float[batch * 2 * dim];
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < 2; k++)
                for (int j = 0; j < dim; j++) mod[(b * 2 + k) * dim + j] = t[k * dim + j] + temb[b * dim + j];
        return mod;
    }

    /**
     * Moves values between a video [B, C, F, H, W] and patch tokens [B·N, C·pt·ph·pw]: features ordered
     * (c, pt, ph, pw) for the input side, (pt, ph, pw, c) when {@code channelLast} (the proj_out side).
     * {@code toTokens} chooses the direction; the two directions are each other's inverse and transpose.
     */
    private float[] patches(float[] src, int batch, int f, int h, int w, boolean channelLast, boolean toTokens) {
        int pt = cfg.patchT(), ph = cfg.patchH(), pw = cfg.patchW();
        int ch = channelLast ? cfg.outChannels() : cfg.inChannels();
        int nf = f / pt, nh = h / ph, nw = w / pw, per = ch * pt * ph * pw, n = nf * nh * nw;
        float[] dst = new float[batch * ch * f * h * w];
        Ops.par(batch * n, per, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int b = t / n, r = t % n, fi = r / (nh * nw), hi = (r / nw) % nh, wi = r % nw;
                for (int c = 0; c < ch; c++)
                    for (int i = 0; i < pt; i++)
                        for (int j = 0; j < ph; j++)
                            for (int k = 0; k < pw; k++) {
                                int feat = channelLast ? ((i * ph + j) * pw + k) * ch + c : ((c * pt + i) * ph + j) * pw + k;
                                int tok = t * per + feat;
                                int vid = (((b * ch + c) * f + fi * pt + i) * h + hi * ph + j) * w + wi * pw + k;
                                if (toTokens) dst[tok] = src[vid]; else dst[vid] = src[tok];
                            }
            }
        });
        return dst;
    }
}
