package io.vdq.io.video;

import io.vdq.VdqException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.AtomicFiles;
import io.vdq.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Animated GIF from frames {@code [F, H, W, 3]} in [0, 1]: every frame full-size with its own palette
 * ({@link Palette}: lossless up to 256 colours, median cut beyond), a fixed delay, looping forever (NETSCAPE2.0
 * extension), optionally upscaled by an integer factor so that tiny test videos stay visible.
 */
public final class GifWriter {
    private GifWriter() {}

    /** As {@link #write(Path, Tensor, int, int, boolean)} without dithering. */
    public static void write(Path file, Tensor frames, int delayMs, int upscale) { write(file, frames, delayMs, upscale, false); }

    /**
     * Writes {@code frames} to {@code file} atomically; {@code delayMs} is rounded to GIF's 10 ms unit (min 10).
     * Frames with more than 256 colours are reduced by median cut, with Floyd–Steinberg dithering if {@code dither};
     * frames with fewer colours are always exact.
     */
    public static void write(Path file, Tensor frames, int delayMs, int upscale, boolean dither) {
        Frames.check(file.toString(), frames);
        if (upscale < 1) throw new ShapeException(file + ": upscale factor must be >= 1, got " + upscale);
        if (delayMs < 0) throw new VdqException(file + ": frame delay must be >= 0 ms, got " + delayMs);
        if ((long) frames.dim(1) * upscale > 65535 || (long) frames.dim(2) * upscale > 65535)
            throw new ShapeException(file + ": GIF frames are at most 65535 pixels wide and high, got "
                    + frames.dim(1) * (long) upscale + "x" + frames.dim(2) * (long) upscale);
        int delayCs = Math.max(1, Math.min(65535, (int) Math.rint(delayMs / 10.0)));
        AtomicFiles.writeStream(file, out -> {
            Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("gif");
            if (!it.hasNext()) throw new IOException("no GIF writer in this JDK's javax.imageio");
            ImageWriter w = it.next();
            try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                w.setOutput(ios);
                w.prepareWriteSequence(null);
                for (int f = 0; f < frames.dim(0); f++) {
                    BufferedImage img = indexed(frames, f, upscale, dither);
                    ImageWriteParam p = w.getDefaultWriteParam();
                    IIOMetadata md = w.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), p);
                    configure(md, delayCs, f == 0);
                    w.writeToSequence(new IIOImage(img, null, md), p);
                }
                w.endWriteSequence();
            } finally {
                w.dispose();
            }
        });
    }

    /** Frame {@code f} as an 8-bit indexed image with its own palette. */
    static BufferedImage indexed(Tensor frames, int f, int up, boolean dither) {
        int h = frames.dim(1) * up, w = frames.dim(2) * up;
        int[] px = Frames.rgb(frames, f, up);
        Palette pal = Palette.of(px, w, dither);
        int size = 2;                                        // GIF colour tables hold a power of two >= 2 entries
        while (size < pal.colors.length) size <<= 1;
        byte[] r = new byte[size], g = new byte[size], b = new byte[size];
        for (int i = 0; i < pal.colors.length; i++) {
            r[i] = (byte) (pal.colors[i] >>> 16);
            g[i] = (byte) (pal.colors[i] >>> 8);
            b[i] = (byte) pal.colors[i];
        }
        int bits = Integer.numberOfTrailingZeros(size);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(bits, size, r, g, b));
        img.getRaster().setDataElements(0, 0, w, h, pal.indices);
        return img;
    }

    private static void configure(IIOMetadata md, int delayCs, boolean first) throws IOException {
        String fmt = md.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) md.getAsTree(fmt);
        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("transparentColorIndex", "0");
        gce.setAttribute("delayTime", Integer.toString(delayCs));
        if (first) {
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[]{1, 0, 0});          // sub-block 1: loop count 0 = forever
            child(root, "ApplicationExtensions").appendChild(app);
        }
        md.setFromTree(fmt, root);
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++)
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) return (IIOMetadataNode) root.item(i);
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }
}
