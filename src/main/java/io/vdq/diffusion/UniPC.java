package io.vdq.diffusion;

/**
 * diffusers' {@code UniPCMultistepScheduler} as Wan configures it: {@code prediction_type = flow_prediction},
 * {@code use_flow_sigmas}, {@code flow_shift}, 1000 training timesteps, and the defaults {@code solver_order = 2},
 * {@code solver_type = bh2}, {@code predict_x0}, {@code lower_order_final}, final σ = 0, no disabled corrector.
 * With flow sigmas α_t = 1 − σ_t and λ_t = ln α_t − ln σ_t. The model input is ⌊σ·1000⌋ (diffusers casts the
 * float64 timesteps to int64). Scalars are computed in double, tensors updated in float32.
 */
public final class UniPC implements Scheduler {
    private static final int ORDER = 2;

    private final float[] sigmas;
    private final float[] timesteps;
    // multistep state: converted outputs (x0 predictions) of the last two steps, the last sample before the predictor
    private float[] m1, m0;
    private float[] lastSample;
    private int lowerOrderNums, thisOrder, nextStep;

    UniPC(int steps, double shift) {
        double[] alphas = Scheduler.linspace(1.0, 1.0 / TRAIN_TIMESTEPS, steps + 1);
        sigmas = new float[steps + 1];
        timesteps = new float[steps];
        for (int i = 0; i < steps; i++) {
            double s = Scheduler.shift(shift, 1.0 - alphas[steps - i]); // flipped, the σ = 0 end dropped
            sigmas[i] = (float) s;
            timesteps[i] = (long) (s * TRAIN_TIMESTEPS);
        }
        sigmas[steps] = 0f;
    }

    @Override public String name() { return "unipc"; }
    @Override public int steps() { return timesteps.length; }
    @Override public float sigma(int i) { return sigmas[i]; }
    @Override public float timestep(int i) { return timesteps[i]; }

    private double lambda(int i) {
        double s = sigmas[i];
        return Math.log(1 - s) - Math.log(s);
    }

    @Override
    public void step(int i, float[] modelOutput, float[] sample) {
        if (i != nextStep)
            throw new IllegalStateException("UniPC steps must be taken in order: expected step " + nextStep + ", got " + i);
        int n = sample.length;
        float sigma = sigmas[i];
        float[] m = new float[n];
        for (int j = 0; j < n; j++) m[j] = sample[j] - sigma * modelOutput[j]; // x0 prediction

        if (i > 0 && lastSample != null) corrector(i, m, sample);

        m1 = m0;
        m0 = m;
        int order = Math.min(ORDER, steps() - i); // lower_order_final
        thisOrder = Math.min(order, lowerOrderNums + 1);
        lastSample = sample.clone();
        predictor(i, sample);
        if (lowerOrderNums < ORDER) lowerOrderNums++;
        nextStep++;
    }

    /** UniP-bh2: writes x at σ_{i+1} into {@code x} (which holds the sample at σ_i). */
    private void predictor(int i, float[] x) {
        double sigmaT = sigmas[i + 1], sigmaS0 = sigmas[i];
        double alphaT = 1 - sigmaT;
        double h = lambda(i + 1) - lambda(i); // +∞ at the final σ = 0
        double hh = -h;
        double hPhi1 = Math.expm1(hh), bH = Math.expm1(hh);
        float cx = (float) (sigmaT / sigmaS0), cm = (float) (alphaT * hPhi1);
        if (thisOrder == 1) {
            for (int j = 0; j < x.length; j++) x[j] = cx * x[j] - cm * m0[j];
            return;
        }
        double rk = (lambda(i - 1) - lambda(i)) / h;
        float cd = (float) (alphaT * bH * 0.5); // order 2: ρ_p = 0.5
        float inv = (float) (1 / rk);
        for (int j = 0; j < x.length; j++) {
            float d1 = (m1[j] - m0[j]) * inv;
            x[j] = (cx * x[j] - cm * m0[j]) - cd * d1;
        }
    }

    /** UniC-bh2 at step i: corrects {@code sample} (the predictor's output for σ_i) with the new output {@code mt}. */
    private void corrector(int i, float[] mt, float[] sample) {
        int order = thisOrder;
        double sigmaT = sigmas[i], sigmaS0 = sigmas[i - 1];
        double alphaT = 1 - sigmaT;
        double h = lambda(i) - lambda(i - 1);
        double hh = -h;
        double hPhi1 = Math.expm1(hh), bH = Math.expm1(hh);
        double rhoD = 0, rhoT;
        double rk = 1;
        if (order == 1) {
            rhoT = 0.5;
        } else {
            // R = [[1, 1], [rk, 1]], b_k = hφ_k·k!/B(h) with hφ_1 = (e^hh − 1)/hh − 1, hφ_2 = hφ_1/hh − 1/2
            rk = (lambda(i - 2) - lambda(i - 1)) / h;
            double phi1 = hPhi1 / hh - 1;
            double phi2 = phi1 / hh - 0.5;
            double b1 = phi1 / bH, b2 = phi2 * 2 / bH;
            // solve [1 1; rk 1]·[ρ0 ρ1] = [b1 b2]
            rhoD = (b1 - b2) / (1 - rk);
            rhoT = b1 - rhoD;
        }
        float cx = (float) (sigmaT / sigmaS0), cm = (float) (alphaT * hPhi1), cb = (float) (alphaT * bH);
        float fRhoD = (float) rhoD, fRhoT = (float) rhoT, inv = (float) (1 / rk);
        float[] x = lastSample;
        for (int j = 0; j < sample.length; j++) {
            float corr = order == 2 ? fRhoD * ((m1[j] - m0[j]) * inv) : 0f;
            float d1t = mt[j] - m0[j];
            sample[j] = (cx * x[j] - cm * m0[j]) - cb * (corr + fRhoT * d1t);
        }
    }
}
