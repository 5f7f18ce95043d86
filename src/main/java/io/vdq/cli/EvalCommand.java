package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.eval.RunComparison;
import io.vdq.eval.RunComparison.Result;
import io.vdq.eval.RunComparison.Run;
import io.vdq.eval.Ssim;
import io.vdq.io.AtomicFiles;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Presets;
import io.vdq.quant.Recipe;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq eval}: compares {@code vdq generate} runs against a reference run made with the same seed and
 * shape (see {@link RunComparison} for what "frames" are). Prints one table row per candidate and, for runs
 * quantized with δ-GBS, the per-step activation bit schedule; {@code --json} writes the same atomically.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Compare generation runs against a reference: latent cosine and relative L2, frame PSNR and SSIM.")
final class EvalCommand implements Runnable {
    @Option(names = "--ref", required = true, description = "Reference run folder (usually full precision).")
    Path ref;

    @Option(names = "--cand", required = true, arity = "1..*", description = "Candidate run folders.")
    List<Path> cands;

    @Option(names = "--json", description = "Also write the results as JSON to this file.")
    Path json;

    @Override
    public void run() {
        Run r = RunComparison.load(ref);
        List<Run> runs = new ArrayList<>();
        for (Path p : cands) {
            Run c = RunComparison.load(p);
            RunComparison.checkComparable(r, c); // refuse before computing anything
            runs.add(c);
        }
        List<Result> results = new ArrayList<>();
        for (Run c : runs) results.add(RunComparison.compare(r, c));
        print(System.out, r, results);
        if (json != null) {
            byte[] bytes = toJson(r, results);
            AtomicFiles.writeBytes(json, bytes);
        }
    }

    /**
     * Mean activation bits: the δ-GBS schedule's mean, else the width the run recorded ({@code activation_bits}), else
     * (runs written before it was recorded) the recipe's, resolved from its name as {@code --quant} took it (a preset,
     * with {@code +key=value} overrides, or a recipe file); null for float activations or a recipe not found.
     */
    static Double meanActBits(Run run) {
        int[] s = run.bitSchedule();
        if (s != null) return RunComparison.mean(s);
        String q = run.meta().get("quant");
        if (q == null) return null;
        String stored = run.meta().get(GenerateCommand.ACTIVATION_BITS_KEY);
        if (stored != null) {
            try {
                int b = Integer.parseInt(stored.strip());
                return ActivationBits.isFloat(b) ? null : (double) b;
            } catch (NumberFormatException e) {
                return null;
            }
        }
        try {
            Recipe rec = Presets.resolve(q);
            return rec.floatActivations() ? null : (double) rec.activationBits();
        } catch (RuntimeException e) {
            return null; // a recipe file that is not here: bits not recoverable from the run
        }
    }

    static void print(PrintStream out, Run ref, List<Result> results) {
        out.printf("reference: %s (%s), latents %s, seed %s%n", ref.dir(), ref.recipe(), ref.latents().shape(),
                ref.meta().get("seed"));
        int nameW = "candidate".length(), recW = "recipe".length();
        for (Result x : results) { nameW = Math.max(nameW, x.run().name().length()); recW = Math.max(recW, x.run().recipe().length()); }
        String fmt = "%-" + nameW + "s  %-" + recW + "s  %8s  %9s  %9s  %9s  %7s%n";
        out.printf(fmt, "candidate", "recipe", "act bits", "cosine", "rel L2", "PSNR dB", "SSIM");
        for (Result x : results) {
            Double bits = meanActBits(x.run());
            out.printf(fmt, x.run().name(), x.run().recipe(), bits == null ? "fp" : String.format("%.2f", bits),
                    String.format("%.6f", x.cosine()), String.format("%.5f", x.relL2()), String.format("%.2f", x.psnr()),
                    String.format("%.4f", x.ssim()));
        }
        for (Result x : results) {
            int[] s = x.run().bitSchedule();
            if (s == null) continue;
            StringBuilder sb = new StringBuilder();
            for (int b : s) sb.append(' ').append(b);
            out.printf("%s bits/step:%s  (mean %.3f)%n", x.run().name(), sb, RunComparison.mean(s));
        }
        out.printf("frames: %s; SSIM: Gaussian %d×%d window, σ %.1f, cut at borders; L = reference frame range%n",
                ref.latents().dim(0) == 3 ? "pixels" : "latent channels 0-2 standardised by the reference",
                Ssim.WINDOW, Ssim.WINDOW, Ssim.SIGMA);
    }

    static byte[] toJson(Run ref, List<Result> results) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("command", "eval");
        root.put("reference", ref.dir().toString());
        root.put("reference_recipe", ref.recipe());
        root.put("seed", ref.meta().get("seed"));
        ArrayNode shape = root.putArray("latent_shape");
        for (int d : ref.latents().shape().dims()) shape.add(d);
        root.put("frames", ref.latents().dim(0) == 3 ? "pixels" : "latent channels 0-2 standardised by the reference");
        root.put("ssim_window", "gaussian 11x11 sigma 1.5, cut at borders");
        ArrayNode arr = root.putArray("candidates");
        for (Result x : results) {
            ObjectNode o = arr.addObject();
            o.put("run", x.run().dir().toString());
            o.put("name", x.run().name());
            o.put("recipe", x.run().recipe());
            Double bits = meanActBits(x.run());
            if (bits == null) o.putNull("mean_activation_bits"); else o.put("mean_activation_bits", bits);
            int[] s = x.run().bitSchedule();
            if (s != null) { ArrayNode a = o.putArray("activation_bits_per_step"); for (int b : s) a.add(b); }
            o.put("cosine", x.cosine());
            o.put("rel_l2", x.relL2());
            putFinite(o, "psnr_db", x.psnr()); // identical runs: +∞ dB, written as null (JSON has no infinity)
            putFinite(o, "ssim", x.ssim());
            o.put("frame_range", x.frameRange());
        }
        try {
            return m.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putFinite(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v); else o.putNull(key);
    }
}
