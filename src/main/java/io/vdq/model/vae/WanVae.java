package io.vdq.model.vae;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.model.vae.Layers.FrameCache;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The Wan2.1 VAE ({@code AutoencoderKLWan}), batch 1, float32 compute. Tensors are channel-first:
 * latents {@code [z, F, H, W]}, video {@code [3, T, 8H, 8W]} with T = 4(F − 1) + 1 (for Wan2.1's factors).
 * Decoding runs latent frame by latent frame and encoding 1 frame then chunks of 4, each causal conv carrying
 * the last two frames of its input from chunk to chunk, as diffusers does; that equals one causal pass over the
 * whole sequence (src/test/python/wan_vae_reference.py checks it).
 *
 * <p>{@link #tiled} decodes in overlapping spatial tiles blended with linear ramps, as diffusers'
 * {@code tiled_decode} (defaults: 256×256-pixel tiles every 192 pixels); frames are not tiled. Encoding is
 * never tiled. Weights are copied to float32 at load; the instance is immutable and may decode from several
 * threads one call at a time each (calls share the worker pool).
 */
public final class WanVae implements AutoCloseable {
    /** diffusers' default tile (pixels) and stride. */
    public static final int DEFAULT_TILE = 256, DEFAULT_STRIDE = 192;

    private record Tiling(int tileH, int tileW, int strideH, int strideW) {}

    private final WanVaeConfig c;
    private final Decoder decoder;
    private final Encoder encoder;
    private final Tiling tiling; // null: untiled

    private WanVae(WanVaeConfig c, Decoder d, Encoder e, Tiling t) {
        this.c = c;
        this.decoder = d;
        this.encoder = e;
        this.tiling = t;
    }

    /**
     * Loads {@code config.json} and {@code diffusion_pytorch_model.safetensors} (or its sharded
     * {@code .index.json}) from a VAE folder, or from the {@code vae/} folder of a diffusers pipeline.
     */
    public static WanVae load(Path vaeDir) {
        Path dir = vaeDir;
        if (!Files.isRegularFile(dir.resolve("config.json")) && Files.isDirectory(dir.resolve("vae"))) dir = dir.resolve("vae");
        if (!Files.isDirectory(dir)) throw new CheckpointException(vaeDir + ": no such folder");
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw new ConfigException(cfgFile + ": no such file (the VAE's config)");
        WanVaeConfig cfg = WanVaeConfig.read(cfgFile);
        Path weights = null;
        for (String n : List.of("diffusion_pytorch_model.safetensors.index.json", "diffusion_pytorch_model.safetensors")) {
            if (Files.isRegularFile(dir.resolve(n))) { weights = dir.resolve(n); break; }
        }
        if (weights == null)
            throw new CheckpointException(dir.resolve("diffusion_pytorch_model.safetensors")
                    + ": no such file (nor diffusion_pytorch_model.safetensors.index.json)");
        try (TensorSource src = Checkpoints.open(weights)) {
            return fromSource(cfg, src);
        }
    }

    /**
     * Builds the VAE from tensors with diffusers' names. Every expected tensor must be present with its exact
     * shape (any float dtype: F32, BF16, F16) and no other tensor may be in the source.
     */
    public static WanVae fromSource(WanVaeConfig c, TensorSource src) {
        Set<String> used = new HashSet<>();
        Params p = (name, shape) -> {
            if (!src.contains(name))
                throw new CheckpointException(src.describe() + ": missing tensor '" + name + "' of shape "
                        + Arrays.toString(shape) + " (Wan VAE " + c + ")");
            int[] have = src.info(name).intShape();
            if (!Arrays.equals(have, shape))
                throw new CheckpointException(src.describe() + ": tensor '" + name + "' has shape " + Arrays.toString(have)
                        + ", expected " + Arrays.toString(shape) + " for this config");
            used.add(name);
            return src.readFloat(name).toArray();
        };
        Decoder d = new Decoder(c, p);
        Encoder e = new Encoder(c, p);
        List<String> extra = src.names().stream().filter(n -> !used.contains(n)).toList();
        if (!extra.isEmpty())
            throw new CheckpointException(src.describe() + ": unexpected tensor" + (extra.size() > 1 ? "s " : " ")
                    + String.join(", ", extra.subList(0, Math.min(5, extra.size())))
                    + (extra.size() > 5 ? " (+" + (extra.size() - 5) + " more)" : "") + " for Wan VAE " + c);
        return new WanVae(c, d, e, null);
    }

    public WanVaeConfig config() { return c; }

    /** This VAE decoding in diffusers' default tiles (256×256 pixels, stride 192, so 64-pixel ramps). */
    public WanVae tiled() { return tiled(DEFAULT_TILE, DEFAULT_TILE, DEFAULT_STRIDE, DEFAULT_STRIDE); }

    /**
     * This VAE (same weights) decoding in tiles of {@code tileH × tileW} pixels started every
     * {@code strideH × strideW} pixels, neighbours blended over the {@code tile − stride} overlap with linear
     * ramps (diffusers' {@code tiled_decode}); latents no larger than one tile are decoded whole. All four must be
     * multiples of the spatial factor (8) with 0 < stride ≤ tile.
     */
    public WanVae tiled(int tileH, int tileW, int strideH, int strideW) {
        int s = c.spatialFactor();
        for (int v : new int[]{tileH, tileW, strideH, strideW})
            if (v <= 0 || v % s != 0)
                throw new ConfigException("VAE tiling " + tileH + "×" + tileW + " stride " + strideH + "×" + strideW
                        + ": every size must be a positive multiple of " + s);
        if (strideH > tileH || strideW > tileW)
            throw new ConfigException("VAE tiling: stride " + strideH + "×" + strideW + " exceeds tile " + tileH + "×" + tileW);
        return new WanVae(c, decoder, encoder, new Tiling(tileH, tileW, strideH, strideW));
    }

    /** This VAE decoding untiled. */
    public WanVae untiled() { return new WanVae(c, decoder, encoder, null); }

    /** latents [zDim, F, H, W] in the VAE's own (un-normalised) space → video [3, 4(F-1)+1, 8H, 8W] in [-1, 1]. */
    public Tensor decode(Tensor latents) {
        if (latents.rank() != 4 || latents.dim(0) != c.zDim())
            throw new ShapeException("VAE decode: latents must be [" + c.zDim() + ", F, H, W], got " + latents.shape());
        int h = latents.dim(2), w = latents.dim(3);
        int s = c.spatialFactor();
        Tensor out = tiling != null && (h > tiling.tileH / s || w > tiling.tileW / s)
                ? tiledDecode(latents, tiling) : decodeRegion(latents, 0, h, 0, w);
        float[] a = out.data();
        for (int i = 0; i < a.length; i++) a[i] = Math.max(-1f, Math.min(1f, a[i]));
        return out;
    }

    /** Sampler-space latents (as the transformer produces them): latents·std + mean per channel, then {@link #decode}. */
    public Tensor decodeNormalized(Tensor latents) {
        if (latents.rank() != 4 || latents.dim(0) != c.zDim())
            throw new ShapeException("VAE decode: latents must be [" + c.zDim() + ", F, H, W], got " + latents.shape());
        Tensor x = latents.copy();
        int per = x.size() / c.zDim();
        float[] a = x.data();
        for (int ch = 0; ch < c.zDim(); ch++) {
            float sd = c.latentsStd()[ch], m = c.latentsMean()[ch];
            for (int i = ch * per; i < (ch + 1) * per; i++) a[i] = a[i] * sd + m;
        }
        return decode(x);
    }

    /** The inverse of the pipeline's mapping: (latents − mean) / std per channel (what the transformer is trained on). */
    public Tensor normalize(Tensor latents) {
        Tensor x = latents.copy();
        int per = x.size() / c.zDim();
        float[] a = x.data();
        for (int ch = 0; ch < c.zDim(); ch++) {
            float sd = c.latentsStd()[ch], m = c.latentsMean()[ch];
            for (int i = ch * per; i < (ch + 1) * per; i++) a[i] = (a[i] - m) / sd;
        }
        return x;
    }

    /** video [3, 4k+1, H, W] (values in [-1, 1]) → the posterior mean mu [zDim, k+1, H/8, W/8], un-normalised. */
    public Tensor encode(Tensor video) {
        int s = c.spatialFactor(), tf = c.temporalFactor();
        if (video.rank() != 4 || video.dim(0) != 3 || (video.dim(1) - 1) % tf != 0
                || video.dim(2) % s != 0 || video.dim(3) % s != 0 || video.dim(2) == 0 || video.dim(3) == 0)
            throw new ShapeException("VAE encode: video must be [3, " + tf + "k+1, H, W] with H and W multiples of " + s
                    + ", got " + video.shape());
        int t = video.dim(1), h = video.dim(2), w = video.dim(3), hw = h * w;
        FrameCache cache = new FrameCache();
        List<float[]> mus = new ArrayList<>();
        int z = c.zDim(), lh = h / s, lw = w / s, lhw = lh * lw;
        for (int f0 = 0; f0 < t; f0 = f0 == 0 ? 1 : f0 + tf) {
            int f1 = f0 == 0 ? 1 : f0 + tf;
            List<float[]> chunk = new ArrayList<>();
            for (int f = f0; f < f1; f++) {
                float[] fr = new float[3 * hw];
                for (int ch = 0; ch < 3; ch++)
                    System.arraycopy(video.data(), video.offset() + (ch * t + f) * hw, fr, ch * hw, hw);
                chunk.add(fr);
            }
            for (float[] o : encoder.chunk(chunk, cache, h, w)) mus.add(Arrays.copyOf(o, z * lhw));
        }
        int lf = mus.size();
        Tensor out = Tensor.zeros(z, lf, lh, lw);
        for (int f = 0; f < lf; f++)
            for (int ch = 0; ch < z; ch++)
                System.arraycopy(mus.get(f), ch * lhw, out.data(), (ch * lf + f) * lhw, lhw);
        return out;
    }

    /** Decodes latent rows [y0, y1) × columns [x0, x1), all frames, with a fresh frame cache; not clamped. */
    private Tensor decodeRegion(Tensor lat, int y0, int y1, int x0, int x1) {
        int z = c.zDim(), nf = lat.dim(1), lh = lat.dim(2), lw = lat.dim(3);
        int h = y1 - y0, w = x1 - x0, s = c.spatialFactor();
        int ph = h * s, pw = w * s, phw = ph * pw;
        int of = nf == 0 ? 0 : 1 + c.temporalFactor() * (nf - 1);
        Tensor out = Tensor.zeros(3, of, ph, pw);
        float[] o = out.data(), src = lat.data();
        FrameCache cache = new FrameCache();
        int t = 0;
        for (int f = 0; f < nf; f++) {
            float[] fr = new float[z * h * w];
            for (int ch = 0; ch < z; ch++)
                for (int y = 0; y < h; y++)
                    System.arraycopy(src, lat.offset() + ((ch * nf + f) * lh + y0 + y) * lw + x0, fr, (ch * h + y) * w, w);
            for (float[] v : decoder.chunk(List.of(fr), cache, h, w)) {
                for (int ch = 0; ch < 3; ch++) System.arraycopy(v, ch * phw, o, (ch * of + t) * phw, phw);
                t++;
            }
        }
        if (t != of) throw new IllegalStateException("decoder gave " + t + " frames for " + nf + " latent frames, expected " + of);
        return out;
    }

    /**
     * diffusers' tiled_decode, keeping only what the blend needs: the bottom {@code tile − stride} rows of the
     * previous tile row and the right columns of the previous tile, both after their own blending.
     */
    private Tensor tiledDecode(Tensor lat, Tiling tl) {
        int s = c.spatialFactor(), lh = lat.dim(2), lw = lat.dim(3), nf = lat.dim(1);
        int of = nf == 0 ? 0 : 1 + c.temporalFactor() * (nf - 1);
        int ph = lh * s, pw = lw * s;
        int tlh = tl.tileH / s, tlw = tl.tileW / s, slh = tl.strideH / s, slw = tl.strideW / s;
        int blendH = tl.tileH - tl.strideH, blendW = tl.tileW - tl.strideW;
        int cols = (lw + slw - 1) / slw;
        Tensor out = Tensor.zeros(3, of, ph, pw);
        float[] o = out.data();
        float[][] bottom = new float[cols][];   // [3·of][rows][tw] strips of the previous tile row
        int[] bottomRows = new int[cols], prevTileH = new int[cols];
        int planes = 3 * of;
        for (int i = 0; i < lh; i += slh) {
            float[] right = null;
            int rightCols = 0, prevTileW = 0;
            for (int ci = 0, j = 0; j < lw; j += slw, ci++) {
                Tensor tile = decodeRegion(lat, i, Math.min(i + tlh, lh), j, Math.min(j + tlw, lw));
                float[] b = tile.data();
                int th = tile.dim(2), tw = tile.dim(3), thw = th * tw;
                if (i > 0) {
                    int e = Math.min(Math.min(prevTileH[ci], th), blendH);
                    float[] a = bottom[ci];
                    int ar = bottomRows[ci];
                    for (int pl = 0; pl < planes; pl++)
                        for (int y = 0; y < e; y++) {
                            float wa = (float) (1.0 - (double) y / e), wb = (float) ((double) y / e);
                            int ao = (pl * ar + ar - e + y) * tw, bo = pl * thw + y * tw;
                            for (int x = 0; x < tw; x++) b[bo + x] = a[ao + x] * wa + b[bo + x] * wb;
                        }
                }
                if (ci > 0) {
                    int e = Math.min(Math.min(prevTileW, tw), blendW);
                    for (int pl = 0; pl < planes; pl++)
                        for (int y = 0; y < th; y++) {
                            int ao = (pl * th + y) * rightCols + rightCols - e, bo = pl * thw + y * tw;
                            for (int x = 0; x < e; x++) {
                                float wa = (float) (1.0 - (double) x / e), wb = (float) ((double) x / e);
                                b[bo + x] = right[ao + x] * wa + b[bo + x] * wb;
                            }
                        }
                }
                // keep the strips the next tiles blend with
                int br = Math.min(th, blendH);
                bottom[ci] = new float[planes * br * tw];
                for (int pl = 0; pl < planes; pl++)
                    System.arraycopy(b, pl * thw + (th - br) * tw, bottom[ci], pl * br * tw, br * tw);
                bottomRows[ci] = br;
                prevTileH[ci] = th;
                rightCols = Math.min(tw, blendW);
                right = new float[planes * th * rightCols];
                for (int pl = 0; pl < planes; pl++)
                    for (int y = 0; y < th; y++)
                        System.arraycopy(b, pl * thw + y * tw + tw - rightCols, right, (pl * th + y) * rightCols, rightCols);
                prevTileW = tw;
                // this tile's share of the output: its first stride rows and columns
                int y0 = i * s, x0 = j * s;
                int hh = Math.min(Math.min(tl.strideH, th), ph - y0), ww = Math.min(Math.min(tl.strideW, tw), pw - x0);
                for (int pl = 0; pl < planes; pl++)
                    for (int y = 0; y < hh; y++)
                        System.arraycopy(b, pl * thw + y * tw, o, (pl * ph + y0 + y) * pw + x0, ww);
            }
        }
        return out;
    }

    /** Releases nothing held outside the heap (weights are copied at load); present for try-with-resources. */
    @Override public void close() {}
}
