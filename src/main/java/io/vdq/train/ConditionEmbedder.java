package io.vdq.train;

/**
 * diffusers {@code WanTimeTextImageEmbedding} (T2V part): sinusoidal timestep features (flip_sin_to_cos:
 * [cos | sin], frequencies exp(−ln(10⁴)·i/half)) → time_embedder (Linear, SiLU, Linear) = temb →
 * SiLU → time_proj (dim → 6·dim); text → text_embedder (Linear, GELU-tanh, Linear).
 */
public final class ConditionEmbedder {
    private final int freqDim;
    private final LinearLayer time1, time2, timeProj, text1, text2;

    public ConditionEmbedder(ParamSet ps, int freqDim, int textDim, int dim) {
        this.freqDim = freqDim;
        String p = "condition_embedder.";
        time1 = new LinearLayer(ps, p + "time_embedder.linear_1", freqDim, dim, true);
        time2 = new LinearLayer(ps, p + "time_embedder.linear_2", dim, dim, true);
        timeProj = new LinearLayer(ps, p + "time_proj", dim, 6 * dim, true);
        text1 = new LinearLayer(ps, p + "text_embedder.linear_1", textDim, dim, true);
        text2 = new LinearLayer(ps, p + "text_embedder.linear_2", dim, dim, true);
    }

    public LinearLayer[] linears() { return new LinearLayer[]{time1, time2, timeProj, text1, text2}; }

    /** [batch, freqDim] sinusoidal features of the timesteps (σ·1000 for flow matching). */
    public static float[] timestepFeatures(float[] timesteps, int freqDim) {
        int half = freqDim / 2, b = timesteps.length;
        float[] f = new float[b * freqDim];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < half; j++) {
                double a = timesteps[i] * Math.exp(-Math.log(10000.0) * j / half);
                f[i * freqDim + j] = (float) Math.cos(a);
                f[i * freqDim + half + j] = (float) Math.sin(a);
            }
        return f;
    }

    public record Cache(int batch, int textRows, LinearLayer.Cache t1, float[] t1a, LinearLayer.Cache t2, float[] tembAct,
                        LinearLayer.Cache tp, LinearLayer.Cache x1, float[] x1a, LinearLayer.Cache x2) {
        /** temb [batch, dim]. */
        public float[] temb() { return t2.y(); }
        /** timestep_proj [batch, 6·dim]. */
        public float[] tproj() { return tp.y(); }
        /** Projected text [textRows, dim]. */
        public float[] text() { return x2.y(); }
    }

    public Cache forward(float[] timesteps, float[] text, int textRows) {
        int b = timesteps.length;
        LinearLayer.Cache t1 = time1.forward(timestepFeatures(timesteps, freqDim), b);
        float[] t1a = Ops.silu(t1.y());
        LinearLayer.Cache t2 = time2.forward(t1a, b);
        float[] ta = Ops.silu(t2.y());
        LinearLayer.Cache tp = timeProj.forward(ta, b);
        LinearLayer.Cache x1 = text1.forward(text, textRows);
        float[] x1a = Ops.gelu(x1.y());
        LinearLayer.Cache x2 = text2.forward(x1a, textRows);
        return new Cache(b, textRows, t1, t1a, t2, ta, tp, x1, x1a, x2);
    }

    /** Backward from the gradients of temb, timestep_proj and the projected text; returns dL/d(text input). */
    public float[] backward(Cache c, float[] dTemb, float[] dTproj, float[] dText) {
        float[] dta = timeProj.backward(c.tp(), dTproj);
        float[] dt = Ops.siluBackward(c.t2().y(), dta);
        Ops.addInPlace(dt, dTemb);
        float[] dt1a = time2.backward(c.t2(), dt);
        time1.backward(c.t1(), Ops.siluBackward(c.t1().y(), dt1a));
        float[] dx1a = text2.backward(c.x2(), dText);
        return text1.backward(c.x1(), Ops.geluBackward(c.x1().y(), dx1a));
    }
}
