package io.vdq.scale;

import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.StatsRequest;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Not a test: which DVD-Quant component costs accuracy, layer by layer (docs/DVD.md has its tables). Records the input of every block linear
 * of a Wan checkpoint during one full-precision forward (noise latents [C, 3, 16, 16], timestep t, the
 * checkpoint's prompts/prompt-0 padded to 64 tokens), then quantizes each layer alone with recipe variants and
 * reports the relative L2 error of its output on that input: weight-only variants (activation_bits 16),
 * activation-only variants (weight_bits 8, whose weight error is ~1/250 of W4's), and the W4A4 recipes.
 * Run after {@code mvn test-compile}, on the model that bench/w4a4-compare.sh makes:
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:target/lib/* io.vdq.scale.DvdComponentExperiment /tmp/vdq-w4a4/model [t]}.
 */
public final class DvdComponentExperiment {
    private static final class One implements LinearRegistry {
        final SequencedMap<String, Linear> m = new LinkedHashMap<>();
        @Override public SequencedMap<String, Linear> linears() { return m; }
        @Override public void replaceLinear(String n, Linear l) { m.put(n, l); }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        float t = args.length > 1 ? Float.parseFloat(args[1]) : 500f;
        WanConfig c = WanConfig.read(dir.resolve("config.json"));
        WanModel m;
        try (TensorSource src = Checkpoints.open(dir)) { m = WanModel.load(c, src); }
        Tensor text;
        try (TensorSource src = Checkpoints.open(dir.resolve("prompts").resolve("prompt-0.safetensors"))) {
            Tensor p = src.readFloat(src.names().first());
            text = Tensor.zeros(64, c.textDim());
            System.arraycopy(p.data(), p.offset(), text.data(), 0, p.size());
        }
        Tensor lat = Tensor.randn(11, c.inChannels(), 3, 16, 16);
        Recipe base = Presets.get("w4a4-dvd");
        List<String> names = new ArrayList<>();
        for (String n : m.linears().keySet()) if (base.selects(n)) names.add(n);
        SequencedMap<String, LayerStats> stats = Recorder.record(m, names,
                Calibration.of(1, tag -> { tag.set(0, 1, t); m.forward(lat, t, text); }),
                new StatsRequest(false, false, false, 256, 1)); // ≥ the 192 video / 64 text tokens of the one call: keeps them all
        SequencedMap<String, Recipe> variants = new LinkedHashMap<>();
        Recipe dvd = base, paper = Presets.get("w4a4-dvd-paper"), minmax = Presets.get("w4a4-minmax"), quarot = Presets.get("w4a4-quarot-rtn");
        Recipe bgrOnly = Presets.get("w4a4-dvd-bgr-only"), arqOnly = Presets.get("w4a4-dvd-arq-only");
        variants.put("W only: minmax (sym, RTN)", minmax.withBits(4, 16));
        variants.put("W only: quarot (H, sym RTN)", quarot.withBits(4, 16));
        variants.put("W only: H + asym MinMax", arqOnly.withBits(4, 16));
        variants.put("W only: H + BGR", paper.withBits(4, 16));
        variants.put("W only: BGR, no H", bgrOnly.withBits(4, 16));
        variants.put("A only: per-token (W8 minmax)", minmax.withBits(8, 4));
        variants.put("A only: H (W8 quarot)", quarot.withBits(8, 4));
        variants.put("A only: H + Λ block-128 (W8)", paper.withBits(8, 4));
        variants.put("A only: H + Λ channel (W8)", paper.withBits(8, 4).withOption("scaling", "channel"));
        variants.put("A only: H, Λ off (W8 dvd)", paper.withBits(8, 4).withOption("scaling", "off"));
        variants.put("A only: centred, no H, Λ off (W8)", paper.withBits(8, 4).withOption("center", true).withOption("rotate", false).withOption("scaling", "off"));
        variants.put("A only: centred, H + Λ block (W8)", paper.withBits(8, 4).withOption("center", true));
        variants.put("A only: centred, H + Λ channel (W8)", dvd.withBits(8, 4));
        variants.put("W4A4 minmax", minmax);
        variants.put("W4A4 quarot", quarot);
        variants.put("W4A4 dvd-paper (Λ block)", paper);
        variants.put("W4A4 dvd-paper Λ channel", paper.withOption("scaling", "channel"));
        variants.put("W4A4 dvd-paper Λ off", paper.withOption("scaling", "off"));
        variants.put("W4A4 dvd-paper, H 64", paper.withOption("rotation_cap", 64));
        variants.put("W4A4 centred, Λ block (int)", paper.withOption("center", true));
        variants.put("W4A4 centred, Λ off", paper.withOption("center", true).withOption("scaling", "off"));
        variants.put("W4A4 dvd (centred, Λ channel)", dvd);
        variants.put("W4A4 dvd, H 64", dvd.withOption("rotation_cap", 64));
        variants.put("W4A4 dvd, no H", dvd.withOption("rotate", false));
        variants.put("W4A4 dvd-bgr-only", bgrOnly);
        variants.put("W4A4 dvd-arq-only", arqOnly);
        String[] groups = {"attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0", "attn2.to_q", "attn2.to_k", "attn2.to_v",
                "attn2.to_out.0", "ffn.net.0.proj", "ffn.net.2"};
        System.out.printf(Locale.ROOT, "model %s, dim %d, %d layers; one FP forward at t = %.0f; relative L2 output error per layer%n",
                dir, c.dim(), c.numLayers(), t);
        StringBuilder head = new StringBuilder(String.format("%-36s %7s %7s %7s", "variant", "mean", "first", "last"));
        for (String g : groups) head.append(String.format(" %9s", g.replace("attn", "a").replace(".to_", ".").replace("ffn.net.", "ff").replace(".proj", "")));
        System.out.println(head);
        for (var v : variants.entrySet()) {
            double all = 0, first = 0, last = 0;
            int nf = 0, nl = 0;
            Map<String, double[]> byGroup = new LinkedHashMap<>();
            for (String n : names) {
                FloatLinear f = (FloatLinear) m.linears().get(n);
                LayerStats st = stats.get(n);
                float[] x = st.samples();
                int rows = st.sampleCount();
                float[] ref = new float[rows * f.outFeatures()], y = new float[rows * f.outFeatures()];
                f.forward(x, 0, rows, ref, 0);
                One one = new One();
                one.m.put(n, f);
                QuantMethods.apply(one, v.getValue(), Calibration.none());
                one.m.get(n).forward(x, 0, rows, y, 0);
                double se = 0, rs = 0;
                for (int i = 0; i < y.length; i++) { double d = (double) y[i] - ref[i]; se += d * d; rs += (double) ref[i] * ref[i]; }
                double e = Math.sqrt(se / rs);
                all += e;
                if (n.startsWith("blocks.0.")) { first += e; nf++; }
                if (n.startsWith("blocks." + (c.numLayers() - 1) + ".")) { last += e; nl++; }
                String g = n.substring(n.indexOf('.', "blocks.".length()) + 1);
                byGroup.computeIfAbsent(g, k -> new double[2]);
                byGroup.get(g)[0] += e;
                byGroup.get(g)[1]++;
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-36s %7.4f %7.4f %7.4f", v.getKey(), all / names.size(),
                    first / nf, last / nl));
            for (String g : groups) { double[] s = byGroup.get(g); line.append(String.format(Locale.ROOT, " %9.4f", s[0] / s[1])); }
            System.out.println(line);
        }
    }
}
