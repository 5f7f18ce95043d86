/**
 * Writers for generated videos: looping animated GIFs and PNG frame grids (several videos side by side for
 * comparisons), from float tensors {@code [F, H, W, 3]} in [0, 1]. javax.imageio only; every file is written
 * atomically. Depends on {@code io} and {@code tensor}.
 */
package io.vdq.io.video;
