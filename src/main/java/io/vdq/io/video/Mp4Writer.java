package io.vdq.io.video;

import io.vdq.VdqException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.AtomicFiles;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import org.jcodec.api.SequenceEncoder;
import org.jcodec.common.Codec;
import org.jcodec.common.Format;
import org.jcodec.common.io.FileChannelWrapper;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rational;

/**
 * MP4 (H.264 in an ISO media container) from frames {@code [F, H, W, 3]} in [0, 1], encoded in pure Java by
 * jcodec: the file plays in browsers, VLC, ffmpeg and QuickTime. Values are clamped and rounded as
 * {@link Frames#toByte} does, then converted to YUV 4:2:0 by jcodec; frames may be upscaled by an integer factor
 * (nearest neighbour) so that tiny test videos are visible. H.264 codes 16×16 macroblocks, so odd sizes are
 * padded by the encoder and cropped again by players. The file is written atomically.
 */
public final class Mp4Writer {
    private Mp4Writer() {}

    /** The largest frame side accepted (H.264 level limits aside, jcodec allocates per frame). */
    public static final int MAX_SIDE = 8192;

    public static void write(Path file, Tensor frames, int fps, int upscale) {
        Frames.check(file.toString(), frames);
        if (fps < 1 || fps > 240) throw new VdqException(file + ": frame rate must be in 1..240 fps, got " + fps);
        if (upscale < 1) throw new ShapeException(file + ": upscale factor must be >= 1, got " + upscale);
        long h = (long) frames.dim(1) * upscale, w = (long) frames.dim(2) * upscale;
        if (h > MAX_SIDE || w > MAX_SIDE)
            throw new ShapeException(file + ": MP4 frames of at most " + MAX_SIDE + " pixels a side, got " + h + "x" + w);
        AtomicFiles.write(file, ch -> {
            // jcodec closes its channel in finish(); AtomicFiles still has to force and rename it
            FileChannelWrapper out = new FileChannelWrapper(ch) {
                @Override public void close() {}
            };
            SequenceEncoder enc = new SequenceEncoder(out, Rational.R(fps, 1), Format.MOV, Codec.H264, null);
            for (int f = 0; f < frames.dim(0); f++) enc.encodeNativeFrame(picture(frames, f, upscale));
            enc.finish();
        });
    }

    /** Frame {@code f} as a jcodec RGB picture (jcodec stores 8-bit samples as signed bytes, value − 128). */
    static Picture picture(Tensor frames, int f, int up) {
        int h = frames.dim(1) * up, w = frames.dim(2) * up;
        int[] px = Frames.rgb(frames, f, up);
        Picture p = Picture.create(w, h, ColorSpace.RGB);
        byte[] d = p.getPlaneData(0);
        for (int i = 0; i < px.length; i++) {
            int c = px[i];
            d[3 * i] = (byte) (((c >> 16) & 0xff) - 128);
            d[3 * i + 1] = (byte) (((c >> 8) & 0xff) - 128);
            d[3 * i + 2] = (byte) ((c & 0xff) - 128);
        }
        return p;
    }

    /** An integer factor that brings the shorter side of an {@code h×w} frame to at least {@code minSide} pixels. */
    public static int upscaleFor(int h, int w, int minSide) {
        int s = Math.max(1, Math.min(h, w));
        return Math.max(1, (minSide + s - 1) / s);
    }
}
