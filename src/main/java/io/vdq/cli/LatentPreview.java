package io.vdq.cli;

import io.vdq.io.AtomicFiles;
import io.vdq.io.video.Frames;
import io.vdq.io.video.GifWriter;
import io.vdq.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A quick look at latents without a VAE: an animated GIF and a PNG contact sheet, written through
 * {@code io.video}. Pixel-space latents ({@code C = 3}, range [−1, 1]) are shown as they are. Other latents are
 * NOT decoded: channels 0, 1, 2 are standardised over the whole video and ±2σ is mapped to black…white (a channel
 * preview; no published Wan latent→RGB factors are built in).
 */
final class LatentPreview {
    private LatentPreview() {}

    /** Latents {@code [C, F, H, W]} as a video {@code [F, H, W, 3]} in [0, 1]. */
    static Tensor video(Tensor lat) {
        int c = lat.dim(0), f = lat.dim(1), h = lat.dim(2), w = lat.dim(3), plane = f * h * w;
        float[] a = lat.toArray();
        Tensor out = Tensor.zeros(f, h, w, 3);
        float[] o = out.data();
        for (int ch = 0; ch < 3; ch++) {
            int src = Math.min(ch, c - 1);
            double mean = 0, inv = 1; // pixels in [-1, 1]
            if (c != 3) {
                double s = 0, ss = 0;
                for (int i = 0; i < plane; i++) { double v = a[src * plane + i]; s += v; ss += v * v; }
                mean = s / plane;
                inv = 1 / (2 * Math.sqrt(Math.max(ss / plane - mean * mean, 1e-12)));
            }
            for (int i = 0; i < plane; i++) o[i * 3 + ch] = (float) (0.5 * ((a[src * plane + i] - mean) * inv + 1));
        }
        return out;
    }

    /** An animated, looping GIF, each latent pixel a {@code scale × scale} block. */
    static void writeGif(Path file, Tensor video, int delayMs, int scale) {
        GifWriter.write(file, video, delayMs, scale);
    }

    /** All frames side by side, up to 8 per row, 2-pixel gaps (after upscaling), as a PNG. */
    static void writeContactSheet(Path file, Tensor video, int scale) {
        int n = video.dim(0), cols = Math.min(n, 8), rows = (n + cols - 1) / cols, gap = 2;
        int fw = video.dim(2) * scale, fh = video.dim(1) * scale;
        BufferedImage sheet = new BufferedImage(cols * fw + (cols + 1) * gap, rows * fh + (rows + 1) * gap, BufferedImage.TYPE_INT_RGB);
        var g = sheet.createGraphics();
        for (int i = 0; i < n; i++)
            g.drawImage(Frames.image(video, i, scale), gap + (i % cols) * (fw + gap), gap + (i / cols) * (fh + gap), null);
        g.dispose();
        AtomicFiles.writeStream(file, out -> {
            if (!ImageIO.write(sheet, "png", out)) throw new IOException("no PNG writer in this JDK's javax.imageio");
        });
    }
}
