package io.vdq.eval;

import io.vdq.VdqException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Compares {@code vdq generate} runs (folders with {@code latents.safetensors}, tensor {@code latents}
 * {@code [1, C, F, H, W]} plus string metadata) against a reference run made with the same seed and shape.
 * <p>Latent metrics (cosine, relative L2) use every latent value. Frame metrics (PSNR, SSIM) use frames: for
 * 3-channel models the latents are pixels and used as they are; otherwise channels 0, 1, 2 (the preview channels
 * of {@code vdq generate}) are standardised per channel with the REFERENCE's mean and standard deviation over the
 * whole video, applied to both runs (so a candidate's scale or offset error is not normalised away). PSNR and SSIM
 * take the data range L = max − min of the reference frames. SSIM, whose luminance term assumes non-negative
 * intensities, sees both runs' frames minus the reference's minimum (so the reference lies in [0, L], as an
 * image would); without that shift a small offset on zero-centred frames reads as a large loss of similarity.
 */
public final class RunComparison {
    private RunComparison() {}

    /** A loaded run: its folder, metadata and latents {@code [C, F, H, W]}. */
    public record Run(Path dir, Map<String, String> meta, Tensor latents) {
        public String name() { return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString(); }
        public String recipe() { return meta.getOrDefault("quant", "fp32"); }
        /** The per-step activation bits recorded by δ-GBS, or null. */
        public int[] bitSchedule() { return parseSchedule(meta.get("activation_bits_per_step"), dir); }
    }

    /** One candidate's scores against the reference. */
    public record Result(Run run, double cosine, double relL2, double psnr, double ssim, double frameRange) {}

    public static final String LATENTS = "latents.safetensors";

    public static Run load(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve(LATENTS) : dir;
        Path runDir = Files.isDirectory(dir) ? dir : dir.toAbsolutePath().getParent();
        if (!Files.isRegularFile(file))
            throw new ConfigException(dir + ": no " + LATENTS + " (expected a folder written by vdq generate)");
        try (TensorSource src = Checkpoints.open(file)) {
            if (!src.contains("latents"))
                throw new VdqException.CheckpointException(file + ": no tensor 'latents' (found " + src.names() + ")");
            Tensor t = src.readFloat("latents");
            if (t.rank() == 5 && t.dim(0) == 1) t = t.reshape(t.dim(1), t.dim(2), t.dim(3), t.dim(4));
            if (t.rank() != 4)
                throw new VdqException.ShapeException(file + ": latents " + t.shape() + ", expected [1, C, F, H, W] or [C, F, H, W]");
            return new Run(runDir, Map.copyOf(src.metadata()), t);
        }
    }

    /** Throws a one-line ConfigException naming both runs and the field when seeds or shapes differ. */
    public static void checkComparable(Run ref, Run cand) {
        String rs = ref.meta().get("seed"), cs = cand.meta().get("seed");
        if (rs == null || cs == null || !rs.equals(cs))
            throw new ConfigException("eval: seed differs: reference " + ref.dir() + " has seed " + rs + ", candidate "
                    + cand.dir() + " has seed " + cs + " (runs must use the same seed)");
        int[] a = ref.latents().shape().dims(), b = cand.latents().shape().dims();
        if (!Arrays.equals(a, b))
            throw new ConfigException("eval: latent shape differs: reference " + ref.dir() + " has " + Arrays.toString(a)
                    + ", candidate " + cand.dir() + " has " + Arrays.toString(b));
    }

    public static Result compare(Run ref, Run cand) {
        checkComparable(ref, cand);
        float[] r = ref.latents().toArray(), c = cand.latents().toArray();
        double cos = Fidelity.cosine(r, c), rel = Fidelity.relL2(r, c);
        Tensor lat = ref.latents();
        int ch = lat.dim(0), f = lat.dim(1), h = lat.dim(2), w = lat.dim(3);
        double[][] stats = frameStats(r, ch, f * h * w);
        float[] fr = frames(r, ch, f * h * w, stats), fc = frames(c, ch, f * h * w, stats);
        double range = Ssim.range(fr);
        double psnr, ssim;
        if (range > 0) {
            psnr = Fidelity.psnr(fr, fc, range);
            // SSIM's luminance term assumes intensities ≥ 0 (images in [0, L]); signed frames (pixels in [−1, 1],
            // standardised latents) are moved so the reference's minimum is 0, the same offset for both runs
            float lo = fr[0];
            for (float v : fr) lo = Math.min(lo, v);
            float[] sr = new float[fr.length], sc = new float[fc.length];
            for (int i = 0; i < fr.length; i++) { sr[i] = fr[i] - lo; sc[i] = fc[i] - lo; }
            ssim = Ssim.mean(sr, sc, 3 * f, h, w, range);
        } else { // a constant reference: no data range to scale by
            psnr = Fidelity.mse(fr, fc) == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            ssim = Double.NaN;
        }
        return new Result(cand, cos, rel, psnr, ssim, range);
    }

    /** Per preview channel {mean, 1/sd} of the reference ({0, 1} for pixel runs, C = 3). */
    static double[][] frameStats(float[] a, int channels, int plane) {
        double[][] s = new double[3][];
        for (int k = 0; k < 3; k++) {
            if (channels == 3) { s[k] = new double[]{0, 1}; continue; }
            int src = Math.min(k, channels - 1);
            double sum = 0, ss = 0;
            for (int i = 0; i < plane; i++) sum += a[src * plane + i];
            double mean = sum / plane;
            for (int i = 0; i < plane; i++) { double d = a[src * plane + i] - mean; ss += d * d; }
            double sd = Math.sqrt(ss / plane);
            s[k] = new double[]{mean, sd > 0 ? 1 / sd : 1};
        }
        return s;
    }

    /** Three frame channels {@code [3, F, H, W]} from latents {@code [C, F, H, W]} flattened, per {@code stats}. */
    static float[] frames(float[] a, int channels, int plane, double[][] stats) {
        float[] out = new float[3 * plane];
        for (int k = 0; k < 3; k++) {
            int src = Math.min(k, channels - 1);
            for (int i = 0; i < plane; i++) out[k * plane + i] = (float) ((a[src * plane + i] - stats[k][0]) * stats[k][1]);
        }
        return out;
    }

    /** Parses a schedule written by {@code BitSwitcher.format}: digits ("88448") or comma-separated numbers. */
    static int[] parseSchedule(String s, Path where) {
        if (s == null || s.isBlank()) return null;
        try {
            String t = s.trim();
            if (t.contains(",")) return Arrays.stream(t.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            return t.chars().map(ch -> {
                if (ch < '0' || ch > '9') throw new NumberFormatException("'" + (char) ch + "'");
                return ch - '0';
            }).toArray();
        } catch (NumberFormatException e) {
            throw new ConfigException(where + ": metadata activation_bits_per_step '" + s
                    + "': expected digits or comma-separated bit widths (" + e.getMessage() + ")");
        }
    }

    /** Mean of a schedule. */
    public static double mean(int[] schedule) {
        double s = 0;
        for (int b : schedule) s += b;
        return schedule.length == 0 ? Double.NaN : s / schedule.length;
    }
}
