package io.vdq.eval.report;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    @TempDir Path dir;

    @Test
    void writesEscapedTableAndFiguresAtomically() throws Exception {
        Path page = dir.resolve("r/index.html");
        new HtmlReport("a <b> report")
                .heading("Table")
                .table(List.of("method", "PSNR"), List.of(List.of("w4a4 & co", "31.5")))
                .figures(List.of("fp.gif", "q.gif"), List.of("FP32", "W4A4"))
                .write(page);
        String html = Files.readString(page);
        assertTrue(html.contains("<title>a &lt;b&gt; report</title>"));
        assertTrue(html.contains("<th>w4a4 &amp; co</th><td>31.5</td>"));
        assertTrue(html.contains("<img src=\"q.gif\" alt=\"W4A4\">"));
        try (var files = Files.list(page.getParent())) {
            assertEquals(List.of(page), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void chartsAreReadablePngs() throws Exception {
        Path bars = dir.resolve("bars.png"), lines = dir.resolve("lines.png");
        Charts.bars(bars, "scores", "%", List.of("color", "shape"), List.of("FP", "W4A4"),
                List.of(List.of(98.0, 95.0), List.of(80.0, 70.0)));
        Charts.lines(lines, "bits", "step", "bits", new double[]{0, 1, 2}, List.of("dvd"),
                List.of(new double[]{8, 4, 8}), false);
        BufferedImage b = ImageIO.read(bars.toFile()), l = ImageIO.read(lines.toFile());
        assertEquals(900, b.getWidth());
        assertEquals(420, l.getHeight());
    }
}
