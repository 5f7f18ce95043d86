package io.vdq.eval.report;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.eval.report.HtmlReport.Cell;
import io.vdq.eval.report.HtmlReport.Figure;
import io.vdq.eval.report.HtmlReport.ImageRow;
import io.vdq.eval.report.HtmlReport.Page;
import io.vdq.eval.report.HtmlReport.Table;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    @TempDir Path dir;

    @Test
    void writesEscapedTableImagesAndCommandAtomically() throws Exception {
        Path page = dir.resolve("r/index.html");
        HtmlReport.write(page, new Page("a <b> report", List.of("random & untrained"),
                new Table(List.of("recipe", "PSNR"), List.of(List.of("w4a4 & co", "31.5"))),
                List.of(new ImageRow("a red circle", List.of(new Cell("FP32", "fp.gif"), new Cell("W4A4", "q.gif")))),
                List.of(new Figure("PSNR", "psnr.png")), "./vdq demo --quick", null));
        String html = Files.readString(page);
        assertTrue(html.contains("<title>a &lt;b&gt; report</title>"));
        assertTrue(html.contains("<td>w4a4 &amp; co</td><td>31.5</td>"));
        assertTrue(html.contains("<img src=\"q.gif\" alt=\"W4A4\">"));
        assertTrue(html.contains("<pre>./vdq demo --quick</pre>"));
        try (var files = Files.list(page.getParent())) {
            assertEquals(List.of(page), files.toList(), "no temporary file left behind");
        }
        assertEquals("∞", HtmlReport.num(Double.POSITIVE_INFINITY, 2));
        assertEquals("31.46", HtmlReport.num(31.456, 2));
    }

    @Test
    void chartsAreReadablePngs() throws Exception {
        Path bars = dir.resolve("bars.png"), lines = dir.resolve("lines.png");
        var v = new LinkedHashMap<String, Double>();
        v.put("fp", Double.POSITIVE_INFINITY);
        v.put("w4a4", 31.5);
        Charts.bars(bars, "PSNR", "dB", v, 100);
        var s = new LinkedHashMap<String, double[]>();
        s.put("w4a6-dvd", new double[]{8, 8, 4, 4, 8});
        Charts.lines(lines, "bits", "step", "bits", s);
        BufferedImage b = ImageIO.read(bars.toFile()), l = ImageIO.read(lines.toFile());
        assertTrue(b.getWidth() > 100 && b.getHeight() > 100);
        assertTrue(l.getWidth() > 100 && l.getHeight() > 100);
    }
}
