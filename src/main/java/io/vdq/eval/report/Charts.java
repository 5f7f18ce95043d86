package io.vdq.eval.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** PNG charts for the report (headless XChart), written atomically. */
public final class Charts {
    static { System.setProperty("java.awt.headless", "true"); }

    private Charts() {}

    /** A grouped bar chart: one series per entry of {@code series}, one bar group per category. */
    public static void bars(Path png, String title, String yLabel, List<String> categories,
                            List<String> seriesNames, List<List<Double>> series) {
        CategoryChart c = new CategoryChartBuilder().width(900).height(420).title(title).yAxisTitle(yLabel).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setXAxisLabelRotation(30);
        for (int i = 0; i < seriesNames.size(); i++) c.addSeries(seriesNames.get(i), categories, series.get(i));
        save(c, png);
    }

    /** Line chart of several series over a shared x axis (e.g. activation bits per denoising step). */
    public static void lines(Path png, String title, String xLabel, String yLabel, double[] x,
                             List<String> seriesNames, List<double[]> ys, boolean logY) {
        XYChart c = new XYChartBuilder().width(900).height(420).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisLogarithmic(logY);
        for (int i = 0; i < seriesNames.size(); i++) c.addSeries(seriesNames.get(i), x, ys.get(i));
        save(c, png);
    }

    private static void save(Chart<?, ?> chart, Path png) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            HtmlReport.writeAtomically(png, out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart " + png + ": " + e.getMessage(), e);
        }
    }
}
