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
    void linksNoteLinksAndDifferenceImagesBesideTheirVideos() {
        String html = HtmlReport.render(new Page("t", List.of(new HtmlReport.Link("results.json", "results.json"),
                new HtmlReport.Link("docs & more", "../docs/QUANT.md")),
                List.of("scored as in [docs/VBENCH_LITE.md](../docs/VBENCH_LITE.md) <b>, see [A](a.md) and [B](b.md)."),
                new Table(List.of("recipe", "description"), List.of(List.of("w4a4", "a long description"))),
                List.of(new ImageRow("p", List.of(new Cell("fp", "g/fp.gif"), new Cell("w4a4 · 20.0 dB", "g/q.gif", "g/q-diff.gif")))),
                List.of(new Figure("bars", "psnr.svg")), "<i>legend</i>", "./vdq demo", null));
        assertTrue(html.contains("<p class=\"links\"><a href=\"results.json\">results.json</a><a href=\"../docs/QUANT.md\">docs &amp; more</a></p>"), html);
        assertTrue(html.contains("<p class=\"note\">scored as in <a href=\"../docs/VBENCH_LITE.md\">docs/VBENCH_LITE.md</a> &lt;b&gt;, see "
                + "<a href=\"a.md\">A</a> and <a href=\"b.md\">B</a>.</p>"), html);
        assertTrue(html.contains("<figure><img src=\"g/fp.gif\" alt=\"fp\"><figcaption>fp</figcaption></figure>"), "no pair without a difference image");
        assertTrue(html.contains("<figure><div class=\"pair\"><img src=\"g/q.gif\" alt=\"w4a4 · 20.0 dB\"><img class=\"diff\" src=\"g/q-diff.gif\""),
                "the difference image right after its video");
        assertTrue(html.contains("<p><i>legend</i></p>"), "the video note is HTML");
        assertTrue(html.contains("<img src=\"psnr.svg\""));
        assertTrue(html.contains("#results{width:100%;") && html.contains("#results td:last-child{min-width:14em") && !html.contains("td{white-space:nowrap}"),
                "the table takes the page's width and its description column wraps");
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
