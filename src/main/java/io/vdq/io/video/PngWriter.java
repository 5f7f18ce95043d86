package io.vdq.io.video;

import io.vdq.VdqException.ShapeException;
import io.vdq.io.AtomicFiles;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Lossless PNG stills: one image, or a grid of frames with one row per video (for comparing runs). */
public final class PngWriter {
    private PngWriter() {}

    /** Writes an image {@code [H, W, 3]} or a single frame {@code [1, H, W, 3]} in [0, 1], upscaled by {@code upscale}. */
    public static void writeImage(Path file, Tensor image, int upscale) {
        Tensor frames = image.rank() == 3 ? image.reshape(1, image.dim(0), image.dim(1), image.dim(2)) : image;
        Frames.check(file.toString(), frames);
        if (frames.dim(0) != 1) throw new ShapeException(file + ": expected one image, got " + frames.dim(0) + " frames");
        if (upscale < 1) throw new ShapeException(file + ": upscale factor must be >= 1, got " + upscale);
        var img = Frames.image(frames, 0, upscale);
        AtomicFiles.writeStream(file, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer in this JDK's javax.imageio");
        });
    }

    /**
     * Writes a frame grid: row r holds video r at up to {@code maxColumns} evenly spaced frames, separated
     * by {@code gap} white pixels (before upscaling).
     */
    public static void writeGrid(Path file, List<Tensor> videos, int maxColumns, int gap, int upscale) {
        writeImage(file, Frames.grid(videos, maxColumns, gap, 1f), upscale);
    }
}
