package io.vdq.eval.report;

import io.vdq.io.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SequencedMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** PNG charts for reports (XChart, rendered headless and written atomically). */
public final class Charts {
    private Charts() {}

    /**
     * A bar per label. Non-finite values (e.g. PSNR +∞ of an identical video) are drawn at {@code capForInfinite}
     * and the label says so.
     */
    public static void bars(Path file, String title, String yTitle, SequencedMap<String, Double> values, double capForInfinite) {
        CategoryChart c = new CategoryChartBuilder().width(1000).height(480).title(title).yAxisTitle(yTitle).build();
        List<String> labels = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (var e : values.entrySet()) {
            double v = e.getValue();
            boolean inf = !Double.isFinite(v);
            labels.add(inf ? e.getKey() + " (∞)" : e.getKey());
            ys.add(Math.rint((inf ? capForInfinite : v) * 10) / 10); // one decimal in the bar labels
        }
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(90); // XChart drops overlapping labels; vertical ones all fit
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLabelsVisible(true);
        c.addSeries(yTitle, labels, ys);
        write(file, c);
    }

    /** One line per series over x = 0, 1, 2, … (e.g. activation bits per denoising step). */
    public static void lines(Path file, String title, String xTitle, String yTitle, SequencedMap<String, double[]> series) {
        XYChart c = new XYChartBuilder().width(1000).height(380).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(series.size() > 3 ? Styler.LegendPosition.OutsideE : Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        for (var e : series.entrySet()) {
            double[] y = e.getValue(), x = new double[y.length];
            for (int i = 0; i < x.length; i++) x[i] = i;
            c.addSeries(e.getKey(), x, y);
        }
        write(file, c);
    }

    private static void write(Path file, Chart<?, ?> chart) {
        try {
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.writeBytes(file, png);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot render chart: " + e.getMessage(), e);
        }
    }
}
