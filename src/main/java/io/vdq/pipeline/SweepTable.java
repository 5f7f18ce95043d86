package io.vdq.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.eval.PairedStats;
import io.vdq.eval.report.HtmlReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The aggregated table of a {@code vdq sweep}: per recipe the mean ± sample sd of each metric over its pairs
 * (seed × calibration set), and per recipe against the baseline the paired difference (recipe − baseline) over the
 * pairs where both were measured: mean, sd, how many pairs the recipe is ahead in, and the paired t.
 */
public final class SweepTable {
    /** A metric of the table: JSON key, label, unit digits, and whether higher is better. */
    public record Metric(String key, String label, int digits, boolean higherIsBetter) {}

    public static final Metric PSNR = new Metric("psnr_db", "video PSNR dB", 2, true);
    public static final Metric STEP_SNR = new Metric("step_snr_db", "step SNR dB", 3, true);
    public static final Metric VBENCH = new Metric("vbench_delta_pts", "VBench-lite |Δ| pts", 2, false);

    /** One recipe's summary of one metric. */
    public record Summary(int n, double mean, double sd) {}

    final List<String> recipes;
    final String baseline;
    final List<Metric> metrics;
    final List<String> pairs; // "seed/calib" in sweep order
    final Map<String, Map<String, SweepCells.Cell>> byRecipe = new LinkedHashMap<>(); // recipe → pair → cell

    public SweepTable(List<String> recipes, String baseline, List<Metric> metrics, List<String> pairs, List<SweepCells.Cell> cells) {
        this.recipes = recipes;
        this.baseline = baseline;
        this.metrics = metrics;
        this.pairs = pairs;
        for (String r : recipes) byRecipe.put(r, new LinkedHashMap<>());
        for (SweepCells.Cell c : cells) byRecipe.get(c.recipe()).put(pair(c.seed(), c.calibSet()), c);
    }

    public static String pair(int seed, int calib) { return seed + "/" + calib; }

    private double value(String recipe, String pair, Metric m) {
        SweepCells.Cell c = byRecipe.get(recipe).get(pair);
        return c == null || !c.ok() ? Double.NaN : c.metric(m.key());
    }

    /** Mean ± sd over the pairs where the recipe has a finite value. */
    public Summary summary(String recipe, Metric m) {
        List<Double> v = new ArrayList<>();
        for (String p : pairs) {
            double x = value(recipe, p, m);
            if (Double.isFinite(x)) v.add(x);
        }
        double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
        return new Summary(a.length, PairedStats.mean(a), PairedStats.sd(a));
    }

    /** recipe − baseline over the pairs where both have finite values. */
    public PairedStats.Paired paired(String recipe, Metric m) {
        List<double[]> v = new ArrayList<>();
        for (String p : pairs) {
            double a = value(recipe, p, m), b = value(baseline, p, m);
            if (Double.isFinite(a) && Double.isFinite(b)) v.add(new double[]{a, b});
        }
        double[] a = new double[v.size()], b = new double[v.size()];
        for (int i = 0; i < a.length; i++) { a[i] = v.get(i)[0]; b[i] = v.get(i)[1]; }
        return PairedStats.paired(a, b, m.higherIsBetter());
    }

    public int failed(String recipe) { return (int) byRecipe.get(recipe).values().stream().filter(c -> !c.ok()).count(); }

    private static String pm(Summary s, int digits) {
        if (s.n() == 0) return "—";
        return HtmlReport.num(s.mean(), digits) + (s.n() > 1 ? " ± " + HtmlReport.num(s.sd(), digits) : "");
    }

    private static String signed(double v, int digits) {
        return Double.isFinite(v) && v > 0 ? "+" + HtmlReport.num(v, digits) : HtmlReport.num(v, digits);
    }

