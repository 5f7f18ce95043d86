/**
 * The synthetic video world: seeded renders of one moving shape ({@link io.vdq.synth.Renderer}), the
 * scene record and its prompt grammar ({@link io.vdq.synth.SceneSpec}, {@link io.vdq.synth.Prompt}), a
 * sampler with train/validation/test splits, and the built-in text encoder. Depends on {@code tensor} only.
 */
package io.vdq.synth;
