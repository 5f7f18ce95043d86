/**
 * VBench-lite: exact, cheap quality dimensions for videos of the synthetic world (colour, shape and direction
 * accuracy, motion smoothness, subject and background consistency, dynamic degree, imaging quality), each
 * defined in docs/VBENCH_LITE.md. Depends on {@code synth} (palette, shapes, prompts) and {@code tensor}.
 */
package io.vdq.eval.vbench;