    /** The table as printed: one block of means, one of paired differences against the baseline. */
    public String text() {
        int w = Math.max(8, recipes.stream().mapToInt(String::length).max().orElse(8)) + 2;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-" + w + "s %5s", "recipe", "pairs"));
        for (Metric m : metrics) b.append(String.format(Locale.ROOT, "  %-22s", m.label() + " mean ± sd"));
        b.append('\n');
        for (String r : recipes) {
            int n = (int) pairs.stream().filter(p -> byRecipe.get(r).containsKey(p) && byRecipe.get(r).get(p).ok()).count();
            b.append(String.format(Locale.ROOT, "%-" + w + "s %5d", r, n));
            for (Metric m : metrics) b.append(String.format(Locale.ROOT, "  %-22s", pm(summary(r, m), m.digits())));
            if (failed(r) > 0) b.append("  (").append(failed(r)).append(" failed)");
            b.append('\n');
        }
        if (recipes.size() > 1) {
            b.append('\n').append("paired vs ").append(baseline)
                    .append(" (recipe − baseline per seed × calibration set; ahead = higher PSNR/SNR, lower |Δ|; t has n − 1 df)\n");
            b.append(String.format(Locale.ROOT, "%-" + w + "s %-20s %10s %9s %13s %8s%n", "recipe", "metric", "Δ mean", "Δ sd", "ahead", "t"));
            for (String r : recipes) {
                if (r.equals(baseline)) continue;
                for (Metric m : metrics) {
                    PairedStats.Paired p = paired(r, m);
                    b.append(String.format(Locale.ROOT, "%-" + w + "s %-20s %10s %9s %13s %8s%n", r, m.label(),
                            signed(p.mean(), m.digits()), HtmlReport.num(p.sd(), m.digits()),
                            p.ahead() + " of " + p.n(), HtmlReport.num(p.t(), 2)));
                }
            }
        }
        return b.toString();
    }

    /** HTML rows: recipe, pairs, each metric's mean ± sd, then each metric's paired Δ, ahead and t. */
    public HtmlReport.Table html() {
        List<String> head = new ArrayList<>(List.of("recipe", "pairs"));
        for (Metric m : metrics) head.add(m.label() + " (mean ± sd)");
        for (Metric m : metrics) {
            head.add(m.label() + ": Δ vs " + baseline + " (mean ± sd)");
            head.add(m.label() + ": ahead");
            head.add(m.label() + ": paired t");
        }
        List<List<String>> rows = new ArrayList<>();
        for (String r : recipes) {
            List<String> row = new ArrayList<>();
            row.add(r);
            row.add(Long.toString(pairs.stream().filter(p -> byRecipe.get(r).containsKey(p) && byRecipe.get(r).get(p).ok()).count()));
            for (Metric m : metrics) row.add(pm(summary(r, m), m.digits()));
            for (Metric m : metrics) {
                if (r.equals(baseline)) { row.addAll(List.of("baseline", "", "")); continue; }
                PairedStats.Paired p = paired(r, m);
                row.add(signed(p.mean(), m.digits()) + " ± " + HtmlReport.num(p.sd(), m.digits()));
                row.add(p.ahead() + " of " + p.n());
                row.add(HtmlReport.num(p.t(), 2));
            }
            rows.add(row);
        }
        return new HtmlReport.Table(head, rows);
    }

    /** The table as JSON: per recipe each metric's n, mean, sd and (except the baseline) the paired comparison. */
    public ArrayNode json(ObjectMapper json) {
        ArrayNode out = json.createArrayNode();
        for (String r : recipes) {
            ObjectNode o = out.addObject().put("recipe", r).put("baseline", r.equals(baseline)).put("failed_cells", failed(r));
            for (Metric m : metrics) {
                Summary s = summary(r, m);
                ObjectNode mo = o.putObject(m.key()).put("n", s.n());
                SweepCells.finite(mo, "mean", s.mean());
                SweepCells.finite(mo, "sd", s.sd());
                if (r.equals(baseline)) continue;
                PairedStats.Paired p = paired(r, m);
                ObjectNode po = mo.putObject("paired_vs_baseline").put("n", p.n());
                SweepCells.finite(po, "mean", p.mean());
                SweepCells.finite(po, "sd", p.sd());
                po.put("ahead", p.ahead()).put("behind", p.behind()).put("higher_is_better", m.higherIsBetter());
                SweepCells.finite(po, "t", p.t());
            }
        }
        return out;
    }
}
