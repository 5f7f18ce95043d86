package io.vdq.cli;

import io.vdq.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * A quick look at latents without a VAE: an animated GIF and a PNG contact sheet. Pixel-space latents
 * ({@code C = 3}, range [−1, 1]) are shown as they are. Other latents are NOT decoded: channels 0, 1, 2 are
 * standardised over the whole video and ±2σ is mapped to 0…255 (a channel preview; no published Wan
 * latent→RGB factors are built in). Each latent pixel becomes an {@code scale × scale} block.
 */
final class LatentPreview {
    private LatentPreview() {}

    /** Frames as RGB images from latents {@code [C, F, H, W]}. */
    static List<BufferedImage> frames(Tensor lat, int scale) {
        int c = lat.dim(0), f = lat.dim(1), h = lat.dim(2), w = lat.dim(3), plane = f * h * w;
        float[] a = lat.toArray();
        double[] mean = new double[3], inv = new double[3];
        for (int ch = 0; ch < 3; ch++) {
            if (c == 3) { mean[ch] = 0; inv[ch] = 1; continue; } // pixels in [-1, 1]
            int src = Math.min(ch, c - 1);
            double s = 0, ss = 0;
            for (int i = 0; i < plane; i++) { double v = a[src * plane + i]; s += v; ss += v * v; }
            mean[ch] = s / plane;
            double sd = Math.sqrt(Math.max(ss / plane - mean[ch] * mean[ch], 1e-12));
            inv[ch] = 1 / (2 * sd);
        }
        List<BufferedImage> out = new ArrayList<>();
        for (int t = 0; t < f; t++) {
            BufferedImage img = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int rgb = 0;
                    for (int ch = 0; ch < 3; ch++) {
                        int src = Math.min(ch, c - 1);
                        double v = (a[src * plane + (t * h + y) * w + x] - mean[ch]) * inv[ch];
                        int b = (int) Math.rint(Math.max(0, Math.min(255, 127.5 * (v + 1))));
                        rgb = (rgb << 8) | b;
                    }
                    for (int dy = 0; dy < scale; dy++)
                        for (int dx = 0; dx < scale; dx++) img.setRGB(x * scale + dx, y * scale + dy, rgb);
                }
            out.add(img);
        }
        return out;
    }

    /** Frames side by side, up to 8 per row, 2-pixel gaps. */
    static BufferedImage contactSheet(List<BufferedImage> frames) {
        int n = frames.size(), cols = Math.min(n, 8), rows = (n + cols - 1) / cols, gap = 2;
        int fw = frames.getFirst().getWidth(), fh = frames.getFirst().getHeight();
        BufferedImage sheet = new BufferedImage(cols * fw + (cols + 1) * gap, rows * fh + (rows + 1) * gap, BufferedImage.TYPE_INT_RGB);
        var g = sheet.createGraphics();
        for (int i = 0; i < n; i++)
            g.drawImage(frames.get(i), gap + (i % cols) * (fw + gap), gap + (i / cols) * (fh + gap), null);
        g.dispose();
        return sheet;
    }

    static void writePng(Path file, BufferedImage img) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write PNG: " + e.getMessage(), e);
        }
    }

    /** An animated, looping GIF with {@code delayCs} hundredths of a second per frame. */
    static void writeGif(Path file, List<BufferedImage> frames, int delayCs) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try {
            Files.deleteIfExists(tmp);
            try (ImageOutputStream out = ImageIO.createImageOutputStream(tmp.toFile())) {
                writer.setOutput(out);
                writer.prepareWriteSequence(null);
                for (int i = 0; i < frames.size(); i++) {
                    BufferedImage img = frames.get(i);
                    IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), null);
                    String fmt = meta.getNativeMetadataFormatName();
                    IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
                    IIOMetadataNode gce = child(root, "GraphicControlExtension");
                    gce.setAttribute("disposalMethod", "none");
                    gce.setAttribute("userInputFlag", "FALSE");
                    gce.setAttribute("transparentColorFlag", "FALSE");
                    gce.setAttribute("delayTime", Integer.toString(delayCs));
                    gce.setAttribute("transparentColorIndex", "0");
                    if (i == 0) {
                        IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
                        app.setAttribute("applicationID", "NETSCAPE");
                        app.setAttribute("authenticationCode", "2.0");
                        app.setUserObject(new byte[]{1, 0, 0}); // loop forever
                        child(root, "ApplicationExtensions").appendChild(app);
                    }
                    meta.setFromTree(fmt, root);
                    writer.writeToSequence(new IIOImage(img, null, meta), null);
                }
                writer.endWriteSequence();
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write GIF: " + e.getMessage(), e);
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++)
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) return (IIOMetadataNode) root.item(i);
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }
}
