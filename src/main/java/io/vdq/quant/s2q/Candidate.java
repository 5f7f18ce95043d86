package io.vdq.quant.s2q;

/**
 * One calibration candidate of the pool: the latent of prompt {@code prompt} at sampling step {@code step}
 * (position in sampling order), with its two raw salience scores.
 *
 * @param cDiff  diffusion salience ‖x_t − x_{t−1}‖² / ‖x_t‖²
 * @param cQuant quantization salience ‖X_tᵀX_t‖ (spectral by default) of the tokenised latent
 */
public record Candidate(int prompt, int step, double timestep, double cDiff, double cQuant) {}
