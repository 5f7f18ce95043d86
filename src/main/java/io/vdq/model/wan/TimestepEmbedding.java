package io.vdq.model.wan;

/**
 * diffusers' {@code get_timestep_embedding} with {@code flip_sin_to_cos = True}, {@code downscale_freq_shift = 0}:
 * {@code [cos(t·f_i) | sin(t·f_i)]}, f_i = exp(−ln(10000)·i/half). The exponent, frequency and argument are
 * rounded to float32 at the same points as PyTorch's float32 evaluation, so large t·f products round alike.
 */
public final class TimestepEmbedding {
    private TimestepEmbedding() {}

    public static float[] sinusoid(float t, int dim) {
        int half = dim / 2;
        float[] out = new float[dim];
        float negLog = (float) -Math.log(10000.0);
        for (int i = 0; i < half; i++) {
            float exponent = negLog * (float) i / (float) half;
            float freq = (float) Math.exp(exponent);
            float arg = t * freq;
            out[i] = (float) Math.cos(arg);
            out[half + i] = (float) Math.sin(arg);
        }
        return out;
    }
}
