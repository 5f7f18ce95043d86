package io.vdq.eval.report;

import io.vdq.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Charts for reports as standalone SVG text, laid out to fit a {@value #WIDTH}-pixel-wide column (a 1 400 px page
 * less its margins) with every label drawn: horizontal bars with one name per bar ({@link #hbars}), small
 * multiples with one panel per series and the others in grey behind it ({@link #panels}), drawn as polylines or as
 * step functions made of horizontal and vertical segments only, and a heat map with one labelled column per name
 * ({@link #heatmap}) so that rows with different column sets line up by name, not by index.
 *
 * <p>Text elements carry a class naming their role ({@code bar-label}, {@code bar-value}, {@code panel-title},
 * {@code col-label}, {@code row-label}) and data paths carry {@code series}, so tests and readers can find them.
 */
public final class SvgCharts {
    /** Width of every chart in pixels. */
    public static final int WIDTH = 1300;

    static final String ACCENT = "#1f6fb4", GREY = "#c8c8c8", CAPPED = "#8fb8de";
    private static final double CHAR_W = 7.6; // a generous width of a 12 px sans-serif character (DejaVu Sans is wide), for layout

    private SvgCharts() {}

    /** Writes an SVG document atomically. */
    public static void write(Path file, String svg) { AtomicFiles.writeBytes(file, svg.getBytes(StandardCharsets.UTF_8)); }

    /**
     * One horizontal bar per entry, its name left of it and its value (one decimal and {@code unit}) at its end.
     * Non-finite values are drawn at {@code capForInfinite} in a lighter colour and labelled "∞" (a PSNR of an
     * identical video); the axis starts at 0, or below it when a value is negative.
     */
    public static String hbars(String title, String unit, SequencedMap<String, Double> values, double capForInfinite) {
        int n = values.size(), row = 22, top = 34, axis = 30;
        int maxLabel = 0;
        for (String k : values.keySet()) maxLabel = Math.max(maxLabel, k.length());
        int left = (int) Math.min(WIDTH * 0.4, Math.max(80, maxLabel * CHAR_W + 14)), right = 90;
        double lo = 0, hi = 0;
        for (double v : values.values()) {
            double x = Double.isFinite(v) ? v : capForInfinite;
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        if (hi <= lo) hi = lo + 1;
        double[] ticks = ticks(lo, hi, 8);
        lo = Math.min(lo, ticks[0]);
        hi = Math.max(hi, ticks[ticks.length - 1]);
        int h = top + n * row + axis;
        Scale x = new Scale(lo, hi, left, WIDTH - right);
        StringBuilder b = open(WIDTH, h, title);
        for (double t : ticks) {
            double px = x.at(t);
            b.append(line(px, top - 4, px, top + n * row, "#e4e4e4"));
            b.append(text(px, top + n * row + 16, "middle", "tick", fmt(t)));
        }
        b.append(text((left + WIDTH - right) / 2.0, h - 2, "middle", "axis-title", unit));
        int i = 0;
        for (var e : values.entrySet()) {
            double v = e.getValue(), y = top + i * row;
            boolean inf = !Double.isFinite(v);
            double val = inf ? capForInfinite : v, x0 = x.at(Math.min(0, val)), x1 = x.at(Math.max(0, val));
            b.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s: %s</title></rect>\n",
                    x0, y + 3, Math.max(0.5, x1 - x0), row - 6, inf ? CAPPED : ACCENT, esc(e.getKey()), inf ? "∞" : fmt1(v)));
            b.append(text(left - 6, y + row / 2.0 + 4, "end", "bar-label", e.getKey()));
            b.append(text(x1 + 4, y + row / 2.0 + 4, "start", "bar-value", (inf ? "∞" : fmt1(v)) + (unit.isEmpty() ? "" : " " + shortUnit(unit))));
            i++;
        }
        b.append(line(x.at(0), top - 4, x.at(0), top + n * row, "#555"));
        return close(b);
    }

    /**
     * Small multiples: one panel per series (its name as the panel title, the series in colour), every other series
     * drawn thin and grey behind it, all panels on the same axes. Value k sits over step k + 1 of the x axis. With
     * {@code steps} each series is a step function (value k held across step k + 1: horizontal and vertical segments
     * only, as an activation-bit schedule is); otherwise a polyline through the step centres. Non-finite values
     * break the line. {@code integerY} puts the y ticks on whole numbers (bits).
     */
    public static String panels(String title, String xTitle, String yTitle, SequencedMap<String, double[]> series,
                                boolean steps, boolean integerY) {
        int n = series.size(), cols = Math.max(1, Math.min(n, 4)), rows = (n + cols - 1) / cols;
        int pw = WIDTH / Math.max(cols, 2), ph = 190, top = 30; // one panel alone takes half the width, not all of it
        int len = 0;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] y : series.values()) {
            len = Math.max(len, y.length);
            for (double v : y) if (Double.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        }
        if (!(lo <= hi)) { lo = 0; hi = 1; }
        if (integerY) { lo = Math.floor(lo) - 1; hi = Math.ceil(hi) + 1; }
        if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
        double[] yt = integerY ? integerTicks(lo, hi, 6) : ticks(lo, hi, 5);
        if (!integerY) { lo = Math.min(lo, yt[0]); hi = Math.max(hi, yt[yt.length - 1]); }
        int h = top + rows * ph + 6;
        StringBuilder b = open(WIDTH, h, title);
        int i = 0;
        for (var e : series.entrySet()) {
            int c = i % cols, r = i / cols;
            double ox = c * pw, oy = top + r * ph;
            double l = ox + 52, rt = ox + pw - 14, tp = oy + 22, bt = oy + ph - 36;
            Scale xs = new Scale(0, Math.max(1, len), l, rt), ys = new Scale(lo, hi, bt, tp);
            b.append(String.format(Locale.ROOT, "<g class=\"panel\" data-series=\"%s\">\n", esc(e.getKey())));
            b.append(text((l + rt) / 2, oy + 14, "middle", "panel-title", e.getKey()));
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n",
                    l, tp, rt - l, bt - tp));
            for (double t : yt) {
                double py = ys.at(t);
                b.append(line(l, py, rt, py, "#eeeeee"));
                b.append(text(l - 4, py + 4, "end", "tick", fmt(t)));
            }
            int every = Math.max(1, (int) Math.ceil(len / ((rt - l) / 22.0)));
            for (int k = 0; k < len; k++)
                if (k % every == 0 || k == len - 1) b.append(text(xs.at(k + 0.5), bt + 14, "middle", "tick", Integer.toString(k + 1)));
            b.append(text((l + rt) / 2, bt + 30, "middle", "axis-title", xTitle));
            b.append(String.format(Locale.ROOT, "<text class=\"axis-title\" transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                    ox + 12, (tp + bt) / 2, esc(yTitle)));
            for (var o : series.entrySet())
                if (o != e) b.append(path(o.getValue(), xs, ys, steps, "context", GREY, 1));
            b.append(path(e.getValue(), xs, ys, steps, "series", ACCENT, 2.2));
            b.append("</g>\n");
            i++;
        }
        return close(b);
    }

    /**
     * A heat map: one row per entry of {@code rows} (name → value per layer name), one column per layer, the colour
     * of a cell the log10 of its value on a light-to-dark scale shared by all cells (legend at the right), grey
     * hatching where a row has no such layer. A name {@code base@variant} (a method that keeps several versions of
     * one layer, e.g. per timestep range) is drawn as a stripe of column {@code base}: a cell holds one stripe per
     * variant, top to bottom. Columns are {@link #columns} of the rows. Every column is labelled with its name,
     * rotated; every cell or stripe has a tooltip with its full name and exact value.
     */
    public static String heatmap(String title, String valueTitle, SequencedMap<String, SequencedMap<String, Double>> rows) {
        List<String> columns = columns(rows.values());
        int maxRow = 0, maxCol = 0;
        for (String k : rows.keySet()) maxRow = Math.max(maxRow, k.length());
        for (String k : columns) maxCol = Math.max(maxCol, k.length());
        int left = (int) Math.min(WIDTH * 0.3, Math.max(80, maxRow * CHAR_W + 14)), legend = 130;
        double cw = Math.min(28, (WIDTH - left - legend) / (double) Math.max(1, columns.size()));
        int fontCol = cw >= 13 ? 11 : Math.max(6, (int) Math.floor(cw - 1));
        int top = 30, labelH = (int) Math.ceil(maxCol * fontCol * 0.56) + 10, rh = 20;
        int h = top + rows.size() * rh + labelH + 8;
        h = Math.max(h, top + 170);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (var r : rows.values())
            for (double v : r.values()) if (v > 0 && Double.isFinite(v)) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
        if (!(lo <= hi)) { lo = -3; hi = 0; }
        if (hi - lo < 1e-6) { lo -= 0.5; hi += 0.5; }
        StringBuilder b = open(WIDTH, h, title);
        b.append("<defs><pattern id=\"none\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"#f2f2f2\"/>"
                + "<path d=\"M0 6 L6 0\" stroke=\"#cfcfcf\"/></pattern></defs>\n");
        int r = 0;
        for (var row : rows.entrySet()) {
            double y = top + r * rh;
            b.append(text(left - 6, y + rh / 2.0 + 4, "end", "row-label", row.getKey()));
            SequencedMap<String, List<Map.Entry<String, Double>>> cells = new LinkedHashMap<>();
            for (var e : row.getValue().entrySet()) cells.computeIfAbsent(base(e.getKey()), k -> new ArrayList<>()).add(e);
            for (int c = 0; c < columns.size(); c++) {
                var parts = cells.getOrDefault(columns.get(c), List.of());
                double x = left + c * cw;
                if (parts.isEmpty())
                    b.append(String.format(Locale.ROOT, "<rect class=\"cell\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"url(#none)\"><title>%s · %s: %s</title></rect>\n",
                            x, y, cw, rh, esc(row.getKey()), esc(columns.get(c)), "not quantized by this recipe"));
                for (int k = 0; k < parts.size(); k++) {
                    double v = parts.get(k).getValue(), sh = (double) rh / parts.size();
                    String fill = v > 0 && Double.isFinite(v) ? ramp((Math.log10(v) - lo) / (hi - lo)) : "#ffffff";
                    b.append(String.format(Locale.ROOT, "<rect class=\"cell\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>%s · %s: %s</title></rect>\n",
                            x, y + k * sh, cw, sh, fill, esc(row.getKey()), esc(parts.get(k).getKey()), sci(v)));
                }
            }
            r++;
        }
        double base = top + rows.size() * rh + 4;
        for (int c = 0; c < columns.size(); c++) {
            double x = left + (c + 0.5) * cw + fontCol * 0.35;
            b.append(String.format(Locale.ROOT, "<text class=\"col-label\" font-size=\"%d\" transform=\"translate(%.2f %.1f) rotate(-90)\" text-anchor=\"end\">%s</text>\n",
                    fontCol, x, base, esc(columns.get(c))));
        }
        // legend: a vertical ramp with ticks at the decades (or the ends when less than a decade)
        double lx = WIDTH - legend + 24, ly0 = top, ly1 = top + 140;
        for (int k = 0; k < 28; k++) {
            double t0 = k / 28.0;
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.2f\" width=\"14\" height=\"%.2f\" fill=\"%s\"/>\n",
                    lx, ly1 - (k + 1) * (ly1 - ly0) / 28, (ly1 - ly0) / 28 + 0.3, ramp(t0 + 0.5 / 28)));
        }
        List<Double> lt = new ArrayList<>();
        for (double d = Math.ceil(lo); d <= Math.floor(hi) + 1e-9; d++) lt.add(d);
        if (lt.size() < 2) { lt.clear(); lt.add(lo); lt.add(hi); }
        for (double d : lt) {
            double py = ly1 - (d - lo) / (hi - lo) * (ly1 - ly0);
            b.append(line(lx + 14, py, lx + 18, py, "#555"));
            b.append(text(lx + 21, py + 4, "start", "tick", sci(Math.pow(10, d))));
        }
        b.append(text(lx - 4, ly0 - 8, "start", "axis-title", valueTitle));
        b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"url(#none)\" stroke=\"#ccc\"/>\n", lx, ly1 + 12));
        b.append(text(lx + 20, ly1 + 21, "start", "tick", "no such layer"));
        return close(b);
    }

    /** The layer a name belongs to: the part before {@code @} ({@code blocks.0.attn1.to_q@range1} → {@code blocks.0.attn1.to_q}). */
    static String base(String name) {
        int at = name.indexOf('@');
        return at < 0 ? name : name.substring(0, at);
    }

    /**
     * The union of the rows' layers ({@link #base} names) in forward order: a layer one row adds goes right after
     * the layer that precedes it in that row, so every row's own order is kept.
     */
    public static List<String> columns(Iterable<? extends SequencedMap<String, Double>> rows) {
        List<String> cols = new ArrayList<>();
        for (var r : rows) {
            int prev = -1;
            for (String name : r.keySet()) {
                String k = base(name);
                int at = cols.indexOf(k);
                if (at < 0) cols.add(at = prev + 1, k);
                prev = at;
            }
        }
        return cols;
    }

    /** A light-to-dark sequential colour for t in [0, 1] (pale yellow → orange → dark purple). */
    static String ramp(double t) {
        double[][] stops = {{255, 247, 188}, {254, 196, 79}, {236, 112, 20}, {178, 34, 70}, {60, 14, 90}};
        t = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int k = Math.min(stops.length - 2, (int) Math.floor(t));
        double f = t - k;
        int[] c = new int[3];
        for (int j = 0; j < 3; j++) c[j] = (int) Math.round(stops[k][j] + f * (stops[k + 1][j] - stops[k][j]));
        return String.format(Locale.ROOT, "#%02x%02x%02x", c[0], c[1], c[2]);
    }

    /**
     * The SVG path of one series: with {@code steps}, "M x0 y0 H x1 V y1 H x2 …" (value k held from x = k to
     * k + 1, a V only where the value changes; a non-finite value ends the run and the next finite one starts a
     * new one with M); otherwise a
     * polyline through (k + 0.5, value k).
     */
    static String path(double[] y, Scale xs, Scale ys, boolean steps, String cls, String colour, double width) {
        StringBuilder d = new StringBuilder();
        boolean open = false;
        for (int k = 0; k < y.length; k++) {
            if (!Double.isFinite(y[k])) { open = false; continue; }
            double py = ys.at(y[k]);
            if (steps) {
                if (!open) d.append(d.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "M%.2f %.2f", xs.at(k), py));
                else if (y[k] != y[k - 1]) d.append(String.format(Locale.ROOT, " V%.2f", py));
                d.append(String.format(Locale.ROOT, " H%.2f", xs.at(k + 1)));
            } else {
                d.append(String.format(Locale.ROOT, open ? " L%.2f %.2f" : d.isEmpty() ? "M%.2f %.2f" : " M%.2f %.2f", xs.at(k + 0.5), py));
            }
            open = true;
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<path class=\"%s\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"/>\n",
                cls, d, colour, width));
        if (!steps && "series".equals(cls))
            for (int k = 0; k < y.length; k++)
                if (Double.isFinite(y[k]))
                    b.append(String.format(Locale.ROOT, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.4\" fill=\"%s\"><title>%d: %s</title></circle>\n",
                            xs.at(k + 0.5), ys.at(y[k]), colour, k + 1, fmt1(y[k])));
        return b.toString();
    }

    /** A linear map from data [d0, d1] to pixels [p0, p1]. */
    record Scale(double d0, double d1, double p0, double p1) {
        double at(double v) { return p0 + (v - d0) / (d1 - d0) * (p1 - p0); }
    }

    /** About {@code n} "nice" ticks (1, 2, 5 × 10^k apart) covering [lo, hi]. */
    static double[] ticks(double lo, double hi, int n) {
        double raw = (hi - lo) / Math.max(1, n), mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
        for (double m : new double[]{1, 2, 5, 10}) if (m * mag >= raw) { step = m * mag; break; }
        double a = Math.floor(lo / step + 1e-9) * step, z = Math.ceil(hi / step - 1e-9) * step;
        int k = (int) Math.round((z - a) / step);
        double[] t = new double[k + 1];
        for (int i = 0; i <= k; i++) t[i] = a + i * step;
        return t;
    }

    private static double[] integerTicks(double lo, double hi, int n) {
        int step = Math.max(1, (int) Math.ceil((hi - lo) / n));
        List<Double> t = new ArrayList<>();
        for (double v = Math.ceil(lo); v <= hi + 1e-9; v += step) t.add(v);
        return t.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static StringBuilder open(int w, int h, String title) {
        StringBuilder b = new StringBuilder(4096);
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"system-ui, Helvetica, Arial, sans-serif\" font-size=\"12\">\n", w, h, w, h));
        b.append("<style>.tick{font-size:11px;fill:#444}.axis-title{font-size:12px;fill:#333}.panel-title{font-weight:600}"
                + ".chart-title{font-size:15px;font-weight:600}.bar-value{font-size:11px;fill:#333}</style>\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        b.append(text(w / 2.0, 18, "middle", "chart-title", title));
        return b;
    }

    private static String close(StringBuilder b) { return b.append("</svg>\n").toString(); }

    private static String line(double x0, double y0, double x1, double y1, String colour) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x0, y0, x1, y1, colour);
    }

    private static String text(double x, double y, String anchor, String cls, String s) {
        return String.format(Locale.ROOT, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n", cls, x, y, anchor, esc(s));
    }

    private static String shortUnit(String unit) {
        int p = unit.indexOf('('), q = unit.indexOf(')');
        return p >= 0 && q > p ? unit.substring(p + 1, q) : unit;
    }

    private static String fmt(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) return Long.toString(Math.round(v));
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String fmt1(double v) { return String.format(Locale.ROOT, "%.1f", v); }

    private static String sci(double v) { return String.format(Locale.ROOT, "%.3g", v); }

    static String esc(String s) { return HtmlReport.esc(s); }
}
